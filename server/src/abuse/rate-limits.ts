import type { RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { type HitCounter, SlidingWindowCounter } from './hit-counter.ts';

export interface RateLimits {
  /**
   * Mints and resends per minute, per agent of an app installation and also per installation as a
   * whole (whatever agent names it types); 0 turns both off.
   */
  appPerMinute: number;
  /** Reads (get, list, policies) per minute per app installation: a budget of their own; 0: off. */
  appReadsPerMinute: number;
  /** Searches, downloads and resends per minute per lookup page session; 0 turns the limit off. */
  lookupSessionPerMinute: number;
  /**
   * API requests per minute with the lookup token itself. Off by default: it is the operator's
   * credential for scripts, which may check thousands of licenses after an incident.
   */
  lookupApiPerMinute: number;
}

const MINUTE_MS = 60_000;

/** What a request does, for choosing its budgets. */
export type ApiAction = 'write' | 'read';

/**
 * The budgets a request counts against, each a key and its per-minute maximum. The app token
 * proves only that the caller holds the installation's secret: its subject names the
 * installation, but the agent is whatever the sidebar typed. So an agent's budget can never be
 * the only one — the installation's own budget bounds all its mints and resends together, and
 * reads have a separate budget so history views never use up the budget for minting.
 */
export function budgetsFor(
  request: FastifyRequest,
  action: ApiAction,
  limits: RateLimits,
): Array<{ key: string; max: number }> {
  const caller = request.caller;
  if (!caller) return [];
  if (caller.kind === 'lookup') return [{ key: `lookup:${caller.name}`, max: limits.lookupApiPerMinute }];
  if (action === 'read') return [{ key: `app-read:${caller.name}`, max: limits.appReadsPerMinute }];
  const body = request.body as { agent?: unknown } | null | undefined;
  const budgets = [{ key: `app:${caller.name}`, max: limits.appPerMinute }];
  if (typeof body?.agent === 'string') {
    const agent = body.agent.trim().toLowerCase().slice(0, 100);
    budgets.push({ key: `agent:${caller.name}:${agent}`, max: limits.appPerMinute });
  }
  return budgets;
}

/**
 * `preHandler` hooks for the API's authenticated routes. They run after authentication and body
 * parsing, so a refused token never uses up a real caller's budget; a request refused by one
 * budget is not counted against the others.
 */
export function createApiLimiter(limits: RateLimits, counter: HitCounter = new SlidingWindowCounter(MINUTE_MS)) {
  return function limit(action: ApiAction) {
    return async function checkBudgets(request: FastifyRequest): Promise<void> {
      const budgets = budgetsFor(request, action, limits).filter((budget) => budget.max > 0);
      let waitMs = 0;
      for (const { key, max } of budgets) waitMs = Math.max(waitMs, counter.blockedFor(key, max) ?? 0);
      if (waitMs > 0) throw tooManyRequests(waitMs);
      for (const { key } of budgets) counter.hit(key);
    };
  };
}

export type ApiLimiter = ReturnType<typeof createApiLimiter>;

export function tooManyRequests(retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError(
    'rate_limited',
    `Too many requests from this caller; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
  ).withRetryAfter(seconds);
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
