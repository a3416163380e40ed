import {
  freeText,
  IdempotencyKey,
  type LicenseKind,
  LicenseList,
  LicenseRecord,
  mintBodySchema,
  PoliciesAnswer,
} from '@mintdesk/shared';
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiLimiter } from '../abuse/rate-limits.ts';
import type { CallerKind } from '../auth/authenticate.ts';
import { AppError } from '../errors.ts';
import { describeKinds, type KindSettings } from '../kinds/index.ts';
import type { LicenseService } from '../licenses/license-service.ts';
import { SECURITY } from '../openapi/openapi.ts';
import { errorResponses } from '../openapi/responses.ts';

export interface LicenseRoutesOptions {
  licenses: LicenseService;
  /** What the kinds read: days, limits, plan, generic licensee. */
  kinds: KindSettings;
  /** LICENSE_KINDS: what a mint may ask for. */
  enabledKinds: readonly LicenseKind[];
  /** APPROVAL_KINDS: what waits for an approver. */
  approvalKinds: readonly LicenseKind[];
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

const RejectBody = z.strictObject(
  { reason: freeText(500).describe('Why the license is refused; shown in its Activity and tracker issue.') },
  { error: 'must be a JSON object' },
);

const DECISION_ERRORS = errorResponses(
  'validation_failed',
  'unauthorized',
  'approval_forbidden',
  'not_found',
  'not_pending',
  'rate_limited',
);

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
  { licenses, kinds, enabledKinds, approvalKinds, requireCaller, budget },
) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  // One body per enabled kind, told apart by `kind`: a disabled kind is refused naming `kind`.
  const MintBody = mintBodySchema(kinds, enabledKinds);
  const policies: PoliciesAnswer = { kinds: describeKinds(enabledKinds, approvalKinds, kinds) };

  app.get(
    '/api/v1/policies',
    {
      onRequest: requireCaller('app', 'lookup'),
      preHandler: budget('read'),
      schema: {
        summary: 'The enabled license kinds: fields, days, limits and whether they need approval',
        tags: ['licenses'],
        security: SECURITY.appOrLookup,
        response: { 200: PoliciesAnswer, ...errorResponses('unauthorized', 'rate_limited') },
      },
    },
    async () => policies,
  );

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
          201: LicenseRecord.describe('Minted (signed, and emailed or queued)'),
          202: LicenseRecord.describe('Accepted: waits for an approver; no key yet, delivery held'),
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
      // Accepted, not created: the license waits for an approver.
      return reply.code(record.approval.status === 'pending' ? 202 : 201).send(record);
    },
  );

  app.post(
    '/api/v1/licenses/:id/approve',
    {
      onRequest: requireCaller('lookup'),
      preHandler: budget('write'),
      schema: {
        summary: 'Approve a pending license: it is signed and emailed now',
        description:
          "A personal credential with the approver role, of someone other than the license's agent; LOOKUP_TOKEN never approves.",
        tags: ['approvals'],
        security: SECURITY.lookup,
        params: IdParams,
        response: { 200: LicenseRecord, ...DECISION_ERRORS },
      },
    },
    async (request) => {
      const caller = request.caller;
      if (!caller) throw new AppError('unauthorized');
      return licenses.approve(request.params.id, { name: caller.name, person: caller.person });
    },
  );

  app.post(
    '/api/v1/licenses/:id/reject',
    {
      onRequest: requireCaller('lookup'),
      preHandler: budget('write'),
      schema: {
        summary: 'Reject a pending license: nothing is ever signed, its issue is closed',
        tags: ['approvals'],
        security: SECURITY.lookup,
        params: IdParams,
        body: RejectBody,
        response: { 200: LicenseRecord, ...DECISION_ERRORS },
      },
    },
    async (request) => {
      const caller = request.caller;
      if (!caller) throw new AppError('unauthorized');
      return licenses.reject(request.params.id, { name: caller.name, person: caller.person }, request.body.reason);
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
        response: {
          200: LicenseRecord,
          ...READ_ERRORS,
          ...errorResponses('rate_limited', 'resend_limit', 'email_daily_limit'),
        },
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
          ...errorResponses('not_pending'),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
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
