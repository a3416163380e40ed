import { IdempotencyKey, mintRequestSchema } from '@mintdesk/shared';
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { z } from 'zod';
import type { ApiLimiter } from '../abuse/rate-limits.ts';
import type { CallerKind } from '../auth/authenticate.ts';
import { AppError, validationError } from '../errors.ts';
import type { LicenseService } from '../licenses/license-service.ts';
import { fieldsOf } from '../validation.ts';

export interface LicenseRoutesOptions {
  licenses: LicenseService;
  maxUserCount: number;
  requireCaller: (...allowed: CallerKind[]) => onRequestHookHandler;
  /** Per-caller request budgets (`write`: mints and resends, `read`), counted after authentication. */
  budget: ApiLimiter;
}

const IdParams = z.object({ id: z.string().min(1).max(100) });

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
  app,
  { licenses, maxUserCount, requireCaller, budget },
) => {
  const MintBody = mintRequestSchema(maxUserCount);

  app.post(
    '/api/v1/licenses',
    { onRequest: requireCaller('app'), preHandler: budget('write') },
    async (request, reply) => {
      const keyHeader = request.headers['idempotency-key'];
      let idempotencyKey: string | undefined;
      if (keyHeader !== undefined) {
        const parsedKey = IdempotencyKey.safeParse(keyHeader);
        if (!parsedKey.success) throw validationError({ 'Idempotency-Key': 'must be 1 to 200 characters' });
        idempotencyKey = parsedKey.data;
      }
      const body = MintBody.safeParse(request.body);
      if (!body.success) throw validationError(fieldsOf(body.error));
      const caller = request.caller;
      if (!caller) throw new AppError('unauthorized');
      const { record, created } = await licenses.mint(body.data, idempotencyKey, caller);
      reply.header('location', `/api/v1/licenses/${record.license.id}`);
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(record);
    },
  );

  app.get(
    '/api/v1/licenses',
    { onRequest: requireCaller('app', 'lookup'), preHandler: budget('read') },
    async (request) => {
      const query = ListQuery.safeParse(request.query);
      if (!query.success) throw validationError(fieldsOf(query.error));
      const { email, ticketId, limit } = query.data;
      return { licenses: await licenses.list({ email, ticketId, limit: limit ?? 100 }) };
    },
  );

  app.get(
    '/api/v1/licenses/:id',
    { onRequest: requireCaller('app', 'lookup'), preHandler: budget('read') },
    async (request) => {
      const { id } = parseId(request.params);
      const record = await licenses.get(id);
      if (!record) throw new AppError('not_found', `No license has the id ${id}.`);
      return record;
    },
  );

  app.post(
    '/api/v1/licenses/:id/resend',
    { onRequest: requireCaller('app', 'lookup'), preHandler: budget('write') },
    async (request) => {
      const { id } = parseId(request.params);
      return licenses.resend(id, request.caller?.name ?? 'unknown');
    },
  );

  app.get(
    '/api/v1/licenses/:id/download',
    { onRequest: requireCaller('lookup'), preHandler: budget('read') },
    async (request, reply) => {
      const { id } = parseId(request.params);
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

function parseId(params: unknown): { id: string } {
  const parsed = IdParams.safeParse(params);
  if (!parsed.success) throw validationError({ id: 'must be a license id' });
  return parsed.data;
}
