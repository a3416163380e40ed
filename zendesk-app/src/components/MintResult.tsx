import type { LicenseRecord } from '@mintdesk/shared';
import { Button } from '@zendeskgarden/react-buttons';
import { useState } from 'react';
import { utcDate } from '../dates.ts';
import { useT } from '../i18n.tsx';
import { copyText } from './copy-text.ts';

export interface NoteState {
  added: boolean;
  error?: string;
}

/** What happened to the license just minted; the live region a screen reader announces. */
export function MintResult({ record, note }: { record: LicenseRecord; note?: NoteState }) {
  const t = useT();
  const [copied, setCopied] = useState<boolean | undefined>();
  const { license, delivery, issue } = record;
  const tone = delivery.status === 'sent' ? 'success' : delivery.status === 'queued' ? 'warning' : 'danger';
  return (
    <div className={`result result--${tone}`}>
      <p className="result__headline">
        <strong>{t('result.license', { id: license.id })}</strong> ·{' '}
        {t('result.expires', { date: utcDate(license.expiresAt) })} ·{' '}
        <span className={`badge badge--${tone}`}>{t(`result.status.${delivery.status}`)}</span>
      </p>
      {delivery.status === 'sent' ? <p>{t('result.sentTo', { email: license.email })}</p> : null}
      {delivery.status === 'queued' ? <p>{t('result.queuedHelp')}</p> : null}
      {delivery.status === 'failed' ? <p>{t('result.failedHelp', { error: delivery.error ?? '' })}</p> : null}
      <p className="muted">
        {issue ? t('result.issue', { title: issue.title, state: t(`state.${issue.state}`) }) : t('result.issuePending')}
      </p>
      {note?.added ? <p className="muted">{t('result.noteAdded')}</p> : null}
      {note?.error ? <p className="muted">{t('result.noteFailed', { message: note.error })}</p> : null}
      <Button size="small" onClick={async () => setCopied(await copyText(license.key ?? ''))}>
        {t('copy')}
      </Button>
      {copied === true ? <p className="muted">{t('copied')}</p> : null}
      {copied === false ? (
        <>
          <p className="muted">{t('copyFailed')}</p>
          <code className="key">{license.key}</code>
        </>
      ) : null}
    </div>
  );
}
