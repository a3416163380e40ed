// The security state that must hold across instances (issue 12): lookup sessions ended on one
// instance are ended on all, and the resend ceiling counts every instance's resends — on one
// PostgreSQL database, as several instances run in production.
import type { LicenseRecord } from '@mintdesk/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../support/clock.ts';
import { request } from '../support/http.ts';
import { postgresAvailable, startPostgres, type ThrowawayPostgres } from '../support/postgres.ts';
import { LOOKUP_TOKEN, startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

describe.skipIf(!postgresAvailable)('security state shared by two instances on one PostgreSQL database', () => {
  let postgres: ThrowawayPostgres;
  const smtp = new SmtpReceiver();
  let a: TestService;
  let b: TestService;

  beforeAll(async () => {
    await smtp.start();
    postgres = await startPostgres();
    const databaseUrl = await postgres.newDatabaseUrl();
    const clock = new ManualClock();
    const env = { DATABASE_URL: databaseUrl, MAX_RESENDS_PER_LICENSE_PER_DAY: '3' };
    a = await startTestService({ smtpUrl: smtp.url, clock, env, mintWaitMs: 0 });
    b = await startTestService({ smtpUrl: smtp.url, clock, env, mintWaitMs: 0 });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await postgres?.stop();
    await smtp.stop();
  });

  it('sign-out on one instance ends the session on the other', async () => {
    const signIn = await fetch(`${a.url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN }).toString(),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const onB = await (await fetch(`${b.url}/lookup`, { headers: { cookie } })).text();
    expect(onB).toContain('Email, ticket or license id');
    const csrf = /name="csrf" value="([^"]+)"/.exec(onB)?.[1] ?? '';
    const out = await fetch(`${b.url}/lookup/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf }).toString(),
    });
    expect(out.status).toBe(303);
    const onA = await (await fetch(`${a.url}/lookup`, { headers: { cookie } })).text();
    expect(onA).toContain('Lookup token');
    expect(onA).not.toContain('Email, ticket or license id');
  });

  it('counts resends of one license on both instances against one ceiling, also when they race', async () => {
    const minted = await request<LicenseRecord>(`${a.url}/api/v1/licenses`, {
      token: await a.appToken(),
      body: { agent: 'asmith', userCount: 2, email: 'race-resend@example.org' },
    });
    expect(minted.status).toBe(201);
    const id = minted.body.license.id;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        request(`${(i % 2 ? a : b).url}/api/v1/licenses/${id}/resend`, { method: 'POST', token: LOOKUP_TOKEN }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    const audit = await a.store.listAudit(id);
    expect(audit.filter((entry) => entry.action === 'resent')).toHaveLength(3);
  });
});
