import {
  sql,
  type ColumnDataType,
  type CreateTableBuilder,
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

/** SQLite stores small keyed rollups best clustered by their key (no hidden rowid). */
function clustered<T extends string, C extends string>(
  dialect: SqlDialectName,
  table: CreateTableBuilder<T, C>,
): CreateTableBuilder<T, C> {
  return dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table;
}

/**
 * The organisation a license counts for in usage reports: the licensee company of a paid license,
 * the requester email's domain for generic (trial) licensees. Computed by the database from the
 * row, so the report's two halves (licenses and usage) can never disagree about it.
 */
function organisationExpression(dialect: SqlDialectName) {
  return dialect === 'postgres'
    ? sql`case when trial = 0 and coalesce(licensee_company, '') <> '' then licensee_company else split_part(email_lower, '@', 2) end`
    : sql.raw(sqliteOrganisationOf());
}

function sqliteOrganisationOf(row?: string): string {
  const column = (name: string) => (row ? `${row}.${name}` : name);
  const email = column('email_lower');
  return `case when ${column('trial')} = 0 and coalesce(${column('licensee_company')}, '') <> '' then ${column('licensee_company')} else substr(${email}, instr(${email}, '@') + 1) end`;
}

/** The license an add-on replaces (claim `supersedes` in `extra_claims`). */
function sqliteSupersedesOf(row?: string): string {
  const claims = row ? `${row}.extra_claims` : 'extra_claims';
  return `case when json_valid(${claims}) then json_extract(${claims}, '$.supersedes') end`;
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
  '0002_kinds_approvals_people': {
    async up(db: Kysely<unknown>) {
      // A perpetual license has no end: expires_at becomes nullable. PostgreSQL says so in one
      // statement; SQLite cannot alter a column and rebuilds the table (sqlite.org/lang_altertable.html).
      if (dialect === 'postgres') {
        await db.schema
          .alterTable('licenses')
          .alterColumn('expires_at', (c) => c.dropNotNull())
          .execute();
      } else {
        await rebuildSqliteLicensesWithNullableExpiry(db);
      }
      const columns: Array<[string, ColumnDataType, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder]> = [
        ['kind', 'text', (c) => c.notNull().defaultTo('emergency')],
        ['trial', 'integer', (c) => c.notNull().defaultTo(1)],
        ['licensee_name', 'text', (c) => c],
        ['licensee_company', 'text', (c) => c],
        ['plan', 'text', (c) => c],
        ['duration_days', 'integer', (c) => c],
        ['starts_on', 'text', (c) => c],
        ['ends_on', 'text', (c) => c],
        ['extra_claims', 'text', (c) => c],
        ['details', 'text', (c) => c],
        ['approval_status', 'text', (c) => c.notNull().defaultTo('not_required')],
        ['approval_by', 'text', (c) => c],
        ['approval_at', 'text', (c) => c],
        ['approval_reason', 'text', (c) => c],
      ];
      for (const [name, type, build] of columns) {
        await db.schema.alterTable('licenses').addColumn(name, type, build).execute();
      }
      // Pending approvals are few and looked for by status; the index stays tiny.
      await db.schema.createIndex('licenses_approval').on('licenses').columns(['approval_status']).execute();

      await db.schema
        .createTable('people')
        .addColumn('id', ...serialId(dialect))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_lower', 'text', (c) => c.notNull().unique())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('approver', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0003_usage_revocation': {
    async up(db: Kysely<unknown>) {
      for (const column of ['revoked_at', 'revoke_reason', 'revoked_by']) {
        await db.schema.alterTable('licenses').addColumn(column, 'text').execute();
      }
      if (dialect === 'postgres') {
        await db.schema
          .alterTable('licenses')
          .addColumn('organisation', 'text', (c) => c.generatedAlwaysAs(organisationExpression(dialect)).stored())
          .execute();
        await db.schema
          .alterTable('licenses')
          .addColumn('supersedes', 'text', (c) =>
            c.generatedAlwaysAs(sql`(extra_claims::jsonb ->> 'supersedes')`).stored(),
          )
          .execute();
      } else {
        // SQLite adds only virtual generated columns to an existing table, and never reads an index
        // on one (or on an expression) as covering: the report would visit every row. A plain
        // column that a trigger fills keeps the report on the index alone.
        await db.schema.alterTable('licenses').addColumn('organisation', 'text').execute();
        await db.schema.alterTable('licenses').addColumn('supersedes', 'text').execute();
        await sql`update licenses set organisation = ${organisationExpression(dialect)}, supersedes = ${sql.raw(sqliteSupersedesOf())}`.execute(
          db,
        );
        for (const [name, event] of [
          ['licenses_report_facts', 'insert'],
          ['licenses_report_facts_update', 'update of trial, licensee_company, email_lower, extra_claims'],
        ] as const) {
          await sql`create trigger ${sql.raw(name)} after ${sql.raw(event)} on licenses for each row begin
            update licenses set organisation = ${sql.raw(sqliteOrganisationOf('new'))},
                                supersedes = ${sql.raw(sqliteSupersedesOf('new'))}
            where id = new.id;
          end`.execute(db);
        }
      }
      // The report's licenses half reads only this index, in organisation order.
      await db.schema
        .createIndex('licenses_report')
        .on('licenses')
        .columns(['organisation', 'expires_at', 'issued_at', 'revoked_at', 'approval_status', 'trial', 'user_count'])
        .execute();
      // Add-on licenses replace the license they name: few, and looked up by it.
      await db.schema
        .createIndex('licenses_supersedes')
        .on('licenses')
        .columns(['supersedes'])
        .where(sql.ref('supersedes'), 'is not', null)
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
  // Lookup page sessions live on the server, so signing out ends them on every instance.
  '0004_lookup_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('lookup_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('credential', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('lookup_sessions_expiry').on('lookup_sessions').column('expires_ms').execute();
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

/**
 * SQLite's documented way to change a column's constraints: a new table, the rows copied, the old
 * one dropped and the new one renamed, in one transaction with foreign keys off (jobs point at
 * licenses). Kysely runs SQLite migrations outside a transaction, so the pragma can be set here.
 */
async function rebuildSqliteLicensesWithNullableExpiry(db: Kysely<unknown>): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    try {
      await db.schema
        .createTable('licenses_0002')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
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
      await sql`insert into licenses_0002 select id, key, issued_at, expires_at, created_ms, user_count, email, email_lower, agent, ticket_id, ticket_url, delivery_status, delivery_attempts, delivery_error, delivered_at, issue_id, idempotency_key, request_hash from licenses`.execute(
        db,
      );
      await sql`drop table licenses`.execute(db);
      await sql`alter table licenses_0002 rename to licenses`.execute(db);
      await db.schema
        .createIndex('licenses_email_lower')
        .on('licenses')
        .columns(['email_lower', 'created_ms'])
        .execute();
      await db.schema.createIndex('licenses_ticket_id').on('licenses').columns(['ticket_id', 'created_ms']).execute();
      const broken = await sql`pragma foreign_key_check`.execute(db);
      if (broken.rows.length > 0) throw new Error('rebuilding licenses broke a foreign key');
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  await migrateTo(db, dialect);
}

/** Applies migrations up to and including `name` (all of them when absent); tests build old schemas with it. */
export async function migrateTo(db: Kysely<unknown>, dialect: SqlDialectName, name?: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) };
  // Helpers add their numbered migrations in parallel: a database that already ran a later one (0004)
  // must still take an earlier one (0002) merged after it.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error, results } = name === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(name);
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
