import { ErrorBody } from '@mintdesk/shared';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const fixture = useTestService();
let service: TestService;
let appToken: string;

beforeAll(async () => {
  service = fixture.service;
  appToken = await service.appToken(3600);
});

async function licenseCount(): Promise<number> {
  return (await service.store.db.selectFrom('licenses').select('id').execute()).length;
}

function expectClientError(status: number, body: string): void {
  expect(status, body).toBeGreaterThanOrEqual(400);
  expect(status, body).toBeLessThan(500);
  expect(ErrorBody.safeParse(JSON.parse(body)).success, body).toBe(true);
}

/** Bodies that are wrong in one or more ways: never a valid mint request. */
const hostileBody = fc.oneof(
  fc.anything(),
  fc.record(
    {
      agent: fc.oneof(
        fc.string({ maxLength: 150 }),
        fc.constant(''),
        fc.integer(),
        fc.constant('a\nb'),
        fc.constant(null),
      ),
      userCount: fc.oneof(
        fc.integer({ max: 0 }),
        fc.integer({ min: 100_001 }),
        fc.double(),
        fc.string(),
        fc.constant(null),
      ),
      email: fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.emailAddress().map((e) => `${e}\r\nBcc: x@evil.example`),
        fc.integer(),
      ),
      ticketId: fc.oneof(fc.integer({ max: 0 }), fc.string(), fc.double({ noInteger: true })),
      ticketUrl: fc.oneof(
        fc.string(),
        fc.webUrl().map((u) => u.replace(/^https/, 'http')),
      ),
      extra: fc.anything(),
    },
    { requiredKeys: ['userCount'] },
  ),
);

describe('hostile input', () => {
  it(`answers ${RUNS} generated mint bodies and headers with 4xx in the contract shape, minting nothing`, async () => {
    const before = await licenseCount();
    await fc.assert(
      fc.asyncProperty(
        hostileBody,
        fc.option(fc.string({ minLength: 0, maxLength: 250 }), { nil: undefined }),
        fc.boolean(),
        async (body, idempotencyKey, raw) => {
          const payload = raw ? String(JSON.stringify(body)).slice(0, -1) : JSON.stringify(body ?? null);
          const headers: Record<string, string> = {
            authorization: `Bearer ${appToken}`,
            'content-type': 'application/json',
          };
          if (idempotencyKey !== undefined && /^[\x20-\x7e]*$/.test(idempotencyKey))
            headers['idempotency-key'] = idempotencyKey;
          const response = await service.app.inject({ method: 'POST', url: '/api/v1/licenses', headers, payload });
          if (response.statusCode === 201) throw new Error(`minted for ${payload}`);
          expectClientError(response.statusCode, response.body);
        },
      ),
      { numRuns: RUNS },
    );
    expect(await licenseCount()).toBe(before);
  });

  it(`answers ${RUNS} generated lookup queries and ids with 2xx or 4xx, never 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 120 }),
        async (email, ticket, id) => {
          const headers = { authorization: `Bearer ${LOOKUP_TOKEN}` };
          const query = `/api/v1/licenses?email=${encodeURIComponent(email)}&ticketId=${encodeURIComponent(ticket)}`;
          for (const url of [
            query,
            `/api/v1/licenses/${encodeURIComponent(id)}`,
            `/lookup?q=${encodeURIComponent(email)}`,
          ]) {
            const response = await service.app.inject({ method: 'GET', url, headers });
            expect(response.statusCode, `${url} → ${response.body}`).toBeLessThan(500);
            if (url.startsWith('/api') && response.statusCode >= 400)
              expectClientError(response.statusCode, response.body);
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});
