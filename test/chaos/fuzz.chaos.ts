import { ErrorBody } from '@mintdesk/shared';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
// The fuzz is about input handling: budgets and ceilings are off so every input meets the validator.
const fixture = useTestService({
  mintWaitMs: 0,
  env: {
    RATE_LIMIT_APP_PER_MINUTE: '0',
    RATE_LIMIT_APP_READS_PER_MINUTE: '0',
    RATE_LIMIT_LOOKUP_PER_MINUTE: '0',
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
  },
});
let service: TestService;
let appToken: string;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  service = fixture.service;
  appToken = await service.appToken(3600);
  session = await signIn();
});

/** A real lookup page session: its cookie and the CSRF token its forms carry. */
async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const signedIn = await service.app.inject({
    method: 'POST',
    url: '/lookup/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: LOOKUP_TOKEN, name: 'Fuzz' }).toString(),
  });
  const cookie = String(signedIn.headers['set-cookie']).split(';')[0] as string;
  const page = await service.app.inject({ method: 'GET', url: '/lookup', headers: { cookie } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!page.body.includes('Email, ticket or license id') || !csrf) throw new Error('sign-in did not work');
  return { cookie, csrf };
}

async function licenseCount(): Promise<number> {
  return (await service.store.db.selectFrom('licenses').select('id').execute()).length;
}

function expectClientError(status: number, body: string): void {
  expect(status, body).toBeGreaterThanOrEqual(400);
  expect(status, body).toBeLessThan(500);
  expect(ErrorBody.safeParse(JSON.parse(body)).success, body).toBe(true);
}

/** Addresses the contract accepts (fast-check's RFC 5322 ones include forms it refuses). */
const address = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_+-]{0,30}$/),
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}[a-z0-9]$/),
    fc.constantFrom('org', 'com', 'example', 'co.uk'),
  )
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);

/** A valid mint request: any of these must mint exactly one license. */
const validBody = fc.record(
  {
    agent: fc
      .string({ minLength: 1, maxLength: 100 })
      .filter((agent) => !/[\p{Cc}\u2028\u2029]/u.test(agent) && agent.trim().length > 0),
    userCount: fc.integer({ min: 1, max: 100_000 }),
    email: address,
    ticketId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    ticketUrl: fc.webUrl({ validSchemes: ['https'] }).filter((url) => url.length <= 2048),
  },
  { requiredKeys: ['agent', 'userCount', 'email'] },
);

/** Every field some kind of mint accepts: a random extra field must be none of them. */
const MINT_FIELDS = [
  'agent',
  'userCount',
  'email',
  'ticketId',
  'ticketUrl',
  'kind',
  'reason',
  'baseLicenseId',
  'addUsers',
  'totalUsers',
  'licensee',
  'term',
  'deployment',
  'startsAt',
  'endsAt',
  'orderRef',
  '__proto__',
];

/** One field made wrong, the rest valid: the answer must name exactly that field. */
const oneFieldWrong = fc.oneof(
  fc.tuple(
    fc.constant('agent'),
    fc.oneof(
      fc.constant(''),
      fc.constant('  '),
      fc.constant('a\nb'),
      fc.integer(),
      fc.string({ minLength: 101, maxLength: 150 }),
      fc.constant(null),
    ),
  ),
  fc.tuple(
    fc.constant('userCount'),
    fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: 100_001 }),
      fc.double({ noInteger: true }),
      fc.string(),
      fc.constant(null),
    ),
  ),
  fc.tuple(
    fc.constant('email'),
    fc.oneof(
      fc.string({ maxLength: 30 }).filter((e) => !e.includes('@')),
      fc.emailAddress().map((e) => `${e}\r\nBcc: x@evil.example`),
      fc.integer(),
    ),
  ),
  fc.tuple(fc.constant('ticketId'), fc.oneof(fc.integer({ max: 0 }), fc.string(), fc.double({ noInteger: true }))),
  fc.tuple(
    fc.constant('ticketUrl'),
    fc.oneof(
      fc.string({ maxLength: 20 }).filter((u) => !u.startsWith('https:')),
      fc.webUrl().map((u) => u.replace(/^https?/, 'http')),
    ),
  ),
  fc.tuple(
    fc.string({ minLength: 1, maxLength: 20 }).filter((name) => !MINT_FIELDS.includes(name)),
    fc.anything().filter((value) => value !== undefined),
  ),
);

/** Anything at all, and whole bodies wrong in many ways at once. */
const anyBody = fc.oneof(fc.anything(), fc.dictionary(fc.string({ maxLength: 12 }), fc.anything(), { maxKeys: 8 }));

type MintCase =
  | { kind: 'valid'; body: Record<string, unknown> }
  | { kind: 'one-field'; body: Record<string, unknown>; field: string }
  | { kind: 'any'; body: unknown; raw: boolean };

const mintCase: fc.Arbitrary<MintCase> = fc.oneof(
  validBody.map((body) => ({ kind: 'valid' as const, body })),
  fc
    .tuple(validBody, oneFieldWrong)
    .map(([body, [field, value]]) => ({ kind: 'one-field' as const, body: { ...body, [field]: value }, field })),
  fc.tuple(anyBody, fc.boolean()).map(([body, raw]) => ({ kind: 'any' as const, body, raw })),
);

describe('hostile input', () => {
  it(`answers ${RUNS} generated mint bodies with the right outcome for each: valid → 201 and one license, invalid → 400 naming the field, never 500`, async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(mintCase, async (input) => {
        const payload =
          input.kind === 'any' && input.raw
            ? String(JSON.stringify(input.body)).slice(0, -1)
            : JSON.stringify(input.body ?? null);
        const before = await licenseCount();
        const response = await service.app.inject({
          method: 'POST',
          url: '/api/v1/licenses',
          headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
          payload,
        });
        const after = await licenseCount();
        expect(response.statusCode, payload).toBeLessThan(500);
        if (input.kind === 'valid') {
          valid += 1;
          expect(response.statusCode, `${payload} → ${response.body}`).toBe(201);
          expect(after, payload).toBe(before + 1);
          const record = JSON.parse(response.body) as { license: { email: string; agent: string; userCount: number } };
          expect(record.license).toMatchObject({
            email: input.body.email,
            agent: input.body.agent,
            userCount: input.body.userCount,
          });
          return;
        }
        if (response.statusCode === 201) {
          // Only a body the schema fully accepts may mint; "anything" rarely is one.
          expect(input.kind, payload).toBe('any');
          expect(after).toBe(before + 1);
          return;
        }
        expect(after, payload).toBe(before);
        expectClientError(response.statusCode, response.body);
        if (input.kind === 'one-field') {
          expect(response.statusCode, payload).toBe(400);
          const error = ErrorBody.parse(JSON.parse(response.body)).error;
          expect(Object.keys(error.fields ?? {}), `${payload} → ${response.body}`).toContain(input.field);
        }
      }),
      { numRuns: RUNS },
    );
    expect(valid).toBeGreaterThan(RUNS / 10);
  });

  it(`answers ${RUNS} generated API queries and ids with 2xx or 4xx in the contract shape, never 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 120 }),
        async (email, ticket, id) => {
          const headers = { authorization: `Bearer ${LOOKUP_TOKEN}` };
          const query = `/api/v1/licenses?email=${encodeURIComponent(email)}&ticketId=${encodeURIComponent(ticket)}`;
          for (const url of [query, `/api/v1/licenses/${encodeURIComponent(id)}`]) {
            const response = await service.app.inject({ method: 'GET', url, headers });
            expect(response.statusCode, `${url} → ${response.body}`).toBeLessThan(500);
            if (response.statusCode >= 400) expectClientError(response.statusCode, response.body);
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it(`answers ${RUNS} generated searches, downloads, resends and redirects on the signed-in lookup page, never 5xx`, async () => {
    const minted = await service.app.inject({
      method: 'POST',
      url: '/api/v1/licenses',
      headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ agent: 'fuzz', userCount: 1, email: 'fuzz-page@example.org', ticketId: 4242 }),
    });
    const knownId = (JSON.parse(minted.body) as { license: { id: string } }).license.id;
    const query = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constantFrom('fuzz-page@example.org', '4242', knownId),
      fc.emailAddress(),
    );
    await fc.assert(
      fc.asyncProperty(query, fc.string({ maxLength: 200 }), fc.string({ maxLength: 120 }), async (q, back, id) => {
        const headers = { cookie: session.cookie };
        const search = await service.app.inject({ method: 'GET', url: `/lookup?q=${encodeURIComponent(q)}`, headers });
        expect(search.statusCode, `${q} → ${search.body.slice(0, 300)}`).toBeLessThan(500);
        // Signed in for real: every answer is the search page, never the sign-in form.
        expect(search.body, q).toContain('Email, ticket or license id');
        expect(search.body).not.toContain('Lookup token');
        if (q === knownId || q === '4242' || q === 'fuzz-page@example.org') expect(search.body).toContain(knownId);

        const download = await service.app.inject({
          method: 'GET',
          url: `/lookup/licenses/${encodeURIComponent(id)}/download`,
          headers,
        });
        expect(download.statusCode, id).toBeLessThan(500);

        const resend = await service.app.inject({
          method: 'POST',
          url: `/lookup/licenses/${encodeURIComponent(id)}/resend`,
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ csrf: session.csrf, back }).toString(),
        });
        expect(resend.statusCode, `${id} ${back}`).toBeLessThan(500);
        if (resend.statusCode === 303) expect(String(resend.headers.location)).toMatch(/^\/lookup(?:[/?#]|$)/);

        const signInNext = await service.app.inject({
          method: 'POST',
          url: '/lookup/sign-in',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ token: 'wrong', next: back }).toString(),
        });
        expect(signInNext.statusCode, back).toBeLessThan(500);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
    // The session survived the whole run.
    const page = await service.app.inject({ method: 'GET', url: '/lookup', headers: { cookie: session.cookie } });
    expect(page.body).toContain('Email, ticket or license id');
  });
});
