import { LICENSE_TYP, type LicenseClaims } from '@mintdesk/shared';
import { SignJWT } from 'jose';
import type { SigningKey } from '../keys/key-store.ts';

const DAY_SECONDS = 24 * 60 * 60;

export interface LicenseTerms {
  issuer: string;
  licenseId: string;
  email: string;
  userCount: number;
  ticketId?: number | undefined;
  days: number;
  plan: string;
  licensee: { name: string; company: string };
}

/** The claims of a license issued at `now`: `nbf` = `iat`, `exp` = `iat` + the operator's days. */
export function licenseClaims(terms: LicenseTerms, now: Date): LicenseClaims {
  const iat = Math.floor(now.getTime() / 1000);
  return {
    iss: terms.issuer,
    jti: terms.licenseId,
    iat,
    nbf: iat,
    exp: iat + terms.days * DAY_SECONDS,
    email: terms.email,
    users: terms.userCount,
    plan: terms.plan,
    trial: true,
    licensee: { name: terms.licensee.name, company: terms.licensee.company, email: terms.email },
    ...(terms.ticketId !== undefined ? { ticket: terms.ticketId } : {}),
  };
}

/** Signs claims as a compact JWS with the given Ed25519 key. */
export async function signLicense(claims: LicenseClaims, key: SigningKey): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: LICENSE_TYP })
    .sign(key.privateKey);
}
