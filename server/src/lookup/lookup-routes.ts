import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sessionRateLimit } from '../abuse/rate-limits.ts';
import { secretsEqual } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { LicenseService } from '../licenses/license-service.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { type Notice, searchPage, signInPage } from './lookup-pages.ts';
import { type LookupSession, SESSION_COOKIE, SESSION_LIFETIME_MS, SessionSigner } from './session.ts';

export interface LookupRoutesOptions {
  lookupToken: string;
  licenses: LicenseService;
  store: SqlStore;
  clock: Clock;
  /** Mark the cookie Secure: the page is served over https. */
  secureCookie: boolean;
  /** Searches, downloads and resends per signed-in session per minute; 0: no limit. */
  perSessionPerMinute: number;
}

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const ASSETS: Record<string, string> = {
  'lookup.css': 'text/css; charset=utf-8',
  'lookup.js': 'text/javascript; charset=utf-8',
  'logo.svg': 'image/svg+xml',
};
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
const MAX_RESULTS = 50;
const SIGN_IN_LIMIT = { max: 10, timeWindow: 60_000 };

type SearchKind = 'email' | 'ticket' | 'license';

/** A query with `@` is an email, all digits a ticket id, anything else a license id. */
export function classifyQuery(query: string): SearchKind {
  if (query.includes('@')) return 'email';
  if (/^[0-9]+$/.test(query)) return 'ticket';
  return 'license';
}

/**
 * `/lookup`: the "license not received" page. Signed out, every URL of it answers with the
 * sign-in form and nothing else.
 */
export const lookupRoutes: FastifyPluginAsync<LookupRoutesOptions> = async (app, options) => {
  const { licenses, store, clock } = options;
  const signer = new SessionSigner(options.lookupToken);
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  const assets = new Map(Object.keys(ASSETS).map((name) => [name, fs.readFileSync(path.join(STATIC_DIR, name))]));

  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', PAGE_CSP);
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  const sessionOf = (request: FastifyRequest): LookupSession | undefined =>
    signer.verify(request.cookies[SESSION_COOKIE], clock.now());
  const limited = { rateLimit: sessionRateLimit(options.perSessionPerMinute, (request) => sessionOf(request)?.id) };

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error.statusCode === 429) {
      const session = sessionOf(request);
      if (session) {
        const wait = reply.getHeader('retry-after') ?? '60';
        return html(
          reply,
          429,
          searchPage({
            query: '',
            kind: undefined,
            results: [],
            csrf: signer.csrfToken(session),
            who: session.name,
            now: clock.now(),
            error: `Too many searches from this session. Wait ${String(wait)} seconds, then try again.`,
          }),
        );
      }
      return html(
        reply,
        429,
        signInPage({ next: '/lookup', error: 'Too many sign-in attempts. Wait a minute, then try again.' }),
      );
    }
    if ((error.statusCode ?? 500) < 500)
      return html(
        reply,
        error.statusCode ?? 400,
        signInPage({ next: '/lookup', error: 'That request could not be understood.' }),
      );
    request.log.error({ err: error }, 'lookup page failed');
    return html(
      reply,
      500,
      signInPage({ next: '/lookup', error: 'Something went wrong on our side; it has been logged.' }),
    );
  });

  // The form never echoes the requested URL: signed out, not even a license id appears on the page.
  const askToSignIn = (_request: FastifyRequest, reply: FastifyReply) =>
    html(reply, 401, signInPage({ next: '/lookup' }));

  app.get<{ Params: { file: string } }>('/lookup/assets/:file', async (request, reply) => {
    const body = assets.get(request.params.file);
    if (!body) return reply.callNotFound();
    return reply
      .type(ASSETS[request.params.file] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=300')
      .send(body);
  });

  app.get<{ Querystring: { q?: string; resent?: string } }>('/lookup', { config: limited }, async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return html(reply, 200, signInPage({ next: '/lookup' }));
    const query = typeof request.query.q === 'string' ? request.query.q.trim() : '';
    const model = {
      query,
      kind: undefined as SearchKind | undefined,
      results: [] as Array<never>,
      csrf: signer.csrfToken(session),
      who: session.name,
      now: clock.now(),
    };
    if (query === '')
      return html(reply, 200, searchPage({ ...model, notice: await resentNotice(request.query.resent) }));
    if (query.length > 254)
      return html(
        reply,
        400,
        searchPage({ ...model, error: 'That is too long for an email, a ticket or a license id.' }),
      );
    const kind = classifyQuery(query);
    const entries =
      kind === 'email'
        ? await licenses.listEntries({ email: query, limit: MAX_RESULTS })
        : kind === 'ticket'
          ? query.length > 15
            ? []
            : await licenses.listEntries({ ticketId: Number(query), limit: MAX_RESULTS })
          : await licenses.getEntry(query).then((entry) => (entry ? [entry] : []));
    await Promise.all(
      entries.map(({ record }) => licenses.audit(record.license.id, session.name, 'looked up', `searching "${query}"`)),
    );
    const results = await Promise.all(
      entries.map(async (entry) => ({ ...entry, audit: await store.listAudit(entry.record.license.id) })),
    );
    return html(reply, 200, searchPage({ ...model, kind, results, notice: await resentNotice(request.query.resent) }));
  });

  app.post<{ Body: { token?: unknown; name?: unknown; next?: unknown } }>(
    '/lookup/sign-in',
    { config: { rateLimit: SIGN_IN_LIMIT } },
    async (request, reply) => {
      const body = request.body ?? {};
      const next = typeof body.next === 'string' ? safeNext(body.next) : '/lookup';
      if (typeof body.token !== 'string' || !secretsEqual(body.token.trim(), options.lookupToken)) {
        request.log.info('lookup sign-in refused');
        return html(reply, 401, signInPage({ next, error: 'That lookup token is not right. Check it and try again.' }));
      }
      const name = typeof body.name === 'string' && body.name.trim() !== '' ? cleanName(body.name) : 'lookup user';
      const { cookie: value } = signer.issue(name, clock.now());
      reply.setCookie(SESSION_COOKIE, value, {
        httpOnly: true,
        sameSite: 'strict',
        secure: options.secureCookie,
        // The /reports page signs in with the same session.
        path: '/',
        maxAge: SESSION_LIFETIME_MS / 1000,
      });
      return reply.redirect(next, 303);
    },
  );

  app.post<{ Body: { csrf?: unknown } }>('/lookup/sign-out', async (request, reply) => {
    const session = sessionOf(request);
    if (session && !signer.checkCsrf(session, request.body?.csrf)) return askToSignIn(request, reply);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/lookup', 303);
  });

  app.get<{ Params: { id: string } }>('/lookup/licenses/:id/download', { config: limited }, async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return askToSignIn(request, reply);
    const record = await licenses.get(request.params.id);
    if (!record) return reply.callNotFound();
    await licenses.audit(record.license.id, session.name, 'downloaded', null);
    return reply
      .type('application/jwt; charset=utf-8')
      .header('content-disposition', 'attachment; filename="license.jwt"')
      .send(record.license.key);
  });

  app.post<{ Params: { id: string }; Body: { csrf?: unknown; back?: unknown } }>(
    '/lookup/licenses/:id/resend',
    { config: limited },
    async (request, reply) => {
      const session = sessionOf(request);
      if (!session) return askToSignIn(request, reply);
      if (!signer.checkCsrf(session, request.body?.csrf)) {
        request.log.warn('lookup resend refused: missing or wrong CSRF token');
        return html(
          reply,
          403,
          signInPage({ next: '/lookup', error: 'That form has expired. Sign in again, then repeat the action.' }),
        );
      }
      const record = await licenses.get(request.params.id);
      if (!record) return reply.callNotFound();
      await licenses.resend(record.license.id, session.name);
      const back = typeof request.body?.back === 'string' ? safeNext(request.body.back) : '/lookup';
      const separator = back.includes('?') ? '&' : '?';
      return reply.redirect(`${back}${separator}resent=${encodeURIComponent(record.license.id)}`, 303);
    },
  );

  // Any other page under /lookup: signed out it is the sign-in form, signed in a plain not-found.
  app.get('/lookup/*', async (request, reply) => {
    if (!sessionOf(request)) return askToSignIn(request, reply);
    return reply.callNotFound();
  });

  async function resentNotice(id: string | undefined): Promise<Notice | undefined> {
    if (!id) return undefined;
    const record = await licenses.get(id);
    if (!record) return undefined;
    const { status, error } = record.delivery;
    const text =
      status === 'sent'
        ? `License ${id} was emailed again to ${record.license.email}: sent.`
        : status === 'queued'
          ? `License ${id} is queued for ${record.license.email}: the mail server has not confirmed yet; it keeps trying.`
          : `License ${id} could not be emailed to ${record.license.email}: failed (${error ?? 'unknown error'}).`;
    return { tone: status === 'sent' ? 'success' : status === 'queued' ? 'warning' : 'danger', text };
  }
};

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/** Only paths of this page and the reports page: a sign-in never redirects anywhere else. */
function safeNext(url: string): string {
  return /^\/(?:lookup|reports)(?:[/?#]|$)/.test(url) && !url.startsWith('//') && !url.includes('\\') ? url : '/lookup';
}

function cleanName(name: string): string {
  return name
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .trim()
    .slice(0, 100);
}
