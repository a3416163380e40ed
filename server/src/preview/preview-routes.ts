import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { isLoopbackHostHeader } from '../config.ts';
import { AppError, validationError } from '../errors.ts';
import { escapeHtml } from '../html.ts';
import { fieldsOf } from '../validation.ts';

export interface PreviewOptions {
  appSecret: string;
  clock: Clock;
  /** The built app folder (`zendesk-app/dist`). */
  appDistDir: string;
}

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const ZAF_SDK_URL = /https:\/\/static\.zdassets\.com\/zendesk_app_framework_sdk\/2\.0\/zaf_sdk\.min\.js/g;
const TOKEN_LIFETIME_S = 300;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

const PREVIEW_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Garden's styled-components injects <style> elements at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "frame-ancestors 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const PreviewQuery = z.object({
  email: z.string().max(254).default('jane@example.org'),
  agent: z.string().max(100).default('Agent Smith'),
  ticket: z
    .string()
    .regex(/^[1-9][0-9]{0,12}$/)
    .default('1234')
    .transform(Number),
  locale: z
    .string()
    .regex(/^[a-zA-Z-]{2,10}$/)
    .default('en'),
});

const ProxyRequest = z.object({
  url: z.string().max(2048),
  type: z.enum(['GET', 'POST', 'PUT', 'DELETE']).default('GET'),
  data: z.string().max(70_000).optional(),
  headers: z.record(z.string(), z.string().max(1000)).default({}),
});

const LICENSE_ID = '[A-Za-z0-9_-]{1,100}';

/**
 * The only requests the sidebar app makes, so the only ones the forwarder signs: anything else
 * (other paths, methods, the lookup-only download) is refused before a token exists.
 */
const SIDEBAR_CALLS: ReadonlyArray<{ method: string; path: RegExp; query: boolean }> = [
  { method: 'POST', path: /^\/api\/v1\/licenses$/, query: false },
  { method: 'GET', path: /^\/api\/v1\/licenses$/, query: true },
  { method: 'GET', path: new RegExp(`^/api/v1/licenses/${LICENSE_ID}$`), query: false },
  { method: 'POST', path: new RegExp(`^/api/v1/licenses/${LICENSE_ID}/resend$`), query: false },
  { method: 'GET', path: /^\/api\/v1\/policies$/, query: false },
];

/** Headers the sidebar sends that are passed on; the app token goes only into `Authorization`. */
const FORWARDED_HEADERS = new Set(['authorization', 'content-type', 'idempotency-key']);

/** Headers a reverse proxy adds: a request carrying one did not come straight from this machine. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'];

export function isSidebarCall(method: string, target: URL): boolean {
  return SIDEBAR_CALLS.some(
    (call) => call.method === method && call.path.test(target.pathname) && (call.query || target.search === ''),
  );
}

/**
 * `/preview`: a stand-in Zendesk ticket page that frames the built sidebar app, answers its ZAF
 * calls and signs its requests with a short-lived app token, as the Zendesk proxy would. Whoever
 * can open it can mint licenses, so it is registered only when PUBLIC_URL is loopback (or with
 * PREVIEW=1), and even then answers 404 to any request whose `Host` is not a loopback name — a
 * reverse proxy passing on its public name, or a DNS-rebinding page — or that a proxy forwarded.
 */
export const previewRoutes: FastifyPluginAsync<PreviewOptions> = async (app, { appSecret, clock, appDistDir }) => {
  const secret = new TextEncoder().encode(appSecret);
  const assetsDir = path.join(appDistDir, 'assets');

  app.addHook('onRequest', async (request) => {
    const proxied = PROXY_HEADERS.some((name) => request.headers[name] !== undefined);
    if (proxied || !isLoopbackHostHeader(request.headers.host)) {
      request.log.warn({ host: request.headers.host, proxied }, 'preview refused: not a loopback request');
      throw new AppError('not_found');
    }
  });

  app.get('/preview', async (request, reply) => {
    const query = PreviewQuery.safeParse(request.query);
    if (!query.success) throw validationError(fieldsOf(query.error));
    const built = fs.existsSync(path.join(assetsDir, 'iframe.html'));
    return reply
      .header('content-security-policy', PREVIEW_CSP)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(previewPage(query.data, built));
  });

  for (const file of ['zaf-sdk.js', 'preview.js', 'preview.css']) {
    const body = fs.readFileSync(path.join(STATIC_DIR, file), 'utf8');
    app.get(`/preview/${file}`, async (_request, reply) =>
      reply
        .type(CONTENT_TYPES[path.extname(file)] ?? 'text/plain')
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }

  app.get<{ Params: { file: string } }>('/preview/app/:file', async (request, reply) => {
    const file = request.params.file;
    if (!/^[\w.-]+$/.test(file) || file.startsWith('.')) return reply.callNotFound();
    const full = path.join(assetsDir, file);
    if (!fs.existsSync(full)) return reply.callNotFound();
    const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
    reply.type(type).header('cache-control', 'no-cache').header('content-security-policy', PREVIEW_CSP);
    if (file === 'iframe.html')
      return reply.send(fs.readFileSync(full, 'utf8').replace(ZAF_SDK_URL, '/preview/zaf-sdk.js'));
    return reply.send(fs.readFileSync(full));
  });

  app.post('/preview/proxy', async (request, reply) => {
    const parsed = ProxyRequest.safeParse(request.body);
    if (!parsed.success) throw validationError(fieldsOf(parsed.error));
    const { url, type, data, headers } = parsed.data;
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw validationError({ url: 'must be an absolute URL' });
    }
    if (!isSidebarCall(type, target))
      throw validationError({ url: 'must be one of the API calls the sidebar app makes' });
    const iat = Math.floor(clock.now().getTime() / 1000);
    const token = await new SignJWT({ iat, exp: iat + TOKEN_LIFETIME_S, sub: 'preview' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(secret);
    const forwarded: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (!FORWARDED_HEADERS.has(lower)) continue;
      forwarded[lower] = lower === 'authorization' ? value.replaceAll('{{jwt.token}}', token) : value;
    }
    if (data !== undefined) forwarded['content-type'] ??= 'application/json';
    const answer = await app.inject({
      method: type,
      url: `${target.pathname}${target.search}`,
      headers: forwarded,
      ...(data !== undefined ? { payload: data } : {}),
    });
    return reply.header('cache-control', 'no-store').send({ status: answer.statusCode, body: answer.body });
  });
};

function previewPage(ticket: z.infer<typeof PreviewQuery>, built: boolean): string {
  const data = {
    id: ticket.ticket,
    email: ticket.email,
    requesterName: ticket.email === 'jane@example.org' ? 'Jane Customer' : ticket.email,
    agent: ticket.agent,
    agentEmail: 'agent@example.org',
    locale: ticket.locale,
  };
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const requester = `${data.requesterName} <${data.email}>`;
  const app = built
    ? `<iframe id="app-frame" title="Mintdesk sidebar app" src="/preview/app/iframe.html"></iframe>`
    : `<p class="notice">The sidebar app is not built yet: run <code>npm run build</code>, then reload.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ticket #${data.id} – Mintdesk preview</title>
<link rel="stylesheet" href="/assets/base.css">
<link rel="stylesheet" href="/preview/preview.css">
<link rel="icon" href="/preview/app/logo-small.png">
</head>
<body>
<div class="topbar">Zendesk Support <small>Mintdesk preview — a stand-in ticket, no Zendesk account needed</small></div>
<div class="workspace">
  <main class="ticket">
    <h1>License expired over the weekend</h1>
    <div class="meta">Ticket #${data.id} · Requester ${escapeHtml(requester)} · Assignee ${escapeHtml(data.agent)}</div>
    <article class="comment">
      <header>${escapeHtml(data.requesterName)}</header>
      <p>Hi, our subscription lapsed on Friday and nobody can log in. Can you help us get through the weekend?</p>
    </article>
    <section id="internal-notes" aria-label="Internal notes"></section>
  </main>
  <aside class="apps" aria-label="Apps">
    <h2>Apps</h2>
    <div class="app-card">
      <header><img src="/preview/app/logo-small.png" alt="">Mintdesk</header>
      ${app}
    </div>
  </aside>
</div>
<script type="application/json" id="preview-data">${json}</script>
<script src="/preview/preview.js"></script>
</body>
</html>`;
}
