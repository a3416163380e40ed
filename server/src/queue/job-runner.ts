import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import type { RetryPolicy } from '../config.ts';
import type { JobKind } from '../store/schema.ts';
import type { JobRow, Lease, SqlStore } from '../store/sql-store.ts';
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
  /** Started for a caller who waits for it (`runAndWait`: a mint, a resend), not by the poller. */
  fresh?: boolean;
}

export type JobHandler = (attempt: JobAttempt) => Promise<JobResult>;

export interface JobRunnerOptions {
  /** Jobs the poller runs at once (the backlog: retries, queued work, other instances' leftovers). */
  concurrency: number;
  /**
   * First attempts of fresh work (a mint's delivery, a resend) run in slots of their own, so a
   * backlog never keeps a new license waiting, and new licenses never starve the backlog.
   */
  freshConcurrency?: number;
  pollIntervalMs: number;
  /** How long a claimed job stays this instance's; renewed while it runs. */
  leaseMs: number;
  retry: RetryPolicy;
  /** This instance's identity (INSTANCE_ID); its leases are held as `INSTANCE_ID#run`. */
  instanceId?: string;
}

type Pool = 'backlog' | 'fresh';

/**
 * Runs durable jobs from the database: right away when the code that wrote a job dispatches it,
 * otherwise by polling. Jobs of one license never run at the same time, so their outcomes are
 * recorded in order. Claims come in batches (one commit each), outcomes are group-committed, and
 * the leases of running jobs are renewed, so a lease can be short without a slow job losing it.
 */
export class JobRunner {
  private readonly inflight = new Set<Promise<void>>();
  private readonly running = { backlog: 0, fresh: 0 };
  /**
   * Jobs claimed and not yet finished here, with how many runs (a job rescheduled and claimed again
   * may briefly be in two, the second waiting behind the license lock for the first).
   */
  private readonly started = new Map<number, number>();
  private readonly licenseLocks = new Map<string, Promise<void>>();
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private wokenWhileBusy = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private releasing: number[] = [];
  private released: Promise<void> = Promise.resolve();
  private readonly finished = new EventEmitter().setMaxListeners(0);
  readonly instanceId: string;
  /** Whose leases this run's are: the instance and a token of this run. */
  readonly owner: string;
  /** Leases of fresh jobs written for this run to start itself (`newLease`), until it takes them. */
  readonly freshOwner: string;
  private readonly freshConcurrency: number;

  constructor(
    private readonly store: SqlStore,
    private readonly clock: Clock,
    private readonly handlers: Record<JobKind, JobHandler>,
    private readonly options: JobRunnerOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.instanceId = options.instanceId ?? `anonymous-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    this.owner = `${this.instanceId}#${crypto.randomBytes(6).toString('base64url')}`;
    this.freshOwner = `${this.owner}+fresh`;
    this.freshConcurrency = options.freshConcurrency ?? options.concurrency;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
    this.heartbeat = setInterval(() => this.renewLeases(), Math.max(10, this.options.leaseMs / 3));
    this.heartbeat.unref();
  }

  /** Stops claiming work and waits for the jobs already running to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
    await this.released;
    clearInterval(this.heartbeat);
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wokenWhileBusy = true;
  }

  /** The lease a job written now for this instance to run itself gets (see `runAndWait`). */
  newLease(nowMs: number = this.clock.now().getTime()): Lease {
    return { owner: this.freshOwner, untilMs: nowMs + this.options.leaseMs };
  }

  /**
   * Starts the job now and waits until an attempt at it (or at another job of the same kind for
   * the same license) has finished, or until `timeoutMs` has passed. The job is either due or
   * already leased to this instance (`newLease`). Returns false at once, without waiting, when
   * every slot for fresh work is busy: the job then goes back to the queue for any poller.
   */
  async runAndWait(job: { id: number; licenseId: string; kind: JobKind }, timeoutMs: number): Promise<boolean> {
    // Plain listener and timer rather than `events.once` + an AbortSignal: aborting those builds
    // an AbortError (with its stack) for every mint, which showed in the mint profile.
    const event = `${job.kind}:${job.licenseId}`;
    let onFinished: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    // Listening before the job starts: an attempt that finishes at once is not missed.
    const finished = new Promise<void>((resolve) => {
      onFinished = () => resolve();
      this.finished.once(event, onFinished);
    });
    try {
      if (!(await this.startFresh(job.id))) return false;
      await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      return true;
    } finally {
      clearTimeout(timer);
      if (onFinished) this.finished.removeListener(event, onFinished);
    }
  }

  /** Runs the given job now if there is capacity; otherwise leaves it to the poller. */
  async dispatch(jobId: number): Promise<void> {
    await this.startFresh(jobId);
  }

  private async startFresh(jobId: number): Promise<boolean> {
    if (this.started.has(jobId)) return true;
    if (this.stopped || this.running.fresh >= this.freshConcurrency) {
      this.release(jobId);
      return false;
    }
    this.running.fresh += 1;
    let job: JobRow | undefined;
    try {
      // Taken, not merely read: a job this runner's poller claimed meanwhile is not run twice.
      job = (await this.store.takeFreshJob(jobId, this.freshOwner, this.owner)) ?? (await this.claim(1, jobId))[0];
    } catch (error) {
      this.running.fresh -= 1;
      throw error;
    }
    this.running.fresh -= 1;
    // Not ours to run (another instance has it, or it is done): whoever runs it reports.
    if (job && !this.started.has(job.id)) this.track(job, 'fresh');
    return true;
  }

  /**
   * Hands a job leased to this instance back to the queue. Jobs handed back in the same tick (a
   * burst of mints over the fresh slots) go in one statement, and nobody waits for it: should the
   * write be lost, the lease runs out (or a restart of this instance takes it back).
   */
  private release(jobId: number): void {
    this.releasing.push(jobId);
    if (this.releasing.length > 1) return;
    const earlier = this.released;
    this.released = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.store.releaseJobs(this.releasing.splice(0), this.freshOwner))
      .then(
        () => this.wake(),
        (error: unknown) => this.log.error({ err: error }, 'could not hand jobs back to the queue'),
      )
      .then(() => earlier);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const free = this.options.concurrency - this.running.backlog;
        if (free > 0) for (const job of await this.claim(free)) this.track(job, 'backlog');
      } catch (error) {
        this.log.error({ err: error }, 'job runner could not claim work; retrying');
      }
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  private claim(limit: number, jobId?: number): Promise<JobRow[]> {
    const nowMs = this.clock.now().getTime();
    return this.store.claimJobs(nowMs, this.newLease(nowMs), limit, jobId, [...this.started.keys()]);
  }

  /** Only the jobs actually running here: a lease nobody works on must run out. */
  private renewLeases(): void {
    if (this.started.size === 0) return;
    this.store
      .renewLeases(this.owner, this.clock.now().getTime() + this.options.leaseMs, [...this.started.keys()])
      .catch((error: unknown) => this.log.warn({ err: error }, 'could not renew job leases'));
  }

  private track(job: JobRow, pool: Pool): void {
    this.running[pool] += 1;
    this.started.set(job.id, (this.started.get(job.id) ?? 0) + 1);
    const running = this.runExclusive(job, pool).finally(() => {
      this.running[pool] -= 1;
      const runs = (this.started.get(job.id) ?? 1) - 1;
      if (runs > 0) this.started.set(job.id, runs);
      else this.started.delete(job.id);
      this.inflight.delete(running);
      if (pool === 'backlog' || this.stopped) this.wake();
    });
    this.inflight.add(running);
  }

  private async runExclusive(job: JobRow, pool: Pool): Promise<void> {
    const previous = this.licenseLocks.get(job.license_id) ?? Promise.resolve();
    const current = previous.then(() => this.run(job, pool));
    const settled = current.catch(() => undefined);
    this.licenseLocks.set(job.license_id, settled);
    try {
      await current;
    } finally {
      if (this.licenseLocks.get(job.license_id) === settled) this.licenseLocks.delete(job.license_id);
    }
  }

  private async run(job: JobRow, pool: Pool): Promise<void> {
    const retryAtMs = nextRetryAtMs(job, this.clock.now().getTime(), this.options.retry);
    let result: JobResult;
    try {
      result = await this.handlers[job.kind]({ job, retryAtMs, fresh: pool === 'fresh' });
    } catch (error) {
      this.log.error({ err: error, jobId: job.id, kind: job.kind }, 'job failed unexpectedly');
      result = { outcome: 'retry', error: error instanceof Error ? error.message : String(error) };
    }
    try {
      const owner = job.lease_owner ?? undefined;
      if (result.outcome === 'done') await this.store.finishJob(job.id, 'done', null, owner);
      else if (result.outcome === 'dead' || retryAtMs === null)
        await this.store.finishJob(job.id, 'dead', result.error, owner);
      else await this.store.rescheduleJob(job.id, Math.max(retryAtMs, result.notBeforeMs ?? 0), result.error, owner);
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
