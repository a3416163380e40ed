import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AppConfig, buildApp } from '@mintdesk/server/app.ts';
import { loadConfig, type RetryPolicy } from '@mintdesk/server/config.ts';
import { FileKeyStore } from '@mintdesk/server/keys/key-store.ts';
import type { Mailer } from '@mintdesk/server/mail/mailer.ts';
import { SmtpMailer } from '@mintdesk/server/mail/smtp-mailer.ts';
import { WebhookNotifier } from '@mintdesk/server/notify/webhook-notifier.ts';
import { openDatabase } from '@mintdesk/server/store/open-database.ts';
import { SqlStore } from '@mintdesk/server/store/sql-store.ts';
import { EmbeddedTracker } from '@mintdesk/server/tracker/embedded-tracker.ts';
import { GitlabTracker } from '@mintdesk/server/tracker/gitlab-tracker.ts';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { ManualClock } from './clock.ts';
import { signAppToken } from './tokens.ts';

export const APP_SECRET = 'test-app-secret-0123456789abcdef';
export const LOOKUP_TOKEN = 'test-lookup-token-0123456789abcdef';

export interface TestServiceOptions {
  smtpUrl: string;
  dataDir?: string;
  clock?: ManualClock;
  mintWaitMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Environment as the service would read it (TRACKER, GITLAB_*, NOTIFY_WEBHOOK_URL, DATABASE_URL…). */
  env?: Record<string, string>;
  /** How long the GitLab tracker reuses an issue's state; 0 in tests unless one is about the cache. */
  trackerCacheMs?: number;
  /** Settings no environment variable reaches (e.g. how often scheduled work is checked). */
  config?: Partial<AppConfig>;
}

export interface TestService {
  app: FastifyInstance;
  url: string;
  dataDir: string;
  clock: ManualClock;
  store: SqlStore;
  appToken(lifetimeS?: number): Promise<string>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'mintdesk-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The real app over a real SQLite file, real SMTP and real HTTP on loopback, with a manual clock. */
export async function startTestService(options: TestServiceOptions): Promise<TestService> {
  const dataDir = options.dataDir ?? tempDir();
  const clock = options.clock ?? new ManualClock();
  const base = loadConfig({ DATA_DIR: dataDir, PORT: '0', SMTP_URL: options.smtpUrl, ...options.env });
  const config: AppConfig = {
    ...base,
    appSecret: APP_SECRET,
    lookupToken: LOOKUP_TOKEN,
    mintWaitMs: options.mintWaitMs ?? 3000,
    pollIntervalMs: 20,
    retry: { ...base.retry, ...options.retry },
    ...options.config,
  };
  const database = await openDatabase(config.databaseUrl, dataDir);
  const store = new SqlStore(database);
  const mailer: Mailer = new SmtpMailer(options.smtpUrl);
  const app = await buildApp(config, {
    store,
    mailer,
    tracker: config.gitlab
      ? new GitlabTracker({ ...config.gitlab, cacheMs: options.trackerCacheMs ?? 0 }, clock)
      : new EmbeddedTracker(database.db, clock, config.publicUrl),
    notifier: config.notifyWebhookUrl ? new WebhookNotifier(config.notifyWebhookUrl) : undefined,
    keys: await FileKeyStore.open(dataDir),
    clock,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    clock,
    store,
    appToken: (lifetimeS) => signAppToken(APP_SECRET, { now: clock.now(), lifetimeS }),
    async close() {
      await app.close();
      await mailer.close();
      await store.close();
    },
  };
}
