import { Kysely, PostgresDialect, sql } from 'kysely';
import { migrateToLatest } from './migrations.ts';
import type { OpenDatabase } from './open-database.ts';
import type { Database } from './schema.ts';

const INT8_OID = 20;
const MIGRATION_LOCK = 727_274;

/**
 * Opens PostgreSQL (DATABASE_URL=postgres://…) with the same schema and migrations as SQLite.
 * Our bigint columns are millisecond timestamps and ticket ids, well inside JavaScript's safe
 * integers, so int8 values are read as numbers rather than strings.
 */
export async function openPostgresDatabase(url: string): Promise<OpenDatabase> {
  // Loaded here rather than at the top: in the bundle a static import would load it at every
  // start, SQLite deployments included.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? Number
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // Idle clients that lose their connection emit errors on the pool; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Several instances may start together: one migrates, the others wait for it.
  await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection);
    try {
      await migrateToLatest(connection as Kysely<unknown>, 'postgres');
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection);
    }
  });
  return { db, location: redactedUrl(url), stopHelpers: async () => undefined, dialect: 'postgres' };
}

/** The URL without its password, for start-up output. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres (unparseable URL)';
  }
}
