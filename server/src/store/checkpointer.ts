import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How the checkpoints are going; read by readiness and metrics. */
export interface CheckpointStatus {
  /** Rounds that failed (an unreadable file, an I/O error, a full disk…) since start. */
  failures: number;
  /** Times the checkpoint thread ended unexpectedly and was started again. */
  restarts: number;
  lastSuccessAtMs: number | undefined;
  lastError: string | undefined;
  /** When the current run of failures began; undefined while checkpoints succeed. */
  failingSinceMs: number | undefined;
}

export interface CheckpointProblem {
  message: string;
  error: string;
  /** Failures in a row, this one included. */
  consecutive: number;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  /** Told about failures (the first of a run, then every 60th) and about recovery; never silent. */
  onProblem?: (problem: CheckpointProblem) => void;
  onRecovered?: (afterFailures: number) => void;
  now?: () => number;
}

const MAX_RESTART_DELAY_MS = 60_000;
const STOP_TIMEOUT_MS = 2000;

type WorkerMessage = { ok: true } | { ok: false; error: string };

/**
 * Runs SQLite's WAL checkpoints on a thread of their own. Left to SQLite, a checkpoint runs inside
 * whichever commit crosses the WAL size limit — that is, inside somebody's mint, which then waits
 * for it (close to a second at a million licenses). PASSIVE never blocks writers or readers.
 *
 * With autocheckpoint off, this thread is the only thing that keeps the WAL from growing without
 * bound: a failing round is reported and retried, and a thread that ends is started again. On
 * `stop` the thread closes its connection itself before it ends, so no SQLite object outlives
 * the thread's environment.
 */
export class Checkpointer {
  private worker: Worker | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private consecutiveFailures = 0;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly sqliteModule: string;
  private readonly state: CheckpointStatus = {
    failures: 0,
    restarts: 0,
    lastSuccessAtMs: undefined,
    lastError: undefined,
    failingSinceMs: undefined,
  };

  constructor(
    private readonly file: string,
    private readonly options: CheckpointerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');
    this.startWorker();
  }

  status(): CheckpointStatus {
    return { ...this.state };
  }

  /** Ends the thread in order: it closes its database, then exits (terminated if it does not). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') await worker.terminate();
  }

  private startWorker(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.file, sqliteModule: this.sqliteModule, intervalMs: this.intervalMs },
    });
    this.worker = worker;
    // An idle checkpointer must never keep the process alive.
    worker.unref();
    worker.on('message', (message: WorkerMessage) => {
      if (message.ok) this.succeeded();
      else this.failed(message.error, 'WAL checkpoint failed; retrying');
    });
    worker.on('error', (error) => {
      this.failed(describe(error), 'WAL checkpoint thread failed; starting it again');
    });
    worker.on('exit', () => {
      if (this.stopping || this.worker !== worker) return;
      this.worker = undefined;
      this.state.restarts += 1;
      const delay = Math.min(this.intervalMs * 2 ** Math.min(this.consecutiveFailures, 16), MAX_RESTART_DELAY_MS);
      this.restartTimer = setTimeout(() => {
        if (!this.stopping) this.startWorker();
      }, delay);
      this.restartTimer.unref();
    });
  }

  private succeeded(): void {
    if (this.consecutiveFailures > 0) this.options.onRecovered?.(this.consecutiveFailures);
    this.consecutiveFailures = 0;
    this.state.lastSuccessAtMs = this.now();
    this.state.failingSinceMs = undefined;
  }

  private failed(error: string, message: string): void {
    this.consecutiveFailures += 1;
    this.state.failures += 1;
    this.state.lastError = error;
    this.state.failingSinceMs ??= this.now();
    if (this.consecutiveFailures % 60 === 1) {
      this.options.onProblem?.({ message, error, consecutive: this.consecutiveFailures });
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

// Plain CommonJS evaluated in the thread (no TypeScript loader there). An error while opening
// ends the thread (the owner starts it again); an error in a round is reported and retried.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 100');
const describe = (error) => (error && error.code ? error.code + ': ' : '') + (error && error.message ? error.message : String(error));
const timer = setInterval(() => {
  try {
    // busy = 1 only means readers kept part of the WAL in use: not a failure, the next round goes on.
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: describe(error) });
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
