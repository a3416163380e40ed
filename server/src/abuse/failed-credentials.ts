import { AppError } from '../errors.ts';
import { type HitCounter, SlidingWindowCounter } from './hit-counter.ts';

/** About this many wrong credentials a minute from one client address, then `429`. */
export const DEFAULT_FAILURES_PER_MINUTE = 20;
const MINUTE_MS = 60_000;

/**
 * Wrong bearer tokens and wrong sign-in tokens, counted per client address — on the API and the
 * sign-in form alike, in one budget. Only failures count: a caller presenting a right credential
 * never uses up anything, and an address over its budget only blocks itself.
 */
export class FailedCredentials {
  constructor(
    private readonly perMinute: number = DEFAULT_FAILURES_PER_MINUTE,
    private readonly counter: HitCounter = new SlidingWindowCounter(MINUTE_MS),
  ) {}

  /** Throws `429 rate_limited` when this address has used up its failures. */
  check(address: string): void {
    if (this.perMinute === 0) return;
    const waitMs = this.counter.blockedFor(address, this.perMinute);
    if (waitMs !== undefined) throw tooManyFailures(waitMs);
  }

  /** Seconds to wait when this address has used up its failures; else undefined. */
  retryAfterS(address: string): number | undefined {
    if (this.perMinute === 0) return undefined;
    const waitMs = this.counter.blockedFor(address, this.perMinute);
    return waitMs === undefined ? undefined : Math.max(1, Math.ceil(waitMs / 1000));
  }

  recordFailure(address: string): void {
    if (this.perMinute > 0) this.counter.hit(address);
  }
}

export function tooManyFailures(waitMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AppError(
    'rate_limited',
    `Too many wrong credentials from this address; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
  ).withRetryAfter(seconds);
}
