import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Duplex } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { FailedCredentials } from './abuse/failed-credentials.ts';
import { createApiLimiter } from './abuse/rate-limits.ts';
import { ResendBudget } from './abuse/resend-budget.ts';
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
import { securityHeaders } from './security-headers.ts';
import { registerOpenApi } from './openapi/openapi.ts';
import { zodSchemaController } from './openapi/zod-compilers.ts';
import { Metrics } from './ops/metrics.ts';
import { PeopleStore } from './people/people-store.ts';
import { JobRunner } from './queue/job-runner.ts';
import { healthRoutes } from './routes/health.ts';
import { licenseRoutes } from './routes/licenses.ts';
import { lookupRoutes } from './lookup/lookup-routes.ts';
import { previewRoutes } from './preview/preview-routes.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { sharedAssetRoutes } from './routes/shared-assets.ts';
import { wellKnownRoutes } from './routes/well-known.ts';
import { SessionStore } from './store/session-store.ts';
import type { SqlStore } from './store/sql-store.ts';
import type { Tracker } from './tracker/tracker.ts';
import { pageSessions } from './reports/page-session.ts';
import { reportRoutes } from './reports/report-routes.ts';
import { ReportSchedule } from './reports/report-schedule.ts';
import { RevocationService } from './revocation/revocation-service.ts';
import { revocationRoutes } from './revocation/revocation-routes.ts';
import { ReportRunStore } from './store/report-run-store.ts';
import { UsageStore } from './store/usage-store.ts';
import { usageRoutes } from './usage/usage-routes.ts';
import { UsageService } from './usage/usage-service.ts';

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

const SERVICE_VERSION = (
  JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

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
            serializers: { req: serializeRequest },
          },
        }),
    ...(config.trustProxy !== undefined ? { trustProxy: config.trustProxy } : {}),
    bodyLimit: BODY_LIMIT_BYTES,
    schemaController: zodSchemaController,
    genReqId: () => crypto.randomUUID(),
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // The router's own refusals (a malformed percent-escape, an over-long path segment) and the
    // HTTP parser's (headers over the limit, garbage) answer in the contract's error shape too.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const known = new AppError(error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'uri_too_long' : 'bad_request');
      void reply.code(known.status).send(known.toBody());
    },
    clientErrorHandler: answerClientError,
  });
  const log = app.log;

  const mailReady = cached(() => deps.mailer.check(), 10_000);
  // Started now, while the rest of the app is built: a mail server may hold its greeting back
  // (smtp-server waits 100 ms for early talkers, postscreen longer), and the first /readyz would
  // wait for it after listening. A failure here is forgotten; /readyz asks again.
  mailReady().catch(() => undefined);

  const metrics = new Metrics(() => deps.store.queueDepth(), deps.store.checkpoints);
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
            plan: config.plan,
            licensee: config.licensee,
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
  const kindSettings = {
    licenseDays: config.licenseDays,
    transitionDays: config.transitionDays,
    maxUserCount: config.maxUserCount,
    plan: config.plan,
    licensee: config.licensee,
  };
  const people = new PeopleStore(deps.store.db);
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
      resendBudget: new ResendBudget(deps.store.db, deps.store.dialect, {
        perLicensePerDay: config.maxResendsPerLicensePerDay,
        perEmailPerDay: config.maxLicensesPerEmailPerDay,
      }),
    },
    {
      issuer: config.publicUrl,
      kinds: kindSettings,
      approvalKinds: config.approvalKinds,
      mintWaitMs: config.mintWaitMs,
      maxPerEmailPerDay: config.maxLicensesPerEmailPerDay,
    },
  );
  // One per-address budget of wrong credentials for the API and the sign-in form together.
  const failures = new FailedCredentials(config.rateLimits.authFailuresPerMinute);
  const requireCaller = createAuthenticator({
    appSecret: config.appSecret,
    lookupToken: config.lookupToken,
    clock: deps.clock,
    failures,
    lookupCredential: async (token) => {
      const person = await people.findPerson(token);
      return person ? { kind: 'lookup' as const, name: person.name, person } : undefined;
    },
  });

  // Security headers on every answer; pages that need a looser or stricter policy set their own.
  const secure = securityHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: config.publicUrl.startsWith('https:') ? { maxAge: 31_536_000 } : false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    secure(request.raw, reply.raw, done);
  });
  await app.register(rateLimit, { global: false });
  await registerOpenApi(app, { publicUrl: config.publicUrl, version: SERVICE_VERSION });
  // API answers carry license keys (mint, get, list, resend): no cache may keep them.
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
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

  const apiBudget = createApiLimiter(config.rateLimits);
  await app.register(licenseRoutes, {
    licenses,
    kinds: kindSettings,
    enabledKinds: config.enabledKinds,
    approvalKinds: config.approvalKinds,
    requireCaller,
    budget: apiBudget,
  });
  await app.register(wellKnownRoutes, { keys: deps.keys });
  await app.register(metricsRoutes, { metrics });
  await app.register(sharedAssetRoutes);
  await app.register(lookupRoutes, {
    lookupToken: config.lookupToken,
    people,
    licenses,
    store: deps.store,
    clock: deps.clock,
    secureCookie: config.publicUrl.startsWith('https:'),
    publicUrl: config.publicUrl,
    perSessionPerMinute: config.rateLimits.lookupSessionPerMinute,
    sessionStore: new SessionStore(deps.store.db),
    failures,
  });
  // Usage check-ins, the usage report (API and /reports), revocation.
  const usageStore = new UsageStore(deps.store.db, deps.store.dialect);
  const sessions = pageSessions({
    lookupToken: config.lookupToken,
    store: new SessionStore(deps.store.db),
    personStillThere: async (credential) => (await people.bySessionCredential(credential)) !== undefined,
    clock: deps.clock,
  });
  await app.register(usageRoutes, {
    usage: new UsageService(
      { store: usageStore, keys: deps.keys, clock: deps.clock },
      { perLicensePerMinute: config.usagePerLicensePerMinute },
    ),
    failures,
  });
  await app.register(reportRoutes, { store: usageStore, clock: deps.clock, sessions, requireCaller });
  await app.register(revocationRoutes, {
    revocations: new RevocationService({
      ...syncDeps,
      usage: usageStore,
      licenses,
      notifier: deps.notifier,
    }),
    store: usageStore,
    sessions,
    requireCaller,
    budget: apiBudget,
  });
  const reportSchedule = config.usageReportEmail
    ? new ReportSchedule(
        { runs: new ReportRunStore(deps.store.db), usage: usageStore, mailer: deps.mailer, clock: deps.clock, log },
        {
          recipients: config.usageReportEmail.to,
          everyDays: config.usageReportEmail.everyDays,
          checkEveryMs: config.reportCheckMs,
          mailFrom: config.mailFrom,
          publicUrl: config.publicUrl,
        },
      )
    : undefined;

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
      mail: mailReady,
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
    reportSchedule?.start();
  });
  // Once this instance holds its address (so no other live instance can share its identity): the
  // jobs an earlier run of it held when it died are taken back now, not when their leases run out.
  app.addHook('onListen', async () => {
    const reclaimed = await deps.store.reclaimOwnLeases(runner.instanceId, [runner.owner, runner.freshOwner]);
    if (reclaimed > 0) log.info({ reclaimed }, 'took back the jobs this instance held before it stopped');
    runner.wake();
  });
  app.addHook('onClose', async () => {
    await reportSchedule?.stop();
    await runner.stop();
  });
  return app;
}

function codeForClientError(error: FastifyError, status: number): ErrorCode {
  if (status === 413) return 'payload_too_large';
  if (status === 414) return 'uri_too_long';
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

/** Answers what Node's HTTP parser refused (before Fastify saw a request) in the contract's shape. */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const known = new AppError(tooLarge ? 'headers_too_large' : 'bad_request');
  const body = JSON.stringify(known.toBody());
  socket.end(
    `HTTP/1.1 ${known.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

/**
 * Request logs keep the method and path but not the query string: it holds requester emails and
 * searches (`?email=…`, `/lookup?q=…`).
 */
export function serializeRequest(request: { method: string; url: string; id?: unknown; ip?: string }) {
  const query = request.url.indexOf('?');
  return {
    method: request.method,
    url: query === -1 ? request.url : `${request.url.slice(0, query)}?[redacted]`,
    ...(request.ip !== undefined ? { remoteAddress: request.ip } : {}),
  };
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
