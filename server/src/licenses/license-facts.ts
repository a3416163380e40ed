import type { Approval, LicenseKind } from '@mintdesk/shared';
import { type KindFacts, kindPolicy } from '../kinds/index.ts';
import { parseJsonObject } from '../kinds/json-columns.ts';
import { DAY_MS } from '../kinds/kind-policy.ts';
import type { LicenseRow } from '../store/sql-store.ts';

/**
 * A stored license as titles, issues, emails and pages need it, with the kind's own wording
 * resolved here so that none of them has to know the kind.
 */
export interface LicenseFacts extends KindFacts {
  kind: LicenseKind;
  /** `Emergency trial`, `Ordered license`… */
  label: string;
  key: string;
  agent: string;
  ticketId: number | null;
  ticketUrl: string | null;
  issuedAt: Date;
  /** Null: no end date (perpetual), or not known until signed. */
  expiresAt: Date | null;
  attempts: number;
  trial: boolean;
  licensee: { name: string; company: string } | null;
  plan: string | null;
  approval: Approval;
  successTitle: string;
}

export function licenseFacts(row: LicenseRow): LicenseFacts {
  const policy = kindPolicy(row.kind);
  const expiresAt = row.expires_at === null ? null : new Date(row.expires_at);
  const issuedAt = new Date(row.issued_at);
  const days =
    row.duration_days !== null
      ? row.duration_days
      : expiresAt === null
        ? null
        : Math.round((expiresAt.getTime() - issuedAt.getTime()) / DAY_MS);
  const base: KindFacts = {
    id: row.id,
    email: row.email,
    userCount: row.user_count,
    days,
    startsOn: row.starts_on,
    endsOn: row.ends_on,
    claims: parseJsonObject(row.extra_claims),
    details: parseJsonObject(row.details),
  };
  return {
    ...base,
    kind: policy.kind,
    label: policy.label,
    key: row.key,
    agent: row.agent,
    ticketId: row.ticket_id === null ? null : Number(row.ticket_id),
    ticketUrl: row.ticket_url,
    issuedAt,
    expiresAt,
    attempts: row.delivery_attempts,
    trial: row.trial !== 0,
    licensee:
      row.licensee_name !== null && row.licensee_company !== null
        ? { name: row.licensee_name, company: row.licensee_company }
        : null,
    plan: row.plan,
    approval: approvalOf(row),
    successTitle: policy.successTitle(base),
  };
}

export function approvalOf(row: LicenseRow): Approval {
  return {
    status: row.approval_status,
    ...(row.approval_by !== null ? { by: row.approval_by } : {}),
    ...(row.approval_at !== null ? { at: row.approval_at } : {}),
    ...(row.approval_reason !== null ? { reason: row.approval_reason } : {}),
  };
}
