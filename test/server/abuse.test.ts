import type { LicenseRecord } from '@mintdesk/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@mintdesk/server/config.ts';
import { request } from '../support/http.ts';
import { APP_SECRET, LOOKUP_TOKEN, startTestService, type TestService } from '../support/service.ts';
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
function serviceWith(env: Record<string, string>): () => TestService {
  let service: TestService | undefined;
  beforeAll(async () => {
    service = await startTestService({ smtpUrl: smtp.url, env, mintWaitMs: 0 });
  });
  afterAll(async () => {
    await service?.close();
  });
  return () => {
    if (!service) throw new Error('starts in beforeAll');
    return service;
  };
}

async function mint(service: TestService, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return request<LicenseRecord & { error: { code: string; message: string } }>(`${service.url}/api/v1/licenses`, {
    token: await service.appToken(),
    body: { agent: 'asmith', userCount: 5, email: 'limit@example.org', ...body },
    headers,
  });
}

async function countLicenses(service: TestService, email: string): Promise<number> {
  const listed = await request<{ licenses: LicenseRecord[] }>(
    `${service.url}/api/v1/licenses?email=${encodeURIComponent(email)}`,
    { token: LOOKUP_TOKEN },
  );
  return listed.body.licenses.length;
}

describe('security headers', () => {
  const service = serviceWith({});

  it.each(['/healthz', '/.well-known/jwks.json', '/api/v1/licenses', '/lookup', '/preview', '/metrics', '/nope'])(
    '%s carries them',
    async (path) => {
      const response = await fetch(`${service().url}${path}`);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'|default-src 'self'/);
      expect(response.headers.get('x-frame-options')).toMatch(/DENY|SAMEORIGIN/);
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('x-request-id')).toBeTruthy();
    },
  );

  it('does not announce HSTS over plain http', async () => {
    const response = await fetch(`${service().url}/healthz`);
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('rate limit per app installation and agent', () => {
  const service = serviceWith({ RATE_LIMIT_APP_PER_MINUTE: '3' });

  it('answers 429 with Retry-After after the budget, and mints nothing more', async () => {
    for (let i = 0; i < 3; i += 1)
      expect((await mint(service(), { email: 'agent-limit@example.org' })).status).toBe(201);
    const refused = await mint(service(), { email: 'agent-limit@example.org' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.body.error.message).toMatch(/try again in \d+ seconds?/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await countLicenses(service(), 'agent-limit@example.org')).toBe(3);
  });

  it('does not count refused tokens against the caller', async () => {
    const token = await signAppToken(APP_SECRET, { now: service().clock.now(), claims: { sub: 'fresh-install' } });
    for (let i = 0; i < 5; i += 1) {
      const forged = await request(`${service().url}/api/v1/licenses`, {
        token: await signAppToken('wrong-secret-0123456789abcdef0123', {
          now: service().clock.now(),
          claims: { sub: 'fresh-install' },
        }),
        body: { agent: 'cfresh', userCount: 1, email: 'x@example.org' },
      });
      expect(forged.status).toBe(401);
    }
    const answer = await request(`${service().url}/api/v1/licenses`, {
      token,
      body: { agent: 'cfresh', userCount: 1, email: 'x@example.org' },
    });
    expect(answer.status).toBe(201);
  });
});

describe('rate limit for the lookup token, when the operator sets one', () => {
  const service = serviceWith({ RATE_LIMIT_LOOKUP_API_PER_MINUTE: '2' });

  it('answers 429 on the lookup API after the budget', async () => {
    const url = `${service().url}/api/v1/licenses?email=someone%40example.org`;
    expect((await request(url, { token: LOOKUP_TOKEN })).status).toBe(200);
    expect((await request(url, { token: LOOKUP_TOKEN })).status).toBe(200);
    const refused = await request<{ error: { code: string } }>(url, { token: LOOKUP_TOKEN });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('rate limit per lookup page session', () => {
  const service = serviceWith({ RATE_LIMIT_LOOKUP_PER_MINUTE: '2' });

  async function signIn(): Promise<string> {
    const response = await fetch(`${service().url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN, next: '/lookup' }).toString(),
    });
    return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  }

  it('shows the search page with a wait message, and other sessions keep their own budget', async () => {
    const first = await signIn();
    const search = (cookie: string) => fetch(`${service().url}/lookup?q=nobody%40example.org`, { headers: { cookie } });
    expect((await search(first)).status).toBe(200);
    expect((await search(first)).status).toBe(200);
    const refused = await search(first);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const html = await refused.text();
    expect(html).toContain('Too many searches from this session');
    expect(html).toContain('Email, ticket or license id');

    const second = await signIn();
    expect((await search(second)).status).toBe(200);
  });
});

describe('ceiling on licenses per requester email per day', () => {
  const service = serviceWith({ MAX_LICENSES_PER_EMAIL_PER_DAY: '2' });

  it('refuses the third license in 24 hours with 429 and Retry-After, whatever the case of the address', async () => {
    const first = await mint(service(), { email: 'ceiling@example.org' }, { 'idempotency-key': 'ceiling-1' });
    expect(first.status).toBe(201);
    service().clock.advance(60 * 60_000);
    expect((await mint(service(), { email: 'ceiling@example.org' })).status).toBe(201);

    const refused = await mint(service(), { email: 'Ceiling@Example.org' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('email_daily_limit');
    expect(refused.body.error.message).toContain('Ceiling@Example.org');
    // The first license leaves the rolling window 23 hours from now.
    expect(Number(refused.headers.get('retry-after'))).toBe(23 * 60 * 60);
    expect(await countLicenses(service(), 'ceiling@example.org')).toBe(2);

    // An idempotent repeat of a license already minted is not a new license.
    const replay = await mint(service(), { email: 'ceiling@example.org' }, { 'idempotency-key': 'ceiling-1' });
    expect(replay.status).toBe(201);
    expect(replay.body.license.id).toBe(first.body.license.id);

    expect((await mint(service(), { email: 'other@example.org' })).status).toBe(201);

    service().clock.advance(23 * 60 * 60_000 + 1000);
    expect((await mint(service(), { email: 'ceiling@example.org' })).status).toBe(201);
  });

  it('holds under concurrent mints for one address', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => mint(service(), { email: 'race@example.org' })));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(2);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(6);
    expect(await countLicenses(service(), 'race@example.org')).toBe(2);
  });
});

describe('group commit', () => {
  const service = serviceWith({ RATE_LIMIT_APP_PER_MINUTE: '0' });

  it('acknowledges every concurrent mint with its own stored license', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => mint(service(), { email: 'group@example.org', userCount: i + 1 })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(60).fill(201));
    const ids = new Set(answers.map((answer) => answer.body.license.id));
    expect(ids.size).toBe(60);
    const stored = await request<{ licenses: LicenseRecord[] }>(
      `${service().url}/api/v1/licenses?email=group%40example.org&limit=500`,
      { token: LOOKUP_TOKEN },
    );
    expect(new Set(stored.body.licenses.map((record) => record.license.id))).toEqual(ids);
    for (const answer of answers) {
      const kept = stored.body.licenses.find((record) => record.license.id === answer.body.license.id);
      expect(kept?.license.key).toBe(answer.body.license.key);
      expect(kept?.license.userCount).toBe(answer.body.license.userCount);
    }
  });
});

describe('abuse settings', () => {
  it.each([
    ['MAX_LICENSES_PER_EMAIL_PER_DAY', '0'],
    ['MAX_LICENSES_PER_EMAIL_PER_DAY', 'many'],
    ['RATE_LIMIT_APP_PER_MINUTE', '-1'],
    ['RATE_LIMIT_LOOKUP_PER_MINUTE', '1.5'],
    ['RATE_LIMIT_LOOKUP_API_PER_MINUTE', 'x'],
  ])('%s=%s is refused by name', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('has no email ceiling and generous rate limits by default', () => {
    const config = loadConfig({});
    expect(config.maxLicensesPerEmailPerDay).toBeUndefined();
    expect(config.rateLimits).toEqual({
      appPerMinute: 600,
      appReadsPerMinute: 1800,
      lookupSessionPerMinute: 120,
      lookupApiPerMinute: 0,
      authFailuresPerMinute: 20,
    });
    expect(config.maxResendsPerLicensePerDay).toBe(5);
    expect(loadConfig({ MAX_LICENSES_PER_EMAIL_PER_DAY: '3' }).maxLicensesPerEmailPerDay).toBe(3);
  });
});
