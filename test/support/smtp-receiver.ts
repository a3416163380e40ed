import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

type Behaviour = { kind: 'accept' } | { kind: 'reject'; code: number; remaining: number };

/**
 * A real SMTP server on loopback that parses what it receives. It can be told to refuse
 * recipients with a given reply code (550 for ever, 451 a few times) or to go away entirely.
 */
export class SmtpReceiver {
  readonly messages: ParsedMail[] = [];
  private server: SMTPServer | undefined;
  private behaviour: Behaviour = { kind: 'accept' };
  private waiters: Array<() => void> = [];
  private held: Array<() => void> | undefined;
  private heldWaiters: Array<() => void> = [];
  port = 0;
  refusals = 0;
  /** Server errors other than clients going away; tests may assert it stays empty. */
  readonly errors: Error[] = [];

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      disableReverseLookup: true,
      logger: false,
      // stop() cuts open sessions (421) after this instead of waiting 30 s: an outage starts at once.
      closeTimeout: 100,
      onRcptTo: (_address, _session, callback) => {
        if (this.held) {
          this.held.push(() => this.answerRecipient(callback));
          for (const wake of this.heldWaiters.splice(0)) wake();
          return;
        }
        this.answerRecipient(callback);
      },
      onData: (stream: SMTPServerDataStream, _session, callback) => {
        simpleParser(stream).then(
          (mail) => {
            this.messages.push(mail);
            for (const wake of this.waiters.splice(0)) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    // A client killed mid-session (the chaos test SIGKILLs the service) resets its socket: expected here.
    server.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') this.errors.push(error);
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this;
  }

  private answerRecipient(callback: (error?: Error | null) => void): void {
    const behaviour = this.behaviour;
    if (behaviour.kind === 'reject' && behaviour.remaining > 0) {
      behaviour.remaining -= 1;
      this.refusals += 1;
      const message = behaviour.code >= 500 ? 'Mailbox unavailable' : 'Try again later';
      callback(Object.assign(new Error(message), { responseCode: behaviour.code }));
      return;
    }
    callback();
  }

  /** Keeps recipients waiting for an answer until `release()`: a slow mail server. */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const answer of held) answer();
  }

  /** Resolves once a recipient is being held. */
  async waitForHeld(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.held?.length ?? 0) === 0) {
      if (Date.now() > deadline) throw new Error('no recipient arrived to hold');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.heldWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  accept(): void {
    this.behaviour = { kind: 'accept' };
  }

  /** Refuses the next `times` recipients with `code` (for ever when omitted). */
  refuse(code: number, times = Number.POSITIVE_INFINITY): void {
    this.behaviour = { kind: 'reject', code, remaining: times };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async waitForMessages(count: number, timeoutMs = 10_000): Promise<ParsedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} messages, received ${this.messages.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }
}
