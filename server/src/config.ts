import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_USER_COUNT, LICENSE_KINDS, LicenseKind } from '@mintdesk/shared';
import { z } from 'zod';
import type { RateLimits } from './abuse/rate-limits.ts';

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** A comma list of kinds; unset means `fallback`, an empty string none (or `fallback` when `emptyIsUnset`). */
function kindList(fallback: readonly LicenseKind[], emptyIsUnset = false) {
  return z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined || (emptyIsUnset && value.trim() === '')) return [...fallback];
      const names = value
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
      const kinds: LicenseKind[] = [];
      for (const name of names) {
        const kind = LicenseKind.safeParse(name);
        if (!kind.success) {
          context.addIssue({
            code: 'custom',
            message: `names an unknown kind "${name}" (known: ${LICENSE_KINDS.join(', ')})`,
          });
          return z.NEVER;
        }
        if (!kinds.includes(kind.data)) kinds.push(kind.data);
      }
      return kinds;
    });
}

const flag = z.enum(['0', '1', 'true', 'false']).transform((value) => value === '1' || value === 'true');

const EnvSchema = z.object({
  HOST: optionalString.default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  DATA_DIR: optionalString.default('./data'),
  DATABASE_URL: optionalString,
  SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/ }).optional()),
  MAIL_FROM: optionalString.default('Licensing <licensing@localhost>'),
  APP_SECRET: optionalString,
  LOOKUP_TOKEN: optionalString,
  TRACKER: z.enum(['embedded', 'gitlab']).default('embedded'),
  GITLAB_URL: optionalString.pipe(z.url().optional()),
  GITLAB_TOKEN: optionalString,
  GITLAB_PROJECT_ID: optionalString,
  LICENSE_DAYS: z.coerce.number().int().min(1).max(30).default(10),
  TRANSITION_DAYS: z.coerce.number().int().min(1).max(90).default(30),
  // A service that mints nothing makes no sense: empty LICENSE_KINDS is the default, all of them.
  LICENSE_KINDS: kindList(LICENSE_KINDS, true),
  APPROVAL_KINDS: kindList(['addon', 'order']),
  MAX_USER_COUNT: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(DEFAULT_MAX_USER_COUNT),
  LICENSEE_NAME: optionalString.default('Emergency License'),
  LICENSEE_COMPANY: optionalString.default('Temporary License'),
  LICENSE_PLAN: optionalString.default('ultimate'),
  NOTIFY_WEBHOOK_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  PREVIEW: flag.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MINT_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(4000),
  MAX_LICENSES_PER_EMAIL_PER_DAY: optionalString.pipe(
    z.coerce.number<string | undefined>().int().min(1).max(1_000_000).optional(),
  ),
  RATE_LIMIT_APP_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  RATE_LIMIT_LOOKUP_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(120),
  RATE_LIMIT_LOOKUP_API_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(0),
  INSTANCE_ID: optionalString.pipe(z.string().max(200).optional()),
  RATE_LIMIT_APP_READS_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(1800),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(20),
  TRUST_PROXY: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9A-Za-z.:/, ]{1,1000}$/, {
        message: 'must be the reverse proxy addresses (e.g. 127.0.0.1 or loopback), comma separated',
      })
      .optional(),
  ),
  MAX_RESENDS_PER_LICENSE_PER_DAY: z.coerce.number().int().min(1).max(1000).default(5),
  RATE_LIMIT_USAGE_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(60),
  REPORT_EMAIL_TO: optionalString.pipe(
    z
      .string()
      .transform((list) =>
        list
          .split(',')
          .map((address) => address.trim())
          .filter((address) => address !== ''),
      )
      .pipe(z.array(z.email('must be a comma-separated list of email addresses')).max(50))
      .optional(),
  ),
  REPORT_EVERY_DAYS: z.coerce.number().int().min(1).max(366).default(14),
});

/** How delivery retries are spaced; the contract fixes the bounds, tests shrink them. */
export interface RetryPolicy {
  /** Base delay before the first retry; each later retry doubles it (before jitter). */
  firstDelayMs: number;
  /** No two attempts are further apart than this. */
  maxDelayMs: number;
  /** A job still failing this long after it was created is given up. */
  maxAgeMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  firstDelayMs: 4_000,
  maxDelayMs: 15 * 60_000,
  maxAgeMs: 24 * 60 * 60_000,
};

export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  tracker: 'embedded' | 'gitlab';
  /** `cacheMs`: how long an issue's state read from GitLab is reused (default 5 s; tests use 0). */
  gitlab: { url: string; token: string; projectId: string; cacheMs?: number } | undefined;
  licenseDays: number;
  /** Length of a transition trial (TRANSITION_DAYS). */
  transitionDays: number;
  /** Kinds a mint may ask for (LICENSE_KINDS), in the order given. */
  enabledKinds: LicenseKind[];
  /** Kinds whose mints wait for an approver (APPROVAL_KINDS). */
  approvalKinds: LicenseKind[];
  maxUserCount: number;
  licensee: { name: string; company: string };
  plan: string;
  notifyWebhookUrl: string | undefined;
  preview: boolean;
  logLevel: string;
  /** Ceiling on licenses per requester email in a rolling day (resends count too); undefined: none. */
  maxLicensesPerEmailPerDay: number | undefined;
  /** At most this many resends of one license in any 24 hours. */
  maxResendsPerLicensePerDay: number;
  /** Requests per minute; 0: no limit. */
  rateLimits: RateLimits & { authFailuresPerMinute: number };
  /**
   * Addresses of the reverse proxy whose `X-Forwarded-For` names the real client (Fastify's
   * `trustProxy`); unset: the connection's address is the client's.
   */
  trustProxy: string | undefined;
  /** How long the mint answer waits for the first delivery attempt before saying `queued`. */
  mintWaitMs: number;
  retry: RetryPolicy;
  /** How often the job runner looks for due work when nothing woke it. */
  pollIntervalMs: number;
  /** How long a claimed job stays this instance's without a renewal (renewed every third of it). */
  leaseMs: number;
  /**
   * This instance's stable identity (INSTANCE_ID; default `hostname:HOST:PORT`), so that after a
   * crash it takes back the jobs it held at once. Not a file in DATA_DIR: instances may share it.
   */
  instanceId: string;
  /** Check-ins per license per minute (RATE_LIMIT_USAGE_PER_MINUTE); 0: no limit. */
  usagePerLicensePerMinute: number;
  /** The emailed usage report; undefined when REPORT_EMAIL_TO is unset. */
  usageReportEmail: { to: string[]; everyDays: number } | undefined;
  /** How often each instance looks whether a scheduled report is due. */
  reportCheckMs: number;
  /** The built sidebar app that `/preview` frames. */
  appDistDir: string;
  /** Secrets as given in the environment; generated into `dataDir` by `main` when absent. */
  appSecret: string | undefined;
  lookupToken: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: Record<string, string>) {
    super(
      `Invalid configuration: ${Object.entries(problems)
        .map(([name, why]) => `${name} ${why}`)
        .join('; ')}`,
    );
  }
}

/** Reads the contract's environment variables into a `Config`; the one place `process.env` is read. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems: Record<string, string> = {};
    for (const issue of parsed.error.issues) problems[issue.path.join('.')] = issue.message;
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const gitlab = e.TRACKER === 'gitlab' ? requireGitlab(e.GITLAB_URL, e.GITLAB_TOKEN, e.GITLAB_PROJECT_ID) : undefined;
  const urlHost = e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST;
  const publicUrl = (e.PUBLIC_URL ?? `http://${urlHost}:${e.PORT}`).replace(/\/+$/, '');
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    tracker: e.TRACKER,
    gitlab,
    licenseDays: e.LICENSE_DAYS,
    transitionDays: e.TRANSITION_DAYS,
    enabledKinds: e.LICENSE_KINDS,
    approvalKinds: e.APPROVAL_KINDS,
    maxUserCount: e.MAX_USER_COUNT,
    licensee: { name: e.LICENSEE_NAME, company: e.LICENSEE_COMPANY },
    plan: e.LICENSE_PLAN,
    notifyWebhookUrl: e.NOTIFY_WEBHOOK_URL,
    preview: e.PREVIEW ?? isLoopbackUrl(publicUrl),
    logLevel: e.LOG_LEVEL,
    mintWaitMs: e.MINT_WAIT_MS,
    maxLicensesPerEmailPerDay: e.MAX_LICENSES_PER_EMAIL_PER_DAY,
    maxResendsPerLicensePerDay: e.MAX_RESENDS_PER_LICENSE_PER_DAY,
    rateLimits: {
      appPerMinute: e.RATE_LIMIT_APP_PER_MINUTE,
      lookupSessionPerMinute: e.RATE_LIMIT_LOOKUP_PER_MINUTE,
      lookupApiPerMinute: e.RATE_LIMIT_LOOKUP_API_PER_MINUTE,
      appReadsPerMinute: e.RATE_LIMIT_APP_READS_PER_MINUTE,
      authFailuresPerMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
    },
    trustProxy: e.TRUST_PROXY,
    retry: DEFAULT_RETRY_POLICY,
    pollIntervalMs: 1000,
    leaseMs: 30_000,
    instanceId: e.INSTANCE_ID ?? defaultInstanceId(e.HOST, e.PORT),
    usagePerLicensePerMinute: e.RATE_LIMIT_USAGE_PER_MINUTE,
    usageReportEmail:
      e.REPORT_EMAIL_TO && e.REPORT_EMAIL_TO.length > 0
        ? { to: e.REPORT_EMAIL_TO, everyDays: e.REPORT_EVERY_DAYS }
        : undefined,
    reportCheckMs: 15_000,
    appDistDir: fileURLToPath(new URL('../../zendesk-app/dist', import.meta.url)),
    appSecret: e.APP_SECRET,
    lookupToken: e.LOOKUP_TOKEN,
  };
}

function requireGitlab(url?: string, token?: string, projectId?: string) {
  const problems: Record<string, string> = {};
  if (!url) problems.GITLAB_URL = 'is required when TRACKER=gitlab';
  if (!token) problems.GITLAB_TOKEN = 'is required when TRACKER=gitlab';
  if (!projectId) problems.GITLAB_PROJECT_ID = 'is required when TRACKER=gitlab';
  if (!url || !token || !projectId) throw new ConfigError(problems);
  return { url: url.replace(/\/+$/, ''), token, projectId };
}

/** hostname:HOST:PORT; with PORT=0 (a port the system picks) one that no restart will reuse. */
function defaultInstanceId(host: string, port: number): string {
  const where = `${os.hostname()}:${host}`;
  return port === 0 ? `${where}:0:${process.pid}-${Math.random().toString(36).slice(2, 10)}` : `${where}:${port}`;
}

export function isLoopback(host: string): boolean {
  const name = host.toLowerCase();
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1' || name === '[::1]';
}

/**
 * Whether a URL points at this machine only (`http://127.0.0.1…`, `http://localhost…`,
 * `http://[::1]…`): the sidebar preview is on by default only then.
 */
export function isLoopbackUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && isLoopback(parsed.hostname);
  } catch {
    return false;
  }
}

/**
 * Whether a `Host` header names a loopback address, with any port: `localhost:3000`,
 * `127.0.0.1`, `[::1]:3000`. Anything else (a public name a proxy passed on, a rebound DNS
 * name) is not.
 */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (typeof host !== 'string' || host === '') return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::[0-9]{1,5})?$/.exec(host);
  return match !== null && isLoopback(match[1] as string);
}
