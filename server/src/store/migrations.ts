import {
  type ColumnDataType,
  type ColumnDefinitionBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
} from 'kysely';

/**
 * Versioned schema changes, applied in name order at start. Never edit a released migration:
 * add a new one.
 */
export type SqlDialectName = 'sqlite' | 'postgres';

/** An integer primary key the database numbers itself, in each dialect's words. */
function serialId(
  dialect: SqlDialectName,
): [ColumnDataType, (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return dialect === 'postgres'
    ? ['serial', (column) => column.primaryKey()]
    : ['integer', (column) => column.primaryKey().autoIncrement()];
}

const migrationsFor = (dialect: SqlDialectName): Record<string, Migration> => ({
  '0001_licenses_jobs_issues': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('licenses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('user_count', 'integer', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_lower', 'text', (c) => c.notNull())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('ticket_id', 'bigint')
        .addColumn('ticket_url', 'text')
        .addColumn('delivery_status', 'text', (c) => c.notNull())
        .addColumn('delivery_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('delivery_error', 'text')
        .addColumn('delivered_at', 'text')
        .addColumn('issue_id', 'text')
        .addColumn('idempotency_key', 'text', (c) => c.unique())
        .addColumn('request_hash', 'text')
        .execute();
      await db.schema
        .createIndex('licenses_email_lower')
        .on('licenses')
        .columns(['email_lower', 'created_ms'])
        .execute();
      await db.schema.createIndex('licenses_ticket_id').on('licenses').columns(['ticket_id', 'created_ms']).execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', ...serialId(dialect))
        .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('run_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('lease_until_ms', 'bigint')
        .addColumn('last_error', 'text')
        .execute();
      await db.schema.createIndex('jobs_due').on('jobs').columns(['state', 'run_at_ms']).execute();
      await db.schema.createIndex('jobs_license').on('jobs').columns(['license_id', 'kind', 'state']).execute();

      await db.schema
        .createTable('issues')
        .addColumn('id', ...serialId(dialect))
        .addColumn('license_id', 'text', (c) => c.unique())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit')
        .addColumn('id', ...serialId(dialect))
        .addColumn('license_id', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_license').on('audit').columns(['license_id', 'id']).execute();
    },
  },
  '0005_job_lease_owner': {
    // Which instance holds a running job's lease: a restarted instance takes its own jobs back at
    // once instead of waiting for their leases to run out, and it renews the leases it holds.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('jobs').addColumn('lease_owner', 'text').execute();
    },
  },
});

export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
