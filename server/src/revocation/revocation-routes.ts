import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, onRequestHookHandler } from 'fastify';
import { z } from 'zod';
import type { CallerKind } from '../auth/authenticate.ts';
import { AppError, validationError } from '../errors.ts';
import { signInPage } from '../lookup/lookup-pages.ts';
import type { PageSessions } from '../reports/page-session.ts';
import type { UsageStore } from '../store/usage-store.ts';
import { fieldsOf } from '../validation.ts';
import type { RevocationService } from './revocation-service.ts';
import { RevokeReason, RevokeRequest } from './revoke-body.ts';

export interface RevocationRoutesOptions {
  revocations: RevocationService;
  store: UsageStore;
  sessions: PageSessions;
  requireCaller: (...allowed: CallerKind[]) => onRequestHookHandler;
  rateLimit: RateLimitOptions;
}

const IdParams = z.object({ id: z.string().min(1).max(100) });

/** Revoking (API and the lookup page's dialog) and the public list of revoked licenses. */
export const revocationRoutes: FastifyPluginAsync<RevocationRoutesOptions> = async (app, options) => {
  const { revocations, store, sessions, requireCaller } = options;
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  app.post(
    '/api/v1/licenses/:id/revoke',
    { onRequest: requireCaller('lookup'), config: { rateLimit: options.rateLimit } },
    async (request) => {
      const params = IdParams.safeParse(request.params);
      if (!params.success) throw validationError({ id: 'must be a license id' });
      const body = RevokeRequest.safeParse(request.body);
      if (!body.success) throw validationError(fieldsOf(body.error));
      return revocations.revoke(params.data.id, request.caller?.name ?? 'unknown', body.data.reason);
    },
  );

  app.get('/.well-known/revocations.json', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=60').send({ revoked: await store.listRevocations() });
  });

  app.post<{ Params: { id: string }; Body: { csrf?: unknown; reason?: unknown; back?: unknown } }>(
    '/lookup/licenses/:id/revoke',
    async (request, reply) => {
      const session = sessions.current(request);
      if (!session) return html(reply, 401, signInPage({ next: '/lookup' }));
      if (!sessions.checkCsrf(session, request.body?.csrf)) {
        request.log.warn('lookup revoke refused: missing or wrong CSRF token');
        return html(
          reply,
          403,
          signInPage({ next: '/lookup', error: 'That form has expired. Sign in again, then repeat the action.' }),
        );
      }
      const back =
        typeof request.body?.back === 'string' && /^\/lookup(?:[?]|$)/.test(request.body.back)
          ? request.body.back
          : '/lookup';
      const reason = RevokeReason.safeParse(request.body?.reason ?? '');
      const params = IdParams.safeParse(request.params);
      // The dialog's field is required and bounded: only a hand-made request gets here without one.
      if (!reason.success) throw validationError({ reason: reason.error.issues[0]?.message ?? 'is required' });
      if (!params.success) throw validationError({ id: 'must be a license id' });
      try {
        await revocations.revoke(params.data.id, session.name, reason.data);
      } catch (error) {
        // Revoked meanwhile (another tab, another person): the page shows it revoked.
        if (!(error instanceof AppError && error.code === 'license_already_revoked')) throw error;
      }
      return reply.redirect(back, 303);
    },
  );

  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/lookup/')) reply.header('cache-control', 'no-store');
  });
};

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}
