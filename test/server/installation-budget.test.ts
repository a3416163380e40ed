import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { addPerson } from '../support/people.ts';
import { APP_SECRET, LOOKUP_TOKEN, startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

const smtp = new SmtpReceiver();
let service: TestService;

// Small budgets so that a few requests show them; the per-person lookup budget is the page's.
beforeAll(async () => {
  await smtp.start();
  service = await startTestService({
    smtpUrl: smtp.url,
    mintWaitMs: 0,
    env: {
      RATE_LIMIT_APP_PER_MINUTE: '4',
      RATE_LIMIT_APP_READS_PER_MINUTE: '3',
      RATE_LIMIT_LOOKUP_PER_MINUTE: '3',
    },
  });
});
afterAll(async () => {
  await service?.close();
  await smtp.stop();
});

/** A token as the Zendesk proxy signs it: with whatever claims the app chose to send. */
function tokenWithSub(sub: string): Promise<string> {
  return signAppToken(APP_SECRET, { now: service.clock.now(), claims: { sub } });
}

describe('installation budget keyed on the caller-chosen token sub', () => {
  it('never lets rotating sub and agent names mint more than RATE_LIMIT_APP_PER_MINUTE a minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const answer = await request<{ error?: { code: string } }>(`${service.url}/api/v1/licenses`, {
        token: await tokenWithSub(`installation-${i}`),
        body: { agent: `agent-${i}`, userCount: 1, email: 'rotating@example.org' },
      });
      statuses.push(answer.status);
      if (answer.status === 429) expect(answer.body.error?.code).toBe('rate_limited');
    }
    expect(statuses.filter((status) => status === 201)).toHaveLength(4);
    expect(statuses.slice(4)).toEqual(Array(6).fill(429));
    const listed = await request<{ licenses: unknown[] }>(
      `${service.url}/api/v1/licenses?email=rotating%40example.org`,
      { token: LOOKUP_TOKEN },
    );
    expect(listed.body.licenses).toHaveLength(4);
  });

  it('never lets rotating sub get more reads than RATE_LIMIT_APP_READS_PER_MINUTE a minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const answer = await request(`${service.url}/api/v1/licenses?email=reads%40example.org`, {
        token: await tokenWithSub(`reader-${i}`),
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });
});

describe('personal bearer credentials without a per-minute API budget', () => {
  it('gives a person the per-person budget (RATE_LIMIT_LOOKUP_PER_MINUTE) on the API', async () => {
    const credential = await addPerson(service.dataDir, 'Busy Bea', false);
    const url = `${service.url}/api/v1/licenses?email=bea%40example.org`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await request(url, { token: credential })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // The operator's token keeps its own budget (off by default, for scripts).
    for (let i = 0; i < 5; i += 1) expect((await request(url, { token: LOOKUP_TOKEN })).status).toBe(200);
  });
});
