import crypto, { type KeyObject } from 'node:crypto';
import { LICENSE_TYP } from '@mintdesk/shared';
import type { KeyStore, PublicJwk } from '../keys/key-store.ts';

/** The claims a check-in needs from the license that authenticates it. */
export interface BearerLicense {
  jti: string;
  exp: number | undefined;
}

export type BearerCheck = { ok: true; license: BearerLicense } | { ok: false; reason: string };

const MAX_TOKEN_LENGTH = 16 * 1024;
/** Signatures remembered; an installation reports with the same license again and again. */
const VERIFIED_CACHE_SIZE = 50_000;
const ED25519_SIGNATURE_BYTES = 64;
const CLOCK_TOLERANCE_S = 30;

/**
 * Checks a license presented as a bearer credential: an EdDSA compact JWS of type
 * `license+jwt` whose signature matches the public key the service published under its `kid`
 * (current or rotated), not yet valid at most 30 s ahead, and expired at most `graceDays` ago
 * (perpetual licenses carry no `exp`). `node:crypto` directly, like signing: a check-in is one
 * Ed25519 verification, most of its CPU, so it runs on libuv's thread pool (the callback form)
 * while the event loop serves other requests.
 */
export class LicenseBearerVerifier {
  private readonly publicKeys = new Map<string, { x: string; key: KeyObject }>();
  /**
   * Tokens whose signature already checked out (by SHA-256, so the map stays small), with the
   * claims that are checked again on every use. An Ed25519 verification is most of a check-in's
   * CPU; a SHA-256 of the same bytes is a hundredth of it. Revocation is never cached: it is read
   * from the database with every check-in.
   */
  private readonly verified = new Map<string, { kid: string; claims: Record<string, unknown> }>();

  constructor(
    private readonly keys: KeyStore,
    private readonly graceDays: number,
  ) {}

  async verify(token: string, now: Date): Promise<BearerCheck> {
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'the license is too long' };
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'the bearer token is not a license (a compact JWS)' };
    const digest = crypto.createHash('sha256').update(token).digest('base64url');
    const known = this.verified.get(digest);
    // A key removed from the key file no longer vouches for what it signed.
    if (known && this.publicKey(known.kid)) return this.checkClaims(known.claims, now);
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart);
    if (!header || header.alg !== 'EdDSA' || header.typ !== LICENSE_TYP || typeof header.kid !== 'string') {
      return { ok: false, reason: `the bearer token is not a license (header alg EdDSA, typ ${LICENSE_TYP}, kid)` };
    }
    const key = this.publicKey(header.kid);
    if (!key) return { ok: false, reason: 'the license was not signed by this service (unknown kid)' };
    const signature = Buffer.from(signaturePart, 'base64url');
    if (
      signature.length !== ED25519_SIGNATURE_BYTES ||
      !(await verifyOnThreadPool(Buffer.from(`${headerPart}.${payloadPart}`), key, signature))
    ) {
      return { ok: false, reason: 'the license signature does not match: altered, or signed by another key' };
    }
    const claims = decodeJson(payloadPart);
    if (!claims) return { ok: false, reason: 'the license claims are not JSON' };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(digest, { kid: header.kid, claims });
    return this.checkClaims(claims, now);
  }

  private checkClaims(claims: Record<string, unknown>, now: Date): BearerCheck {
    if (typeof claims.jti !== 'string' || claims.jti === '' || claims.jti.length > 100) {
      return { ok: false, reason: 'the license has no id (jti)' };
    }
    const nowS = now.getTime() / 1000;
    if (claims.exp !== undefined) {
      if (typeof claims.exp !== 'number') return { ok: false, reason: 'the license expiry (exp) is not a number' };
      if (claims.exp + this.graceDays * 86_400 < nowS) {
        return { ok: false, reason: `the license expired more than ${this.graceDays} days ago` };
      }
    }
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > nowS + CLOCK_TOLERANCE_S)) {
      return { ok: false, reason: 'the license is not valid yet (nbf)' };
    }
    return { ok: true, license: { jti: claims.jti, exp: claims.exp as number | undefined } };
  }

  /** The published key for `kid`; remembered, and replaced when the key file changes it. */
  private publicKey(kid: string): KeyObject | undefined {
    const jwk = this.keys.jwks().keys.find((candidate: PublicJwk) => candidate.kid === kid);
    if (!jwk || typeof jwk.x !== 'string') return undefined;
    const known = this.publicKeys.get(kid);
    if (known && known.x === jwk.x) return known.key;
    const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    this.publicKeys.set(kid, { x: jwk.x, key });
    return key;
  }
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function verifyOnThreadPool(data: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    // A key or signature the library cannot use verifies nothing.
    crypto.verify(null, data, key, signature, (error, valid) => resolve(error ? false : valid));
  });
}
