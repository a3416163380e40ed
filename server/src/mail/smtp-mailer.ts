import net from 'node:net';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import shared from 'nodemailer/lib/shared/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { MailDeliveryError, type Mailer, type OutgoingMail } from './mailer.ts';

/**
 * Pool settings unless `SMTP_URL` names its own (e.g. `?maxConnections=2` for a strict relay).
 * Measured on loopback: with nodemailer's defaults (5 connections, a new one every 100 messages)
 * and Nagle's algorithm on, each message waited ~40 ms for a delayed ACK and a burst drained at
 * ~70 msg/s; see `noDelaySocket`.
 */
const POOL_DEFAULTS = {
  pool: true,
  maxConnections: 8,
  maxMessages: 1000,
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
} as const;

/** Extra connections for urgent mail (see `SmtpMailer`) when SMTP_URL sets no limit of its own. */
const URGENT_CONNECTIONS = 4;

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/**
 * Opens the pool's TCP connections with Nagle's algorithm off. nodemailer writes a message as a
 * stream of chunks and the final `.` line separately; with Nagle on, that last small segment
 * waits for the server's (delayed, ~40 ms) ACK of the previous one: a stall per message.
 * TLS (`smtps://`) is layered on this socket by nodemailer itself.
 */
function noDelaySocket(
  options: { host?: string; port?: number; secure?: boolean; connectionTimeout?: number; localAddress?: string },
  callback: (error: Error | null, socketOptions?: { connection: net.Socket } | false) => void,
): void {
  const socket = net.connect({
    host: options.host ?? 'localhost',
    // nodemailer's own defaults when the URL names no port.
    port: options.port ?? (options.secure ? 465 : 587),
    noDelay: true,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  // When this connection fails, nodemailer is left to connect itself (`false`): its own attempt
  // then fails the way its pool expects. Handing it our error instead would leave a dead resource
  // counted in the pool for ever, and after a few failures (a mail server outage) no mail would go
  // out again.
  const fail = () => {
    clearTimeout(timer);
    socket.destroy();
    callback(null, false);
  };
  const timer = setTimeout(fail, options.connectionTimeout ?? POOL_DEFAULTS.connectionTimeout);
  socket.once('error', fail);
  socket.once('connect', () => {
    clearTimeout(timer);
    socket.removeListener('error', fail);
    socket.setKeepAlive(true);
    callback(null, { connection: socket });
  });
}

/** Mail over SMTP (`SMTP_URL`), through a pool of reused connections. */
export class SmtpMailer implements Mailer {
  private readonly transport: nodemailer.Transporter;
  /** Connections of their own for first attempts someone waits for; the backlog queues elsewhere. */
  private readonly urgentTransport: nodemailer.Transporter;
  readonly description: string;

  constructor(smtpUrl: string) {
    const url = new URL(smtpUrl);
    const fromUrl = shared.parseConnectionUrl(smtpUrl) as SMTPPool.Options;
    const options: SMTPPool.Options = { ...POOL_DEFAULTS, ...fromUrl, pool: true };
    // Only where nodemailer would open a plain TCP connection itself (no proxy, no given socket).
    if (!(options as { proxy?: string }).proxy)
      options.getSocket = noDelaySocket as NonNullable<SMTPPool.Options['getSocket']>;
    // nodemailer's pool is one FIFO queue: a first attempt would wait behind every queued retry.
    // A connection limit named in SMTP_URL is shared out, never exceeded.
    const total = options.maxConnections ?? POOL_DEFAULTS.maxConnections;
    const urgent = fromUrl.maxConnections === undefined ? URGENT_CONNECTIONS : Math.floor(total / 4);
    this.transport = nodemailer.createTransport({ ...options, maxConnections: Math.max(1, total - urgent) });
    this.urgentTransport =
      urgent > 0 ? nodemailer.createTransport({ ...options, maxConnections: urgent }) : this.transport;
    this.description = `SMTP ${url.protocol}//${url.host}`;
  }

  async send(mail: OutgoingMail, options: { urgent?: boolean } = {}): Promise<void> {
    try {
      // Built into one buffer first: the socket then gets the message in one write, not hundreds
      // of small ones (each its own segment with Nagle off).
      const node = new MailComposer(mail).compile();
      const raw = await node.build();
      const transport = options.urgent ? this.urgentTransport : this.transport;
      await transport.sendMail({ envelope: node.getEnvelope(), raw });
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
    if (this.urgentTransport !== this.transport) this.urgentTransport.close();
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
