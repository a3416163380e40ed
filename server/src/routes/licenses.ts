import {
  freeText,
  IdempotencyKey,
  type LicenseKind,
  LicenseKind as LicenseKindSchema,
  type MintRequest,
} from '@mintdesk/shared';
import type { RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { z } from 'zod';
import type { CallerKind } from '../auth/authenticate.ts';
import { AppError, validationError } from '../errors.ts';
import { describeKinds, type KindSettings, kindPolicy } from '../kinds/index.ts';
import type { LicenseService } from '../licenses/license-service.ts';
import { fieldsOf } from '../validation.ts';

export interface LicenseRoutesOptions {
  licenses: LicenseService;
  kinds: KindSettings;
  /** LICENSE_KINDS: what a mint may ask for. */
  enabledKinds: readonly LicenseKind[];
  /** APPROVAL_KINDS: what waits for an approver. */
  approvalKinds: readonly LicenseKind[];
  requireCaller: (...allowed: CallerKind[]) => onRequestHookHandler;
  /** Per-caller request budget, counted after authentication. */
  rateLimit: RateLimitOptions;
}

const IdParams = z.object({ id: z.string().min(1).max(100) });

const RejectBody = z.strictObject({ reason: freeText(500) }, { error: 'must be a JSON object' });

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
  { licenses, kinds, enabledKinds, approvalKinds, requireCaller, rateLimit },
) => {
  const limited = { rateLimit };
  const schemas = new Map(enabledKinds.map((kind) => [kind, kindPolicy(kind).schema(kinds)]));
  const policies = { kinds: describeKinds(enabledKinds, approvalKinds, kinds) };

  /** The body as its kind's strict schema reads it; an unknown or disabled kind is refused by name. */
  function parseMint(body: unknown): MintRequest {
    const given =
      body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { kind?: unknown }).kind : undefined;
    const kind = LicenseKindSchema.safeParse(given ?? 'emergency');
    if (!kind.success) throw validationError({ kind: `must be one of ${enabledKinds.join(', ')}` });
    const schema = schemas.get(kind.data);
    if (!schema)
      throw validationError({
        kind: `${kind.data} licenses are turned off here (enabled: ${enabledKinds.join(', ') || 'none'})`,
      });
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw validationError(fieldsOf(parsed.error));
    return parsed.data as MintRequest;
  }

  app.get('/api/v1/policies', { onRequest: requireCaller('app', 'lookup'), config: limited }, async () => policies);

  app.post('/api/v1/licenses', { onRequest: requireCaller('app'), config: limited }, async (request, reply) => {
    const keyHeader = request.headers['idempotency-key'];
    let idempotencyKey: string | undefined;
    if (keyHeader !== undefined) {
      const parsedKey = IdempotencyKey.safeParse(keyHeader);
      if (!parsedKey.success) throw validationError({ 'Idempotency-Key': 'must be 1 to 200 characters' });
      idempotencyKey = parsedKey.data;
    }
    const body = parseMint(request.body);
    const caller = request.caller;
    if (!caller) throw new AppError('unauthorized');
    const { record, created } = await licenses.mint(body, idempotencyKey, caller);
    reply.header('location', `/api/v1/licenses/${record.license.id}`);
    if (!created) reply.header('idempotent-replayed', 'true');
    // Accepted, not created: the license waits for an approver.
    return reply.code(record.approval.status === 'pending' ? 202 : 201).send(record);
  });

  app.post('/api/v1/licenses/:id/approve', { onRequest: requireCaller('lookup'), config: limited }, async (request) => {
    const { id } = parseId(request.params);
    const caller = request.caller;
    if (!caller) throw new AppError('unauthorized');
    return licenses.approve(id, { name: caller.name, person: caller.person });
  });

  app.post('/api/v1/licenses/:id/reject', { onRequest: requireCaller('lookup'), config: limited }, async (request) => {
    const { id } = parseId(request.params);
    const body = RejectBody.safeParse(request.body ?? {});
    if (!body.success) throw validationError(fieldsOf(body.error));
    const caller = request.caller;
    if (!caller) throw new AppError('unauthorized');
    return licenses.reject(id, { name: caller.name, person: caller.person }, body.data.reason);
  });

  app.get('/api/v1/licenses', { onRequest: requireCaller('app', 'lookup'), config: limited }, async (request) => {
    const query = ListQuery.safeParse(request.query);
    if (!query.success) throw validationError(fieldsOf(query.error));
    const { email, ticketId, limit } = query.data;
    return { licenses: await licenses.list({ email, ticketId, limit: limit ?? 100 }) };
  });

  app.get('/api/v1/licenses/:id', { onRequest: requireCaller('app', 'lookup'), config: limited }, async (request) => {
    const { id } = parseId(request.params);
    const record = await licenses.get(id);
    if (!record) throw new AppError('not_found', `No license has the id ${id}.`);
    return record;
  });

  app.post(
    '/api/v1/licenses/:id/resend',
    { onRequest: requireCaller('app', 'lookup'), config: limited },
    async (request) => {
      const { id } = parseId(request.params);
      return licenses.resend(id, request.caller?.name ?? 'unknown');
    },
  );

  app.get(
    '/api/v1/licenses/:id/download',
    { onRequest: requireCaller('lookup'), config: limited },
    async (request, reply) => {
      const { id } = parseId(request.params);
      const record = await licenses.get(id);
      if (!record) throw new AppError('not_found', `No license has the id ${id}.`);
      if (record.license.key === undefined)
        throw new AppError('not_pending', `License ${id} was never signed (${record.approval.status}).`);
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
