import { openDatabase } from '@mintdesk/server/store/open-database.ts';
import { ReportRunStore } from '@mintdesk/server/store/report-run-store.ts';
import { type MintInsert, SqlStore } from '@mintdesk/server/store/sql-store.ts';
import { type CheckIn, UsageStore } from '@mintdesk/server/store/usage-store.ts';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type ThrowawayPostgres } from '../support/postgres.ts';
import { tempDir } from '../support/service.ts';

let postgres: ThrowawayPostgres | undefined;
beforeAll(async () => {
  if (postgresAvailable) postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

const NOW = Date.parse('2026-11-21T09:30:00.000Z');

function license(id: string, email: string, users: number): MintInsert {
  return {
    license: {
      id,
      key: `key.${id}.sig`,
      issued_at: new Date(NOW - 86_400_000).toISOString(),
      expires_at: new Date(NOW + 10 * 86_400_000).toISOString(),
      created_ms: NOW,
      user_count: users,
      email,
      email_lower: email.toLowerCase(),
      agent: 'asmith',
      ticket_id: null,
      ticket_url: null,
      delivery_status: 'sent',
      idempotency_key: null,
      request_hash: null,
    },
    audit: { actor: 'asmith', detail: 'storage test' },
  };
}

const checkIn = (licenseId: string, activeUsers: number, day = '2026-11-21'): CheckIn => ({
  licenseId,
  day,
  activeUsers,
  instance: null,
  atMs: NOW,
});

// The same suite on both databases, as the main storage suite does.
describe.each([
  ['SQLite', async () => openDatabase(undefined, tempDir())],
  ['PostgreSQL', async () => openDatabase(await (postgres as ThrowawayPostgres).newDatabaseUrl(), tempDir())],
] as const)('usage, reports and revocation on %s', (name, open) => {
  const skip = name === 'PostgreSQL' && !postgresAvailable;
  let store: SqlStore;
  let usage: UsageStore;

  beforeAll(async () => {
    if (skip) return;
    store = new SqlStore(await open());
    usage = new UsageStore(store.db, store.dialect);
    await store.insertLicenses(
      [
        license('lic_w1', 'Bruce@Wayne.example', 100),
        license('lic_w2', 'alfred@wayne.example', 50),
        license('lic_t1', 'jane@trial.example', 30),
      ],
      NOW,
    );
    await sql`update licenses set trial = 0 where id in ('lic_w1', 'lic_w2')`.execute(store.db);
  }, 30_000);
  afterAll(async () => {
    await store?.close();
  });

  it.skipIf(skip)('derives the organisation from the requester email domain', async () => {
    expect(
      await usage.recordCheckIns([checkIn('lic_w1', 0, '2026-10-01'), checkIn('lic_nope', 1, '2026-10-01')]),
    ).toEqual([{ status: 'recorded', organisation: 'wayne.example' }, { status: 'unknown' }]);
  });

  it.skipIf(skip)('rolls check-ins up per license and per organisation per day', async () => {
    await usage.recordCheckIns([checkIn('lic_w1', 80), checkIn('lic_w1', 120), checkIn('lic_w2', 40)]);
    await usage.recordCheckIns([checkIn('lic_w1', 90)]);
    const days = await usage.licenseDays('lic_w1', '2026-11-01', '2026-11-30');
    expect(days).toEqual([expect.objectContaining({ day: '2026-11-21', peak: 120, last: 90, reports: 3 })]);
    const totals = await usage.organisationTotals({
      from: '2026-11-21',
      to: '2026-11-21',
      activeAt: new Date(NOW).toISOString(),
    });
    expect(totals.find((row) => row.organisation === 'wayne.example')).toEqual({
      organisation: 'wayne.example',
      purchased: 150,
      trialUsers: 0,
      usedPeak: 160,
      activeLicenses: 2,
      lastReportMs: NOW,
    });
    expect(totals.find((row) => row.organisation === 'trial.example')).toMatchObject({
      purchased: 0,
      trialUsers: 30,
      usedPeak: 0,
    });
  });

  it.skipIf(skip)('counts neither licenses waiting for approval nor rejected ones', async () => {
    await store.insertLicenses(
      [license('lic_pending', 'it@pending.example', 70), license('lic_rejected', 'it@pending.example', 30)],
      NOW,
    );
    await sql`update licenses set trial = 0, approval_status = 'pending' where id = 'lic_pending'`.execute(store.db);
    await sql`update licenses set trial = 0, approval_status = 'rejected' where id = 'lic_rejected'`.execute(store.db);
    const at = new Date(NOW).toISOString();
    const totals = await usage.organisationTotals({ from: '2026-11-21', to: '2026-11-21', activeAt: at });
    expect(totals.find((row) => row.organisation === 'pending.example')).toBeUndefined();
    await sql`update licenses set approval_status = 'approved' where id = 'lic_pending'`.execute(store.db);
    const approved = await usage.organisationTotals({ from: '2026-11-21', to: '2026-11-21', activeAt: at });
    expect(approved.find((row) => row.organisation === 'pending.example')).toMatchObject({
      purchased: 70,
      activeLicenses: 1,
    });
  });

  it.skipIf(skip)('keeps the organisation sum right when two writers report the same license at once', async () => {
    const other = new UsageStore(store.db, store.dialect);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? usage : other).recordCheckIns([
          checkIn('lic_w2', 10 + i, '2026-11-22'),
          checkIn('lic_w1', 5 + i, '2026-11-22'),
        ]),
      ),
    );
    const totals = await usage.organisationTotals({
      from: '2026-11-22',
      to: '2026-11-22',
      activeAt: new Date(NOW).toISOString(),
    });
    // Peaks 29 (lic_w2) + 24 (lic_w1), however the writes interleaved.
    expect(totals.find((row) => row.organisation === 'wayne.example')?.usedPeak).toBe(53);
  });

  it.skipIf(skip)('revokes once and lists revocations', async () => {
    const at = new Date(NOW).toISOString();
    expect(await usage.revoke('lic_t1', { at, by: 'rita', reason: 'mistake' })).toBe(true);
    expect(await usage.revoke('lic_t1', { at, by: 'rita', reason: 'again' })).toBe(false);
    expect(await usage.revoke('lic_nope', { at, by: 'rita', reason: 'none' })).toBe(false);
    expect(await usage.listRevocations()).toEqual([{ jti: 'lic_t1', revokedAt: at }]);
    expect(await usage.recordCheckIns([checkIn('lic_t1', 1)])).toEqual([{ status: 'revoked', revokedAt: at }]);
    const totals = await usage.organisationTotals({ from: '2026-11-21', to: '2026-11-21', activeAt: at });
    expect(totals.find((row) => row.organisation === 'trial.example')).toBeUndefined();
  });

  it.skipIf(skip)(
    'hands a report period to exactly one of several claimers, and again after its lease runs out',
    async () => {
      const runs = new ReportRunStore(store.db);
      const anchor = await runs.anchorFor('k1', 14, 'ops@example.org', NOW);
      expect(await runs.anchorFor('k1', 14, 'ops@example.org', NOW + 5000)).toBe(anchor);
      const period = { from: '2026-11-07', to: '2026-11-20' };
      await Promise.all([runs.ensureRun('k1', period, NOW), runs.ensureRun('k1', period, NOW)]);
      const claims = await Promise.all(Array.from({ length: 8 }, () => runs.claim('k1', period.from, NOW, NOW + 1000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await runs.claim('k1', period.from, NOW + 999, NOW + 2000)).toBeUndefined();
      const retaken = await runs.claim('k1', period.from, NOW + 1001, NOW + 3000);
      expect(retaken?.attempts).toBe(2);
      // The first sender's lease is gone: what it records changes nothing.
      await runs.markSent(claims.find(Boolean) as NonNullable<(typeof claims)[number]>, 'late');
      expect((await runs.runs('k1'))[0]).toMatchObject({ state: 'sending', sent_at: null });
      await runs.markSent(retaken as NonNullable<typeof retaken>, 'now');
      expect((await runs.runs('k1'))[0]).toMatchObject({ state: 'sent', sent_at: 'now' });
      expect(await runs.claim('k1', period.from, NOW + 10_000_000, NOW + 10_001_000)).toBeUndefined();
    },
  );
});
