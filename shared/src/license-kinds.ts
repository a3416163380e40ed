import { z } from 'zod';

/** The kinds of license the service issues; `emergency` is the default of a mint without `kind`. */
export const LicenseKind = z.enum(['emergency', 'transition', 'addon', 'order'], {
  error: 'must be one of emergency, transition, addon, order',
});
export type LicenseKind = z.infer<typeof LicenseKind>;

/** Every kind, in the order the sidebar offers them. */
export const LICENSE_KINDS: readonly LicenseKind[] = LicenseKind.options;

/** Where a license stands on its way past an approver (`not_required` for kinds that need none). */
export const ApprovalStatus = z.enum(['not_required', 'pending', 'approved', 'rejected']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/** A record's approval: who decided, when, and (for a rejection) why. */
export const Approval = z.object({
  status: ApprovalStatus,
  by: z.string().optional(),
  at: z.string().optional(),
  reason: z.string().optional(),
});
export type Approval = z.infer<typeof Approval>;

/** One enabled kind as `GET /api/v1/policies` describes it: the sidebar hard-codes none of this. */
export const KindPolicyInfo = z.object({
  kind: LicenseKind,
  /** What a person calls it (the sidebar's **License kind** options). */
  label: z.string(),
  /** The body fields this kind takes besides the common `agent`, `email`, `ticketId`, `ticketUrl`. */
  fields: z.array(z.string()),
  /** Length of the license in days, for kinds whose length the operator fixes. */
  days: z.number().int().positive().optional(),
  /** Upper bound of `userCount` / `addUsers` / `totalUsers`. */
  maxUsers: z.number().int().positive(),
  /** Whether a mint of this kind waits for an approver (answers `202`). */
  approval: z.boolean(),
  trial: z.boolean(),
});
export type KindPolicyInfo = z.infer<typeof KindPolicyInfo>;

/** The answer of `GET /api/v1/policies`: the enabled kinds. */
export const PoliciesAnswer = z.object({ kinds: z.array(KindPolicyInfo) });
export type PoliciesAnswer = z.infer<typeof PoliciesAnswer>;
