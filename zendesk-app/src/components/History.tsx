import { Button } from '@zendeskgarden/react-buttons';
import { useState } from 'react';
import { utcDate } from '../dates.ts';
import { useT } from '../i18n.tsx';
import { isIssued, type LicenseRecord } from '../policies.ts';
import { statusOf } from './status-word.ts';

export interface HistoryProps {
  records: readonly LicenseRecord[];
  error?: string;
  /** Kind → its label from the policies (a disabled kind shows its id). */
  kindLabel: (kind: string | undefined) => string;
  onResend: (id: string) => Promise<string>;
}

/** Earlier licenses for this requester, newest first, each with a confirmed Resend. */
export function History({ records, error, kindLabel, onResend }: HistoryProps) {
  const t = useT();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<string | undefined>();

  const resend = async (id: string) => {
    setBusy(id);
    setConfirming(undefined);
    try {
      setOutcome(await onResend(id));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="history" aria-labelledby="history-title">
      <h2 id="history-title">{t('history.title')}</h2>
      {error ? <p className="muted">{t('history.loadFailed', { message: error })}</p> : null}
      {records.length === 0 && !error ? <p className="muted">{t('history.empty')}</p> : null}
      {outcome ? <p aria-live="polite">{outcome}</p> : null}
      <ul>
        {records.map((record) => {
          const { license, issue } = record;
          const { word, tone } = statusOf(record, t);
          return (
            <li key={license.id}>
              <div>
                <code>{license.id}</code> <span className={`badge badge--${tone}`}>{word}</span>
                {issue ? <span className="badge">{t(`state.${issue.state}`)}</span> : null}
              </div>
              <div className="muted">
                {t('history.item', {
                  kind: kindLabel(license.kind),
                  users: license.userCount,
                  from: utcDate(license.issuedAt),
                  until: license.expiresAt ? utcDate(license.expiresAt) : t('result.noEnd'),
                })}
              </div>
              {!isIssued(record) ? null : confirming === license.id ? (
                <div className="confirm">
                  <p>{t('history.resendConfirm', { id: license.id, email: license.email })}</p>
                  <Button size="small" isPrimary onClick={() => resend(license.id)}>
                    {t('history.resend')}
                  </Button>{' '}
                  <Button size="small" isBasic onClick={() => setConfirming(undefined)}>
                    {t('history.cancel')}
                  </Button>
                </div>
              ) : (
                <Button size="small" disabled={busy === license.id} onClick={() => setConfirming(license.id)}>
                  {t('history.resend')}
                </Button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
