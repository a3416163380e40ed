import path from 'node:path';
import { openDatabase } from '@mintdesk/server/store/open-database.ts';
import { type MintInsert, SqlStore } from '@mintdesk/server/store/sql-store.ts';
import { EmbeddedTracker } from '@mintdesk/server/tracker/embedded-tracker.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../support/clock.ts';
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
let sequence = 0;

function license(overrides: Partial<MintInsert['license']> = {}): MintInsert {
  sequence += 1;
  const email = overrides.email ?? `store${sequence}@example.org`;
  return {
    license: {
      id: `lic_store${String(sequence).padStart(8, '0')}`,
      key: `key.${sequence}.sig`,
      issued_at: new Date(NOW).toISOString(),
      expires_at: new Date(NOW + 10 * 86_400_000).toISOString(),
      created_ms: NOW + sequence,
      user_count: sequence,
      email,
      email_lower: email.toLowerCase(),
      agent: 'asmith',
      ticket_id: 900 + sequence,
      ticket_url: null,
      delivery_status: 'queued',
      idempotency_key: null,
      request_hash: 'hash',
      ...overrides,
    },
    audit: { actor: 'asmith', detail: 'minted in a test' },
  };
}

// The same suite on both databases: the store's queries are written once, for both dialects.
describe.each([
  ['SQLite', async () => openDatabase(undefined, tempDir())],
  ['PostgreSQL', async () => openDatabase(await (postgres as ThrowawayPostgres).newDatabaseUrl(), tempDir())],
] as const)('the store on %s', (name, open) => {
  let store: SqlStore;
  const skip = name === 'PostgreSQL' && !postgresAvailable;

  beforeAll(async () => {
    if (!skip) store = new SqlStore(await open());
  }, 30_000);
  afterAll(async () => {
    await store?.close();
  });

  it.skipIf(skip)('writes licenses with their jobs and audit in one group, in order', async () => {
    const items = [license(), license(), license()];
    const outcomes = await store.insertLicenses(items, NOW);
    expect(outcomes.map((outcome) => outcome.created)).toEqual([true, true, true]);
    const row = await store.getLicense(items[1]?.license.id as string);
    expect(row).toMatchObject({ user_count: items[1]?.license.user_count, created_ms: items[1]?.license.created_ms });
    expect(typeof row?.created_ms).toBe('number');
    expect(await store.listAudit(items[0]?.license.id as string)).toEqual([
      expect.objectContaining({ action: 'minted', actor: 'asmith' }),
    ]);
  });

  it.skipIf(skip)('keeps idempotency keys unique, also within one group', async () => {
    const first = license({ idempotency_key: `key-${name}`, request_hash: 'h1' });
    const again = license({ idempotency_key: `key-${name}`, request_hash: 'h2' });
    const [a, b] = await store.insertLicenses([first, again], NOW);
    expect(a?.created).toBe(true);
    expect(b).toEqual({ created: false, reason: 'idempotent', licenseId: first.license.id, requestHash: 'h1' });
    const [c] = await store.insertLicenses([license({ idempotency_key: `key-${name}` })], NOW);
    expect(c).toMatchObject({ created: false, licenseId: first.license.id });
  });

  it.skipIf(skip)('applies the daily ceiling per address, case-insensitively', async () => {
    const email = `Ceiling-${name}@Example.org`;
    const tries = [1, 2, 3].map(() => ({ ...license({ email }), dailyCeiling: 2 }));
    const outcomes = await store.insertLicenses(tries, NOW);
    expect(outcomes.map((outcome) => outcome.created)).toEqual([true, true, false]);
    expect(outcomes[2]).toMatchObject({
      reason: 'ceiling',
      retryAtMs: (tries[0]?.license.created_ms as number) + 86_400_000,
    });
  });

  it.skipIf(skip)('lists by email (case-insensitive) and by ticket, newest first', async () => {
    const email = `list-${name}@example.org`;
    const older = license({ email, ticket_id: 555_000 });
    const newer = license({ email: email.toUpperCase(), ticket_id: 555_000 });
    await store.insertLicenses([older, newer], NOW);
    const byEmail = await store.listLicenses({ email, limit: 10 });
    expect(byEmail.map((row) => row.id)).toEqual([newer.license.id, older.license.id]);
    const byTicket = await store.listLicenses({ ticketId: 555_000, limit: 10 });
    expect(byTicket.map((row) => row.id)).toEqual([newer.license.id, older.license.id]);
    expect(await store.listLicenses({ email: 'nobody@example.org', limit: 10 })).toEqual([]);
  });

  it.skipIf(skip)('claims due jobs once, honours leases, and reschedules', async () => {
    const due = await store.claimJob(NOW + 1_000_000, NOW + 1_000_000 + 60_000);
    expect(due?.state).toBe('running');
    expect(due?.attempts).toBe(1);
    // A leased job is nobody else's until its lease runs out.
    const leased = await store.claimJob(NOW + 1_000_000, NOW + 2_000_000, due?.id);
    expect(leased).toBeUndefined();
    const expired = await store.claimJob(NOW + 1_070_000, NOW + 2_000_000, due?.id);
    expect(expired?.id).toBe(due?.id);
    expect(expired?.attempts).toBe(2);
    await store.rescheduleJob(due?.id as number, NOW + 5_000_000, 'try later');
    expect(await store.claimJob(NOW + 1_100_000, NOW + 2_000_000, due?.id)).toBeUndefined();
    await store.finishJob(due?.id as number, 'done', null);
    expect(await store.queueDepth()).toBeGreaterThan(0);
    expect(typeof (await store.nextDueAtMs())).toBe('number');
  });

  it.skipIf(skip)('records delivery outcomes and keeps the first delivery time', async () => {
    const item = license();
    await store.insertLicenses([item], NOW);
    await store.recordDeliveryOutcome(item.license.id, { status: 'queued', error: '451 later', at: 'a' });
    await store.recordDeliveryOutcome(item.license.id, { status: 'sent', error: null, at: '2026-11-21T10:00:00.000Z' });
    await store.recordDeliveryOutcome(item.license.id, { status: 'sent', error: null, at: '2026-11-22T10:00:00.000Z' });
    const row = await store.getLicense(item.license.id);
    expect(row).toMatchObject({
      delivery_status: 'sent',
      delivery_attempts: 3,
      delivered_at: '2026-11-21T10:00:00.000Z',
    });
  });

  it.skipIf(skip)('enqueues one waiting job per license and kind', async () => {
    const item = license();
    await store.insertLicenses([item], NOW);
    const a = await store.enqueueJob(item.license.id, 'sync_issue', NOW);
    const b = await store.enqueueJob(item.license.id, 'sync_issue', NOW, NOW + 10);
    expect(b).toBe(a);
  });

  it.skipIf(skip)('keeps one embedded issue per license', async () => {
    const item = license();
    await store.insertLicenses([item], NOW);
    const tracker = new EmbeddedTracker(store.db, new ManualClock(), 'http://127.0.0.1:3000');
    const spec = { title: '[Failure] x', body: 'b', state: 'open' as const, labels: ['mintdesk', 'failure'] };
    const first = await tracker.saveIssue(item.license.id, spec, null);
    const second = await tracker.saveIssue(item.license.id, { ...spec, title: '[Success] x', state: 'closed' }, null);
    expect(second.id).toBe(first.id);
    expect((await tracker.getIssues([first.id])).get(first.id)).toMatchObject({
      state: 'closed',
      title: '[Success] x',
    });
  });
});

describe('PostgreSQL start-up', () => {
  it.skipIf(!postgresAvailable)('migrates once when several instances start together', async () => {
    const url = await (postgres as ThrowawayPostgres).newDatabaseUrl();
    const opened = await Promise.all([1, 2, 3].map(() => openDatabase(url, tempDir())));
    expect(opened.map((database) => database.location)).toEqual(Array(3).fill(url));
    await Promise.all(opened.map((database) => database.db.destroy()));
  });

  it('keeps SQLite as the default, in DATA_DIR', async () => {
    const dir = tempDir();
    const database = await openDatabase(undefined, dir);
    expect(database.location).toBe(path.join(dir, 'mintdesk.sqlite'));
    expect(database.dialect).toBe('sqlite');
    await new SqlStore(database).close();
  });
});
