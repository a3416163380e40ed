import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import { type LookupSession, SESSION_COOKIE, SessionSigner } from '../lookup/session.ts';

/**
 * The lookup page's sign-in, as the reports page and the revoke form use it. Everything this
 * module knows about sessions goes through `lookup/session.ts`'s public surface, here only.
 */
export interface PageSessions {
  current(request: FastifyRequest): LookupSession | undefined;
  csrfToken(session: LookupSession): string;
  checkCsrf(session: LookupSession, token: unknown): boolean;
}

export function pageSessions(lookupToken: string, clock: Clock): PageSessions {
  const signer = new SessionSigner(lookupToken);
  return {
    current: (request) => signer.verify(request.cookies[SESSION_COOKIE], clock.now()),
    csrfToken: (session) => signer.csrfToken(session),
    checkCsrf: (session, token) => signer.checkCsrf(session, token),
  };
}
