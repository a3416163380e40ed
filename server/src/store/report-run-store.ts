import type { Kysely, Selectable } from 'kysely';
import type { Database } from './schema.ts';

export interface ReportSchedulesTable {
  /** A hash of the recipients and the interval: new settings start a new schedule. */
  settings_key: string;
  /** When an instance first ran with these settings: period n is due at anchor + n × interval. */
  anchor_ms: number;
  every_days: number;
  recipients: string;
}

export type ReportRunState = 'pending' | 'sending' | 'sent' | 'failed';

export interface ReportRunsTable {
  settings_key: string;
  period_from: string;
  period_to: string;
  due_ms: number;
  state: ReportRunState;
  attempts: number;
  next_attempt_ms: number;
  lease_until_ms: number | null;
  sent_at: string | null;
  last_error: string | null;
}

type ReportDatabase = {
  report_schedules: ReportSchedulesTable;
  report_runs: ReportRunsTable;
};

export type ReportRun = Selectable<ReportRunsTable>;

/**
 * The scheduled report's own small durable queue: one row per period (its primary key), inserted
 * with ON CONFLICT DO NOTHING by whichever instance gets there first, and claimed with a lease, so
 * a period is mailed once across instances and restarts and a crashed sender's period is retried.
 */
export class ReportRunStore {
  private readonly db: Kysely<Database & ReportDatabase>;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<ReportDatabase>();
  }

  /** The schedule's anchor: `nowMs` if these settings are new, else when they were first seen. */
  async anchorFor(settingsKey: string, everyDays: number, recipients: string, nowMs: number): Promise<number> {
    await this.db
      .insertInto('report_schedules')
      .values({ settings_key: settingsKey, anchor_ms: nowMs, every_days: everyDays, recipients })
      .onConflict((oc) => oc.column('settings_key').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('report_schedules')
      .select('anchor_ms')
      .where('settings_key', '=', settingsKey)
      .executeTakeFirstOrThrow();
    return Number(row.anchor_ms);
  }

  /** Records that the period is due; a no-op when any instance already did. */
  async ensureRun(settingsKey: string, period: { from: string; to: string }, dueMs: number): Promise<void> {
    await this.db
      .insertInto('report_runs')
      .values({
        settings_key: settingsKey,
        period_from: period.from,
        period_to: period.to,
        due_ms: dueMs,
        state: 'pending',
        attempts: 0,
        next_attempt_ms: dueMs,
        lease_until_ms: null,
        sent_at: null,
        last_error: null,
      })
      .onConflict((oc) => oc.columns(['settings_key', 'period_from']).doNothing())
      .execute();
  }

  /**
   * Leases the period's run to this instance when it is waiting (and its retry time has come) or
   * its last sender's lease ran out. One UPDATE with the condition in its WHERE: of several
   * instances racing, exactly one sees its row change.
   */
  async claim(
    settingsKey: string,
    periodFrom: string,
    nowMs: number,
    leaseUntilMs: number,
  ): Promise<ReportRun | undefined> {
    return this.db
      .updateTable('report_runs')
      .set((eb) => ({ state: 'sending', lease_until_ms: leaseUntilMs, attempts: eb('attempts', '+', 1) }))
      .where('settings_key', '=', settingsKey)
      .where('period_from', '=', periodFrom)
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'pending'), eb('next_attempt_ms', '<=', nowMs)]),
          eb.and([eb('state', '=', 'sending'), eb('lease_until_ms', '<', nowMs)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
  }

  async markSent(run: ReportRun, at: string): Promise<void> {
    await this.finish(run, { state: 'sent', sent_at: at, lease_until_ms: null, last_error: null });
  }

  async markRetry(run: ReportRun, nextAttemptMs: number, error: string): Promise<void> {
    await this.finish(run, {
      state: 'pending',
      next_attempt_ms: nextAttemptMs,
      lease_until_ms: null,
      last_error: error,
    });
  }

  async markFailed(run: ReportRun, error: string): Promise<void> {
    await this.finish(run, { state: 'failed', lease_until_ms: null, last_error: error });
  }

  async runs(settingsKey?: string): Promise<ReportRun[]> {
    return this.db
      .selectFrom('report_runs')
      .selectAll()
      .$if(settingsKey !== undefined, (q) => q.where('settings_key', '=', settingsKey as string))
      .orderBy('period_from')
      .execute();
  }

  /** Only the lease holder records an outcome: a sender whose lease ran out changes nothing. */
  private async finish(run: ReportRun, values: Partial<ReportRunsTable>): Promise<void> {
    await this.db
      .updateTable('report_runs')
      .set(values)
      .where('settings_key', '=', run.settings_key)
      .where('period_from', '=', run.period_from)
      .where('state', '=', 'sending')
      .where('lease_until_ms', '=', run.lease_until_ms)
      .execute();
  }
}
