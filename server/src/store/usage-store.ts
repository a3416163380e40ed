import { type Kysely, sql } from 'kysely';
import type { SqlDialectName } from './migrations.ts';
import type { Database } from './schema.ts';
import type { LicenseRow } from './sql-store.ts';

/** Columns migration 0003 adds to `licenses` for revocation. */
export interface RevocationColumns {
  revoked_at: string | null;
  revoke_reason: string | null;
  revoked_by: string | null;
}

/** A license row as `selectAll` reads it since migration 0003. */
export type RevocableLicenseRow = LicenseRow & Partial<RevocationColumns>;

/** Columns migration 0003 adds to `licenses` for reports. */
interface LicenseReportColumns extends RevocationColumns {
  /** Kept by the database (see `organisationExpression` in `migrations.ts`). */
  organisation: string;
  /** The license an add-on replaces (its `supersedes` claim), kept by the database. */
  supersedes: string | null;
}

export interface UsageDaysTable {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  license_id: string;
  peak: number;
  last: number;
  last_at_ms: number;
  reports: number;
  last_instance: string | null;
}

export interface UsageOrgDaysTable {
  day: string;
  organisation: string;
  /** Sum over the organisation's licenses of each one's peak that day. */
  peak_sum: number;
  last_at_ms: number;
  reports: number;
}

export type UsageDatabase = {
  licenses: Database['licenses'] & LicenseReportColumns;
  usage_days: UsageDaysTable;
  usage_org_days: UsageOrgDaysTable;
};

/** One check-in whose license signature checked out, as the group write records it. */
export interface CheckIn {
  licenseId: string;
  day: string;
  activeUsers: number;
  instance: string | null;
  atMs: number;
}

export type CheckInOutcome =
  | { status: 'recorded'; organisation: string }
  /** Signed by this service's key, yet no such license is stored (e.g. another deployment's). */
  | { status: 'unknown' }
  | { status: 'revoked'; revokedAt: string };

/** Check-ins of one license on one day within a group, folded into what its row will say. */
interface LicenseDay {
  day: string;
  licenseId: string;
  organisation: string;
  peak: number;
  last: number;
  lastAtMs: number;
  reports: number;
  instance: string | null;
}

/** What the report reads for one organisation, before the arithmetic. */
export interface OrganisationTotals {
  organisation: string;
  purchased: number;
  trialUsers: number;
  usedPeak: number;
  activeLicenses: number;
  lastReportMs: number | null;
}

export interface ReportQuery {
  /** First and last day of the period, `YYYY-MM-DD`, inclusive. */
  from: string;
  to: string;
  /** Licenses valid at this instant count as active (ISO 8601). */
  activeAt: string;
}

export interface Revocation {
  at: string;
  by: string;
  reason: string;
}

/**
 * Usage check-ins rolled up per license and per organisation per day, the usage report, and
 * revocations. A year of daily check-ins from 100,000 installations is 36.5 million small rows
 * (one per license per day, whatever the installations send); the report reads only the
 * per-organisation rows of its period and one index of `licenses`.
 */
export class UsageStore {
  private readonly db: Kysely<UsageDatabase>;

  constructor(
    db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {
    this.db = db as unknown as Kysely<UsageDatabase>;
  }

  /**
   * Records a group of check-ins in one transaction with a handful of set-based statements,
   * whatever the group's size: the licenses' organisations and revocations are read together, the
   * group is folded per license and day, and each table is written with one multi-row upsert.
   * Rows are touched in key order (license days, then organisation days) so two instances writing
   * at once on PostgreSQL wait for each other instead of deadlocking, and each license day is
   * locked while its old peak is read, so the organisation's sum moves by exactly the increase.
   */
  async recordCheckIns(items: CheckIn[]): Promise<CheckInOutcome[]> {
    if (items.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const ids = [...new Set(items.map((item) => item.licenseId))];
      const licenses = new Map(
        (
          await trx.selectFrom('licenses').select(['id', 'organisation', 'revoked_at']).where('id', 'in', ids).execute()
        ).map((row) => [row.id, row]),
      );
      const folded = new Map<string, LicenseDay>();
      const outcomes = items.map((item): CheckInOutcome => {
        const license = licenses.get(item.licenseId);
        if (!license) return { status: 'unknown' };
        if (license.revoked_at !== null) return { status: 'revoked', revokedAt: license.revoked_at };
        const key = `${item.day}\0${item.licenseId}`;
        const entry = folded.get(key);
        if (!entry) {
          folded.set(key, {
            day: item.day,
            licenseId: item.licenseId,
            organisation: license.organisation,
            peak: item.activeUsers,
            last: item.activeUsers,
            lastAtMs: item.atMs,
            reports: 1,
            instance: item.instance,
          });
        } else {
          entry.peak = Math.max(entry.peak, item.activeUsers);
          if (item.atMs >= entry.lastAtMs) {
            entry.last = item.activeUsers;
            entry.lastAtMs = item.atMs;
            entry.instance = item.instance;
          }
          entry.reports += 1;
        }
        return { status: 'recorded', organisation: license.organisation };
      });
      if (folded.size === 0) return outcomes;
      const days = [...folded.values()].sort((a, b) => compare(a.day, b.day) || compare(a.licenseId, b.licenseId));
      const oldPeaks = await this.lockLicenseDays(trx, days);
      const greatest = sql.raw(this.dialect === 'postgres' ? 'greatest' : 'max');
      await trx
        .insertInto('usage_days')
        .values(
          days.map((entry) => ({
            day: entry.day,
            license_id: entry.licenseId,
            peak: entry.peak,
            last: entry.last,
            last_at_ms: entry.lastAtMs,
            reports: entry.reports,
            last_instance: entry.instance,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['day', 'license_id']).doUpdateSet({
            peak: sql`${greatest}(usage_days.peak, excluded.peak)`,
            last: sql`case when excluded.last_at_ms >= usage_days.last_at_ms then excluded.last else usage_days.last end`,
            last_instance: sql`case when excluded.last_at_ms >= usage_days.last_at_ms then excluded.last_instance else usage_days.last_instance end`,
            last_at_ms: sql`${greatest}(usage_days.last_at_ms, excluded.last_at_ms)`,
            reports: sql`usage_days.reports + excluded.reports`,
          }),
        )
        .execute();

      const organisations = new Map<string, UsageOrgDaysTable>();
      for (const entry of days) {
        const before = oldPeaks.get(`${entry.day}\0${entry.licenseId}`) ?? 0;
        const key = `${entry.day}\0${entry.organisation}`;
        const delta = Math.max(0, entry.peak - before);
        const row = organisations.get(key);
        if (row) {
          row.peak_sum += delta;
          row.last_at_ms = Math.max(row.last_at_ms, entry.lastAtMs);
          row.reports += entry.reports;
        } else {
          organisations.set(key, {
            day: entry.day,
            organisation: entry.organisation,
            peak_sum: delta,
            last_at_ms: entry.lastAtMs,
            reports: entry.reports,
          });
        }
      }
      await trx
        .insertInto('usage_org_days')
        .values([...organisations.keys()].sort().map((key) => organisations.get(key) as UsageOrgDaysTable))
        .onConflict((oc) =>
          oc.columns(['day', 'organisation']).doUpdateSet({
            peak_sum: sql`usage_org_days.peak_sum + excluded.peak_sum`,
            last_at_ms: sql`${greatest}(usage_org_days.last_at_ms, excluded.last_at_ms)`,
            reports: sql`usage_org_days.reports + excluded.reports`,
          }),
        )
        .execute();
      return outcomes;
    });
  }

  /**
   * Makes sure every license day of the group has a row (peak 0 when new), locks them (on
   * PostgreSQL) and returns their peaks before this group.
   */
  private async lockLicenseDays(trx: Kysely<UsageDatabase>, days: LicenseDay[]): Promise<Map<string, number>> {
    // SQLite runs one write transaction at a time: nothing can insert a row between our read and
    // our write, so there is nothing to lock. PostgreSQL needs the row to exist to lock it.
    if (this.dialect === 'postgres') await this.insertMissingLicenseDays(trx, days);
    const peaks = new Map<string, number>();
    for (const day of [...new Set(days.map((entry) => entry.day))]) {
      const rows = await trx
        .selectFrom('usage_days')
        .select(['license_id', 'peak'])
        .where('day', '=', day)
        .where(
          'license_id',
          'in',
          days.filter((entry) => entry.day === day).map((entry) => entry.licenseId),
        )
        .orderBy('license_id')
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .execute();
      for (const row of rows) peaks.set(`${day}\0${row.license_id}`, Number(row.peak));
    }
    return peaks;
  }

  private async insertMissingLicenseDays(trx: Kysely<UsageDatabase>, days: LicenseDay[]): Promise<void> {
    await trx
      .insertInto('usage_days')
      .values(
        days.map((entry) => ({
          day: entry.day,
          license_id: entry.licenseId,
          peak: 0,
          last: 0,
          last_at_ms: 0,
          reports: 0,
          last_instance: null,
        })),
      )
      .onConflict((oc) => oc.columns(['day', 'license_id']).doNothing())
      .execute();
  }

  /**
   * Per organisation: users of licenses active at `activeAt` (non-trial and trial), their count,
   * the highest per-day sum of license peaks in the period, and the last check-in. One statement:
   * two grouped halves (licenses, usage) merged by organisation.
   */
  async organisationTotals(query: ReportQuery): Promise<OrganisationTotals[]> {
    // Issued (approved or needing no approval), not revoked, and valid at that instant; a
    // perpetual license has no end. NOT IN, not IN: SQLite would otherwise read the approval
    // index and visit every row instead of scanning the covering licenses_report index.
    const active = (table: ReturnType<typeof sql.ref>) =>
      sql`${table}.revoked_at is null and ${table}.approval_status not in ('pending', 'rejected')
          and ${table}.issued_at <= ${query.activeAt}
          and (${table}.expires_at is null or ${table}.expires_at > ${query.activeAt})`;
    const rows = await sql<{
      organisation: string;
      purchased: number | string;
      trial_users: number | string;
      used_peak: number | string;
      active_licenses: number | string;
      last_at_ms: number | string | null;
    }>`
      select organisation,
             sum(purchased) as purchased,
             sum(trial_users) as trial_users,
             max(used_peak) as used_peak,
             sum(active_licenses) as active_licenses,
             max(last_at_ms) as last_at_ms
      from (
        select organisation,
               sum(case when trial = 0 then user_count else 0 end) as purchased,
               sum(case when trial = 0 then 0 else user_count end) as trial_users,
               0 as used_peak,
               count(*) as active_licenses,
               cast(null as bigint) as last_at_ms
        from licenses
        where ${active(sql.ref('licenses'))}
        group by organisation
        union all
        -- A base license an active add-on replaces is counted once, by the add-on: take it back out.
        select base.organisation,
               -sum(case when base.trial = 0 then base.user_count else 0 end),
               -sum(case when base.trial = 0 then 0 else base.user_count end),
               0, -count(*), cast(null as bigint)
        from licenses addon join licenses base on base.id = addon.supersedes
        where addon.supersedes is not null and ${active(sql.ref('addon'))} and ${active(sql.ref('base'))}
        group by base.organisation
        union all
        select organisation, 0, 0, max(peak_sum), 0, max(last_at_ms)
        from usage_org_days
        where day >= ${query.from} and day <= ${query.to}
        group by organisation
      ) as halves
      group by organisation
    `.execute(this.db);
    return rows.rows.map((row) => ({
      organisation: row.organisation,
      purchased: Number(row.purchased),
      trialUsers: Number(row.trial_users),
      usedPeak: Number(row.used_peak),
      activeLicenses: Number(row.active_licenses),
      lastReportMs: row.last_at_ms === null ? null : Number(row.last_at_ms),
    }));
  }

  /** A license's own rollup rows in a period, oldest first. */
  async licenseDays(licenseId: string, from: string, to: string): Promise<UsageDaysTable[]> {
    const rows = await this.db
      .selectFrom('usage_days')
      .selectAll()
      .where('license_id', '=', licenseId)
      .where('day', '>=', from)
      .where('day', '<=', to)
      .orderBy('day')
      .execute();
    return rows.map((row) => ({
      ...row,
      peak: Number(row.peak),
      last: Number(row.last),
      last_at_ms: Number(row.last_at_ms),
    }));
  }

  // --- revocation -------------------------------------------------------------------------------

  /** Marks the license revoked; false when it does not exist or already was. */
  async revoke(licenseId: string, revocation: Revocation): Promise<boolean> {
    const result = await this.db
      .updateTable('licenses')
      .set({ revoked_at: revocation.at, revoked_by: revocation.by, revoke_reason: revocation.reason })
      .where('id', '=', licenseId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async listRevocations(): Promise<Array<{ jti: string; revokedAt: string }>> {
    const rows = await this.db
      .selectFrom('licenses')
      .select(['id', 'revoked_at'])
      .where('revoked_at', 'is not', null)
      .orderBy('revoked_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ jti: row.id, revokedAt: row.revoked_at as string }));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
