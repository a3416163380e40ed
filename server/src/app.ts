import crypto from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { apiRateLimit } from './abuse/rate-limits.ts';
import { createAuthenticator } from './auth/authenticate.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { deliverLicense, recordIssue } from './delivery/deliver-license.ts';
import { AppError, type ErrorCode } from './errors.ts';
import type { KeyStore } from './keys/key-store.ts';
import { LicenseService } from './licenses/license-service.ts';
import type { Mailer } from './mail/mailer.ts';
import { notifyLicense } from './notify/notify-license.ts';
import type { Notifier } from './notify/webhook-notifier.ts';
import { Metrics } from './ops/metrics.ts';
import { JobRunner } from './queue/job-runner.ts';
import { healthRoutes } from './routes/health.ts';
import { licenseRoutes } from './routes/licenses.ts';
import { lookupRoutes } from './lookup/lookup-routes.ts';
import { previewRoutes } from './preview/preview-routes.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { sharedAssetRoutes } from './routes/shared-assets.ts';
import { wellKnownRoutes } from './routes/well-known.ts';
import type { SqlStore } from './store/sql-store.ts';
import type { Tracker } from './tracker/tracker.ts';

/** Every side effect the service has, each behind a small interface with a real adapter. */
export interface Deps {
  store: SqlStore;
  mailer: Mailer;
  tracker: Tracker;
  /** The team channel (NOTIFY_WEBHOOK_URL); absent when none is configured. */
  notifier?: Notifier | undefined;
  keys: KeyStore;
  clock: Clock;
  /** A pino logger; when absent the app makes one at `config.logLevel`. */
  logger?: FastifyBaseLogger;
}

/** Config whose secrets have been resolved (from the environment or `DATA_DIR`). */
export type AppConfig = Config & { appSecret: string; lookupToken: string };

export const BODY_LIMIT_BYTES = 64 * 1024;

/** Backlog jobs run at once; first attempts of fresh work have slots of their own. */
const JOB_CONCURRENCY = 64;
const FRESH_JOB_CONCURRENCY = 16;

/**
 * The one composition root: wires config and dependencies into a Fastify app. Never listens and
 * never reads the environment. The delivery worker starts when the app is ready and stops (after
 * finishing its in-flight jobs) when it closes.
 */
export async function buildApp(config: AppConfig, deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger
      ? { loggerInstance: deps.logger }
      : {
          logger: {
            level: config.logLevel,
            redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
          },
        }),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => crypto.randomUUID(),
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  });
  const log = app.log;

  const metrics = new Metrics(() => deps.store.queueDepth());
  const syncDeps = { store: deps.store, tracker: deps.tracker, clock: deps.clock, log };
  const runner = new JobRunner(
    deps.store,
    deps.clock,
    {
      deliver: (attempt) =>
        deliverLicense(
          {
            ...syncDeps,
            mailer: deps.mailer,
            metrics,
            mailFrom: config.mailFrom,
            licenseDays: config.licenseDays,
            plan: config.plan,
            notify: deps.notifier !== undefined,
          },
          attempt,
        ),
      sync_issue: (attempt) => recordIssue(syncDeps, attempt),
      notify: async (attempt) => {
        const notifier = deps.notifier;
        return notifier ? notifyLicense({ ...syncDeps, notifier }, attempt) : { outcome: 'done' };
      },
    },
    {
      concurrency: JOB_CONCURRENCY,
      freshConcurrency: FRESH_JOB_CONCURRENCY,
      pollIntervalMs: config.pollIntervalMs,
      leaseMs: config.leaseMs,
      retry: config.retry,
      instanceId: config.instanceId,
    },
    log,
  );
  const licenses = new LicenseService(
    {
      store: deps.store,
      tracker: deps.tracker,
      notifier: deps.notifier,
      keys: deps.keys,
      clock: deps.clock,
      runner,
      metrics,
      log,
    },
    {
      issuer: config.publicUrl,
      days: config.licenseDays,
      plan: config.plan,
      licensee: config.licensee,
      mintWaitMs: config.mintWaitMs,
      maxPerEmailPerDay: config.maxLicensesPerEmailPerDay,
    },
  );
  const requireCaller = createAuthenticator({
    appSecret: config.appSecret,
    lookupToken: config.lookupToken,
    clock: deps.clock,
  });

  // Security headers on every answer; pages that need a looser or stricter policy set their own.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: config.publicUrl.startsWith('https:') ? { maxAge: 31_536_000 } : false,
  });
  await app.register(rateLimit, { global: false });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.retryAfterS !== undefined) reply.header('retry-after', String(error.retryAfterS));
      return reply.code(error.status).send(error.toBody());
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(new AppError('internal_error').toBody());
    }
    const known = new AppError(codeForClientError(error, status));
    return reply.code(status).send({ error: { code: known.code, message: known.message } });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(new AppError('not_found').toBody()));

  await app.register(licenseRoutes, {
    licenses,
    maxUserCount: config.maxUserCount,
    requireCaller,
    rateLimit: apiRateLimit(config.rateLimits),
  });
  await app.register(wellKnownRoutes, { keys: deps.keys });
  await app.register(metricsRoutes, { metrics });
  await app.register(sharedAssetRoutes);
  await app.register(lookupRoutes, {
    lookupToken: config.lookupToken,
    licenses,
    store: deps.store,
    clock: deps.clock,
    secureCookie: config.publicUrl.startsWith('https:'),
    perSessionPerMinute: config.rateLimits.lookupSessionPerMinute,
  });
  if (config.preview) {
    await app.register(previewRoutes, {
      appSecret: config.appSecret,
      clock: deps.clock,
      appDistDir: config.appDistDir,
    });
  }
  await app.register(healthRoutes, {
    checks: {
      database: () => deps.store.ping(),
      signingKey: async () => {
        deps.keys.current();
      },
      mail: cached(() => deps.mailer.check(), 10_000),
    },
  });

  // Keep-alive sockets would hold a graceful close open for their whole idle timeout: answers sent
  // while closing end their connection.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.addHook('onReady', async () => {
    const released = await deps.store.releaseAbandonedJobs();
    if (released > 0) log.info({ released }, 'resuming jobs left unfinished by the previous run');
    runner.start();
  });
  // Once this instance holds its address (so no other live instance can share its identity): the
  // jobs an earlier run of it held when it died are taken back now, not when their leases run out.
  app.addHook('onListen', async () => {
    const reclaimed = await deps.store.reclaimOwnLeases(runner.instanceId, runner.owner);
    if (reclaimed > 0) log.info({ reclaimed }, 'took back the jobs this instance held before it stopped');
    runner.wake();
  });
  app.addHook('onClose', async () => {
    await runner.stop();
  });
  return app;
}

function codeForClientError(error: FastifyError, status: number): ErrorCode {
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 429) return 'rate_limited';
  if (status === 401) return 'unauthorized';
  if (
    error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    error instanceof SyntaxError
  ) {
    return 'invalid_json';
  }
  return 'bad_request';
}

/** Remembers a check's outcome for a while, so probes do not open an SMTP connection each time. */
function cached(check: () => Promise<void>, ttlMs: number): () => Promise<void> {
  let last: { at: number; result: Promise<void> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > ttlMs) {
      const result = check();
      result.catch(() => {
        last = undefined;
      });
      last = { at: now, result };
    }
    return last.result;
  };
}
