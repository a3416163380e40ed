import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { writeFileAtomic } from '../files.ts';
import { MailDeliveryError, type Mailer, type OutgoingMail } from './mailer.ts';

/**
 * The embedded default when no `SMTP_URL` is set: each message becomes an `.eml` file in
 * `DATA_DIR/outbox/`, ready to open in any mail client or to forward by hand.
 */
export class OutboxMailer implements Mailer {
  private readonly transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  readonly description: string;

  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.description = `.eml files in ${dir}`;
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      const info = await this.transport.sendMail(mail);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const name = `${stamp}-${crypto.randomBytes(4).toString('hex')}.eml`;
      writeFileAtomic(path.join(this.dir, name), info.message as Buffer, 0o600);
    } catch (error) {
      throw new MailDeliveryError(`could not write to the outbox: ${(error as Error).message}`, false);
    }
  }

  async check(): Promise<void> {
    await fs.promises.access(this.dir, fs.constants.W_OK);
  }

  async close(): Promise<void> {}
}
