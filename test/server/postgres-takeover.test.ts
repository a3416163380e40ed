import type { LicenseRecord } from '@mintdesk/shared';
import { openDatabase } from '@mintdesk/server/store/open-database.ts';
import { type MintInsert, SqlStore } from '@mintdesk/server/store/sql-store.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunningClock } from '../support/clock.ts';
import { request } from '../support/http.ts';
import { postgresAvailable, startPostgres, type ThrowawayPostgres } from '../support/postgres.ts';
import { startTestService, tempDir, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

function licenseItem(n: number, nowMs: number): MintInsert {
  const email = `takeover${n}@example.org`;
  return {
    license: {
      id: `lic_takeover${String(n).padStart(8, '0')}`,
      key: `takeover.${n}.key`,
      issued_at: new Date(nowMs).toISOString(),
      expires_at: new Date(nowMs + 864_000_000).toISOString(),
      created_ms: nowMs,
      user_count: 3,
      email,
      email_lower: email,
      agent: 'takeover',
      ticket_id: null,
      ticket_url: null,
      delivery_status: 'queued',
      idempotency_key: null,
      request_hash: null,
    },
    audit: { actor: 'takeover', detail: 'test' },
  };
}

const keyOf = (mail: { attachments: Array<{ filename?: string; content: Buffer }> }) =>
  mail.attachments
    .find((file) => file.filename === 'license.jwt')
    ?.content.toString()
    .trim();

describe.skipIf(!postgresAvailable)('instances on one PostgreSQL: who runs a job', () => {
  let postgres: ThrowawayPostgres;
  let databaseUrl: string;
  let store: SqlStore;
  const smtp = new SmtpReceiver();
  const dataDir = tempDir();
  const running: TestService[] = [];

  const start = async (instanceId: string) => {
    const service = await startTestService({
      smtpUrl: smtp.url,
      dataDir,
      clock: new RunningClock(),
      env: { DATABASE_URL: databaseUrl, RATE_LIMIT_APP_PER_MINUTE: '0', INSTANCE_ID: instanceId },
    });
    running.push(service);
    return service;
  };

  beforeAll(async () => {
    postgres = await startPostgres();
    databaseUrl = await postgres.newDatabaseUrl();
    await smtp.start();
    store = new SqlStore(await openDatabase(databaseUrl, tempDir()));
  }, 60_000);
  afterEach(async () => {
    smtp.release();
    smtp.accept();
    for (const service of running.splice(0)) await service.close();
    smtp.messages.length = 0;
  });
  afterAll(async () => {
    await store?.close();
    await smtp.stop();
    await postgres?.stop();
  });

  it('writes a fresh delivery already leased to the minting instance, so no other poller takes it', async () => {
    const a = await start('instance-a');
    await start('instance-b');
    // A slow mail server: the first attempt is under way while the other instance polls (every 20 ms).
    smtp.hold();
    const minting = request<LicenseRecord>(`${a.url}/api/v1/licenses`, {
      token: await a.appToken(),
      body: { agent: 'asmith', userCount: 2, email: 'owned@example.org' },
    });
    await smtp.waitForHeld();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const jobs = await store.db.selectFrom('jobs').selectAll().where('kind', '=', 'deliver').execute();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ state: 'running', attempts: 1 });
    expect(jobs[0]?.lease_owner).toMatch(/^instance-a#/);
    smtp.release();
    const minted = await minting;
    expect(minted.status).toBe(201);
    expect(minted.body.delivery).toEqual({ status: 'sent', attempts: 1 });
    expect(smtp.messages).toHaveLength(1);
  });

  it('a restarted instance takes back at once the jobs it held when it died; another leaves them to the lease', async () => {
    const nowMs = Date.now();
    await store.insertLicenses([licenseItem(1, nowMs), licenseItem(2, nowMs)], nowMs, {
      owner: 'instance-crashed#an-earlier-run',
      untilMs: nowMs + 5 * 60_000,
    });
    // Another instance: the leases are valid for minutes yet, so it must not touch them.
    await start('instance-other');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(smtp.messages).toHaveLength(0);
    // The crashed instance comes back under the same identity: its jobs resume within seconds.
    const startedAt = Date.now();
    await start('instance-crashed');
    await smtp.waitForMessages(2, 10_000);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(new Set(smtp.messages.map(keyOf))).toEqual(new Set(['takeover.1.key', 'takeover.2.key']));
    const jobsOf = () =>
      store.db
        .selectFrom('jobs')
        .select(['state', 'lease_owner'])
        .where('license_id', 'in', ['lic_takeover00000001', 'lic_takeover00000002'])
        .execute();
    // The job is finished just after its mail went out.
    const deadline = Date.now() + 5000;
    while ((await jobsOf()).some((job) => job.state !== 'done') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await jobsOf()).toEqual([
      { state: 'done', lease_owner: null },
      { state: 'done', lease_owner: null },
    ]);
  });

  it('renews the leases of the jobs it is running and hands the others back when it has no slot', async () => {
    const nowMs = Date.now();
    await store.insertLicenses([licenseItem(3, nowMs)], nowMs, { owner: 'instance-r', untilMs: nowMs + 60_000 });
    expect(await store.renewLeases('instance-r', nowMs + 120_000, [])).toBe(0);
    const [job] = await store.db
      .selectFrom('jobs')
      .selectAll()
      .where('license_id', '=', 'lic_takeover00000003')
      .execute();
    expect(await store.renewLeases('instance-other', nowMs + 120_000, [job?.id as number])).toBe(0);
    expect(await store.renewLeases('instance-r', nowMs + 120_000, [job?.id as number])).toBe(1);
    // Another instance finishing a job it no longer holds changes nothing.
    await store.finishJob(job?.id as number, 'done', null, 'instance-other');
    await store.releaseJobs([job?.id as number], 'instance-r');
    const released = await store.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', job?.id as number)
      .execute();
    expect(released[0]).toMatchObject({ state: 'pending', attempts: 0, lease_owner: null, lease_until_ms: null });
    const claimed = await store.claimJobs(nowMs, { owner: 'instance-s', untilMs: nowMs + 30_000 }, 10, job?.id);
    expect(claimed.map((row) => [row.id, row.lease_owner, row.attempts])).toEqual([[job?.id, 'instance-s', 1]]);
  });
});
