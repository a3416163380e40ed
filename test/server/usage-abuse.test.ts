import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { type TestService } from '../support/service.ts';
import { checkIn, forge, type IssuedLicense, mintLicense } from '../support/usage.ts';

// A file of its own: the budget of wrong credentials is per client address, and every test here
// comes from 127.0.0.1.
const fixture = useTestService({ env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '5' } });
let service: TestService;
let license: IssuedLicense;

beforeAll(async () => {
  service = fixture.service;
  license = await mintLicense(service, 'admin@abuse.example', 5);
});

describe('usage check-ins with wrong licenses', () => {
  it('count against the address: 429 past the budget, while a real license still reports', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      statuses.push((await checkIn(service, forge(license.license.key), { activeUsers: 1 })).status);
    }
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const refused = await checkIn(service, 'not-a-license', { activeUsers: 1 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await checkIn(service, license.license.key, { activeUsers: 1 })).status).toBe(202);
  });
});
