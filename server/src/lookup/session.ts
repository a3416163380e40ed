import crypto from 'node:crypto';
import type { SessionStore, StoredSession } from '../store/session-store.ts';

export type LookupSession = StoredSession;

export const SESSION_COOKIE = 'mintdesk_session';
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

/**
 * Lookup page sessions: kept on the server (in the database, so every instance sees a sign-out),
 * named by a random id the cookie carries together with an HMAC keyed by the lookup token — a
 * forged cookie costs no database read, and changing LOOKUP_TOKEN signs every session out.
 */
export class LookupSessions {
  private readonly key: Buffer;

  constructor(
    lookupToken: string,
    private readonly store: SessionStore,
  ) {
    this.key = crypto.createHash('sha256').update(`mintdesk-lookup-session\0${lookupToken}`).digest();
  }

  async start(name: string, credential: string, now: Date): Promise<{ cookie: string; session: LookupSession }> {
    const session = await this.store.create({
      name,
      credential,
      nowMs: now.getTime(),
      lifetimeMs: SESSION_LIFETIME_MS,
    });
    return { cookie: `${session.id}.${this.sign(session.id)}`, session };
  }

  async find(cookie: string | undefined, now: Date): Promise<LookupSession | undefined> {
    const id = this.idOf(cookie);
    return id === undefined ? undefined : this.store.find(id, now.getTime());
  }

  /** Ends the session on the server: its cookie opens nothing any more, wherever it is replayed. */
  async end(session: LookupSession): Promise<void> {
    await this.store.delete(session.id);
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

  private idOf(cookie: string | undefined): string | undefined {
    if (!cookie || cookie.length > 200) return undefined;
    const [id, signature, extra] = cookie.split('.');
    if (!id || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(id));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return undefined;
    return id;
  }

  private sign(value: string): string {
    return crypto.createHmac('sha256', this.key).update(value).digest('base64url');
  }
}
