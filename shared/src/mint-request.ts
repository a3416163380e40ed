import { z } from 'zod';
import { LICENSE_KINDS, type LicenseKind } from './license-kinds.ts';

/** Upper bound for `userCount` when the operator sets no `MAX_USER_COUNT`. */
export const DEFAULT_MAX_USER_COUNT = 100_000;

// Cc covers C0, DEL and C1; U+2028/2029 break lines in logs and issue bodies just the same.
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;
// Free text (a reason) may span lines and hold tabs; every other control character is refused.
const LINE_BREAKS_AND_TABS = /\r\n|[\n\t]/g;

/** The agent's username as it appears in audit records and tracker issues. */
export const AgentName = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters')
  .refine((value) => value.trim().length > 0, 'must not be blank');

/** The requester's address; the license is sent here and recorded under it. */
export const EmailAddress = z
  .string({ error: 'must be a string' })
  .max(254, 'must be at most 254 characters')
  .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters or line breaks')
  .pipe(z.email({ error: 'must be an email address' }));

/** A one-line name typed by a person (licensee name, company, order reference). */
export function oneLine(max: number) {
  return z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters or line breaks')
    .refine((value) => value.trim().length > 0, 'must not be blank');
}

/** Free text of up to `max` characters; line breaks and tabs are kept, other control characters refused. */
export function freeText(max: number) {
  return z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(
      (value) => !CONTROL_CHARACTERS.test(value.replace(LINE_BREAKS_AND_TABS, ' ')),
      'must not contain control characters',
    )
    .refine((value) => value.trim().length > 0, 'must not be blank');
}

/** A whole number of users from 1 to `max`. */
export function userCountField(max: number) {
  return z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`);
}

/** A calendar date `YYYY-MM-DD` that exists. */
export const CalendarDate = z
  .string({ error: 'must be a date YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((value) => {
    const date = new Date(`${value}T00:00:00.000Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }, 'must be a date that exists');

/** The fields every kind takes. */
function commonFields() {
  return {
    agent: AgentName,
    email: EmailAddress,
    ticketId: z
      .number({ error: 'must be a positive whole number' })
      .int('must be a positive whole number')
      .positive('must be a positive whole number')
      .max(Number.MAX_SAFE_INTEGER, 'is too large')
      .optional(),
    ticketUrl: z
      .string({ error: 'must be a string' })
      .max(2048, 'must be at most 2048 characters')
      .pipe(z.url({ protocol: /^https$/, error: 'must be an https URL' }))
      .optional(),
  };
}

const OBJECT_ERROR = { error: 'must be a JSON object' };

/** Limits the operator sets that the request schemas enforce. */
export interface RequestLimits {
  maxUserCount: number;
}

/** An emergency trial: today's one-field mint (`kind` may be left out). */
export function emergencyRequestSchema(maxUserCount: number = DEFAULT_MAX_USER_COUNT) {
  return z.strictObject(
    { kind: z.literal('emergency').optional(), ...commonFields(), userCount: userCountField(maxUserCount) },
    OBJECT_ERROR,
  );
}
export type EmergencyRequest = z.infer<ReturnType<typeof emergencyRequestSchema>>;

/** A trial for a customer moving from SaaS to a self-managed install. */
export function transitionRequestSchema(maxUserCount: number = DEFAULT_MAX_USER_COUNT) {
  return z.strictObject(
    {
      kind: z.literal('transition'),
      ...commonFields(),
      userCount: userCountField(maxUserCount),
      reason: freeText(500),
    },
    OBJECT_ERROR,
  );
}
export type TransitionRequest = z.infer<ReturnType<typeof transitionRequestSchema>>;

/** Purchased seats added to an existing (non-trial) license. */
export function addonRequestSchema(maxUserCount: number = DEFAULT_MAX_USER_COUNT) {
  return z.strictObject(
    {
      kind: z.literal('addon'),
      ...commonFields(),
      baseLicenseId: z
        .string({ error: 'must be a license id' })
        .min(1, 'must be a license id')
        .max(100, 'must be a license id'),
      addUsers: userCountField(maxUserCount),
      totalUsers: userCountField(maxUserCount),
    },
    OBJECT_ERROR,
  );
}
export type AddonRequest = z.infer<ReturnType<typeof addonRequestSchema>>;

export const LicenseTerm = z.enum(['subscription', 'perpetual'], { error: 'must be subscription or perpetual' });
export type LicenseTerm = z.infer<typeof LicenseTerm>;
export const Deployment = z.enum(['self-managed', 'cloud'], { error: 'must be self-managed or cloud' });
export type Deployment = z.infer<typeof Deployment>;

/** The license of a new order, with the customer's real details. */
export function orderRequestSchema(maxUserCount: number = DEFAULT_MAX_USER_COUNT) {
  return z
    .strictObject(
      {
        kind: z.literal('order'),
        ...commonFields(),
        userCount: userCountField(maxUserCount),
        licensee: z.strictObject({ name: oneLine(200), company: oneLine(200) }, OBJECT_ERROR),
        term: LicenseTerm,
        deployment: Deployment,
        startsAt: CalendarDate,
        endsAt: CalendarDate.optional(),
        orderRef: oneLine(100),
      },
      OBJECT_ERROR,
    )
    .superRefine((order, context) => {
      if (order.term === 'subscription' && order.endsAt === undefined)
        context.addIssue({ code: 'custom', path: ['endsAt'], message: 'is required for a subscription' });
      if (order.term === 'perpetual' && order.endsAt !== undefined)
        context.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be absent for a perpetual license' });
      if (order.endsAt !== undefined && order.endsAt < order.startsAt)
        context.addIssue({ code: 'custom', path: ['endsAt'], message: 'must not be before startsAt' });
    });
}
export type OrderRequest = z.infer<ReturnType<typeof orderRequestSchema>>;

/** Each kind's body schema for the operator's limits. */
export function mintRequestSchemas(limits: RequestLimits = { maxUserCount: DEFAULT_MAX_USER_COUNT }) {
  return {
    emergency: emergencyRequestSchema(limits.maxUserCount),
    transition: transitionRequestSchema(limits.maxUserCount),
    addon: addonRequestSchema(limits.maxUserCount),
    order: orderRequestSchema(limits.maxUserCount),
  } satisfies Record<LicenseKind, z.ZodType>;
}

/**
 * The mint body for the kinds a service has enabled, told apart by `kind` (absent means
 * `emergency`). A body whose kind is unknown or disabled is refused naming `kind`; any other
 * refusal names the fields of the kind asked for.
 */
export function mintBodySchema(
  limits: RequestLimits = { maxUserCount: DEFAULT_MAX_USER_COUNT },
  enabled: readonly LicenseKind[] = LICENSE_KINDS,
) {
  const all = mintRequestSchemas(limits);
  const options = enabled.map((kind) => all[kind]);
  return z.discriminatedUnion('kind', options as [(typeof options)[number], ...(typeof options)[number][]], {
    // The types say invalid_union only; a body that is not an object arrives as invalid_type.
    error: (issue) =>
      (issue.code as string) === 'invalid_type'
        ? 'must be a JSON object'
        : `must be one of ${enabled.join(', ')} (the kinds enabled here)`,
  });
}

/**
 * What the sidebar sends to mint a license: one of the kinds. Durations are deliberately absent:
 * they are operator settings and can never come from a request.
 *
 * @example
 * MintRequest.parse({ agent: 'asmith', userCount: 25, email: 'jane@example.org', ticketId: 1234 });
 * MintRequest.parse({ kind: 'transition', agent: 'asmith', userCount: 25, email: 'jane@example.org', reason: 'moving to self-managed' });
 */
export const MintRequest = z.discriminatedUnion('kind', [
  emergencyRequestSchema(),
  transitionRequestSchema(),
  addonRequestSchema(),
  orderRequestSchema(),
]);
export type MintRequest = z.infer<typeof MintRequest>;

/**
 * The emergency schema under its historical name (the sidebar's one-field form still uses it).
 * @deprecated use `emergencyRequestSchema` or `mintRequestSchemas`.
 */
export const mintRequestSchema = emergencyRequestSchema;

/** Optional `Idempotency-Key` header: a repeat with the same key and body never mints twice. */
export const IdempotencyKey = z.string().min(1, 'must be 1 to 200 characters').max(200, 'must be 1 to 200 characters');
