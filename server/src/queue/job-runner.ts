import { EventEmitter, once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import type { RetryPolicy } from '../config.ts';
import type { JobKind } from '../store/schema.ts';
import type { JobRow, SqlStore } from '../store/sql-store.ts';
import { nextRetryAtMs } from './backoff.ts';

export type JobResult =
  | { outcome: 'done' }
  /** `notBeforeMs`: the other side asked us to wait at least until then (e.g. 429 Retry-After). */
  | { outcome: 'retry'; error: string; notBeforeMs?: number }
  | { outcome: 'dead'; error: string };

export interface JobAttempt {
  job: JobRow;
  /** When a failure of this attempt would be retried; null when this is the last attempt. */
  retryAtMs: number | null;
}

export type JobHandler = (attempt: JobAttempt) => Promise<JobResult>;

export interface JobRunnerOptions {
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  retry: RetryPolicy;
}

/**
 * Runs durable jobs from the database: right away when the code that wrote a job dispatches it,
 * otherwise by polling. Jobs of one license never run at the same time, so their outcomes are
 * recorded in order.
 */
export class JobRunner {
  private readonly inflight = new Set<Promise<void>>();
  private readonly licenseLocks = new Map<string, Promise<void>>();
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private wokenWhileBusy = false;
  private readonly finished = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly store: SqlStore,
    private readonly clock: Clock,
    private readonly handlers: Record<JobKind, JobHandler>,
    private readonly options: JobRunnerOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
  }

  /** Stops claiming work and waits for the jobs already running to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wokenWhileBusy = true;
  }

  /**
   * Starts the job now and waits until an attempt at it (or at another job of the same kind for
   * the same license) has finished, or until `timeoutMs` has passed. Returns false at once,
   * without waiting, when every worker slot is busy.
   */
  async runAndWait(job: { id: number; licenseId: string; kind: JobKind }, timeoutMs: number): Promise<boolean> {
    // At capacity the job would only wait its turn: answer now (queued) instead of holding the caller.
    if (this.inflight.size >= this.options.concurrency) {
      this.wake();
      return false;
    }
    const abort = new AbortController();
    const finished = once(this.finished, `${job.kind}:${job.licenseId}`, { signal: abort.signal });
    try {
      void this.dispatch(job.id).catch((error: unknown) => this.log.error({ err: error }, 'could not dispatch a job'));
      await Promise.race([finished, delay(timeoutMs, undefined, { signal: abort.signal })]);
      return true;
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
      return true;
    } finally {
      abort.abort();
    }
  }

  /** Runs the given job now if there is capacity; otherwise leaves it to the poller. */
  async dispatch(jobId: number): Promise<void> {
    if (this.stopped || this.inflight.size >= this.options.concurrency) {
      this.wake();
      return;
    }
    const job = await this.claim(jobId);
    if (job) await this.track(job);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        while (!this.stopped && this.inflight.size < this.options.concurrency) {
          const job = await this.claim();
          if (!job) break;
          void this.track(job);
        }
      } catch (error) {
        this.log.error({ err: error }, 'job runner could not claim work; retrying');
      }
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  private claim(jobId?: number): Promise<JobRow | undefined> {
    const nowMs = this.clock.now().getTime();
    return this.store.claimJob(nowMs, nowMs + this.options.leaseMs, jobId);
  }

  private track(job: JobRow): Promise<void> {
    const running = this.runExclusive(job).finally(() => {
      this.inflight.delete(running);
      this.wake();
    });
    this.inflight.add(running);
    return running;
  }

  private async runExclusive(job: JobRow): Promise<void> {
    const previous = this.licenseLocks.get(job.license_id) ?? Promise.resolve();
    const current = previous.then(() => this.run(job));
    const settled = current.catch(() => undefined);
    this.licenseLocks.set(job.license_id, settled);
    try {
      await current;
    } finally {
      if (this.licenseLocks.get(job.license_id) === settled) this.licenseLocks.delete(job.license_id);
    }
  }

  private async run(job: JobRow): Promise<void> {
    const retryAtMs = nextRetryAtMs(job, this.clock.now().getTime(), this.options.retry);
    let result: JobResult;
    try {
      result = await this.handlers[job.kind]({ job, retryAtMs });
    } catch (error) {
      this.log.error({ err: error, jobId: job.id, kind: job.kind }, 'job failed unexpectedly');
      result = { outcome: 'retry', error: error instanceof Error ? error.message : String(error) };
    }
    try {
      if (result.outcome === 'done') await this.store.finishJob(job.id, 'done', null);
      else if (result.outcome === 'dead' || retryAtMs === null)
        await this.store.finishJob(job.id, 'dead', result.error);
      else await this.store.rescheduleJob(job.id, Math.max(retryAtMs, result.notBeforeMs ?? 0), result.error);
    } catch (error) {
      // The lease runs out and the job is claimed again: at-least-once, never lost.
      this.log.error({ err: error, jobId: job.id }, 'could not record a job outcome');
    }
    this.finished.emit(`${job.kind}:${job.license_id}`);
  }

  private sleep(ms: number): Promise<void> {
    if (this.wokenWhileBusy) {
      this.wokenWhileBusy = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
