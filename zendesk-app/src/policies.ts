import { AgentName, EmailAddress } from '@mintdesk/shared';
import { z } from 'zod';

// The contract's "License kinds" and "Approval and people" shapes, as the sidebar reads them.
// TODO(kinds): switch to the schemas in @mintdesk/shared once the kinds branch has landed in main.

/** The kinds this app has a form for; the service may enable fewer (never more it can mint). */
export const LicenseKind = z.enum(['emergency', 'transition', 'addon', 'order']);
export type LicenseKind = z.infer<typeof LicenseKind>;

/** One enabled kind as `GET /api/v1/policies` describes it: the app hard-codes no days or limits. */
export const KindPolicy = z.object({
  kind: z.string(),
  label: z.string(),
  fields: z.array(z.string()),
  days: z.number().int().positive().optional(),
  maxUsers: z.number().int().positive(),
  // A flag today; a future `{"required": …}` or "required" string is read the same way.
  approval: z
    .union([z.boolean(), z.string(), z.object({ required: z.boolean() })])
    .transform((value) =>
      typeof value === 'boolean' ? value : typeof value === 'string' ? value === 'required' : value.required,
    ),
});
export type KindPolicy = z.infer<typeof KindPolicy>;

export const PoliciesAnswer = z.object({ kinds: z.array(KindPolicy) });
export type PoliciesAnswer = z.infer<typeof PoliciesAnswer>;

/** A kind the service enabled and this app can show, with its policy. */
export type KnownPolicy = KindPolicy & { kind: LicenseKind };

export function knownPolicies(answer: PoliciesAnswer): KnownPolicy[] {
  return answer.kinds.filter((policy): policy is KnownPolicy => LicenseKind.safeParse(policy.kind).success);
}

export const ApprovalStatus = z.enum(['not_required', 'pending', 'approved', 'rejected']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const Approval = z.object({
  status: ApprovalStatus,
  by: z.string().optional(),
  at: z.string().optional(),
  reason: z.string().optional(),
});
export type Approval = z.infer<typeof Approval>;

/**
 * A license record with the kinds additions: `kind`, `approval`, delivery `held` while waiting
 * for approval (then no `key` yet), and no `expiresAt` for a perpetual license.
 */
export const LicenseRecord = z.object({
  license: z.object({
    id: z.string(),
    key: z.string().optional(),
    kind: z.string().optional(),
    issuedAt: z.string(),
    expiresAt: z.string().nullish(),
    userCount: z.number().int(),
    email: z.string(),
    agent: z.string(),
    ticketId: z.number().int().optional(),
  }),
  delivery: z.object({
    status: z.enum(['sent', 'queued', 'failed', 'held']),
    attempts: z.number().int(),
    error: z.string().optional(),
  }),
  issue: z
    .object({ id: z.string(), state: z.enum(['closed', 'open']), title: z.string(), url: z.string().optional() })
    .nullable(),
  approval: Approval.optional(),
});
export type LicenseRecord = z.infer<typeof LicenseRecord>;

export const LicenseList = z.object({ licenses: z.array(LicenseRecord) });
export type LicenseList = z.infer<typeof LicenseList>;

export function isPending(record: LicenseRecord): boolean {
  return record.approval?.status === 'pending' || record.delivery.status === 'held';
}

/** A license that exists as a signed key (not waiting for approval, not rejected). */
export function isIssued(record: LicenseRecord): boolean {
  return !isPending(record) && record.approval?.status !== 'rejected';
}

const TRIAL_KINDS: readonly string[] = ['emergency', 'transition'];

/** Whether an add-on can build on this license: the contract asks for a non-trial license of this service. */
export function canBeAddonBase(record: LicenseRecord): boolean {
  return isIssued(record) && !TRIAL_KINDS.includes(record.license.kind ?? 'emergency');
}

// Mint bodies, one per kind, as the contract lists them. The service re-checks every field; these
// only spare the agent a round trip for what is plainly wrong.
const Count = (max: number) => z.number().int().min(1).max(max);
const Text = (max: number) => z.string().trim().min(1).max(max);
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const Common = {
  agent: AgentName,
  email: EmailAddress,
  ticketId: z.number().int().positive().optional(),
  ticketUrl: z.string().optional(),
};

export function mintBodySchema(policy: KnownPolicy) {
  const users = Count(policy.maxUsers);
  switch (policy.kind) {
    case 'emergency':
      return z.strictObject({ kind: z.literal('emergency'), ...Common, userCount: users });
    case 'transition':
      return z.strictObject({ kind: z.literal('transition'), ...Common, userCount: users, reason: Text(500) });
    case 'addon':
      return z.strictObject({
        kind: z.literal('addon'),
        ...Common,
        baseLicenseId: z.string().min(1),
        addUsers: users,
        totalUsers: z.number().int().min(1),
      });
    case 'order':
      return z
        .strictObject({
          kind: z.literal('order'),
          ...Common,
          userCount: users,
          licensee: z.strictObject({ name: Text(200), company: Text(200) }),
          term: z.enum(['subscription', 'perpetual']),
          deployment: z.enum(['self-managed', 'cloud']),
          startsAt: IsoDate,
          endsAt: IsoDate.optional(),
          orderRef: Text(100),
        })
        .refine((body) => body.term === 'perpetual' || body.endsAt !== undefined, { path: ['endsAt'] });
  }
}
export type MintBody = z.infer<ReturnType<typeof mintBodySchema>>;
