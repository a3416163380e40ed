import { z } from 'zod';

/** The JWS `typ` header of every Mintdesk license. */
export const LICENSE_TYP = 'license+jwt';

/**
 * Claims of a license, a compact JWS signed with Ed25519 (`alg: EdDSA`). `nbf` equals `iat`;
 * `exp` is `iat` plus the operator's `LICENSE_DAYS`.
 */
export const LicenseClaims = z.object({
  iss: z.string(),
  jti: z.string(),
  iat: z.number().int(),
  nbf: z.number().int(),
  exp: z.number().int(),
  email: z.string(),
  users: z.number().int().positive(),
  plan: z.string(),
  trial: z.literal(true),
  licensee: z.object({ name: z.string(), company: z.string(), email: z.string() }),
  ticket: z.number().int().positive().optional(),
});
export type LicenseClaims = z.infer<typeof LicenseClaims>;
