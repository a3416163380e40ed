import type { LicenseRecord } from '@mintdesk/shared';
import { openDatabase } from '@mintdesk/server/store/open-database.ts';
import { SqlStore } from '@mintdesk/server/store/sql-store.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningClock } from '../support/clock.ts';
import { GitlabStandIn } from '../support/gitlab-stand-in.ts';
import { request } from '../support/http.ts';
import { postgresAvailable, startPostgres, type ThrowawayPostgres } from '../support/postgres.ts';
import { LOOKUP_TOKEN, startTestService, tempDir, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const JOBS = 200;

function licenseKeys(smtp: SmtpReceiver): string[] {
  return smtp.messages.map(
    (mail) =>
      mail.attachments
        .find((file) => file.filename === 'license.jwt')
        ?.content.toString()
        .trim() ?? '',
  );
}

async function sentCount(instance: TestService): Promise<number> {
  const metrics = await request<string>(`${instance.url}/metrics`);
  const line = /^mintdesk_deliveries_total\{outcome="sent"\} (\d+)$/m.exec(metrics.body);
  return Number(line?.[1] ?? 0);
}

async function eventually(done: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Each instance mails through an SMTP receiver of its own, so every delivery is attributed to the
// instance that made it; both share one GitLab project, where nothing would stop two instances
// from each opening an issue for the same license (the embedded tracker's UNIQUE would).
describe.skipIf(!postgresAvailable)('two instances on one PostgreSQL database', () => {
  let postgres: ThrowawayPostgres;
  let databaseUrl: string;
  const receivers = [new SmtpReceiver(), new SmtpReceiver()] as const;
  const gitlab = new GitlabStandIn();
  const instances: TestService[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    databaseUrl = await postgres.newDatabaseUrl();
    await gitlab.start();
    // One DATA_DIR for the signing keys, as two machines would share them (see the README).
    const dataDir = tempDir();
    for (const smtp of receivers) {
      await smtp.start();
      instances.push(
        await startTestService({
          smtpUrl: smtp.url,
          dataDir,
          clock: new RunningClock(),
          env: {
            DATABASE_URL: databaseUrl,
            RATE_LIMIT_APP_PER_MINUTE: '0',
            TRACKER: 'gitlab',
            GITLAB_URL: gitlab.url,
            GITLAB_TOKEN: gitlab.token,
            GITLAB_PROJECT_ID: gitlab.projectPath,
          },
        }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    for (const smtp of receivers) await smtp.stop();
    await gitlab.stop();
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
    // Sent once, by one of the two (which one is the queue's business).
    expect([...licenseKeys(receivers[0]), ...licenseKeys(receivers[1])]).toEqual([minted.body.license.key]);
    let seen = await request<LicenseRecord>(`${b.url}/api/v1/licenses/${minted.body.license.id}`, {
      token: LOOKUP_TOKEN,
    });
    await eventually(async () => {
      seen = await request<LicenseRecord>(`${b.url}/api/v1/licenses/${minted.body.license.id}`, {
        token: LOOKUP_TOKEN,
      });
      return seen.body.issue?.state === 'closed';
    });
    expect(seen.body.license.key).toBe(minted.body.license.key);
    expect(seen.body.issue).toMatchObject({
      state: 'closed',
      title: '[Success] - Created a license under pg@example.org for 4 users',
    });
    expect(gitlab.issuesLabelled(`license::${minted.body.license.id}`)).toHaveLength(1);
  });

  it('drains one queue together: both instances deliver, no license is sent twice or gets two issues', async () => {
    for (const smtp of receivers) smtp.messages.length = 0;
    const sentBefore = await Promise.all(instances.map((instance) => sentCount(instance)));
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

    await eventually(() => receivers[0].messages.length + receivers[1].messages.length >= JOBS);
    // Let any double send that was going to happen arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const [keysA, keysB] = receivers.map(licenseKeys) as [string[], string[]];
    process.stdout.write(`postgres-instances: deliveries a=${keysA.length} b=${keysB.length} of ${JOBS}\n`);
    // Both instances did work…
    expect(keysA.length).toBeGreaterThan(0);
    expect(keysB.length).toBeGreaterThan(0);
    // …every license was sent exactly once, by one of them.
    expect(keysA.length + keysB.length).toBe(JOBS);
    expect(new Set([...keysA, ...keysB]).size).toBe(JOBS);
    expect(keysA.filter((key) => keysB.includes(key))).toEqual([]);
    // Each instance's own count of what it sent agrees with what its receiver got.
    const sentAfter = await Promise.all(instances.map((instance) => sentCount(instance)));
    expect(sentAfter.map((n, i) => n - (sentBefore[i] ?? 0))).toEqual([keysA.length, keysB.length]);

    // One issue per license at the tracker, closed as a success, and it is the issue the license
    // records (the same one across its lifetime).
    const [a] = instances as [TestService, TestService];
    await eventually(async () => {
      const open = await a.store.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('license_id', 'like', 'lic_drain%')
        .where('state', '!=', 'done')
        .executeTakeFirstOrThrow();
      return Number(open.n) === 0;
    });
    const licenses = await a.store.db
      .selectFrom('licenses')
      .select(['id', 'issue_id', 'user_count', 'email', 'delivery_attempts'])
      .where('id', 'like', 'lic_drain%')
      .execute();
    expect(licenses).toHaveLength(JOBS);
    for (const license of licenses) {
      const issues = gitlab.issuesLabelled(`license::${license.id}`);
      expect(issues, license.id).toHaveLength(1);
      const [issue] = issues;
      expect(issue?.state).toBe('closed');
      expect(issue?.title).toBe(`[Success] - Created a license under ${license.email} for ${license.user_count} users`);
      expect(license.issue_id).toBe(String(issue?.iid));
      expect(license.delivery_attempts).toBe(1);
    }
  });
});
