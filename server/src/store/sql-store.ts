import { type Kysely, type Selectable, sql } from 'kysely';
import { closeDurableCommits, durableTransaction } from './durable-commit.ts';
import { type TransactionGroups, transactionGroupsFor } from './group-commit.ts';
import type { SqlDialectName } from './migrations.ts';
import type { CheckpointStatus } from './checkpointer.ts';
import type { OpenDatabase } from './open-database.ts';
import type { Database, JobKind, JobsTable, LicensesTable } from './schema.ts';

export type LicenseRow = Selectable<LicensesTable>;
export type JobRow = Selectable<JobsTable>;
/** Columns of migration 0002; a license that leaves them out is an emergency trial as before. */
const KIND_COLUMN_DEFAULTS = {
  kind: 'emergency',
  trial: 1,
  licensee_name: null,
  licensee_company: null,
  plan: null,
  duration_days: null,
  starts_on: null,
  ends_on: null,
  extra_claims: null,
  details: null,
  approval_status: 'not_required',
  approval_by: null,
  approval_at: null,
  approval_reason: null,
} as const satisfies Partial<LicenseRow>;
type KindColumn = keyof typeof KIND_COLUMN_DEFAULTS;

export type NewLicense = Omit<
  LicenseRow,
  'delivery_attempts' | 'delivery_error' | 'delivered_at' | 'issue_id' | KindColumn
> &
  Partial<Pick<LicenseRow, KindColumn>>;

/** A new license to write, with what the same transaction also records. */
export interface MintInsert {
  license: NewLicense;
  /** The audit entry (`minted` unless `action` says otherwise). */
  audit: { actor: string; detail: string; action?: string };
  /** The first job: `deliver` (the default), or `sync_issue` for a license held for approval. */
  firstJob?: JobKind;
  /** The operator's ceiling on licenses per requester email in a rolling day, when set. */
  dailyCeiling?: number | undefined;
}

export type InsertOutcome =
  | { created: true; jobId: number }
  | { created: false; reason: 'idempotent'; licenseId: string; requestHash: string | null }
  | { created: false; reason: 'ceiling'; retryAtMs: number };

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A job lease: who holds it and until when. */
export interface Lease {
  owner: string | null;
  untilMs: number;
}
/**
 * Checkpoints failing this long make the instance not ready: with autocheckpoint off, the WAL
 * would otherwise grow until the disk is full. A minute rides out a passing hiccup.
 */
export const CHECKPOINT_FAILING_LIMIT_MS = 60_000;

export interface DeliveryOutcome {
  status: 'sent' | 'queued' | 'failed';
  error: string | null;
  at: string;
}

export interface AuditEntry {
  licenseId: string;
  actor: string;
  action: string;
  detail: string | null;
  at: string;
}

/** Licenses, their durable jobs and audit entries, over one Kysely database. */
export class SqlStore {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialectName;
  private readonly beforeClose: () => Promise<void>;
  /** Small writes (job bookkeeping, delivery outcomes) arriving together share one commit. */
  private readonly writes: TransactionGroups<Kysely<Database>>;
  /** SQLite's WAL checkpoints; undefined on PostgreSQL. */
  readonly checkpoints: (() => CheckpointStatus) | undefined;

  constructor(database: OpenDatabase) {
    this.db = database.db;
    this.dialect = database.dialect;
    this.beforeClose = database.stopHelpers;
    this.writes = transactionGroupsFor(this.db);
    this.checkpoints = database.checkpoints;
  }

  /** Readiness: the database answers, and (SQLite) its WAL is being checkpointed. */
  async ping(nowMs = Date.now()): Promise<void> {
    await sql`select 1`.execute(this.db);
    const status = this.checkpoints?.();
    if (status?.failingSinceMs !== undefined && nowMs - status.failingSinceMs >= CHECKPOINT_FAILING_LIMIT_MS) {
      throw new Error(
        `WAL checkpoints have failed for ${Math.round((nowMs - status.failingSinceMs) / 1000)} s: ${status.lastError}`,
      );
    }
  }

  async close(): Promise<void> {
    await closeDurableCommits(this.db);
    await this.beforeClose();
    await this.db.destroy();
  }

  async findLicenseIdByIdempotencyKey(key: string): Promise<{ id: string; request_hash: string | null } | undefined> {
    return this.db
      .selectFrom('licenses')
      .select(['id', 'request_hash'])
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
  }

  /**
   * Writes licenses with their delivery jobs and audit entries in one transaction (one fsync for
   * the whole group), so a license answered with 201 always has the work that emails it. A license
   * whose idempotency key is taken, or whose email reached its daily ceiling, writes nothing; the
   * outcomes come back in the order of `items`.
   */
  async insertLicenses(items: MintInsert[], nowMs: number, lease?: Lease): Promise<InsertOutcome[]> {
    return durableTransaction(this.db, async (trx) => {
      const keys = items.map((item) => item.license.idempotency_key).filter((key): key is string => key !== null);
      const holders = new Map<string, { licenseId: string; requestHash: string | null }>();
      if (keys.length > 0) {
        const rows = await trx
          .selectFrom('licenses')
          .select(['id', 'request_hash', 'idempotency_key'])
          .where('idempotency_key', 'in', keys)
          .execute();
        for (const row of rows)
          holders.set(row.idempotency_key as string, { licenseId: row.id, requestHash: row.request_hash });
      }
      const recentByEmail = new Map<string, number[]>();
      const outcomes: Array<InsertOutcome | undefined> = [];
      const accepted: MintInsert[] = [];
      for (const item of items) {
        const { license } = item;
        const holder = license.idempotency_key === null ? undefined : holders.get(license.idempotency_key);
        if (holder) {
          outcomes.push({ created: false, reason: 'idempotent', ...holder });
          continue;
        }
        if (item.dailyCeiling !== undefined) {
          let recent = recentByEmail.get(license.email_lower);
          if (!recent) {
            const rows = await trx
              .selectFrom('licenses')
              .select('created_ms')
              .where('email_lower', '=', license.email_lower)
              .where('created_ms', '>', license.created_ms - DAY_MS)
              .orderBy('created_ms')
              .execute();
            recent = rows.map((row) => Number(row.created_ms));
            recentByEmail.set(license.email_lower, recent);
          }
          if (recent.length >= item.dailyCeiling) {
            // A slot frees up when enough of the day's licenses have left the rolling window.
            const freedBy = recent[recent.length - item.dailyCeiling] as number;
            outcomes.push({ created: false, reason: 'ceiling', retryAtMs: freedBy + DAY_MS });
            continue;
          }
          recent.push(license.created_ms);
        }
        if (license.idempotency_key !== null)
          holders.set(license.idempotency_key, { licenseId: license.id, requestHash: license.request_hash });
        outcomes.push(undefined);
        accepted.push(item);
      }
      if (accepted.length === 0) return outcomes as InsertOutcome[];

      await trx
        .insertInto('licenses')
        .values(
          accepted.map(({ license }) => ({
            ...KIND_COLUMN_DEFAULTS,
            ...license,
            delivery_attempts: 0,
            delivery_error: null,
            delivered_at: null,
            issue_id: null,
          })),
        )
        .execute();
      const jobs = await trx
        .insertInto('jobs')
        .values(
          accepted.map(({ license, firstJob }) => ({
            ...newJob(license.id, firstJob ?? 'deliver', nowMs),
            // Already leased to the minting instance, which makes the first attempt itself: no
            // other instance's poller can take it from under it.
            ...(lease
              ? { state: 'running' as const, attempts: 1, lease_until_ms: lease.untilMs, lease_owner: lease.owner }
              : {}),
          })),
        )
        .returning(['id', 'license_id'])
        .execute();
      await trx
        .insertInto('audit')
        .values(
          accepted.map(({ license, audit }) => ({
            license_id: license.id,
            actor: audit.actor,
            action: audit.action ?? 'minted',
            detail: audit.detail,
            at: new Date(nowMs).toISOString(),
          })),
        )
        .execute();
      const jobIds = new Map(jobs.map((job) => [job.license_id, Number(job.id)]));
      let next = 0;
      return outcomes.map((outcome) => {
        if (outcome) return outcome;
        const { license } = accepted[next++] as MintInsert;
        return { created: true, jobId: jobIds.get(license.id) as number };
      });
    });
  }

  async getLicense(id: string): Promise<LicenseRow | undefined> {
    return this.db.selectFrom('licenses').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listLicenses(filter: { email?: string; ticketId?: number; limit: number }): Promise<LicenseRow[]> {
    let query = this.db.selectFrom('licenses').selectAll();
    if (filter.email !== undefined) query = query.where('email_lower', '=', filter.email.toLowerCase());
    if (filter.ticketId !== undefined) query = query.where('ticket_id', '=', filter.ticketId);
    return query.orderBy('created_ms', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  }

  /** Records one attempt's outcome; returns the license as it is now. */
  async recordDeliveryOutcome(licenseId: string, outcome: DeliveryOutcome): Promise<LicenseRow | undefined> {
    return this.writes.run((db) =>
      db
        .updateTable('licenses')
        .set((eb) => ({
          delivery_status: outcome.status,
          delivery_attempts: eb('delivery_attempts', '+', 1),
          delivery_error: outcome.error,
          delivered_at:
            outcome.status === 'sent' ? eb.fn.coalesce('delivered_at', eb.val(outcome.at)) : eb.ref('delivered_at'),
        }))
        .where('id', '=', licenseId)
        .returningAll()
        .executeTakeFirst(),
    );
  }

  async markDeliveryQueued(licenseId: string): Promise<void> {
    await this.db.updateTable('licenses').set({ delivery_status: 'queued' }).where('id', '=', licenseId).execute();
  }

  async setIssueId(licenseId: string, issueId: string): Promise<void> {
    await this.writes.run((db) =>
      db.updateTable('licenses').set({ issue_id: issueId }).where('id', '=', licenseId).execute(),
    );
  }

  // --- durable jobs -------------------------------------------------------------------------

  /** Adds a job unless one of the same kind is already waiting for this license. */
  async enqueueJob(licenseId: string, kind: JobKind, nowMs: number, runAtMs = nowMs): Promise<number> {
    return durableTransaction(this.db, async (trx) => {
      const waiting = await trx
        .selectFrom('jobs')
        .select('id')
        .where('license_id', '=', licenseId)
        .where('kind', '=', kind)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (waiting) {
        await trx.updateTable('jobs').set({ run_at_ms: runAtMs }).where('id', '=', waiting.id).execute();
        return waiting.id;
      }
      const job = await trx
        .insertInto('jobs')
        .values({ ...newJob(licenseId, kind, nowMs), run_at_ms: runAtMs })
        .returning('id')
        .executeTakeFirstOrThrow();
      return job.id;
    });
  }

  /**
   * Claims one due job (a specific one when `jobId` is given) by leasing it until `leaseUntilMs`:
   * the oldest due pending job, else one whose lease ran out.
   */
  async claimJob(
    nowMs: number,
    leaseUntilMs: number,
    jobId?: number,
    owner: string | null = null,
  ): Promise<JobRow | undefined> {
    const [job] = await this.claimJobs(nowMs, { owner, untilMs: leaseUntilMs }, 1, jobId);
    return job;
  }

  /**
   * Claims up to `limit` due jobs in one statement (one commit for the batch), oldest first: due
   * pending jobs, then jobs whose lease ran out. Index range scans only, so a long backlog costs
   * nothing per claim. On PostgreSQL several instances claim from one table: `FOR UPDATE SKIP
   * LOCKED` hands each due job to exactly one of them.
   */
  async claimJobs(
    nowMs: number,
    lease: Lease,
    limit: number,
    jobId?: number,
    /** Jobs the caller is running itself: never taken over from it, whatever their lease says. */
    runningHere: number[] = [],
  ): Promise<JobRow[]> {
    if (limit <= 0) return [];
    const pending = (db: Kysely<Database>, n: number) =>
      db
        .selectFrom('jobs')
        .select('id')
        .where('state', '=', 'pending')
        .where('run_at_ms', '<=', nowMs)
        .$if(jobId !== undefined, (q) => q.where('id', '=', jobId as number))
        .orderBy('run_at_ms')
        .limit(n)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked());
    const expired = (db: Kysely<Database>, n: number) =>
      db
        .selectFrom('jobs')
        .select('id')
        .where('state', '=', 'running')
        .where('lease_until_ms', '<', nowMs)
        .$if(jobId !== undefined, (q) => q.where('id', '=', jobId as number))
        .$if(runningHere.length > 0, (q) => q.where('id', 'not in', runningHere))
        .limit(n)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked());
    return this.writes.run(async (db) => {
      const claimed: JobRow[] = [];
      for (const due of [pending, expired]) {
        const wanted = limit - claimed.length;
        if (wanted <= 0) break;
        const rows = await db
          .updateTable('jobs')
          .set((eb) => ({
            state: 'running',
            lease_until_ms: lease.untilMs,
            lease_owner: lease.owner,
            attempts: eb('attempts', '+', 1),
          }))
          .where('id', 'in', due(db, wanted))
          .returningAll()
          .execute();
        claimed.push(...rows.sort((a, b) => Number(a.run_at_ms) - Number(b.run_at_ms)));
      }
      return claimed;
    });
  }

  /**
   * Takes a job this instance leased when it wrote it (a fresh mint's delivery, leased to
   * `freshOwner`) for running under `owner`: one statement, so only one taker ever gets it.
   */
  async takeFreshJob(jobId: number, freshOwner: string, owner: string): Promise<JobRow | undefined> {
    return this.writes.run((db) =>
      db
        .updateTable('jobs')
        .set({ lease_owner: owner })
        .where('id', '=', jobId)
        .where('state', '=', 'running')
        .where('lease_owner', '=', freshOwner)
        .returningAll()
        .executeTakeFirst(),
    );
  }

  /** Keeps the leases of the given jobs `owner` is running from running out. */
  async renewLeases(owner: string, untilMs: number, jobIds: number[]): Promise<number> {
    if (jobIds.length === 0) return 0;
    const result = await this.writes.run((db) =>
      db
        .updateTable('jobs')
        .set({ lease_until_ms: untilMs })
        .where('id', 'in', jobIds)
        .where('state', '=', 'running')
        .where('lease_owner', '=', owner)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows);
  }

  /**
   * Hands jobs this instance leased but never started back to the queue, as if never claimed:
   * any instance's poller may take them.
   */
  async releaseJobs(jobIds: number[], owner: string): Promise<void> {
    if (jobIds.length === 0) return;
    await this.writes.run((db) =>
      db
        .updateTable('jobs')
        .set((eb) => ({
          state: 'pending',
          lease_until_ms: null,
          lease_owner: null,
          attempts: eb('attempts', '-', 1),
        }))
        .where('id', 'in', jobIds)
        .where('state', '=', 'running')
        .where('lease_owner', '=', owner)
        .execute(),
    );
  }

  /**
   * Jobs an earlier run of this same instance (same INSTANCE_ID) still held when it died go back to
   * pending at start, instead of waiting for their leases to run out. Lease owners are
   * `INSTANCE_ID#run`: everything under this instance's id but another run's is reclaimed.
   */
  async reclaimOwnLeases(instanceId: string, currentOwners: string[]): Promise<number> {
    const prefix = `${instanceId}#`;
    const result = await this.writes.run((db) =>
      db
        .updateTable('jobs')
        .set({ state: 'pending', lease_until_ms: null, lease_owner: null })
        .where('state', '=', 'running')
        .where((eb) => eb(eb.fn('substr', ['lease_owner', eb.lit(1), eb.lit(prefix.length)]), '=', prefix))
        .where('lease_owner', 'not in', currentOwners)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows);
  }

  /** Ends a job; with `owner`, only while that instance still holds it (nobody took it over). */
  async finishJob(jobId: number, state: 'done' | 'dead', error: string | null, owner?: string): Promise<void> {
    await this.writes.run((db) =>
      db
        .updateTable('jobs')
        .set({ state, lease_until_ms: null, lease_owner: null, last_error: error })
        .where('id', '=', jobId)
        .$if(owner !== undefined, (q) => q.where('lease_owner', '=', owner as string))
        .execute(),
    );
  }

  async rescheduleJob(jobId: number, runAtMs: number, error: string, owner?: string): Promise<void> {
    await this.writes.run((db) =>
      db
        .updateTable('jobs')
        .set({ state: 'pending', run_at_ms: runAtMs, lease_until_ms: null, lease_owner: null, last_error: error })
        .where('id', '=', jobId)
        .$if(owner !== undefined, (q) => q.where('lease_owner', '=', owner as string))
        .execute(),
    );
  }

  /**
   * Jobs a killed process left running go back to pending. Safe only while this process is the
   * database's sole user, which is what an embedded SQLite file means; on PostgreSQL other
   * instances may be running them, so their leases (and `reclaimOwnLeases`) decide instead.
   */
  async releaseAbandonedJobs(): Promise<number> {
    if (this.dialect !== 'sqlite') return 0;
    const result = await this.db
      .updateTable('jobs')
      .set({ state: 'pending', lease_until_ms: null, lease_owner: null })
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async nextDueAtMs(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('run_at_ms').as('next'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  async queueDepth(): Promise<number> {
    const row = await this.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', 'in', ['pending', 'running'])
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // --- audit trail ------------------------------------------------------------------------------

  async addAudit(entry: AuditEntry): Promise<void> {
    await this.db
      .insertInto('audit')
      .values({
        license_id: entry.licenseId,
        actor: entry.actor,
        action: entry.action,
        detail: entry.detail,
        at: entry.at,
      })
      .execute();
  }

  async listAudit(licenseId: string): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit')
      .selectAll()
      .where('license_id', '=', licenseId)
      .orderBy('id', 'desc')
      .limit(200)
      .execute();
    return rows.map((row) => ({
      licenseId: row.license_id,
      actor: row.actor,
      action: row.action,
      detail: row.detail,
      at: row.at,
    }));
  }
}

function newJob(licenseId: string, kind: JobKind, nowMs: number) {
  return {
    license_id: licenseId,
    kind,
    state: 'pending' as const,
    attempts: 0,
    run_at_ms: nowMs,
    created_ms: nowMs,
    lease_until_ms: null,
    lease_owner: null,
    last_error: null,
  };
}
