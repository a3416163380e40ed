import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { FailedCredentials } from '../abuse/failed-credentials.ts';
import { sessionRateLimit } from '../abuse/rate-limits.ts';
import { secretsEqual } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { LicenseService } from '../licenses/license-service.ts';
import { type PeopleStore, personCredential } from '../people/people-store.ts';
import type { Person } from '../people/person-credentials.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { crossSiteForm } from './form-origin.ts';
import { type Notice, searchPage, signInPage } from './lookup-pages.ts';
import { type LookupSession, LookupSessions, SESSION_COOKIE, SESSION_LIFETIME_MS } from './session.ts';
import { PAGE_CSP } from '../html.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in lookup page session, resolved once per request under /lookup. */
    lookupSession?: LookupSession | undefined;
    /** The person behind the session, when they signed in with their own credential. */
    lookupPerson?: Person | undefined;
  }
}

export interface LookupRoutesOptions {
  lookupToken: string;
  /** Personal credentials sign in too; their holders' names are recorded and approvers may decide. */
  people: PeopleStore;
  licenses: LicenseService;
  store: SqlStore;
  clock: Clock;
  /** Mark the cookie Secure: the page is served over https. */
  secureCookie: boolean;
  /** Searches, downloads and resends per signed-in session per minute; 0: no limit. */
  perSessionPerMinute: number;
  /** This service's PUBLIC_URL: sign-in posts from any other origin are refused (login CSRF). */
  publicUrl?: string | undefined;
  /** Server-side sessions, shared by every instance on the same database. */
  sessionStore: SessionStore;
  /** Wrong sign-in tokens count here, in the same per-address budget as wrong bearer tokens. */
  failures: FailedCredentials;
}

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const ASSETS: Record<string, string> = {
  'lookup.css': 'text/css; charset=utf-8',
  'lookup.js': 'text/javascript; charset=utf-8',
  'logo.svg': 'image/svg+xml',
};
const MAX_RESULTS = 50;

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
  const signer = new LookupSessions(options.lookupToken, options.sessionStore);
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  app.decorateRequest('lookupSession', undefined);
  app.decorateRequest('lookupPerson', undefined);
  app.addHook('onRequest', async (request) => {
    const session = await signer.find(request.cookies[SESSION_COOKIE], clock.now());
    if (session?.credential.startsWith('person:')) {
      // A person removed with `mintdesk people remove` is signed out at their next request.
      request.lookupPerson = await options.people.bySessionCredential(session.credential);
      request.lookupSession = request.lookupPerson ? session : undefined;
      return;
    }
    request.lookupSession = session;
  });

  const assets = new Map(Object.keys(ASSETS).map((name) => [name, fs.readFileSync(path.join(STATIC_DIR, name))]));

  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', PAGE_CSP);
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  const sessionOf = (request: FastifyRequest): LookupSession | undefined => request.lookupSession;
  const limited = { rateLimit: sessionRateLimit(options.perSessionPerMinute, (request) => sessionOf(request)?.id) };

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error.statusCode === 429) {
      const session = sessionOf(request);
      if (error instanceof AppError && error.retryAfterS !== undefined)
        reply.header('retry-after', String(error.retryAfterS));
      if (session) {
        const wait = reply.getHeader('retry-after') ?? '60';
        // A resend ceiling says why in its own words; anything else is this session's request budget.
        const why =
          error instanceof AppError && error.code !== 'rate_limited'
            ? error.message
            : `Too many searches from this session. Wait ${String(wait)} seconds, then try again.`;
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
            error: why,
          }),
        );
      }
      return html(reply, 429, tooManySignIns());
    }
    const signedIn = sessionOf(request);
    // A signed-in person whose action was refused (a resend of a license never signed: 409) stays
    // on the search page and reads why; only a signed-out visitor is shown the sign-in form.
    if ((error.statusCode ?? 500) < 500 && signedIn)
      return html(
        reply,
        error.statusCode ?? 400,
        searchPage({
          query: '',
          kind: undefined,
          results: [],
          csrf: signer.csrfToken(signedIn),
          who: signedIn.name,
          approver: request.lookupPerson?.approver === true,
          now: clock.now(),
          error: error instanceof AppError ? error.message : 'That request could not be understood.',
        }),
      );
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

  app.get<{ Querystring: { q?: string; resent?: string; decided?: string } }>(
    '/lookup',
    { config: limited },
    async (request, reply) => {
      const session = sessionOf(request);
      if (!session) return html(reply, 200, signInPage({ next: '/lookup' }));
      const query = typeof request.query.q === 'string' ? request.query.q.trim() : '';
      const model = {
        query,
        kind: undefined as SearchKind | undefined,
        results: [] as Array<never>,
        csrf: signer.csrfToken(session),
        who: session.name,
        approver: request.lookupPerson?.approver === true,
        now: clock.now(),
      };
      const notice = (await decidedNotice(request.query.decided)) ?? (await resentNotice(request.query.resent));
      if (query === '') return html(reply, 200, searchPage({ ...model, notice }));
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
        entries.map(({ record }) =>
          licenses.audit(record.license.id, session.name, 'looked up', `searching "${query}"`),
        ),
      );
      const results = await Promise.all(
        entries.map(async (entry) => ({ ...entry, audit: await store.listAudit(entry.record.license.id) })),
      );
      return html(reply, 200, searchPage({ ...model, kind, results, notice }));
    },
  );

  app.post<{ Body: { token?: unknown; name?: unknown; next?: unknown } }>('/lookup/sign-in', async (request, reply) => {
    const body = request.body ?? {};
    const next = typeof body.next === 'string' ? safeNext(body.next) : '/lookup';
    // Another site must not sign a visitor in under its own credential (login CSRF).
    if (crossSiteForm(request, options.publicUrl ?? `${request.protocol}://${request.host}`)) {
      request.log.warn('lookup sign-in refused: posted from another site');
      return html(reply, 403, signInPage({ next, error: CROSS_SITE_SIGN_IN }));
    }
    // Only wrong tokens count, per address: a right token is never refused for others' mistakes.
    const wait = options.failures.retryAfterS(request.ip);
    if (wait !== undefined) return html(reply.header('retry-after', String(wait)), 429, tooManySignIns());
    const token = typeof body.token === 'string' ? body.token.trim() : undefined;
    const operator = token !== undefined && secretsEqual(token, options.lookupToken);
    const person = token !== undefined && !operator ? await options.people.findPerson(token) : undefined;
    if (!operator && !person) {
      options.failures.recordFailure(request.ip);
      request.log.info('lookup sign-in refused');
      return html(reply, 401, signInPage({ next, error: 'That lookup token is not right. Check it and try again.' }));
    }
    // A personal credential names its holder; the shared token takes the name typed beside it,
    // recorded as the operator's, and never a name that reads as someone with their own credential.
    const typed = person || typeof body.name !== 'string' ? '' : cleanName(body.name);
    const holder = typed === '' ? undefined : await options.people.sameIdentityAs(typed);
    if (holder) {
      request.log.info("lookup sign-in refused: the operator token with a person's name");
      return html(reply, 403, signInPage({ next, error: operatorAsPerson(holder.name) }));
    }
    const name = person ? person.name : typed !== '' ? `operator (${typed})` : 'lookup user';
    const credential = person ? personCredential(person) : 'lookup-token';
    const { cookie: value } = await signer.start(name, credential, clock.now());
    reply.setCookie(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: options.secureCookie,
      // The /reports page signs in with the same session.
      path: '/',
      maxAge: SESSION_LIFETIME_MS / 1000,
    });
    return reply.redirect(next, 303);
  });

  // Signing out needs the session and its CSRF token: a cross-site form (which carries neither,
  // the cookie being SameSite=Strict) must not even clear the cookie.
  app.post<{ Body: { csrf?: unknown } }>('/lookup/sign-out', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return reply.redirect('/lookup', 303);
    if (!signer.checkCsrf(session, request.body?.csrf)) {
      request.log.warn('lookup sign-out refused: missing or wrong CSRF token');
      return html(reply, 403, signInPage({ next: '/lookup', error: 'That form has expired. Reload the page.' }));
    }
    await signer.end(session);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/lookup', 303);
  });

  app.get<{ Params: { id: string } }>('/lookup/licenses/:id/download', { config: limited }, async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return askToSignIn(request, reply);
    const record = await licenses.get(request.params.id);
    if (!record?.license.key) return reply.callNotFound();
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

  /** Approve and Reject: the same CSRF rule as Resend; only an approver's own session may decide. */
  const decide =
    (decision: 'approve' | 'reject') =>
    async (
      request: FastifyRequest<{ Params: { id: string }; Body: { csrf?: unknown; back?: unknown; reason?: unknown } }>,
      reply: FastifyReply,
    ) => {
      const session = sessionOf(request);
      if (!session) return askToSignIn(request, reply);
      const person = request.lookupPerson;
      if (!signer.checkCsrf(session, request.body?.csrf)) {
        request.log.warn(`lookup ${decision} refused: missing or wrong CSRF token`);
        return html(
          reply,
          403,
          signInPage({ next: '/lookup', error: 'That form has expired. Sign in again, then repeat the action.' }),
        );
      }
      const back = typeof request.body?.back === 'string' ? safeNext(request.body.back) : '/lookup';
      const model = {
        query: '',
        kind: undefined,
        results: [],
        csrf: signer.csrfToken(session),
        who: session.name,
        approver: person?.approver === true,
        now: clock.now(),
      };
      const reason = typeof request.body?.reason === 'string' ? request.body.reason.trim() : '';
      if (decision === 'reject' && (reason === '' || reason.length > 500))
        return html(
          reply,
          400,
          searchPage({ ...model, error: 'Give a reason for the rejection (1 to 500 characters).' }),
        );
      try {
        const decider = { name: session.name, person };
        const record =
          decision === 'approve'
            ? await licenses.approve(request.params.id, decider)
            : await licenses.reject(request.params.id, decider, reason);
        const separator = back.includes('?') ? '&' : '?';
        return reply.redirect(`${back}${separator}decided=${encodeURIComponent(record.license.id)}`, 303);
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500 || error.status === 429) throw error;
        return html(reply, error.status, searchPage({ ...model, error: error.message }));
      }
    };
  app.post('/lookup/licenses/:id/approve', { config: limited }, decide('approve'));
  app.post('/lookup/licenses/:id/reject', { config: limited }, decide('reject'));

  // Any other page under /lookup: signed out it is the sign-in form, signed in a plain not-found.
  app.get('/lookup/*', async (request, reply) => {
    if (!sessionOf(request)) return askToSignIn(request, reply);
    return reply.callNotFound();
  });

  async function decidedNotice(id: string | undefined): Promise<Notice | undefined> {
    if (!id) return undefined;
    const record = await licenses.get(id);
    if (!record) return undefined;
    const { approval, delivery, license } = record;
    if (approval.status === 'rejected')
      return { tone: 'success', text: `License ${id} was rejected; nothing was sent.` };
    if (approval.status !== 'approved') return undefined;
    return {
      tone: delivery.status === 'sent' ? 'success' : delivery.status === 'queued' ? 'warning' : 'danger',
      text: `License ${id} was approved and emailed to ${license.email}: ${delivery.status}.`,
    };
  }

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

const CROSS_SITE_SIGN_IN = 'That sign-in came from another site. Open this page yourself and sign in here.';

function operatorAsPerson(name: string): string {
  return `${name} has a personal credential: sign in with it. The lookup token is the operator's, and cannot act under their name.`;
}

function tooManySignIns(): string {
  return signInPage({ next: '/lookup', error: 'Too many wrong sign-in attempts. Wait a minute, then try again.' });
}

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/**
 * Only paths of this page and the reports page, in printable ASCII: a sign-in never redirects
 * anywhere else, and no CR/LF or other character that cannot go into a `Location` header gets
 * near one.
 */
export function safeNext(url: string): string {
  return /^\/(?:lookup|reports)(?:[/?#][\x21-\x7e]*)?$/.test(url) && !url.includes('\\') ? url : '/lookup';
}

function cleanName(name: string): string {
  return name
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .trim()
    .slice(0, 100);
}
