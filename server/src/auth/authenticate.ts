import crypto, { type webcrypto } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import type { FailedCredentials } from '../abuse/failed-credentials.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { Person } from '../people/person-credentials.ts';

export type CallerKind = 'app' | 'lookup';

export interface Caller {
  kind: CallerKind;
  /** Who acts, for the audit trail: the token's subject for the app, `lookup` for the token. */
  name: string;
  /** Set when a person's own credential (`mintdesk people add`) authenticated the request. */
  person?: Person;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** Longest lifetime (`exp` − `iat`) an app token may claim, and the clock skew we forgive. */
export const MAX_APP_TOKEN_LIFETIME_S = 3600;
export const CLOCK_TOLERANCE_S = 30;

export interface AuthOptions {
  appSecret: string;
  lookupToken: string;
  clock: Clock;
  /** Extra ways to be a lookup caller without a bearer token (the lookup page's session cookie). */
  lookupSession?: (request: FastifyRequest) => Caller | undefined | Promise<Caller | undefined>;
  /**
   * Further lookup bearer credentials besides `LOOKUP_TOKEN` (personal ones): the caller a token
   * belongs to, or undefined when it is none of them.
   */
  lookupCredential?: (token: string) => Caller | undefined | Promise<Caller | undefined>;
  /** Where wrong bearer tokens are counted per client address; none: not counted. */
  failures?: FailedCredentials;
}

/**
 * Verifies an app token as the Zendesk proxy makes it: HS256 with the shared secret, `exp`
 * present and at most an hour ahead. The proxy signs the claims the app sends and may add no
 * `iat`; when one is there it must not be in the future nor more than an hour before `exp`.
 * Throws on anything else.
 */
export async function verifyAppToken(
  token: string,
  secret: Uint8Array | webcrypto.CryptoKey,
  now: Date,
): Promise<{ caller: Caller; iat: number | undefined; exp: number }> {
  const { payload } = await jwtVerify(token, secret, {
    algorithms: ['HS256'],
    clockTolerance: CLOCK_TOLERANCE_S,
    currentDate: now,
    requiredClaims: ['exp'],
  });
  const exp = payload.exp as number;
  const iat = typeof payload.iat === 'number' ? payload.iat : undefined;
  checkTimes(payload, iat, exp, now);
  const subject = typeof payload.sub === 'string' && payload.sub.length <= 200 ? payload.sub : 'zendesk-app';
  return { caller: { kind: 'app', name: subject }, iat, exp };
}

function checkTimes(payload: JWTPayload, iat: number | undefined, exp: number, now: Date): void {
  const nowS = now.getTime() / 1000;
  if (exp > nowS + MAX_APP_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S)
    throw new errors.JWTClaimValidationFailed('token expires more than one hour from now', payload, 'exp');
  if (iat === undefined) return;
  if (exp - iat > MAX_APP_TOKEN_LIFETIME_S)
    throw new errors.JWTClaimValidationFailed('token lives longer than one hour', payload, 'exp');
  if (iat > nowS + CLOCK_TOLERANCE_S)
    throw new errors.JWTClaimValidationFailed('token issued in the future', payload, 'iat');
}

/**
 * Whether a refused app token still proved its holder knows the secret (its signature was right,
 * only its times were not): that is a clock problem, not someone guessing.
 */
function signedWithTheSecret(error: unknown): boolean {
  return error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed;
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest();

/**
 * Constant-time comparison against one secret that does not leak its length either; the secret's
 * digest is taken once, not on every request.
 */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const digest = sha256(secret);
  return (candidate) => crypto.timingSafeEqual(sha256(candidate), digest);
}

/** `secretMatcher` for a single comparison. */
export function secretsEqual(candidate: string, secret: string): boolean {
  return secretMatcher(secret)(candidate);
}

/**
 * The app secret as an HMAC key imported once: given raw bytes, jose imports a key for every
 * token it verifies (~2% of a mint's CPU).
 */
export function appTokenKey(secret: string): Promise<webcrypto.CryptoKey> {
  return crypto.webcrypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match?.[1];
}

const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/** Three base64url segments: what an app token looks like before it is verified. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Remembers app tokens whose signature already checked out, so a client that reuses its token
 * (the Zendesk proxy signs one per request, scripts and load tests do not) skips the HMAC. The
 * time claims are checked again on every use.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { caller: Caller; iat: number | undefined; exp: number }>();

  get(token: string, now: Date): Caller | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    const nowS = now.getTime() / 1000;
    if (entry.exp + CLOCK_TOLERANCE_S <= nowS) return undefined;
    if (entry.exp > nowS + MAX_APP_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S) return undefined;
    if (entry.iat !== undefined && entry.iat > nowS + CLOCK_TOLERANCE_S) return undefined;
    return entry.caller;
  }

  set(token: string, caller: Caller, iat: number | undefined, exp: number): void {
    if (this.entries.size >= VERIFIED_TOKEN_CACHE_SIZE) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { caller, iat, exp });
  }
}

/** Builds `onRequest` hooks that admit only the given kinds of caller, before any body is read. */
export function createAuthenticator(options: AuthOptions) {
  const appKey = appTokenKey(options.appSecret);
  const isLookupToken = secretMatcher(options.lookupToken);
  const verified = new VerifiedTokens();
  const verifyCached = async (token: string, now: Date): Promise<Caller> => {
    const known = verified.get(token, now);
    if (known) return known;
    const { caller, iat, exp } = await verifyAppToken(token, await appKey, now);
    verified.set(token, caller, iat, exp);
    return caller;
  };
  const lookupCaller = async (token: string): Promise<Caller | undefined> => {
    if (isLookupToken(token)) return { kind: 'lookup', name: 'lookup-token' };
    return options.lookupCredential?.(token);
  };
  return function requireCaller(...allowed: CallerKind[]) {
    return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const token = bearerToken(request);
      if (token === undefined) {
        const caller = allowed.includes('lookup') ? await options.lookupSession?.(request) : undefined;
        if (caller) {
          request.caller = caller;
          return;
        }
        throw new AppError('unauthorized');
      }
      // A rightly signed app token is admitted whatever its address did: nobody can guess an HMAC
      // key by trying, and the Zendesk proxy sends every installation's requests from the same
      // few addresses, so one misconfigured installation must not lock out the others.
      let guess = true;
      if (allowed.includes('app') && JWT_SHAPE.test(token)) {
        try {
          request.caller = await verifyCached(token, options.clock.now());
          return;
        } catch (error) {
          guess = !signedWithTheSecret(error);
          request.log.info({ reason: error instanceof errors.JOSEError ? error.code : 'invalid' }, 'app token refused');
        }
      }
      // Anything else from an address that used up its wrong guesses is refused unread: a lookup
      // token can be guessed, so not even a right one is tried.
      options.failures?.check(request.ip);
      if (allowed.includes('lookup')) {
        const caller = await lookupCaller(token);
        if (caller) {
          request.caller = caller;
          return;
        }
      }
      if (guess) options.failures?.recordFailure(request.ip);
      throw new AppError('unauthorized');
    };
  };
}
