import {
  type ColumnDataType,
  type CreateTableBuilder,
  type ColumnDefinitionBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  sql,
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

/** SQLite stores small keyed rollups best clustered by their key (no hidden rowid). */
function clustered<T extends string, C extends string>(
  dialect: SqlDialectName,
  table: CreateTableBuilder<T, C>,
): CreateTableBuilder<T, C> {
  return dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table;
}

/**
 * The organisation a license counts for in usage reports: the requester email's domain for
 * generic (trial) licensees. Computed by the database from the row, so the report's two halves
 * (licenses and usage) can never disagree about it.
 */
function organisationExpression(dialect: SqlDialectName) {
  return dialect === 'postgres' ? sql`split_part(email_lower, '@', 2)` : sql.raw(sqliteOrganisationOf());
}

function sqliteOrganisationOf(row?: string): string {
  const email = row ? `${row}.email_lower` : 'email_lower';
  return `substr(${email}, instr(${email}, '@') + 1)`;
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
  '0003_usage_revocation': {
    async up(db: Kysely<unknown>) {
      for (const column of ['revoked_at', 'revoke_reason', 'revoked_by']) {
        await db.schema.alterTable('licenses').addColumn(column, 'text').execute();
      }
      // Every license minted so far is a trial; non-trial kinds set 0.
      await db.schema
        .alterTable('licenses')
        .addColumn('trial', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      if (dialect === 'postgres') {
        await db.schema
          .alterTable('licenses')
          .addColumn('organisation', 'text', (c) => c.generatedAlwaysAs(organisationExpression(dialect)).stored())
          .execute();
      } else {
        // SQLite adds only virtual generated columns to an existing table, and never reads an index
        // on one (or on an expression) as covering: the report would visit every row. A plain
        // column that a trigger fills keeps the report on the index alone.
        await db.schema.alterTable('licenses').addColumn('organisation', 'text').execute();
        await sql`update licenses set organisation = ${organisationExpression(dialect)}`.execute(db);
        await sql`create trigger licenses_organisation after insert on licenses for each row begin
          update licenses set organisation = ${sql.raw(sqliteOrganisationOf('new'))} where id = new.id;
        end`.execute(db);
      }
      // The report's licenses half reads only this index, in organisation order.
      await db.schema
        .createIndex('licenses_report')
        .on('licenses')
        .columns(['organisation', 'expires_at', 'issued_at', 'revoked_at', 'trial', 'user_count'])
        .execute();
      await db.schema
        .createIndex('licenses_revoked')
        .on('licenses')
        .columns(['revoked_at', 'id'])
        .where(sql.ref('revoked_at'), 'is not', null)
        .execute();

      // One row per license per day however often it reports: peak and last.
      await clustered(
        dialect,
        db.schema
          .createTable('usage_days')
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('license_id', 'text', (c) => c.notNull())
          .addColumn('peak', 'bigint', (c) => c.notNull())
          .addColumn('last', 'bigint', (c) => c.notNull())
          .addColumn('last_at_ms', 'bigint', (c) => c.notNull())
          .addColumn('reports', 'integer', (c) => c.notNull())
          .addColumn('last_instance', 'text')
          .addPrimaryKeyConstraint('usage_days_pk', ['day', 'license_id']),
      ).execute();
      // The same per organisation: the sum of its licenses' peaks that day, kept up to date by
      // each check-in, so a report reads organisations × days rather than licenses × days.
      await clustered(
        dialect,
        db.schema
          .createTable('usage_org_days')
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('organisation', 'text', (c) => c.notNull())
          .addColumn('peak_sum', 'bigint', (c) => c.notNull())
          .addColumn('last_at_ms', 'bigint', (c) => c.notNull())
          .addColumn('reports', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('usage_org_days_pk', ['day', 'organisation']),
      ).execute();

      // The scheduled report: when a set of settings was first seen, and one row per period sent.
      await db.schema
        .createTable('report_schedules')
        .addColumn('settings_key', 'text', (c) => c.primaryKey())
        .addColumn('anchor_ms', 'bigint', (c) => c.notNull())
        .addColumn('every_days', 'integer', (c) => c.notNull())
        .addColumn('recipients', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('report_runs')
        .addColumn('settings_key', 'text', (c) => c.notNull())
        .addColumn('period_from', 'text', (c) => c.notNull())
        .addColumn('period_to', 'text', (c) => c.notNull())
        .addColumn('due_ms', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
        .addColumn('lease_until_ms', 'bigint')
        .addColumn('sent_at', 'text')
        .addColumn('last_error', 'text')
        .addPrimaryKeyConstraint('report_runs_pk', ['settings_key', 'period_from'])
        .execute();
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
