import { z } from 'zod';
import { Approval, LicenseKind } from './license-kinds.ts';

/**
 * Whether the license email reached the mail server (`sent`), is still being tried, or was given
 * up; `held` while the license waits for an approver (nothing is signed or sent yet).
 */
export const DeliveryStatus = z.enum(['sent', 'queued', 'failed', 'held']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/** Tracker issue state as the tracker reports it now. */
export const IssueState = z.enum(['closed', 'open']);
export type IssueState = z.infer<typeof IssueState>;

export const LicenseInfo = z.object({
  id: z.string(),
  kind: LicenseKind,
  /** Absent while the license waits for approval (and after a rejection): nothing was signed. */
  key: z.string().optional(),
  issuedAt: z.string(),
  /** Null for a perpetual license: it has no end date. */
  expiresAt: z.string().nullable(),
  userCount: z.number().int(),
  email: z.string(),
  agent: z.string(),
  ticketId: z.number().int().optional(),
  /** When the license was revoked (ISO 8601 UTC) and why; absent while it is not. */
  revokedAt: z.string().optional(),
  revokeReason: z.string().optional(),
});
export type LicenseInfo = z.infer<typeof LicenseInfo>;

export const DeliveryInfo = z.object({
  status: DeliveryStatus,
  attempts: z.number().int(),
  error: z.string().optional(),
});
export type DeliveryInfo = z.infer<typeof DeliveryInfo>;

export const IssueInfo = z.object({
  id: z.string(),
  state: IssueState,
  title: z.string(),
  url: z.string().optional(),
});
export type IssueInfo = z.infer<typeof IssueInfo>;

/**
 * One license with its delivery, approval and tracker state — the answer of the mint, of
 * `GET /api/v1/licenses/:id`, and each element of a list. `issue` is null until the tracker has
 * recorded the first outcome.
 */
export const LicenseRecord = z.object({
  license: LicenseInfo,
  delivery: DeliveryInfo,
  approval: Approval,
  issue: IssueInfo.nullable(),
});
export type LicenseRecord = z.infer<typeof LicenseRecord>;

export const LicenseList = z.object({ licenses: z.array(LicenseRecord) });
export type LicenseList = z.infer<typeof LicenseList>;
