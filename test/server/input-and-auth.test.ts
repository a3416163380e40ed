import { ErrorBody } from '@mintdesk/shared';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { APP_SECRET, LOOKUP_TOKEN, type TestService } from '../support/service.ts';
import { signAppToken } from '../support/tokens.ts';

// Many wrong tokens on purpose: the per-address failure budget has tests of its own (security.test.ts).
const fixture = useTestService({ env: { MAX_USER_COUNT: '500', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000' } });
let service: TestService;

beforeAll(async () => {
  service = fixture.service;
});

const valid = { agent: 'asmith', userCount: 25, email: 'jane@example.org' };

async function licenseCount(): Promise<number> {
  const rows = await service.store.db.selectFrom('licenses').select('id').execute();
  return rows.length;
}

describe('bad input gets a 400 naming the field and mints nothing', () => {
  const cases: Array<[string, unknown, string]> = [
    ['unknown field', { ...valid, days: 30 }, 'days'],
    ['missing agent', { userCount: 1, email: 'a@example.org' }, 'agent'],
    ['empty agent', { ...valid, agent: '' }, 'agent'],
    ['blank agent', { ...valid, agent: '   ' }, 'agent'],
    ['agent over 100 characters', { ...valid, agent: 'a'.repeat(101) }, 'agent'],
    ['agent with a newline', { ...valid, agent: 'as\nmith' }, 'agent'],
    ['agent with a NUL', { ...valid, agent: 'as\u0000mith' }, 'agent'],
    ['agent with DEL', { ...valid, agent: 'as\u007fmith' }, 'agent'],
    ['agent as a number', { ...valid, agent: 7 }, 'agent'],
    ['userCount as a string', { ...valid, userCount: '25' }, 'userCount'],
    ['userCount zero', { ...valid, userCount: 0 }, 'userCount'],
    ['userCount negative', { ...valid, userCount: -3 }, 'userCount'],
    ['userCount fractional', { ...valid, userCount: 2.5 }, 'userCount'],
    ['userCount over MAX_USER_COUNT', { ...valid, userCount: 501 }, 'userCount'],
    ['userCount null', { ...valid, userCount: null }, 'userCount'],
    ['missing userCount', { agent: 'a', email: 'a@example.org' }, 'userCount'],
    ['malformed email', { ...valid, email: 'not-an-email' }, 'email'],
    ['email with CR/LF header injection', { ...valid, email: 'jane@example.org\r\nBcc: evil@example.com' }, 'email'],
    ['email with a trailing LF', { ...valid, email: 'jane@example.org\n' }, 'email'],
    ['email over 254 characters', { ...valid, email: `${'a'.repeat(64)}@${'b'.repeat(190)}.org` }, 'email'],
    ['email with two @', { ...valid, email: 'a@b@example.org' }, 'email'],
    ['ticketId zero', { ...valid, ticketId: 0 }, 'ticketId'],
    ['ticketId as a string', { ...valid, ticketId: '1234' }, 'ticketId'],
    ['ticketId fractional', { ...valid, ticketId: 1.5 }, 'ticketId'],
    ['ticketUrl over http', { ...valid, ticketUrl: 'http://acme.zendesk.com/agent/tickets/1' }, 'ticketUrl'],
    ['ticketUrl javascript:', { ...valid, ticketUrl: 'javascript:alert(1)' }, 'ticketUrl'],
    ['ticketUrl not a URL', { ...valid, ticketUrl: 'ticket 12' }, 'ticketUrl'],
  ];

  it.each(cases)('%s', async (_name, body, field) => {
    const before = await licenseCount();
    const response = await request(`${service.url}/api/v1/licenses`, { token: await service.appToken(), body });
    expect(response.status).toBe(400);
    const error = ErrorBody.parse(response.body).error;
    expect(error.code).toBe('validation_failed');
    expect(error.fields).toHaveProperty(field);
    expect(error.message).toContain(field);
    expect(await licenseCount()).toBe(before);
  });

  it.each([
    ['malformed JSON', '{"agent": "a",', 'invalid_json'],
    ['an array', '[1,2]', 'validation_failed'],
    ['null', 'null', 'validation_failed'],
    [
      'a prototype-poisoning body',
      '{"__proto__": {"x": 1}, "agent": "a", "userCount": 1, "email": "a@example.org"}',
      'invalid_json',
    ],
  ])('%s → 400', async (_name, rawBody, code) => {
    const response = await request(`${service.url}/api/v1/licenses`, { token: await service.appToken(), rawBody });
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(response.body).error.code).toBe(code);
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const response = await request(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: { ...valid, agent: 'a'.repeat(70 * 1024) },
    });
    expect(response.status).toBe(413);
    expect(ErrorBody.parse(response.body).error.code).toBe('payload_too_large');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await request(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      rawBody: 'agent=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
    expect(ErrorBody.parse(response.body).error.code).toBe('unsupported_media_type');
  });

  it('refuses a list query without email or ticketId, and a non-numeric ticketId', async () => {
    for (const query of ['', '?ticketId=abc', '?ticketId=0', '?email=a@example.org&limit=9999']) {
      const response = await request(`${service.url}/api/v1/licenses${query}`, { token: LOOKUP_TOKEN });
      expect(response.status).toBe(400);
      expect(ErrorBody.parse(response.body).error.fields).toBeDefined();
    }
  });
});

describe('authentication', () => {
  const now = () => service.clock.now();
  const iat = () => Math.floor(now().getTime() / 1000);

  async function mintWith(token: string | undefined) {
    return request(`${service.url}/api/v1/licenses`, { token, body: valid });
  }

  const sign = (claims: Record<string, number>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(APP_SECRET));

  const refused: Array<[string, () => Promise<string | undefined>]> = [
    ['no token', async () => undefined],
    ['an expired token', () => signAppToken(APP_SECRET, { now: new Date(now().getTime() - 600_000), lifetimeS: 300 })],
    ['a token living over an hour', () => signAppToken(APP_SECRET, { now: now(), lifetimeS: 3601 })],
    ['a token from the future', () => signAppToken(APP_SECRET, { now: new Date(now().getTime() + 600_000) })],
    ['a not-yet-valid token', () => signAppToken(APP_SECRET, { now: now(), claims: { nbf: iat() + 600 } })],
    ['the wrong secret', () => signAppToken('another-secret-0123456789abcdef', { now: now() })],
    ['HS512', () => signAppToken(APP_SECRET, { now: now(), alg: 'HS512' })],
    [
      'no exp',
      () => new SignJWT({ iat: iat() }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(APP_SECRET)),
    ],
    ['no iat and exp over an hour ahead', () => sign({ exp: iat() + 3600 + 31 })],
    ['no iat and a past exp', () => sign({ exp: iat() - 31 })],
    ['an iat in the future with a near exp', () => sign({ iat: iat() + 31, exp: iat() + 120 })],
    ['an iat over an hour before exp', () => sign({ iat: iat() - 60, exp: iat() + 3541 })],
    [
      'alg none',
      async () => {
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iat: iat(), exp: iat() + 60 })}.`;
      },
    ],
    ['the lookup token', async () => LOOKUP_TOKEN],
    ['garbage', async () => 'not.a.token'],
  ];

  it.each(refused)('mint refuses %s with 401', async (_name, makeToken) => {
    const before = await licenseCount();
    const response = await mintWith(await makeToken());
    expect(response.status).toBe(401);
    expect(ErrorBody.parse(response.body).error.code).toBe('unauthorized');
    expect(await licenseCount()).toBe(before);
  });

  it('answers 401 before reading a bad body', async () => {
    const response = await request(`${service.url}/api/v1/licenses`, { rawBody: '{broken' });
    expect(response.status).toBe(401);
  });

  // The Zendesk proxy signs the claims the app sends, with `exp` from `expiry`, and may add no `iat`.
  it.each([
    ['no iat', () => sign({ exp: iat() + 60 })],
    ['no iat and exp exactly one hour ahead', () => sign({ exp: iat() + 3600 })],
    ['no iat and exp one hour ahead within the tolerance', () => sign({ exp: iat() + 3600 + 29 })],
    ['an iat with exp one hour later', () => sign({ iat: iat() - 1, exp: iat() + 3599 })],
  ])('tokens without iat are accepted: %s', async (_name, makeToken) => {
    expect((await mintWith(await makeToken())).status).toBe(201);
  });

  it('accepts a token within the 30 s clock tolerance', async () => {
    const token = await signAppToken(APP_SECRET, { now: new Date(now().getTime() - 320_000), lifetimeS: 300 });
    expect((await mintWith(token)).status).toBe(201);
  });

  it('keeps the download for lookup callers only', async () => {
    const minted = await request<{ license: { id: string; key: string } }>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: valid,
    });
    const url = `${service.url}/api/v1/licenses/${minted.body.license.id}/download`;
    expect((await request(url, { token: await service.appToken() })).status).toBe(401);
    const download = await request(url, { token: LOOKUP_TOKEN });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="license.jwt"');
    expect(download.body).toBe(minted.body.license.key);
  });

  it('opens get, list and resend to both callers and to nobody else', async () => {
    const minted = await request<{ license: { id: string } }>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: { ...valid, email: 'both@example.org' },
    });
    const id = minted.body.license.id;
    for (const token of [LOOKUP_TOKEN, await service.appToken()]) {
      expect((await request(`${service.url}/api/v1/licenses/${id}`, { token })).status).toBe(200);
      expect((await request(`${service.url}/api/v1/licenses?email=both@example.org`, { token })).status).toBe(200);
    }
    for (const token of [undefined, 'wrong-lookup-token-0123456789']) {
      expect((await request(`${service.url}/api/v1/licenses/${id}`, { token })).status).toBe(401);
      expect((await request(`${service.url}/api/v1/licenses?email=both@example.org`, { token })).status).toBe(401);
      expect((await request(`${service.url}/api/v1/licenses/${id}/resend`, { method: 'POST', token })).status).toBe(
        401,
      );
    }
  });
});

describe('tokens signed with other algorithms', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('refuses %s even with valid claims', async (alg) => {
    const { generateKeyPair } = await import('jose');
    const { privateKey } = await generateKeyPair(alg);
    const iat = Math.floor(service.clock.now().getTime() / 1000);
    const token = await new SignJWT({ iat, exp: iat + 60 }).setProtectedHeader({ alg }).sign(privateKey);
    const response = await request(`${service.url}/api/v1/licenses`, { token, body: valid });
    expect(response.status).toBe(401);
  });

  it('refuses the app token on the lookup-only download', async () => {
    const response = await request(`${service.url}/api/v1/licenses/lic_anything/download`, {
      token: await service.appToken(),
    });
    expect(response.status).toBe(401);
  });
});

describe('unknown fields named like Object.prototype members', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])(
    'an unknown field %s is named in the 400 (found by the mint fuzz)',
    async (name) => {
      const response = await request(`${service.url}/api/v1/licenses`, {
        token: await service.appToken(),
        rawBody: `{"agent":"a","userCount":1,"email":"a@example.org","${name}":[]}`,
      });
      expect(response.status).toBe(400);
      const error = ErrorBody.parse(response.body).error;
      if (name !== '__proto__') expect(Object.keys(error.fields ?? {})).toContain(name);
      expect(error.message).not.toBe('Fields refused: .');
    },
  );
});
