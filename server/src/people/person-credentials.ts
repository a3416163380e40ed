import crypto from 'node:crypto';

/** Personal credentials start with this, so the authenticator asks the database only for these. */
export const PERSON_TOKEN_PREFIX = 'mdp_';

export interface Person {
  /** The people row's id: what a lookup session records as its credential. */
  id: number;
  name: string;
  approver: boolean;
}

/**
 * A new personal credential: 32 random bytes (256 bits) after the prefix. Shown once, stored only
 * as its hash.
 */
export function newPersonToken(): string {
  return `${PERSON_TOKEN_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256 of the credential, hex. A plain hash is enough here, unlike for passwords: the token is
 * 256 random bits, so no dictionary or brute force can find a preimage, and a slow KDF (scrypt,
 * argon2) would only add ~50 ms to every API request. A fast hash also lets the database find the
 * holder by an exact, indexed match without comparing secrets in application code.
 */
export function hashPersonToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikePersonToken(token: string): boolean {
  return token.startsWith(PERSON_TOKEN_PREFIX) && token.length <= 200;
}

/** Finds who holds a credential; the authenticator's one hook into people. */
export type FindPerson = (token: string) => Promise<Person | undefined>;
