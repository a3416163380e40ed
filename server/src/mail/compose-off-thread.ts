import { Worker } from 'node:worker_threads';
import { MailDeliveryError, type OutgoingMail } from './mailer.ts';

export interface ComposedMail {
  envelope: { from: string | false; to: string[] };
  raw: Buffer;
}

interface Reply {
  id: number;
  envelope?: ComposedMail['envelope'];
  raw?: Uint8Array;
  error?: string;
}

const COMPOSE_WORKER = new URL('./compose-worker.js', import.meta.url);

/**
 * Builds each message's MIME (nodemailer's MailComposer: encodings, boundaries, line folding) on a
 * worker thread. Measured while draining a backlog, composing was ~40% of the service's CPU; on
 * the thread that also answers HTTP it slowed mints and lookups as much as delivery. If the worker
 * dies, the messages it held fail as temporary errors (their jobs retry) and the next message
 * starts a new worker.
 */
export class MailComposerThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<
    number,
    { resolve: (mail: ComposedMail) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;
  private closed = false;

  constructor(private readonly workerUrl: URL = COMPOSE_WORKER) {}

  /**
   * Starts the worker ahead of the first message: starting it (a thread, nodemailer loaded) took
   * ~150 ms, which the first mints after a start waited for.
   */
  warm(): void {
    if (!this.closed) this.started();
  }

  compose(mail: OutgoingMail): Promise<ComposedMail> {
    if (this.closed) return Promise.reject(new MailDeliveryError('mailer closed', false));
    const id = this.nextId++;
    return new Promise<ComposedMail>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.started().postMessage({ id, mail });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failPending('mailer closed');
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    // V8 gives a worker a young generation sized for a browser tab's main thread: measured under a
    // mint load, the service's RSS settled ~120 MB higher with it than with 4 MB, at no cost in
    // speed (each message's garbage is short-lived and small). At most ~80 messages are in flight.
    const worker = new Worker(this.workerUrl, {
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 },
    });
    // An idle composer must not keep a stopping process alive; close() ends it anyway.
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply));
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failPending(why);
    };
    worker.on('error', (error) => lost(`mail composer failed: ${error.message}`));
    worker.on('exit', (code) => lost(`mail composer stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.raw && reply.envelope) {
      waiting.resolve({
        envelope: reply.envelope,
        raw: Buffer.from(reply.raw.buffer, reply.raw.byteOffset, reply.raw.byteLength),
      });
    } else {
      // Temporary, as a failure to compose was before it moved to this thread: the job retries.
      waiting.reject(new MailDeliveryError(`could not compose the message: ${reply.error ?? 'unknown error'}`, false));
    }
  }

  private failPending(why: string): void {
    for (const { reject } of this.pending.values()) reject(new MailDeliveryError(why, false));
    this.pending.clear();
  }
}
