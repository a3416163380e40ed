import crypto from 'node:crypto';

export interface LookupSession {
  id: string;
  /** Who signed in, as they gave it: the audit trail's actor. */
  name: string;
  expiresAt: number;
  /** Signed in with a personal credential (`mintdesk people add`): `name` is that person. */
  person?: boolean;
}

export const SESSION_COOKIE = 'mintdesk_session';
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

/**
 * Stateless sessions: the cookie carries its own expiry, signed with a key derived from the lookup
 * token, so changing LOOKUP_TOKEN signs every session out.
 */
export class SessionSigner {
  private readonly key: Buffer;

  constructor(lookupToken: string) {
    this.key = crypto.createHash('sha256').update(`mintdesk-lookup-session\0${lookupToken}`).digest();
  }

  issue(name: string, now: Date, person = false): { cookie: string; session: LookupSession } {
    const session: LookupSession = {
      id: crypto.randomBytes(16).toString('base64url'),
      name,
      expiresAt: now.getTime() + SESSION_LIFETIME_MS,
      ...(person ? { person: true } : {}),
    };
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return { cookie: `${payload}.${this.sign(payload)}`, session };
  }

  verify(cookie: string | undefined, now: Date): LookupSession | undefined {
    if (!cookie) return undefined;
    const [payload, signature, extra] = cookie.split('.');
    if (!payload || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return undefined;
    try {
      const session = JSON.parse(Buffer.from(payload, 'base64url').toString()) as LookupSession;
      if (typeof session.expiresAt !== 'number' || session.expiresAt <= now.getTime()) return undefined;
      return session;
    } catch {
      return undefined;
    }
  }

  /** The CSRF token of a session: forms must send it back on every POST. */
  csrfToken(session: LookupSession): string {
    return this.sign(`csrf\0${session.id}`);
  }

  checkCsrf(session: LookupSession, token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const expected = Buffer.from(this.csrfToken(session));
    const given = Buffer.from(token);
    return expected.length === given.length && crypto.timingSafeEqual(expected, given);
  }

  private sign(value: string): string {
    return crypto.createHmac('sha256', this.key).update(value).digest('base64url');
  }
}
