import path from 'node:path';
import { migrateTo } from '@mintdesk/server/store/migrations.ts';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
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

type Dialect = 'sqlite' | 'postgres';

async function open(dialect: Dialect): Promise<Kysely<unknown>> {
  if (dialect === 'sqlite') {
    const sqlite = new SqliteDatabase(path.join(tempDir(), 'old.sqlite'));
    sqlite.pragma('foreign_keys = ON');
    return new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  const url = await (postgres as ThrowawayPostgres).newDatabaseUrl();
  return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
}

describe.each<Dialect>(postgresAvailable ? ['sqlite', 'postgres'] : ['sqlite'])('migration 0002 on %s', (dialect) => {
  it('keeps every license, job and foreign key of a 0001 database, reads them as emergency trials, and allows no end date', async () => {
    const db = await open(dialect);
    await migrateTo(db, dialect, '0001_licenses_jobs_issues');
    await sql`insert into licenses (id, key, issued_at, expires_at, created_ms, user_count, email, email_lower, agent, delivery_status, delivery_attempts, idempotency_key) values ('lic_old1', 'k.e.y', '2026-11-01T00:00:00.000Z', '2026-11-11T00:00:00.000Z', 1, 5, 'Old@Example.org', 'old@example.org', 'asmith', 'sent', 1, 'old-key')`.execute(
      db,
    );
    await sql`insert into jobs (license_id, kind, state, attempts, run_at_ms, created_ms) values ('lic_old1', 'deliver', 'done', 1, 1, 1)`.execute(
      db,
    );

    await migrateTo(db, dialect);
    const rows = await sql<Record<string, unknown>>`select * from licenses`.execute(db);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({
      id: 'lic_old1',
      key: 'k.e.y',
      expires_at: '2026-11-11T00:00:00.000Z',
      idempotency_key: 'old-key',
      kind: 'emergency',
      trial: 1,
      approval_status: 'not_required',
      licensee_name: null,
    });
    const jobs = await sql<{ license_id: string }>`select license_id from jobs`.execute(db);
    expect(jobs.rows).toEqual([{ license_id: 'lic_old1' }]);
    // A perpetual license: no end date.
    await sql`update licenses set expires_at = null where id = 'lic_old1'`.execute(db);
    // The rebuilt table still guards its indexes and the jobs' foreign key.
    await expect(
      sql`insert into jobs (license_id, kind, state, attempts, run_at_ms, created_ms) values ('lic_missing', 'deliver', 'pending', 0, 1, 1)`.execute(
        db,
      ),
    ).rejects.toThrow(/foreign key/i);
    await expect(
      sql`insert into licenses (id, key, issued_at, created_ms, user_count, email, email_lower, agent, delivery_status, idempotency_key) values ('lic_old2', '', 'x', 2, 1, 'a@b.c', 'a@b.c', 'a', 'held', 'old-key')`.execute(
        db,
      ),
    ).rejects.toThrow(/unique|duplicate/i);
    await db.destroy();
  });
});
