import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { dayFrom, mint } from '../support/licenses.ts';
import { addPerson } from '../support/people.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';

const fixture = useTestService();
let service: TestService;
let personal: string;

beforeAll(async () => {
  service = fixture.service;
  personal = await addPerson(service.dataDir, 'Maria Approver', true);
});

async function signIn(form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${service.url}/lookup/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ next: '/lookup', ...form }).toString(),
  });
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { status: response.status, cookie, body: await response.text() };
}

async function page(cookie: string, path = '/lookup') {
  const response = await fetch(`${service.url}${path}`, { headers: { cookie } });
  return { status: response.status, body: await response.text() };
}

describe('login CSRF on /lookup/sign-in', () => {
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['an Origin of another site', { origin: 'https://evil.example' }],
    ['an opaque Origin (null) and no Sec-Fetch-Site', { origin: 'null' }],
    ['an opaque Origin (null) from another site', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ['an Origin on another port of this host', { origin: 'http://127.0.0.1:1' }],
  ])('refuses a sign-in posted with %s (403, no session cookie)', async (_what, headers) => {
    for (const token of [LOOKUP_TOKEN, personal]) {
      const answer = await signIn({ token }, headers);
      expect(answer.status).toBe(403);
      expect(answer.cookie).toBe('');
      expect(answer.body).toContain('That sign-in came from another site');
    }
  });

  it('signs in from this page: same-origin headers, or none (a script)', async () => {
    const origin = new URL(service.url).origin;
    const allowed: Array<Record<string, string>> = [
      { origin, 'sec-fetch-site': 'same-origin' },
      // Chromium under our Referrer-Policy: no-referrer.
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      {},
    ];
    for (const headers of allowed) {
      const answer = await signIn({ token: LOOKUP_TOKEN }, headers);
      expect(answer.status).toBe(303);
      expect(answer.cookie).toMatch(/=/);
    }
  });
});

describe("operator token signing in under a person's name", () => {
  it.each(['Maria Approver', 'maria  APPROVER', 'Мaria Approver'])(
    'refuses the lookup token with the typed name %j of a person who has a credential',
    async (name) => {
      const answer = await signIn({ token: LOOKUP_TOKEN, name });
      expect(answer.status).toBe(403);
      expect(answer.cookie).toBe('');
      expect(answer.body).toContain('Maria Approver has a personal credential: sign in with it.');
    },
  );

  it('records any other typed name as the operator’s: "operator (NAME)"', async () => {
    const answer = await signIn({ token: LOOKUP_TOKEN, name: 'Dana Desk' });
    expect(answer.status).toBe(303);
    expect((await page(answer.cookie)).body).toContain('operator (Dana Desk)');
  });
});

describe('signed-in user shown the sign-in form on a refused lookup action', () => {
  it('answers a resend of a license waiting for approval with the search page and the reason (409)', async () => {
    const pending = await mint(service, {
      kind: 'order',
      agent: 'asmith',
      email: 'held@acme.example',
      userCount: 10,
      licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
      term: 'subscription',
      deployment: 'cloud',
      startsAt: dayFrom(service, 0),
      endsAt: dayFrom(service, 365),
      orderRef: 'PO-409',
    });
    expect(pending.status).toBe(202);
    const { cookie } = await signIn({ token: personal });
    const csrf = /name="csrf" value="([^"]+)"/.exec((await page(cookie)).body)?.[1] ?? '';
    const response = await fetch(`${service.url}/lookup/licenses/${pending.body.license.id}/resend`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ csrf, back: '/lookup' }).toString(),
    });
    const body = await response.text();
    expect(response.status).toBe(409);
    expect(body).toContain('Email, ticket or license id');
    expect(body).not.toContain('Lookup token');
    expect(body).toContain(`License ${pending.body.license.id} was never signed`);
  });
});
