import crypto from 'node:crypto';
import { LICENSE_TYP, type LicenseClaims, type LicenseKind } from '@mintdesk/shared';
import type { SigningKey } from '../keys/key-store.ts';

const DAY_SECONDS = 24 * 60 * 60;

/** What a license says, whatever its kind (the kind's policy decided the values). */
export interface LicenseTerms {
  issuer: string;
  licenseId: string;
  kind: LicenseKind;
  email: string;
  userCount: number;
  ticketId?: number | undefined;
  trial: boolean;
  plan: string;
  licensee: { name: string; company: string };
  /** Ends this many days after signing… */
  days: number | null;
  /** …or at this instant; neither: no `exp` (perpetual). */
  endsAt?: Date | null;
  /** The kind's own claims (term, deployment, orderRef, supersedes). */
  extraClaims?: Record<string, string | number>;
}

/**
 * The claims of a license signed at `now`: `nbf` = `iat`; `exp` = `iat` + days, or the fixed end,
 * or absent for a license without end date.
 */
export function licenseClaims(terms: LicenseTerms, now: Date): LicenseClaims {
  const iat = Math.floor(now.getTime() / 1000);
  const exp =
    terms.days !== null
      ? iat + terms.days * DAY_SECONDS
      : terms.endsAt
        ? Math.floor(terms.endsAt.getTime() / 1000)
        : undefined;
  return {
    ...terms.extraClaims,
    iss: terms.issuer,
    jti: terms.licenseId,
    iat,
    nbf: iat,
    ...(exp !== undefined ? { exp } : {}),
    kind: terms.kind,
    email: terms.email,
    users: terms.userCount,
    plan: terms.plan,
    trial: terms.trial,
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
export async function signLicense(claims: LicenseClaims, key: SigningKey): Promise<string> {
  const header = { alg: 'EdDSA', kid: key.kid, typ: LICENSE_TYP };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // With a callback the signature is computed on libuv's thread pool (~55 µs each), not on the
  // thread that answers requests.
  const signature = await new Promise<Buffer>((resolve, reject) =>
    crypto.sign(null, Buffer.from(signingInput), key.privateKey, (error, value) =>
      error ? reject(error) : resolve(value),
    ),
  );
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
