import crypto from 'node:crypto';
import { LICENSE_TYP, type LicenseClaims } from '@mintdesk/shared';
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

/**
 * Signs claims as a compact JWS (RFC 7515) with the given Ed25519 key. Built on `node:crypto`
 * directly: the JWS is three base64url parts, and a synchronous Ed25519 signature costs a fraction
 * of jose's general (async, WebCrypto) path on every mint. Verification — ours and the customers'
 * — goes through jose (`verify-license.ts`, `mintdesk verify`).
 */
export function signLicense(claims: LicenseClaims, key: SigningKey): string {
  const header = { alg: 'EdDSA', kid: key.kid, typ: LICENSE_TYP };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = crypto.sign(null, Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
