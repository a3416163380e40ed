import fs from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { type AppConfig, buildApp, type Deps } from './app.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { FileKeyStore } from './keys/key-store.ts';
import type { Mailer } from './mail/mailer.ts';
import { OutboxMailer } from './mail/outbox-mailer.ts';
import { SmtpMailer } from './mail/smtp-mailer.ts';
import { WebhookNotifier } from './notify/webhook-notifier.ts';
import { type ResolvedSecret, resolveSecret } from './secrets.ts';
import { type OpenDatabase, openDatabase } from './store/open-database.ts';
import { SqlStore } from './store/sql-store.ts';
import { EmbeddedTracker } from './tracker/embedded-tracker.ts';
import { GitlabTracker } from './tracker/gitlab-tracker.ts';
import type { Tracker } from './tracker/tracker.ts';

const SHUTDOWN_GRACE_MS = 30_000;

export class StartupError extends Error {}

export interface ServiceOptions {
  /** The one clock of the whole service; the system clock unless a test pins one. */
  clock?: Clock;
}

/** The real dependencies chosen from config, with what `startService` prints about them. */
export interface ServiceDeps {
  /** The config with its secrets resolved (from the environment or generated into DATA_DIR). */
  config: AppConfig;
  deps: Deps;
  database: OpenDatabase;
  appSecret: ResolvedSecret;
  lookupToken: ResolvedSecret;
  /** Where problems of helpers that run beside the app (the WAL checkpointer) are logged. */
  attachLog(log: FastifyBaseLogger): void;
  /** Closes the mailer and the store (after the app has closed). */
  close(): Promise<void>;
}

/**
 * The production wiring, in one place: DATA_DIR, secrets, database, signing keys, mailer, tracker
 * and notifier, each the real adapter that config names. `mintdesk serve` and the integration
 * tests both start the service through this (tests point SMTP_URL at a loopback receiver and pin
 * the clock).
 */
export async function createDeps(config: Config, options: ServiceOptions = {}): Promise<ServiceDeps> {
  const clock = options.clock ?? systemClock;
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const appSecret = resolveSecret('APP_SECRET', config.appSecret, config.dataDir, 'app-secret');
  const lookupToken = resolveSecret('LOOKUP_TOKEN', config.lookupToken, config.dataDir, 'lookup-token');
  // Until the app's logger exists (a few milliseconds), helper problems go to stderr.
  let log: Pick<FastifyBaseLogger, 'warn' | 'info'> | undefined;
  let database: OpenDatabase;
  try {
    database = await openDatabase(config.databaseUrl, config.dataDir, {
      checkpoints: {
        onProblem: (problem) => {
          const fields = { err: problem.error, consecutive: problem.consecutive };
          if (log) log.warn(fields, problem.message);
          else process.stderr.write(`${problem.message}: ${problem.error}\n`);
        },
        onRecovered: (failures) => log?.info({ failures }, 'WAL checkpoints succeed again'),
      },
    });
  } catch (error) {
    throw new StartupError(`The database could not be opened: ${(error as Error).message}`);
  }
  const store = new SqlStore(database);
  try {
    const keys = await FileKeyStore.open(config.dataDir);
    const mailer: Mailer = config.smtpUrl
      ? new SmtpMailer(config.smtpUrl)
      : new OutboxMailer(path.join(config.dataDir, 'outbox'));
    const tracker: Tracker = config.gitlab
      ? new GitlabTracker(config.gitlab, clock)
      : new EmbeddedTracker(database.db, clock, config.publicUrl);
    const notifier = config.notifyWebhookUrl ? new WebhookNotifier(config.notifyWebhookUrl) : undefined;
    return {
      config: { ...config, appSecret: appSecret.value, lookupToken: lookupToken.value },
      deps: { store, mailer, tracker, notifier, keys, clock },
      database,
      appSecret,
      lookupToken,
      attachLog: (logger) => {
        log = logger;
      },
      close: async () => {
        await mailer.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export interface RunningService {
  app: FastifyInstance;
  url: string;
  /** What the app was built with (tests read the store through it). */
  deps: Deps;
  config: AppConfig;
  close(): Promise<void>;
}

/** Real dependencies from config, the app, listening; prints where things are. */
export async function startService(
  config: Config,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  options: ServiceOptions = {},
): Promise<RunningService> {
  const wired = await createDeps(config, options);
  const { deps, database, appSecret, lookupToken } = wired;
  let app: FastifyInstance;
  try {
    app = await buildApp(wired.config, deps);
  } catch (error) {
    await wired.close();
    throw error;
  }
  wired.attachLog(app.log);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await wired.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = config.port === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;

  out('');
  out(`Mintdesk is running on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`);
  out(`  Lookup page:     ${base}/lookup`);
  if (config.preview) out(`  Sidebar preview: ${base}/preview`);
  out(`  JWKS:            ${base}/.well-known/jwks.json`);
  out(`  Health:          ${base}/healthz  ${base}/readyz  ${base}/metrics`);
  out(`  Database:        ${database.location}`);
  out(`  Signing keys:    ${FileKeyStore.keyFileIn(config.dataDir)}`);
  out(`  Mail:            ${deps.mailer.description}`);
  out(`  Tracker:         ${deps.tracker.description}`);
  out(`  App secret:      ${describeSecret(appSecret)}  (the sidebar app's secure setting appSecret)`);
  out(`  Lookup token:    ${describeSecret(lookupToken)}  (sign in to the lookup page with it)`);
  for (const [name, secret] of [
    ['APP_SECRET', appSecret],
    ['LOOKUP_TOKEN', lookupToken],
  ] as const) {
    if (secret.value.length < 16) out(`  Warning: ${name} is shorter than 16 characters; use a long random value.`);
  }
  out('');

  let closing: Promise<void> | undefined;
  return {
    app,
    url: base,
    deps,
    config: wired.config,
    close: () => {
      closing ??= app.close().then(wired.close);
      return closing;
    },
  };
}

function describeSecret(secret: { source: string; generated: boolean }): string {
  return secret.generated ? `generated into ${secret.source}` : `from ${secret.source}`;
}

/** Closes gracefully on SIGTERM/SIGINT: stops accepting, finishes requests and in-flight jobs. */
export function closeOnSignals(service: RunningService): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    service.app.log.info({ signal }, 'shutting down: finishing in-flight work');
    const force = setTimeout(() => {
      service.app.log.error('in-flight work did not finish in time; exiting (unfinished jobs resume at next start)');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        service.app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
