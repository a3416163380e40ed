import { IdempotencyKey, LicenseList, LicenseRecord, mintRequestSchema } from '@mintdesk/shared';
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiLimiter } from '../abuse/rate-limits.ts';
import type { CallerKind } from '../auth/authenticate.ts';
import { AppError } from '../errors.ts';
import type { LicenseService } from '../licenses/license-service.ts';
import { SECURITY } from '../openapi/openapi.ts';
import { errorResponses } from '../openapi/responses.ts';

export interface LicenseRoutesOptions {
  licenses: LicenseService;
  maxUserCount: number;
  requireCaller: (...allowed: CallerKind[]) => onRequestHookHandler;
  /** Per-caller request budgets (`write`: mints and resends, `read`), counted after authentication. */
  budget: ApiLimiter;
}

const IdParams = z.object({ id: z.string({ error: 'must be a license id' }).min(1).max(100, 'must be a license id') });

const MintHeaders = z.looseObject({
  'idempotency-key': IdempotencyKey.optional().describe(
    'A repeat with the same key and body returns the same license and never mints twice.',
  ),
});

const READ_ERRORS = errorResponses('validation_failed', 'unauthorized', 'not_found', 'rate_limited');

const ListQuery = z
  .object({
    email: z.string().max(254, 'must be at most 254 characters').optional(),
    ticketId: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, 'must be a positive whole number')
      .transform(Number)
      .optional(),
    limit: z
      .string()
      .regex(/^[0-9]{1,4}$/, 'must be a whole number from 1 to 500')
      .transform(Number)
      .pipe(z.number().min(1, 'must be a whole number from 1 to 500').max(500, 'must be a whole number from 1 to 500'))
      .optional(),
  })
  .refine((query) => query.email !== undefined || query.ticketId !== undefined, {
    message: 'give email or ticketId',
    path: ['email'],
  });

export const licenseRoutes: FastifyPluginAsync<LicenseRoutesOptions> = async (
  plain,
  { licenses, maxUserCount, requireCaller, budget },
) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const MintBody = mintRequestSchema(maxUserCount);

  app.post(
    '/api/v1/licenses',
    {
      onRequest: requireCaller('app'),
      preHandler: budget('write'),
      schema: {
        summary: 'Mint a license',
        tags: ['licenses'],
        security: SECURITY.app,
        headers: MintHeaders,
        body: MintBody,
        response: {
          201: LicenseRecord,
          ...errorResponses(
            'validation_failed',
            'invalid_json',
            'unauthorized',
            'payload_too_large',
            'idempotency_key_reused',
            'rate_limited',
            'email_daily_limit',
            'license_not_created',
          ),
        },
      },
    },
    async (request, reply) => {
      const idempotencyKey = request.headers['idempotency-key'];
      const caller = request.caller;
      if (!caller) throw new AppError('unauthorized');
      const { record, created } = await licenses.mint(request.body, idempotencyKey, caller);
      reply.header('location', `/api/v1/licenses/${record.license.id}`);
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(record);
    },
  );

  app.get(
    '/api/v1/licenses',
    {
      onRequest: requireCaller('app', 'lookup'),
      preHandler: budget('read'),
      schema: {
        summary: 'Licenses of a requester email or a ticket, newest first',
        tags: ['licenses'],
        security: SECURITY.appOrLookup,
        querystring: ListQuery,
        response: { 200: LicenseList, ...READ_ERRORS },
      },
    },
    async (request) => {
      const { email, ticketId, limit } = request.query;
      return { licenses: await licenses.list({ email, ticketId, limit: limit ?? 100 }) };
    },
  );

  app.get(
    '/api/v1/licenses/:id',
    {
      onRequest: requireCaller('app', 'lookup'),
      preHandler: budget('read'),
      schema: {
        summary: 'One license with its delivery and issue state',
        tags: ['licenses'],
        security: SECURITY.appOrLookup,
        params: IdParams,
        response: { 200: LicenseRecord, ...READ_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const record = await licenses.get(id);
      if (!record) throw new AppError('not_found', `No license has the id ${id}.`);
      return record;
    },
  );

  app.post(
    '/api/v1/licenses/:id/resend',
    {
      onRequest: requireCaller('app', 'lookup'),
      preHandler: budget('write'),
      schema: {
        summary: 'Email the same license again to the same address',
        tags: ['licenses'],
        security: SECURITY.appOrLookup,
        params: IdParams,
        response: { 200: LicenseRecord, ...READ_ERRORS, ...errorResponses('rate_limited', 'resend_limit') },
      },
    },
    async (request) => {
      const { id } = request.params;
      return licenses.resend(id, request.caller?.name ?? 'unknown');
    },
  );

  app.get(
    '/api/v1/licenses/:id/download',
    {
      onRequest: requireCaller('lookup'),
      preHandler: budget('read'),
      schema: {
        summary: 'The license file (license.jwt)',
        tags: ['licenses'],
        security: SECURITY.lookup,
        params: IdParams,
        response: {
          200: z.string().describe('The compact JWS, as an attachment (application/jwt)'),
          ...READ_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const record = await licenses.get(id);
      if (!record) throw new AppError('not_found', `No license has the id ${id}.`);
      await licenses.audit(id, request.caller?.name ?? 'unknown', 'downloaded', null);
      return reply
        .header('content-type', 'application/jwt; charset=utf-8')
        .header('content-disposition', 'attachment; filename="license.jwt"')
        .header('cache-control', 'no-store')
        .send(record.license.key);
    },
  );
};
