import type { RetryPolicy } from '../config.ts';

/**
 * Delay before the next attempt after `failedAttempts` failures: doubling from the policy's first
 * delay, capped, with "equal jitter" (half fixed, half random) so that many deliveries failing
 * together do not retry in lockstep.
 */
export function retryDelayMs(failedAttempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const base = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(exponent, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** When the next attempt would run, or null when the job is too old to retry. */
export function nextRetryAtMs(
  job: { attempts: number; created_ms: number },
  nowMs: number,
  policy: RetryPolicy,
): number | null {
  const at = nowMs + retryDelayMs(job.attempts, policy);
  return at - job.created_ms > policy.maxAgeMs ? null : at;
}
