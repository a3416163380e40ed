import { ErrorBody } from '@mintdesk/shared';
import type { ErrorCode } from '../errors.ts';
import { ERRORS } from '../errors.ts';

/**
 * The error answers a route can give, for its OpenAPI `response` map: one entry per status, each
 * the contract's error body, described by the codes that share the status.
 */
export function errorResponses(...codes: ErrorCode[]): Record<number, typeof ErrorBody> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, typeof ErrorBody> = {};
  for (const [status, shared] of byStatus) responses[status] = ErrorBody.describe(shared.join(', '));
  return responses;
}
