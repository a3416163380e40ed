import nodemailer from 'nodemailer';
import { MailDeliveryError, type Mailer, type OutgoingMail } from './mailer.ts';

const POOL_DEFAULTS: Record<string, string> = {
  pool: 'true',
  maxConnections: '5',
  connectionTimeout: '10000',
  greetingTimeout: '10000',
  socketTimeout: '30000',
};

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** Mail over SMTP (`SMTP_URL`), through a pool of reused connections. */
export class SmtpMailer implements Mailer {
  private readonly transport: nodemailer.Transporter;
  readonly description: string;

  constructor(smtpUrl: string) {
    const url = new URL(smtpUrl);
    for (const [name, value] of Object.entries(POOL_DEFAULTS)) {
      if (!url.searchParams.has(name)) url.searchParams.set(name, value);
    }
    this.transport = nodemailer.createTransport(url.toString());
    this.description = `SMTP ${url.protocol}//${url.host}`;
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transport.sendMail(mail);
    } catch (error) {
      throw toDeliveryError(error as SmtpFailure);
    }
  }

  async check(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (error) {
      throw toDeliveryError(error as SmtpFailure);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** 5xx replies are permanent; 4xx replies and anything without a reply (network) are temporary. */
export function toDeliveryError(failure: SmtpFailure): MailDeliveryError {
  const code = failure.responseCode;
  const permanent = code !== undefined && code >= 500 && code < 600;
  const detail = failure.response ?? failure.message ?? 'unknown error';
  const prefix = code === undefined ? `${failure.code ?? 'ERROR'}: ` : '';
  return new MailDeliveryError(`${prefix}${detail}`.slice(0, 1000), permanent);
}
