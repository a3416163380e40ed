import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, onRequestHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SECURITY } from '../openapi/openapi.ts';
import { errorResponses } from '../openapi/responses.ts';
import type { CallerKind } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { signInPage } from '../lookup/lookup-pages.ts';
import type { UsageStore } from '../store/usage-store.ts';
import type { PageSessions } from './page-session.ts';
import { reportPage } from './report-page.ts';
import { csvFilename, lastDays, parsePeriod, reportCsv, usageReport } from './usage-report.ts';
import { PAGE_CSP } from '../html.ts';

export interface ReportRoutesOptions {
  store: UsageStore;
  clock: Clock;
  sessions: PageSessions;
  requireCaller: (...allowed: CallerKind[]) => onRequestHookHandler;
}

const REPORTS_CSS = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'static/reports.css'));

/** The usage report: the API (`/api/v1/reports/usage`, lookup bearer) and the `/reports` page (lookup session). */
const ReportQuery = z.object({
  from: z.string().optional().describe('First day, YYYY-MM-DD (default: 13 days before to)'),
  to: z.string().optional().describe('Last day, YYYY-MM-DD, inclusive (default: today, UTC)'),
  format: z.enum(['csv', 'json'], { error: 'must be csv or json' }).optional(),
});

const ReportRow = z.object({
  organisation: z.string(),
  purchased: z.number().int(),
  trialUsers: z.number().int(),
  usedPeak: z.number().int(),
  available: z.number().int(),
  overconsumed: z.boolean(),
  activeLicenses: z.number().int(),
  lastReport: z.string().nullable(),
});

const ReportAnswer = z
  .object({ from: z.string(), to: z.string(), activeAt: z.string(), rows: z.array(ReportRow) })
  .describe(
    'One row per organisation, overconsumed first. With format=csv: text/csv with the header organisation,purchased,trial_users,used_peak,available,overconsumed,active_licenses,last_report',
  );

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (
  app,
  { store, clock, sessions, requireCaller },
) => {
  await app.register(cookie);

  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/reports/usage',
    {
      onRequest: requireCaller('lookup'),
      schema: {
        summary: 'Purchased vs used per organisation for a period (JSON, or CSV with format=csv)',
        tags: ['reports'],
        security: SECURITY.lookup,
        querystring: ReportQuery,
        response: { 200: ReportAnswer, ...errorResponses('validation_failed', 'unauthorized') },
      },
    },
    async (request, reply) => {
      const { format } = request.query;
      const period = parsePeriod(request.query, clock.now());
      const report = await usageReport(store, period, clock.now());
      reply.header('cache-control', 'no-store');
      if (format === 'csv') return sendCsv(reply, report);
      return report;
    },
  );

  app.get('/reports/assets/reports.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(REPORTS_CSS),
  );

  const page = (summary: string) => ({ schema: { summary, tags: ['pages'], security: SECURITY.session } });

  app.get<{ Querystring: { from?: unknown; to?: unknown } }>(
    '/reports',
    page('The usage report page (lookup sign-in)'),
    async (request, reply) => {
      const session = await sessions.current(request);
      if (!session) return html(reply, 200, signInPage({ next: '/reports' }));
      const now = clock.now();
      const model = { who: session.name, csrf: sessions.csrfToken(session) };
      try {
        const period = parsePeriod(request.query, now);
        const report = await usageReport(store, period, now);
        return html(reply, 200, reportPage({ ...model, report, picker: period }));
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
        const [field, message] = Object.entries(error.fields ?? {})[0] ?? ['from', 'is not a date'];
        const fallback = lastDays(now);
        const report = await usageReport(store, fallback, now);
        const given = (name: 'from' | 'to') =>
          typeof request.query[name] === 'string' ? (request.query[name] as string) : '';
        return html(
          reply,
          400,
          reportPage({
            ...model,
            report,
            picker: { from: given('from'), to: given('to') },
            error: { field: field === 'to' ? 'to' : 'from', message: `${field === 'to' ? 'To' : 'From'} ${message}.` },
          }),
        );
      }
    },
  );

  app.get<{ Querystring: { from?: unknown; to?: unknown } }>(
    '/reports/usage.csv',
    page('The report page’s Download CSV (lookup sign-in)'),
    async (request, reply) => {
      if (!(await sessions.current(request))) return html(reply, 401, signInPage({ next: '/reports' }));
      const period = parsePeriod(request.query, clock.now());
      return sendCsv(reply, await usageReport(store, period, clock.now()));
    },
  );

  // Signed out, every other page under /reports is the sign-in form too.
  app.get('/reports/*', async (request, reply) => {
    if (!(await sessions.current(request))) return html(reply, 401, signInPage({ next: '/reports' }));
    return reply.callNotFound();
  });

  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/reports')) return;
    reply.header('content-security-policy', PAGE_CSP);
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
};

function sendCsv(reply: FastifyReply, report: Awaited<ReturnType<typeof usageReport>>) {
  return reply
    .type('text/csv; charset=utf-8; header=present')
    .header('content-disposition', `attachment; filename="${csvFilename(report)}"`)
    .header('cache-control', 'no-store')
    .send(reportCsv(report.rows));
}

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}
