import { utcDateTime } from './dates.ts';
import type { Translate } from './i18n.tsx';
import { isPending, type LicenseRecord } from './policies.ts';

/** The internal note left on the ticket, so colleagues see what was sent without opening the app. */
export function noteBody(record: LicenseRecord, kindLabel: string, t: Translate): string {
  const { license, delivery, issue } = record;
  const values = {
    kind: kindLabel,
    id: license.id,
    users: license.userCount,
    email: license.email,
    agent: license.agent,
    from: utcDateTime(license.issuedAt),
    until: license.expiresAt ? utcDateTime(license.expiresAt) : t('result.noEnd'),
    status: delivery.status,
    issue: issue ? `${issue.title} (${issue.state})` : '—',
  };
  return t(isPending(record) ? 'note.pending' : 'note.body', values);
}
