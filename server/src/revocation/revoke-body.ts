import { z } from 'zod';

const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;

/** Why a license is taken back: shown in the record, Activity, the tracker issue and the team channel. */
export const RevokeReason = z
  .string({ error: 'must be a string' })
  .transform((value) => value.trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(500, 'must be at most 500 characters')
      .refine((value) => !CONTROL_CHARACTERS.test(value.replace(/\r?\n/g, ' ')), 'must not contain control characters'),
  );

/** Body of `POST /api/v1/licenses/:id/revoke`. */
export const RevokeRequest = z.strictObject({ reason: RevokeReason }, { error: 'must be a JSON object' });
export type RevokeRequest = z.infer<typeof RevokeRequest>;
