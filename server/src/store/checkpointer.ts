import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Runs SQLite's WAL checkpoints on a thread of their own. Left to SQLite, a checkpoint runs inside
 * whichever commit crosses the WAL size limit — that is, inside somebody's mint, which then waits
 * for it (close to a second at a million licenses). PASSIVE never blocks writers or readers.
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, intervalMs = 1000) {
    const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, sqliteModule, intervalMs } });
    // An idle checkpointer must never keep the process alive or crash it.
    this.worker.unref();
    this.worker.on('error', () => undefined);
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 100');
setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next round catches up */ }
}, workerData.intervalMs);
`;
