import { DEFAULT_RETRY_POLICY } from '@mintdesk/server/config.ts';
import { type JobAttempt, JobRunner, type JobResult } from '@mintdesk/server/queue/job-runner.ts';
import { openDatabase } from '@mintdesk/server/store/open-database.ts';
import { type MintInsert, SqlStore } from '@mintdesk/server/store/sql-store.ts';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RunningClock } from '../support/clock.ts';
import { tempDir } from '../support/service.ts';

function item(name: string, nowMs: number): MintInsert {
  const email = `${name}@example.org`;
  return {
    license: {
      id: `lic_${name}`,
      key: `${name}.key`,
      issued_at: new Date(nowMs).toISOString(),
      expires_at: new Date(nowMs + 864_000_000).toISOString(),
      created_ms: nowMs,
      user_count: 1,
      email,
      email_lower: email,
      agent: 'runner-test',
      ticket_id: null,
      ticket_url: null,
      delivery_status: 'queued',
      idempotency_key: null,
      request_hash: null,
    },
    audit: { actor: 'runner-test', detail: 'test' },
  };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('job runner: fresh work and the backlog', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('runs a fresh first attempt at once beside a full backlog, and hands fresh work back when its own slots are full', async () => {
    const store = new SqlStore(await openDatabase(undefined, tempDir()));
    cleanups.push(() => store.close());
    const clock = new RunningClock();
    const started: string[] = [];
    const blocked = new Map<string, () => void>();
    const handler = (attempt: JobAttempt) =>
      new Promise<JobResult>((resolve) => {
        started.push(attempt.job.license_id);
        blocked.set(attempt.job.license_id, () => resolve({ outcome: 'done' }));
      });
    const runner = new JobRunner(
      store,
      clock,
      { deliver: handler, sync_issue: handler, notify: handler },
      { concurrency: 2, freshConcurrency: 1, pollIntervalMs: 20, leaseMs: 30_000, retry: DEFAULT_RETRY_POLICY },
      pino({ level: 'silent' }),
    );
    cleanups.push(async () => {
      for (const release of blocked.values()) release();
      await runner.stop();
    });

    const nowMs = clock.now().getTime();
    await store.insertLicenses(
      ['backlog1', 'backlog2', 'backlog3', 'backlog4'].map((name) => item(name, nowMs)),
      nowMs,
    );
    runner.start();
    await until(() => started.length === 2);
    // The backlog holds every poller slot, and keeps holding them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toHaveLength(2);

    // A fresh mint's job, written leased to this runner: its attempt starts now, not after the backlog.
    const [fresh] = await store.insertLicenses([item('fresh1', nowMs)], nowMs, runner.newLease());
    if (!fresh?.created) throw new Error('not created');
    const attempted = runner.runAndWait({ id: fresh.jobId, licenseId: 'lic_fresh1', kind: 'deliver' }, 5000);
    await until(() => started.includes('lic_fresh1'));
    expect(started.filter((id) => id.startsWith('lic_backlog'))).toHaveLength(2);

    // The fresh slot is taken: the next fresh job goes back to the queue at once, as never tried.
    const [second] = await store.insertLicenses([item('fresh2', nowMs)], nowMs, runner.newLease());
    if (!second?.created) throw new Error('not created');
    expect(await runner.runAndWait({ id: second.jobId, licenseId: 'lic_fresh2', kind: 'deliver' }, 5000)).toBe(false);
    const jobOf = async (id: number) =>
      store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    let handedBack = await jobOf(second.jobId);
    for (let i = 0; i < 50 && handedBack.state !== 'pending'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      handedBack = await jobOf(second.jobId);
    }
    expect(handedBack).toMatchObject({ state: 'pending', attempts: 0, lease_owner: null });

    blocked.get('lic_fresh1')?.();
    expect(await attempted).toBe(true);
    // New work never took the backlog's slots: releasing the backlog drains everything, two at a time.
    for (const name of ['lic_backlog1', 'lic_backlog2', 'lic_backlog3', 'lic_backlog4', 'lic_fresh2']) {
      await until(() => blocked.has(name) || started.includes(name));
      blocked.get(name)?.();
    }
    await until(() => started.length === 6);
    let states: string[] = [];
    for (let i = 0; i < 100 && !(states.length === 6 && states.every((state) => state === 'done')); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      states = (await store.db.selectFrom('jobs').select('state').execute()).map((row) => row.state);
    }
    expect(states).toEqual(Array(6).fill('done'));
  });
});
