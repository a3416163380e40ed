import { z } from 'zod';

// Cc covers C0, DEL and C1; U+2028/2029 break lines in logs just the same.
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;

/** Upper bound for `activeUsers`: far above any installation, and inside every column type. */
export const MAX_ACTIVE_USERS = 1_000_000_000;

/** Body of `POST /api/v1/usage`: how many users are active now, and optionally which installation says so. */
export const UsageReport = z.strictObject(
  {
    activeUsers: z
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .max(MAX_ACTIVE_USERS, `must be at most ${MAX_ACTIVE_USERS}`),
    instance: z
      .string({ error: 'must be a string' })
      .max(100, 'must be at most 100 characters')
      .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters')
      .optional(),
  },
  { error: 'must be a JSON object' },
);
export type UsageReport = z.infer<typeof UsageReport>;
