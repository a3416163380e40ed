import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import { type LookupSession, LookupSessions, SESSION_COOKIE } from '../lookup/session.ts';
import type { SessionStore } from '../store/session-store.ts';

/**
 * The lookup page's sign-in, as the reports page and the revoke form use it. Everything this
 * module knows about sessions goes through `lookup/session.ts`'s public surface, here only.
 */
export interface PageSessions {
  current(request: FastifyRequest): Promise<LookupSession | undefined>;
  csrfToken(session: LookupSession): string;
  checkCsrf(session: LookupSession, token: unknown): boolean;
}

export interface PageSessionDeps {
  lookupToken: string;
  store: SessionStore;
  /** A person's session ends when the person is removed (`mintdesk people remove`). */
  personStillThere: (credential: string) => Promise<boolean>;
  clock: Clock;
}

export function pageSessions(deps: PageSessionDeps): PageSessions {
  const sessions = new LookupSessions(deps.lookupToken, deps.store);
  return {
    async current(request) {
      const session = await sessions.find(request.cookies[SESSION_COOKIE], deps.clock.now());
      if (session?.credential.startsWith('person:') && !(await deps.personStillThere(session.credential))) {
        return undefined;
      }
      return session;
    },
    csrfToken: (session) => sessions.csrfToken(session),
    checkCsrf: (session, token) => sessions.checkCsrf(session, token),
  };
}
