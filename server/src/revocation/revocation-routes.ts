import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { LicenseRecord } from '@mintdesk/shared';
import type { FastifyPluginAsync, FastifyReply, onRequestHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SECURITY } from '../openapi/openapi.ts';
import { errorResponses } from '../openapi/responses.ts';
import type { ApiLimiter } from '../abuse/rate-limits.ts';
import type { CallerKind } from '../auth/authenticate.ts';
import { AppError, validationError } from '../errors.ts';
import { signInPage } from '../lookup/lookup-pages.ts';
import type { PageSessions } from '../reports/page-session.ts';
import type { UsageStore } from '../store/usage-store.ts';
import type { RevocationService } from './revocation-service.ts';
import { RevokeReason, RevokeRequest } from './revoke-body.ts';

export interface RevocationRoutesOptions {
  revocations: RevocationService;
  store: UsageStore;
  sessions: PageSessions;
  requireCaller: (...allowed: CallerKind[]) => onRequestHookHandler;
  /** The API's per-caller budgets, shared with the license routes. */
  budget: ApiLimiter;
}

const IdParams = z.object({ id: z.string({ error: 'must be a license id' }).min(1).max(100, 'must be a license id') });

const RevocationList = z
  .object({ revoked: z.array(z.object({ jti: z.string(), revokedAt: z.string() })) })
  .describe('Every revoked license: its id (the license jti) and when it was revoked');

/** Revoking (API and the lookup page's dialog) and the public list of revoked licenses. */
export const revocationRoutes: FastifyPluginAsync<RevocationRoutesOptions> = async (plain, options) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { revocations, store, sessions, requireCaller } = options;
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  app.post(
    '/api/v1/licenses/:id/revoke',
    {
      onRequest: requireCaller('lookup'),
      preHandler: options.budget('write'),
      schema: {
        summary: 'Revoke a license (its usage reports are refused; it is listed in revocations.json)',
        tags: ['licenses'],
        security: SECURITY.lookup,
        params: IdParams,
        body: RevokeRequest,
        response: {
          200: LicenseRecord.describe('The record, with license.revokedAt and license.revokeReason'),
          ...errorResponses(
            'validation_failed',
            'invalid_json',
            'unauthorized',
            'not_found',
            'license_already_revoked',
            'rate_limited',
          ),
        },
      },
    },
    async (request) => revocations.revoke(request.params.id, request.caller?.name ?? 'unknown', request.body.reason),
  );

  app.get(
    '/.well-known/revocations.json',
    {
      schema: {
        summary: 'Revoked licenses, for offline checks (mintdesk verify --revocations)',
        tags: ['keys'],
        response: { 200: RevocationList },
      },
    },
    async (_request, reply) => {
      return reply.header('cache-control', 'public, max-age=60').send({ revoked: await store.listRevocations() });
    },
  );

  plain.post<{ Params: { id: string }; Body: { csrf?: unknown; reason?: unknown; back?: unknown } }>(
    '/lookup/licenses/:id/revoke',
    {
      schema: {
        summary: 'The lookup page’s Revoke dialog (form post with the session’s CSRF token)',
        tags: ['pages'],
        security: SECURITY.session,
      },
    },
    async (request, reply) => {
      const session = await sessions.current(request);
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
