import type { LicenseRecord } from '@mintdesk/shared';
import { openDatabase } from '@mintdesk/server/store/open-database.ts';
import { SqlStore } from '@mintdesk/server/store/sql-store.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningClock } from '../support/clock.ts';
import { request } from '../support/http.ts';
import { postgresAvailable, startPostgres, type ThrowawayPostgres } from '../support/postgres.ts';
import { LOOKUP_TOKEN, startTestService, tempDir, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const JOBS = 120;

describe.skipIf(!postgresAvailable)('two instances on one PostgreSQL database', () => {
  let postgres: ThrowawayPostgres;
  let databaseUrl: string;
  const smtp = new SmtpReceiver();
  const instances: TestService[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    databaseUrl = await postgres.newDatabaseUrl();
    await smtp.start();
    // One DATA_DIR for the signing keys, as two machines would share them (see the README).
    const dataDir = tempDir();
    for (let i = 0; i < 2; i += 1) {
      instances.push(
        await startTestService({
          smtpUrl: smtp.url,
          dataDir,
          clock: new RunningClock(),
          env: { DATABASE_URL: databaseUrl, RATE_LIMIT_APP_PER_MINUTE: '0' },
        }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await smtp.stop();
    await postgres?.stop();
  });

  it('mints on one and answers on the other', async () => {
    const [a, b] = instances as [TestService, TestService];
    const minted = await request<LicenseRecord>(`${a.url}/api/v1/licenses`, {
      token: await a.appToken(),
      body: { agent: 'asmith', userCount: 4, email: 'pg@example.org', ticketId: 12 },
    });
    expect(minted.status).toBe(201);
    expect(minted.body.delivery.status).toBe('sent');
    const seen = await request<LicenseRecord>(`${b.url}/api/v1/licenses/${minted.body.license.id}`, {
      token: LOOKUP_TOKEN,
    });
    expect(seen.body.license.key).toBe(minted.body.license.key);
    expect(seen.body.issue).toMatchObject({
      state: 'closed',
      title: '[Success] - Created a license under pg@example.org for 4 users',
    });
  });

  it('drains one queue together without sending any license twice', async () => {
    smtp.messages.length = 0;
    // Jobs written straight into the shared table, so neither instance was told about them: both
    // pollers race for the same rows.
    const writer = new SqlStore(await openDatabase(databaseUrl, tempDir()));
    const now = Date.now();
    const items = Array.from({ length: JOBS }, (_, i) => {
      const email = `drain${i}@example.org`;
      return {
        license: {
          id: `lic_drain${String(i).padStart(8, '0')}`,
          key: `drain.${i}.key`,
          issued_at: new Date(now).toISOString(),
          expires_at: new Date(now + 864_000_000).toISOString(),
          created_ms: now,
          user_count: 1 + i,
          email,
          email_lower: email,
          agent: 'drain',
          ticket_id: null,
          ticket_url: null,
          delivery_status: 'queued' as const,
          idempotency_key: null,
          request_hash: null,
        },
        audit: { actor: 'drain', detail: 'test' },
      };
    });
    await writer.insertLicenses(items, now);
    await writer.close();

    await smtp.waitForMessages(JOBS, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const keys = smtp.messages.map(
      (mail) =>
        mail.attachments
          .find((file) => file.filename === 'license.jwt')
          ?.content.toString()
          .trim() ?? '',
    );
    expect(keys).toHaveLength(JOBS);
    expect(new Set(keys).size).toBe(JOBS);

    const [a, b] = instances as [TestService, TestService];
    const jobsByInstance = await a.store.db
      .selectFrom('jobs')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('license_id', 'like', 'lic_drain%')
      .groupBy('state')
      .execute();
    expect(jobsByInstance).toEqual([{ state: 'done', n: JOBS }]);
    const listed = await request<{ licenses: LicenseRecord[] }>(`${b.url}/api/v1/licenses?email=drain7%40example.org`, {
      token: LOOKUP_TOKEN,
    });
    expect(listed.body.licenses[0]?.delivery).toMatchObject({ status: 'sent', attempts: 1 });
  });
});
