import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig, type RetryPolicy } from '@mintdesk/server/config.ts';
import { type RunningService, startService } from '@mintdesk/server/main.ts';
import type { SqlStore } from '@mintdesk/server/store/sql-store.ts';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from './clock.ts';
import { signAppToken } from './tokens.ts';

export const APP_SECRET = 'test-app-secret-0123456789abcdef';
export const LOOKUP_TOKEN = 'test-lookup-token-0123456789abcdef';

export interface TestServiceOptions {
  /** The loopback SMTP receiver; without one the service writes `.eml` files to DATA_DIR/outbox as `npm start` does. */
  smtpUrl?: string;
  dataDir?: string;
  clock?: ManualClock;
  mintWaitMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Environment as the service would read it (TRACKER, GITLAB_*, NOTIFY_WEBHOOK_URL, DATABASE_URL…). */
  env?: Record<string, string>;
  /** How long the GitLab tracker reuses an issue's state; 0 in tests unless one is about the cache. */
  trackerCacheMs?: number;
  /** Settings no environment variable reaches (e.g. how often scheduled work is checked). */
  config?: Partial<Config>;
}

export interface TestService {
  app: FastifyInstance;
  url: string;
  dataDir: string;
  clock: ManualClock;
  store: SqlStore;
  /** What `startService` printed, as an operator would see it. */
  output: string[];
  running: RunningService;
  appToken(lifetimeS?: number): Promise<string>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'mintdesk-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * The production service (`startService`, the same wiring `mintdesk serve` uses) over a real
 * SQLite file, real SMTP and real HTTP on loopback, with a manual clock. Only what an operator
 * could not set is shortened: the job poll interval and the retry spacing.
 */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const dataDir = options.dataDir ?? tempDir();
  const clock = options.clock ?? new ManualClock();
  const base = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    APP_SECRET,
    LOOKUP_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(options.smtpUrl ? { SMTP_URL: options.smtpUrl } : {}),
    ...(options.mintWaitMs !== undefined ? { MINT_WAIT_MS: String(options.mintWaitMs) } : { MINT_WAIT_MS: '3000' }),
    ...options.env,
  });
  const config = {
    ...base,
    pollIntervalMs: 20,
    retry: { ...base.retry, ...options.retry },
    gitlab: base.gitlab && { ...base.gitlab, cacheMs: options.trackerCacheMs ?? 0 },
    ...options.config,
  };
  const output: string[] = [];
  const running = await startService(config, (line) => output.push(line), { clock });
  const address = running.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app: running.app,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    clock,
    store: running.deps.store,
    output,
    running,
    appToken: (lifetimeS) => signAppToken(APP_SECRET, { now: clock.now(), lifetimeS }),
    close: () => running.close(),
  };
}
