import { z } from 'zod';

/** Upper bound for `userCount` when the operator sets no `MAX_USER_COUNT`. */
export const DEFAULT_MAX_USER_COUNT = 100_000;

// Cc covers C0, DEL and C1; U+2028/2029 break lines in logs and issue bodies just the same.
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;

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

/** Builds the mint request schema for an operator-chosen user-count ceiling. */
export function mintRequestSchema(maxUserCount: number = DEFAULT_MAX_USER_COUNT) {
  return z.strictObject(
    {
      agent: AgentName,
      userCount: z
        .number({ error: 'must be a whole number' })
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(maxUserCount, `must be at most ${maxUserCount}`),
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
    },
    { error: 'must be a JSON object' },
  );
}

/**
 * What the sidebar sends to mint a license. The duration is deliberately absent: it is an
 * operator setting and can never come from a request.
 *
 * @example
 * MintRequest.parse({ agent: 'asmith', userCount: 25, email: 'jane@example.org', ticketId: 1234 });
 */
export const MintRequest = mintRequestSchema();
export type MintRequest = z.infer<typeof MintRequest>;

/** Optional `Idempotency-Key` header: a repeat with the same key and body never mints twice. */
export const IdempotencyKey = z.string().min(1, 'must be 1 to 200 characters').max(200, 'must be 1 to 200 characters');
