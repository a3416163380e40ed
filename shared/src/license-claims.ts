import { z } from 'zod';
import { LicenseKind } from './license-kinds.ts';
import { Deployment, LicenseTerm } from './mint-request.ts';

/** The JWS `typ` header of every Mintdesk license. */
export const LICENSE_TYP = 'license+jwt';

/**
 * Claims of a license, a compact JWS signed with Ed25519 (`alg: EdDSA`). `nbf` equals `iat`.
 * `exp` is `iat` plus the operator's days for trials, the end of the order's `endsAt` day (UTC)
 * for a subscription, the base license's for an add-on, and absent for a perpetual license
 * (`term: "perpetual"`), which never ends.
 */
export const LicenseClaims = z.object({
  iss: z.string(),
  jti: z.string(),
  iat: z.number().int(),
  nbf: z.number().int(),
  exp: z.number().int().optional(),
  /** Absent only in licenses issued before kinds existed: those were emergency trials. */
  kind: LicenseKind.optional(),
  email: z.string(),
  users: z.number().int().positive(),
  plan: z.string(),
  trial: z.boolean(),
  licensee: z.object({ name: z.string(), company: z.string(), email: z.string() }),
  ticket: z.number().int().positive().optional(),
  term: LicenseTerm.optional(),
  deployment: Deployment.optional(),
  orderRef: z.string().optional(),
  /** An add-on replaces its base license: the base's id. */
  supersedes: z.string().optional(),
});
export type LicenseClaims = z.infer<typeof LicenseClaims>;
