import type { RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

export interface RateLimits {
  /** Requests per minute per app installation and agent; 0 turns the limit off. */
  appPerMinute: number;
  /** Searches, downloads and resends per minute per lookup page session; 0 turns the limit off. */
  lookupSessionPerMinute: number;
  /**
   * API requests per minute with the lookup token itself. Off by default: it is the operator's
   * credential for scripts, which may check thousands of licenses after an incident.
   */
  lookupApiPerMinute: number;
}

const MINUTE_MS = 60_000;

/**
 * Who a request counts against: an app installation (the token's subject) and the agent named in
 * the body, the lookup token, or, before anyone is known, the client address. Runs after
 * authentication and body parsing (the `preHandler` hook), so a refused token is never counted
 * against a real caller.
 */
export function callerKey(request: FastifyRequest): string {
  const caller = request.caller;
  if (!caller) return `ip:${request.ip}`;
  if (caller.kind === 'lookup') return `lookup:${caller.name}`;
  const body = request.body as { agent?: unknown } | null | undefined;
  const agent = typeof body?.agent === 'string' ? body.agent.trim().toLowerCase().slice(0, 100) : '*';
  return `app:${caller.name}:${agent}`;
}

function perMinuteFor(limits: RateLimits, key: string): number {
  return key.startsWith('app:') ? limits.appPerMinute : limits.lookupApiPerMinute;
}

export function tooManyRequests(retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError(
    'rate_limited',
    `Too many requests from this caller; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
  ).withRetryAfter(seconds);
}

/** Route config for `@fastify/rate-limit` on the API's authenticated routes. */
export function apiRateLimit(limits: RateLimits): RateLimitOptions {
  return {
    hook: 'preHandler',
    timeWindow: MINUTE_MS,
    keyGenerator: callerKey,
    max: (_request, key) => perMinuteFor(limits, key),
    allowList: (_request, key) => perMinuteFor(limits, key) === 0,
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl),
  };
}

/** Route config for the lookup page: one budget per signed-in session, else per address. */
export function sessionRateLimit(perMinute: number, sessionId: (request: FastifyRequest) => string | undefined) {
  return {
    hook: 'preHandler',
    timeWindow: MINUTE_MS,
    max: perMinute,
    keyGenerator: (request: FastifyRequest) => {
      const id = sessionId(request);
      return id === undefined ? `page-ip:${request.ip}` : `session:${id}`;
    },
    allowList: () => perMinute === 0,
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl),
  } satisfies RateLimitOptions;
}
