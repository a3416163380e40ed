import { LICENSE_TYP, LicenseClaims } from '@mintdesk/shared';
import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify } from 'jose';

export type VerifyResult = { valid: true; claims: LicenseClaims } | { valid: false; reason: string };

/**
 * Checks a license's signature against a JWKS, its type, dates and claim shapes. `exp` is required
 * except on a perpetual license (`term: "perpetual"`), which has no end date.
 */
export async function verifyLicense(token: string, jwks: JSONWebKeySet, now: Date): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token.trim(), createLocalJWKSet(jwks), {
      algorithms: ['EdDSA'],
      typ: LICENSE_TYP,
      currentDate: now,
      requiredClaims: ['iat', 'nbf', 'jti'],
    });
    const claims = LicenseClaims.safeParse(payload);
    if (!claims.success) {
      return {
        valid: false,
        reason: `claims are not those of a license: ${claims.error.issues.map((i) => i.path.join('.')).join(', ')}`,
      };
    }
    if (claims.data.exp === undefined && claims.data.term !== 'perpetual')
      return { valid: false, reason: 'claim "exp" missing: only a perpetual license has no end date' };
    return { valid: true, claims: claims.data };
  } catch (error) {
    return { valid: false, reason: describeFailure(error) };
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return `expired: ${error.message}`;
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'signature does not match: the license was altered or signed by another key';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key in the JWKS matches the license (unknown kid)';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" invalid: ${error.message}`;
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
