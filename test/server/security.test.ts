// Regression tests for the weaknesses a security review of the service found (issue 12), each
// named after the weakness it pins. Every one failed on the build the review tried.
import type { LicenseRecord } from '@mintdesk/shared';
import { ErrorBody } from '@mintdesk/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@mintdesk/server/config.ts';
import { spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { LoopbackReverseProxy, rawRequest } from '../support/raw-http.ts';
import { APP_SECRET, LOOKUP_TOKEN, startTestService, tempDir, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

const smtp = new SmtpReceiver();
beforeAll(async () => {
  await smtp.start();
});
afterAll(async () => {
  await smtp.stop();
});

/** A service of its own for one describe block, with the given environment. */
function serviceWith(env: Record<string, string>, mintWaitMs = 3000): () => TestService {
  let service: TestService | undefined;
  beforeAll(async () => {
    service = await startTestService({ smtpUrl: smtp.url, env, mintWaitMs });
  });
  afterAll(async () => {
    await service?.close();
  });
  return () => {
    if (!service) throw new Error('starts in beforeAll');
    return service;
  };
}

/** Messages the SMTP receiver got for one address (shared by every service in this file). */
function messagesTo(address: string): number {
  return smtp.messages.filter((message) => JSON.stringify(message.to ?? '').includes(address)).length;
}

async function licenseCount(service: TestService): Promise<number> {
  return (await service.store.db.selectFrom('licenses').select('id').execute()).length;
}

const mintBody = { agent: 'asmith', userCount: 100_000, email: 'attacker@evil.example' };

/** What the preview page posts to its forwarder for the sidebar's mint call. */
function proxiedMint(body: Record<string, unknown> = mintBody) {
  return JSON.stringify({
    url: 'http://127.0.0.1/api/v1/licenses',
    type: 'POST',
    data: JSON.stringify(body),
    headers: { Authorization: 'Bearer {{jwt.token}}', 'Content-Type': 'application/json' },
  });
}

function expectNotFound(response: { status: number; body: string }) {
  expect(response.status).toBe(404);
  expect(ErrorBody.parse(JSON.parse(response.body)).error.code).toBe('not_found');
}

async function mintAs(service: TestService, sub: string, body: Record<string, unknown>) {
  return request<LicenseRecord & ErrorBody>(`${service.url}/api/v1/licenses`, {
    token: await signAppToken(APP_SECRET, { now: service.clock.now(), claims: { sub } }),
    body: { agent: 'asmith', userCount: 3, email: 'budget@example.org', ...body },
  });
}

describe('preview open behind a proxy', () => {
  describe('as the README deploys it (HOST=127.0.0.1, PUBLIC_URL https, nginx in front)', () => {
    const service = serviceWith({ HOST: '127.0.0.1', PUBLIC_URL: 'https://licenses.example.com' });
    let proxy: LoopbackReverseProxy;
    beforeAll(async () => {
      proxy = await new LoopbackReverseProxy(service().url, 'licenses.example.com').start();
    });
    afterAll(() => proxy.stop());

    it('answers 404 to the forwarder through the proxy and mints nothing', async () => {
      const response = await rawRequest(`${proxy.url}/preview/proxy`, {
        headers: { 'content-type': 'application/json' },
        body: proxiedMint(),
      });
      expectNotFound(response);
      expect(await licenseCount(service())).toBe(0);
      expect(messagesTo('attacker@evil.example')).toBe(0);
    });

    it('answers 404 to the preview page and its assets through the proxy', async () => {
      for (const path of ['/preview', '/preview/zaf-sdk.js', '/preview/app/iframe.html'])
        expectNotFound(await rawRequest(`${proxy.url}${path}`));
    });
  });

  describe('even with PREVIEW=1 behind the proxy', () => {
    const service = serviceWith({ PREVIEW: '1', PUBLIC_URL: 'https://licenses.example.com' });
    let proxy: LoopbackReverseProxy;
    beforeAll(async () => {
      proxy = await new LoopbackReverseProxy(service().url, 'licenses.example.com').start();
    });
    afterAll(() => proxy.stop());

    it('answers 404 because the Host names no loopback address, and mints nothing', async () => {
      const response = await rawRequest(`${proxy.url}/preview/proxy`, {
        headers: { 'content-type': 'application/json' },
        body: proxiedMint(),
      });
      expectNotFound(response);
      expect(await licenseCount(service())).toBe(0);
    });

    it('still opens on loopback itself', async () => {
      expect((await rawRequest(`${service().url}/preview`)).status).toBe(200);
    });
  });

  it('is on by default only when PUBLIC_URL is a loopback URL', () => {
    expect(loadConfig({}).preview).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'http://localhost:3000' }).preview).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:8080' }).preview).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'http://[::1]:3000' }).preview).toBe(true);
    expect(loadConfig({ HOST: '127.0.0.1', PUBLIC_URL: 'https://licenses.example.com' }).preview).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1.evil.example' }).preview).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'http://localhost.evil.example:3000' }).preview).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0' }).preview).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://licenses.example.com', PREVIEW: '1' }).preview).toBe(true);
    expect(loadConfig({ PREVIEW: '0' }).preview).toBe(false);
  });
});

describe('preview forwarder signs only the calls the sidebar makes', () => {
  const service = serviceWith({});

  async function forward(url: string, type: string, extra: Record<string, unknown> = {}) {
    const response = await rawRequest(`${service().url}/preview/proxy`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url, type, headers: { Authorization: 'Bearer {{jwt.token}}' }, ...extra }),
    });
    return { ...response, json: JSON.parse(response.body) as { status?: number; body?: string } & ErrorBody };
  }

  it.each([
    ['the lookup-only download', 'http://127.0.0.1/api/v1/licenses/lic_x/download', 'GET'],
    ['another method on the collection', 'http://127.0.0.1/api/v1/licenses', 'DELETE'],
    ['PUT on a license', 'http://127.0.0.1/api/v1/licenses/lic_x', 'PUT'],
    ['a path outside the API', 'http://127.0.0.1/metrics', 'GET'],
    ['a path that only starts like one', 'http://127.0.0.1/api/v1/licenses/lic_x/resend/more', 'POST'],
    ['a query on a single license', 'http://127.0.0.1/api/v1/licenses/lic_x?email=a%40b.org', 'GET'],
    ['the health check', 'http://127.0.0.1/api/v1/../readyz', 'GET'],
  ])('refuses %s with 400 naming url', async (_name, url, type) => {
    const response = await forward(url, type);
    expect(response.status).toBe(400);
    expect(response.json.error.fields).toHaveProperty('url');
  });

  it('forwards the sidebar calls, with no-store', async () => {
    const minted = await rawRequest(`${service().url}/preview/proxy`, {
      headers: { 'content-type': 'application/json' },
      body: proxiedMint({ agent: 'Agent Smith', userCount: 2, email: 'jane@example.org' }),
    });
    expect(minted.status).toBe(200);
    expect(minted.headers['cache-control']).toBe('no-store');
    const inner = JSON.parse(minted.body) as { status: number; body: string };
    expect(inner.status).toBe(201);
    const id = (JSON.parse(inner.body) as LicenseRecord).license.id;
    expect((await forward(`http://127.0.0.1/api/v1/licenses/${id}`, 'GET')).json.status).toBe(200);
    expect(
      (await forward('http://127.0.0.1/api/v1/licenses?email=jane%40example.org&limit=20', 'GET')).json.status,
    ).toBe(200);
    expect((await forward(`http://127.0.0.1/api/v1/licenses/${id}/resend`, 'POST')).json.status).toBe(200);
  });
});

describe('DNS rebinding of the preview', () => {
  const service = serviceWith({});
  const port = () => new URL(service().url).port;

  it.each(['evil.example', 'evil.example:3000', 'licenses.example.com', '127.0.0.1.nip.io', '0.0.0.0', '[::2]:3000'])(
    'answers 404 to Host: %s, on the page, its assets and the forwarder, minting nothing',
    async (host) => {
      for (const path of ['/preview', '/preview/zaf-sdk.js', '/preview/preview.js'])
        expectNotFound(await rawRequest(`${service().url}${path}`, { headers: { host } }));
      expectNotFound(
        await rawRequest(`${service().url}/preview/proxy`, {
          headers: { host, 'content-type': 'application/json' },
          body: proxiedMint(),
        }),
      );
      expect(await licenseCount(service())).toBe(0);
    },
  );

  it.each(['localhost', '127.0.0.1', '127.0.0.5', '[::1]', 'LOCALHOST'])(
    'opens for Host: %s with the port',
    async (name) => {
      const response = await rawRequest(`${service().url}/preview`, { headers: { host: `${name}:${port()}` } });
      expect(response.status).toBe(200);
    },
  );

  it('answers 404 when a proxy forwarded the request, whatever the Host', async () => {
    const response = await rawRequest(`${service().url}/preview`, {
      headers: { host: `127.0.0.1:${port()}`, 'x-forwarded-for': '203.0.113.9' },
    });
    expectNotFound(response);
  });
});

describe('rate limit keyed on the typed agent name', () => {
  const service = serviceWith({ RATE_LIMIT_APP_PER_MINUTE: '3', RATE_LIMIT_APP_READS_PER_MINUTE: '4' }, 0);

  it('gives rotating agent names no fresh budget: the installation has one of its own', async () => {
    for (const agent of ['agent-1', 'agent-2', 'agent-3'])
      expect((await mintAs(service(), 'acme', { agent })).status).toBe(201);
    const refused = await mintAs(service(), 'acme', { agent: 'agent-4' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Resends are counted with mints.
    const listed = await request<{ licenses: LicenseRecord[] }>(
      `${service().url}/api/v1/licenses?email=budget%40example.org`,
      { token: await signAppToken(APP_SECRET, { now: service().clock.now(), claims: { sub: 'acme' } }) },
    );
    const resend = await request<ErrorBody>(
      `${service().url}/api/v1/licenses/${listed.body.licenses[0]?.license.id}/resend`,
      {
        method: 'POST',
        token: await signAppToken(APP_SECRET, { now: service().clock.now(), claims: { sub: 'acme' } }),
      },
    );
    expect(resend.status).toBe(429);
    expect(await licenseCount(service())).toBe(3);
  });

  it('gives another token subject no fresh budget: one APP_SECRET is one installation', async () => {
    expect((await mintAs(service(), 'globex', { agent: 'agent-1' })).status).toBe(429);
  });
});

describe('rate limit: reads', () => {
  const service = serviceWith({ RATE_LIMIT_APP_PER_MINUTE: '3', RATE_LIMIT_APP_READS_PER_MINUTE: '4' }, 0);

  it("gives reads a budget of their own: a busy team's history views never block a mint", async () => {
    const token = await signAppToken(APP_SECRET, { now: service().clock.now(), claims: { sub: 'initech' } });
    const list = () => request(`${service().url}/api/v1/licenses?email=budget%40example.org`, { token });
    for (let i = 0; i < 4; i += 1) expect((await list()).status).toBe(200);
    expect((await list()).status).toBe(429);
    expect((await mintAs(service(), 'initech', { agent: 'reader' })).status).toBe(201);
  });
});

describe('unlimited resends', () => {
  const service = serviceWith({});
  let id: string;
  beforeAll(async () => {
    const minted = await request<LicenseRecord>(`${service().url}/api/v1/licenses`, {
      token: await service().appToken(),
      body: { agent: 'asmith', userCount: 5, email: 'resend@example.org' },
    });
    id = minted.body.license.id;
  });

  const resend = async (token: string = LOOKUP_TOKEN) =>
    request<LicenseRecord & ErrorBody>(`${service().url}/api/v1/licenses/${id}/resend`, { method: 'POST', token });

  it('allows MAX_RESENDS_PER_LICENSE_PER_DAY (5) resends of one license a day, then 429 resend_limit sending nothing', async () => {
    await smtp.waitForMessages(messagesTo('resend@example.org') > 0 ? 0 : smtp.messages.length + 1);
    const before = messagesTo('resend@example.org');
    for (let i = 0; i < 5; i += 1)
      expect((await resend(i % 2 ? LOOKUP_TOKEN : await service().appToken())).status).toBe(200);
    expect(messagesTo('resend@example.org')).toBe(before + 5);

    const refused = await resend();
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('resend_limit');
    // The first of the five leaves the rolling window a day after it was sent.
    expect(Number(refused.headers.get('retry-after'))).toBe(24 * 60 * 60);
    expect((await resend(await service().appToken())).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messagesTo('resend@example.org')).toBe(before + 5);
    const audit = await service().store.listAudit(id);
    expect(audit.filter((entry) => entry.action === 'resent')).toHaveLength(5);

    service().clock.advance(24 * 60 * 60_000 + 1000);
    expect((await resend()).status).toBe(200);
  });
});

describe('unlimited resends to one requester', () => {
  const service = serviceWith({ MAX_LICENSES_PER_EMAIL_PER_DAY: '4' });

  it('counts resends with the daily ceiling per requester email (MAX_LICENSES_PER_EMAIL_PER_DAY)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const minted = await request<LicenseRecord>(`${service().url}/api/v1/licenses`, {
        token: await service().appToken(),
        body: { agent: 'asmith', userCount: 5, email: 'Ceiling@example.org' },
      });
      expect(minted.status).toBe(201);
      ids.push(minted.body.license.id);
    }
    const resendOf = (id: string) =>
      request<ErrorBody>(`${service().url}/api/v1/licenses/${id}/resend`, { method: 'POST', token: LOOKUP_TOKEN });
    // Two licenses and two resends reach the ceiling of four, though each license was resent once.
    expect((await resendOf(ids[0] as string)).status).toBe(200);
    expect((await resendOf(ids[1] as string)).status).toBe(200);
    const refused = await resendOf(ids[0] as string);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('email_daily_limit');
    expect(Number(refused.headers.get('retry-after'))).toBe(24 * 60 * 60);
  });
});

describe('sign-out keeps the session alive', () => {
  const service = serviceWith({});

  async function signIn(): Promise<string> {
    const response = await fetch(`${service().url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN, name: 'Dana Desk' }).toString(),
    });
    expect(response.status).toBe(303);
    return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  }

  const page = async (cookie: string, path = '/lookup') => {
    const response = await fetch(`${service().url}${path}`, { headers: { cookie }, redirect: 'manual' });
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const signOut = (headers: Record<string, string>, body: Record<string, string>) =>
    fetch(`${service().url}/lookup/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
    });

  it('ends the session on the server: the old cookie opens nothing afterwards', async () => {
    const cookie = await signIn();
    const signedIn = await page(cookie);
    expect(signedIn.body).toContain('Email, ticket or license id');
    const out = await signOut({ cookie }, { csrf: csrfOf(signedIn.body) });
    expect(out.status).toBe(303);
    // The attacker kept a copy of the cookie: it no longer opens the page, a search or a download.
    for (const path of ['/lookup', '/lookup?q=someone%40example.org', '/lookup/licenses/lic_x/download']) {
      const replayed = await page(cookie, path);
      expect(replayed.body).toContain('Lookup token');
      expect(replayed.body).not.toContain('Email, ticket or license id');
    }
    const rows = await sql<{ n: number }>`select count(*) as n from lookup_sessions`.execute(service().store.db);
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it('a cross-site POST (no cookie, no CSRF token) does not sign a person out', async () => {
    const cookie = await signIn();
    // SameSite=Strict keeps the cookie off a cross-site form: the answer must not clear it either.
    const crossSite = await signOut({ origin: 'https://evil.example' }, {});
    expect(crossSite.headers.get('set-cookie') ?? '').not.toMatch(/mintdesk_session=;/);
    // With the cookie but without the token: refused, and the session still works.
    const forged = await signOut({ cookie }, { csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('set-cookie') ?? '').not.toMatch(/mintdesk_session=;/);
    expect((await page(cookie)).body).toContain('Email, ticket or license id');
  });
});

describe('unlimited bearer guessing', () => {
  const service = serviceWith({});
  const list = (token: string, localAddress: string) =>
    rawRequest(`${service().url}/api/v1/licenses?email=guess%40example.org`, {
      headers: { authorization: `Bearer ${token}` },
      localAddress,
    });

  it('refuses wrong lookup tokens with 429 after about 20 a minute from one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i += 1) statuses.push((await list(`guess-${i}-0123456789abcdef`, '127.0.0.2')).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(5).fill(429));
    const refused = await list('guess-x-0123456789abcdef', '127.0.0.2');
    expect(ErrorBody.parse(JSON.parse(refused.body)).error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The same budget covers the sign-in form.
    const form = await rawRequest(`${service().url}/lookup/sign-in`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN }).toString(),
      localAddress: '127.0.0.2',
    });
    expect(form.status).toBe(429);
  });

  it('still admits a rightly signed app token from the blocked address (an HMAC key cannot be guessed)', async () => {
    // The Zendesk proxy sends every installation's requests from a few shared addresses.
    expect((await list(await service().appToken(), '127.0.0.2')).status).toBe(200);
    // A lookup token can be guessed: from the blocked address even the right one waits.
    expect((await list(LOOKUP_TOKEN, '127.0.0.2')).status).toBe(429);
  });

  it('never refuses a correct credential because someone else guessed wrong elsewhere', async () => {
    expect((await list(LOOKUP_TOKEN, '127.0.0.3')).status).toBe(200);
    expect((await list(await service().appToken(), '127.0.0.3')).status).toBe(200);
    const form = await rawRequest(`${service().url}/lookup/sign-in`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN }).toString(),
      localAddress: '127.0.0.3',
    });
    expect(form.status).toBe(303);
  });

  it('counts wrong app token signatures too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i += 1) {
      const forged = await signAppToken(`wrong-secret-${i}-0123456789abcdef`, { now: service().clock.now() });
      statuses.push((await list(forged, '127.0.0.4')).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual([429, 429]);
  });

  it('does not count a rightly signed token whose time is off (a clock problem, not a guess)', async () => {
    const expired = await signAppToken(APP_SECRET, { now: new Date(service().clock.now().getTime() - 3_600_000) });
    for (let i = 0; i < 25; i += 1) expect((await list(expired, '127.0.0.5')).status).toBe(401);
  });

  it('counts failures only: the sign-in form never locks out a right token for successes', async () => {
    for (let i = 0; i < 30; i += 1) {
      const response = await rawRequest(`${service().url}/lookup/sign-in`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: LOOKUP_TOKEN }).toString(),
        localAddress: '127.0.0.6',
      });
      expect(response.status).toBe(303);
    }
  });
});

describe('license keys kept out of caches', () => {
  const service = serviceWith({});

  it('answers mint, get, list, resend, download and the lookup page with Cache-Control: no-store', async () => {
    const minted = await request<LicenseRecord>(`${service().url}/api/v1/licenses`, {
      token: await service().appToken(),
      body: { agent: 'asmith', userCount: 2, email: 'cache@example.org' },
    });
    expect(minted.status).toBe(201);
    expect(minted.headers.get('cache-control')).toBe('no-store');
    const id = minted.body.license.id;
    for (const [path, method] of [
      [`/api/v1/licenses/${id}`, 'GET'],
      ['/api/v1/licenses?email=cache%40example.org', 'GET'],
      [`/api/v1/licenses/${id}/resend`, 'POST'],
      [`/api/v1/licenses/${id}/download`, 'GET'],
    ] as const) {
      const response = await request(`${service().url}${path}`, { method, token: LOOKUP_TOKEN });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control'), path).toBe('no-store');
    }
    const signIn = await fetch(`${service().url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN }).toString(),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    for (const path of ['/lookup?q=cache%40example.org', `/lookup/licenses/${id}/download`]) {
      const response = await fetch(`${service().url}${path}`, { headers: { cookie } });
      expect(await response.text(), path).toContain(minted.body.license.key);
      expect(response.headers.get('cache-control'), path).toBe('no-store');
    }
  });
});

describe("Fastify's own refusals in the contract's error shape", () => {
  const service = serviceWith({});

  it.each([
    ['an over-long path segment', `/api/v1/licenses/${'a'.repeat(300)}`, 414, 'uri_too_long'],
    ['a malformed percent-escape', '/api/v1/licenses/%E0%A4%A', 400, 'bad_request'],
    ['a malformed escape on the page', '/lookup/%', 400, 'bad_request'],
  ])('%s', async (_name, path, status, code) => {
    const response = await rawRequest(`${service().url}${path}`, {
      headers: { authorization: `Bearer ${LOOKUP_TOKEN}` },
    });
    expect(response.status).toBe(status);
    expect(ErrorBody.parse(JSON.parse(response.body)).error.code).toBe(code);
  });

  it('answers headers over the limit with 431 in the contract shape', async () => {
    const response = await rawRequest(`${service().url}/api/v1/licenses/${'a'.repeat(90_000)}`);
    expect(response.status).toBe(431);
    expect(ErrorBody.parse(JSON.parse(response.body)).error.code).toBe('headers_too_large');
  });
});

describe('CR/LF in the lookup page next and back parameters', () => {
  const service = serviceWith({});

  it.each(['/lookup\r\nSet-Cookie: x=1', '/lookup?q=a\nb', '/lookup\u2028x', '/lookup?q=\u00e9'])(
    'sign-in with next=%j redirects safely to /lookup',
    async (next) => {
      const response = await fetch(`${service().url}/lookup/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: LOOKUP_TOKEN, next }).toString(),
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/lookup');
    },
  );

  it('resend with back containing CR/LF redirects safely', async () => {
    const minted = await request<LicenseRecord>(`${service().url}/api/v1/licenses`, {
      token: await service().appToken(),
      body: { agent: 'asmith', userCount: 2, email: 'crlf@example.org' },
    });
    const signIn = await fetch(`${service().url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN }).toString(),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const pageHtml = await (await fetch(`${service().url}/lookup`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(pageHtml)?.[1] ?? '';
    const response = await fetch(`${service().url}/lookup/licenses/${minted.body.license.id}/resend`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, back: '/lookup?q=1\r\nX-Evil: 1' }).toString(),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/lookup?resent=${minted.body.license.id}`);
  });
});

describe('logs keep request paths but not the emails and searches in query strings', () => {
  it('logs /api/v1/licenses and /lookup without their query strings', async () => {
    const child = await spawnService({ DATA_DIR: tempDir(), LOG_LEVEL: 'info', APP_SECRET, LOOKUP_TOKEN });
    try {
      await request(`${child.url}/api/v1/licenses?email=private.person%40example.org`, { token: LOOKUP_TOKEN });
      await request(`${child.url}/api/v1/licenses?ticketId=987654321`, { token: LOOKUP_TOKEN });
      await request(`${child.url}/lookup?q=secret-search%40example.org`);
      await request(`${child.url}/healthz`);
      // Log lines reach the pipe asynchronously; a loaded machine may take a while.
      const deadline = Date.now() + 30_000;
      while (!child.output().includes('"url":"/healthz"') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const output = child.output();
      expect(output).toContain('"url":"/api/v1/licenses?[redacted]"');
      expect(output).toContain('"url":"/lookup?[redacted]"');
      expect(output).not.toMatch(/private\.person|secret-search|987654321/);
      expect(output).not.toContain(LOOKUP_TOKEN);
    } finally {
      child.process.kill('SIGTERM');
      await child.exited;
    }
  });
});

describe('unlimited resends from the lookup page', () => {
  const service = serviceWith({ MAX_RESENDS_PER_LICENSE_PER_DAY: '1' });

  it('refuses a resend over the ceiling with 429, says why on the page, and sends nothing', async () => {
    const minted = await request<LicenseRecord>(`${service().url}/api/v1/licenses`, {
      token: await service().appToken(),
      body: { agent: 'asmith', userCount: 2, email: 'page-resend@example.org' },
    });
    const signIn = await fetch(`${service().url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN }).toString(),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const html = await (await fetch(`${service().url}/lookup`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const resend = () =>
      fetch(`${service().url}/lookup/licenses/${minted.body.license.id}/resend`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, back: '/lookup' }).toString(),
      });
    expect((await resend()).status).toBe(303);
    const sent = messagesTo('page-resend@example.org');
    const refused = await resend();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(24 * 60 * 60));
    const body = await refused.text();
    expect(body).toContain('already resent');
    expect(body).toContain('Email, ticket or license id');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messagesTo('page-resend@example.org')).toBe(sent);
  });
});

describe('wrong credentials counted per real client behind a trusted proxy (TRUST_PROXY)', () => {
  const service = serviceWith({ TRUST_PROXY: '127.0.0.1' });
  const list = (token: string, client: string) =>
    rawRequest(`${service().url}/api/v1/licenses?email=guess%40example.org`, {
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
    });

  it('blocks the guessing client only, not everyone behind the proxy', async () => {
    for (let i = 0; i < 20; i += 1) expect((await list(`wrong-${i}-0123456789abcdef`, '203.0.113.7')).status).toBe(401);
    expect((await list('wrong-x-0123456789abcdef', '203.0.113.7')).status).toBe(429);
    expect((await list('wrong-y-0123456789abcdef', '203.0.113.8')).status).toBe(401);
    expect((await list(LOOKUP_TOKEN, '203.0.113.8')).status).toBe(200);
  });
});
