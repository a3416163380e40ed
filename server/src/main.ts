import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AppConfig, buildApp } from './app.ts';
import { systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { FileKeyStore } from './keys/key-store.ts';
import type { Mailer } from './mail/mailer.ts';
import { OutboxMailer } from './mail/outbox-mailer.ts';
import { SmtpMailer } from './mail/smtp-mailer.ts';
import { resolveSecret } from './secrets.ts';
import { WebhookNotifier } from './notify/webhook-notifier.ts';
import { type OpenDatabase, openDatabase } from './store/open-database.ts';
import { SqlStore } from './store/sql-store.ts';
import { EmbeddedTracker } from './tracker/embedded-tracker.ts';
import { GitlabTracker } from './tracker/gitlab-tracker.ts';
import type { Tracker } from './tracker/tracker.ts';

const SHUTDOWN_GRACE_MS = 30_000;

export class StartupError extends Error {}

export interface RunningService {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** Real dependencies from config, the app, listening; prints where things are. */
export async function startService(
  config: Config,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<RunningService> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const appSecret = resolveSecret('APP_SECRET', config.appSecret, config.dataDir, 'app-secret');
  const lookupToken = resolveSecret('LOOKUP_TOKEN', config.lookupToken, config.dataDir, 'lookup-token');
  let database: OpenDatabase;
  try {
    database = await openDatabase(config.databaseUrl, config.dataDir);
  } catch (error) {
    throw new StartupError(`The database could not be opened: ${(error as Error).message}`);
  }
  const store = new SqlStore(database);
  const keys = await FileKeyStore.open(config.dataDir);
  const mailer: Mailer = config.smtpUrl
    ? new SmtpMailer(config.smtpUrl)
    : new OutboxMailer(path.join(config.dataDir, 'outbox'));
  const tracker: Tracker = config.gitlab
    ? new GitlabTracker(config.gitlab, systemClock)
    : new EmbeddedTracker(database.db, systemClock, config.publicUrl);
  const notifier = config.notifyWebhookUrl ? new WebhookNotifier(config.notifyWebhookUrl) : undefined;
  const appConfig: AppConfig = { ...config, appSecret: appSecret.value, lookupToken: lookupToken.value };

  const app = await buildApp(appConfig, { store, mailer, tracker, notifier, keys, clock: systemClock });
  const closeDeps = async () => {
    await mailer.close();
    await store.close();
  };
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await closeDeps();
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
  out(`  Mail:            ${mailer.description}`);
  out(`  Tracker:         ${tracker.description}`);
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
    close: () => {
      closing ??= app.close().then(closeDeps);
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
