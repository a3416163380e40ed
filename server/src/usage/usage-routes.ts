import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FailedCredentials } from '../abuse/failed-credentials.ts';
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
export interface UsageRoutesOptions {
  usage: UsageService;
  /** The per-address budget of wrong credentials the rest of the API shares. */
  failures: FailedCredentials;
}

export const usageRoutes: FastifyPluginAsync<UsageRoutesOptions> = async (plain, { usage, failures }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/api/v1/usage',
    {
      onRequest: async (request) => {
        try {
          request.reportingLicense = await usage.authenticate(bearerToken(request));
        } catch (error) {
          // A rightly signed license is admitted whatever others sent from its address; a wrong
          // one counts against the address, and past its budget the answer is 429.
          failures.recordFailure(request.ip);
          failures.check(request.ip);
          throw error;
        }
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
