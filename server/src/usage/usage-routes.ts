import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerToken } from '../auth/authenticate.ts';
import { SECURITY } from '../openapi/openapi.ts';
import { errorResponses } from '../openapi/responses.ts';
import { type CheckInCaller, type UsageService } from './usage-service.ts';
import { UsageReport } from './usage-report-body.ts';

const CheckInReceipt = z
  .object({ accepted: z.literal(true), licenseId: z.string(), day: z.string() })
  .describe('Recorded in the day (UTC) of the service clock');

declare module 'fastify' {
  interface FastifyRequest {
    reportingLicense?: CheckInCaller;
  }
}

/** `POST /api/v1/usage`: authenticated by the license itself, before the body is read. */
export const usageRoutes: FastifyPluginAsync<{ usage: UsageService }> = async (plain, { usage }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/api/v1/usage',
    {
      onRequest: async (request) => {
        request.reportingLicense = usage.authenticate(bearerToken(request));
      },
      schema: {
        summary: 'Report the active users of a licensed installation (authenticated by its license)',
        tags: ['usage'],
        security: SECURITY.license,
        body: UsageReport,
        response: {
          202: CheckInReceipt,
          ...errorResponses('validation_failed', 'invalid_json', 'unauthorized', 'license_revoked', 'rate_limited'),
        },
      },
    },
    async (request, reply) => {
      const receipt = await usage.checkIn(request.reportingLicense as CheckInCaller, request.body);
      return reply.code(202).send({ accepted: true, licenseId: receipt.licenseId, day: receipt.day });
    },
  );
};
