import type { LicenseRecord } from '@mintdesk/shared';
import { kindPolicy } from '../kinds/index.ts';
import type { LicenseRow } from '../store/sql-store.ts';
import type { RevocableLicenseRow } from '../store/usage-store.ts';
import type { IssueSnapshot } from '../tracker/tracker.ts';
import { approvalOf } from './license-facts.ts';

/** The contract's license record: the license, its delivery, approval and issue as the tracker has it. */
export function toLicenseRecord(row: LicenseRow, issue: IssueSnapshot | null): LicenseRecord {
  return {
    license: {
      id: row.id,
      kind: kindPolicy(row.kind).kind,
      ...(row.key !== '' ? { key: row.key } : {}),
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
      userCount: row.user_count,
      email: row.email,
      agent: row.agent,
      ...(row.ticket_id !== null ? { ticketId: Number(row.ticket_id) } : {}),
      ...revocationOf(row),
    },
    delivery: {
      status: row.delivery_status,
      attempts: row.delivery_attempts,
      ...(row.delivery_error !== null && row.delivery_status !== 'sent' ? { error: row.delivery_error } : {}),
    },
    approval: approvalOf(row),
    issue:
      issue === null
        ? null
        : { id: issue.id, state: issue.state, title: issue.title, ...(issue.url ? { url: issue.url } : {}) },
  };
}

/** Since migration 0003 a row also says whether, when and why the license was revoked. */
function revocationOf(row: RevocableLicenseRow): { revokedAt?: string; revokeReason?: string } {
  return row.revoked_at ? { revokedAt: row.revoked_at, revokeReason: row.revoke_reason ?? '' } : {};
}
