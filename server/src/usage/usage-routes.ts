import type { FastifyPluginAsync } from 'fastify';
import { bearerToken } from '../auth/authenticate.ts';
import { validationError } from '../errors.ts';
import { fieldsOf } from '../validation.ts';
import { type CheckInCaller, type UsageService } from './usage-service.ts';
import { UsageReport } from './usage-report-body.ts';

declare module 'fastify' {
  interface FastifyRequest {
    reportingLicense?: CheckInCaller;
  }
}

/** `POST /api/v1/usage`: authenticated by the license itself, before the body is read. */
export const usageRoutes: FastifyPluginAsync<{ usage: UsageService }> = async (app, { usage }) => {
  app.post(
    '/api/v1/usage',
    {
      onRequest: async (request) => {
        request.reportingLicense = usage.authenticate(bearerToken(request));
      },
    },
    async (request, reply) => {
      const body = UsageReport.safeParse(request.body);
      if (!body.success) throw validationError(fieldsOf(body.error));
      const receipt = await usage.checkIn(request.reportingLicense as CheckInCaller, body.data);
      return reply.code(202).send({ accepted: true, licenseId: receipt.licenseId, day: receipt.day });
    },
  );
};
