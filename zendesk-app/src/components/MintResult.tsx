import { Button } from '@zendeskgarden/react-buttons';
import { useState } from 'react';
import { utcDate } from '../dates.ts';
import { useT } from '../i18n.tsx';
import { isPending, isRejected, type LicenseRecord } from '../policies.ts';
import { copyText } from './copy-text.ts';
import { statusOf } from './status-word.ts';

export interface NoteState {
  added: boolean;
  error?: string;
}

/** What happened to the license just minted; the live region a screen reader announces. */
export function MintResult({
  record,
  note,
  stoppedWaiting,
}: {
  record: LicenseRecord;
  note?: NoteState;
  /** Still pending, and the app no longer asks the service about it. */
  stoppedWaiting?: boolean;
}) {
  const t = useT();
  const [copied, setCopied] = useState<boolean | undefined>();
  const { license, delivery, issue } = record;
  const pending = isPending(record);
  const rejected = isRejected(record);
  const { word: status, tone } = statusOf(record, t);
  const settled = !pending && !rejected;
  return (
    <div className={`result result--${tone}`}>
      <p className="result__headline">
        <strong>{t('result.license', { id: license.id })}</strong> ·{' '}
        {license.expiresAt ? t('result.expires', { date: utcDate(license.expiresAt) }) : t('result.noEnd')} ·{' '}
        <span className={`badge badge--${tone}`}>{status}</span>
      </p>
      {pending ? <p>{t('result.waitingHelp')}</p> : null}
      {pending && stoppedWaiting ? <p className="muted">{t('result.stoppedWaiting')}</p> : null}
      {rejected ? (
        <p>
          {t('result.rejectedHelp', {
            by: record.approval.by ?? '—',
            reason: record.approval.reason ?? '—',
          })}
        </p>
      ) : null}
      {settled && record.approval.status === 'approved' && record.approval.by ? (
        <p className="muted">{t('result.approvedBy', { by: record.approval.by })}</p>
      ) : null}
      {settled && delivery.status === 'sent' ? <p>{t('result.sentTo', { email: license.email })}</p> : null}
      {settled && delivery.status === 'queued' ? <p>{t('result.queuedHelp')}</p> : null}
      {settled && delivery.status === 'failed' ? (
        <p>{t('result.failedHelp', { error: delivery.error ?? '' })}</p>
      ) : null}
      <p className="muted">
        {issue ? t('result.issue', { title: issue.title, state: t(`state.${issue.state}`) }) : t('result.issuePending')}
      </p>
      {note?.added ? <p className="muted">{t('result.noteAdded')}</p> : null}
      {note?.error ? <p className="muted">{t('result.noteFailed', { message: note.error })}</p> : null}
      {license.key ? <CopyLicense licenseKey={license.key} copied={copied} onCopy={setCopied} /> : null}
    </div>
  );
}

function CopyLicense({
  licenseKey,
  copied,
  onCopy,
}: {
  licenseKey: string;
  copied: boolean | undefined;
  onCopy: (copied: boolean) => void;
}) {
  const t = useT();
  return (
    <>
      <Button size="small" onClick={async () => onCopy(await copyText(licenseKey))}>
        {t('copy')}
      </Button>
      {copied === true ? <p className="muted">{t('copied')}</p> : null}
      {copied === false ? (
        <>
          <p className="muted">{t('copyFailed')}</p>
          <code className="key">{licenseKey}</code>
        </>
      ) : null}
    </>
  );
}
