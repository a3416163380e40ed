import crypto from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import { MailDeliveryError, type Mailer } from '../mail/mailer.ts';
import type { ReportRun, ReportRunStore } from '../store/report-run-store.ts';
import type { UsageStore } from '../store/usage-store.ts';
import { composeReportEmail } from './report-email.ts';
import { addDays, isoDay, type Period, usageReport } from './usage-report.ts';

export interface ReportScheduleSettings {
  recipients: string[];
  everyDays: number;
  /** How often each instance looks whether a period is due (well under a minute). */
  checkEveryMs: number;
  mailFrom: string;
  publicUrl: string;
}

export interface ReportScheduleDeps {
  runs: ReportRunStore;
  usage: UsageStore;
  mailer: Mailer;
  clock: Clock;
  log: FastifyBaseLogger;
}

const DAY_MS = 86_400_000;
/** A sender that has not finished within this long is taken for dead; another instance retries. */
const LEASE_MS = 5 * 60_000;
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 60 * 60_000;

/**
 * The emailed usage report (REPORT_EMAIL_TO, REPORT_EVERY_DAYS). The first start with a set of
 * settings fixes the schedule's anchor in the database; period n is due at anchor + n × interval
 * and covers the `everyDays` whole days before its due day. Every instance checks every few
 * seconds; the period's row (inserted once, claimed with a lease) makes exactly one of them send.
 * Periods missed while no instance ran are not caught up: the next check sends the latest one.
 */
export class ReportSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  readonly settingsKey: string;

  constructor(
    private readonly deps: ReportScheduleDeps,
    private readonly settings: ReportScheduleSettings,
  ) {
    const recipients = [...new Set(settings.recipients.map((address) => address.toLowerCase()))].sort();
    this.settingsKey = crypto
      .createHash('sha256')
      .update(JSON.stringify({ recipients, everyDays: settings.everyDays }))
      .digest('hex')
      .slice(0, 32);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.check()
        .catch((error: unknown) => this.deps.log.error({ err: error }, 'scheduled report check failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.settings.checkEveryMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** The period due now (the latest one), created if needed and sent if this instance wins it. */
  async check(): Promise<void> {
    const { runs, clock } = this.deps;
    const nowMs = clock.now().getTime();
    const anchorMs = await runs.anchorFor(
      this.settingsKey,
      this.settings.everyDays,
      this.settings.recipients.join(', '),
      nowMs,
    );
    const intervalMs = this.settings.everyDays * DAY_MS;
    const n = Math.max(0, Math.floor((nowMs - anchorMs) / intervalMs));
    const dueMs = anchorMs + n * intervalMs;
    const period = periodDueAt(dueMs, this.settings.everyDays);
    await runs.ensureRun(this.settingsKey, period, dueMs);
    const run = await runs.claim(this.settingsKey, period.from, nowMs, nowMs + LEASE_MS);
    if (run) await this.send(run);
  }

  private async send(run: ReportRun): Promise<void> {
    const { runs, usage, mailer, clock, log } = this.deps;
    const period = { from: run.period_from, to: run.period_to };
    try {
      const report = await usageReport(usage, period, clock.now());
      await mailer.send(
        composeReportEmail({
          from: this.settings.mailFrom,
          to: this.settings.recipients,
          report,
          pageUrl: `${this.settings.publicUrl}/reports?from=${period.from}&to=${period.to}`,
          everyDays: this.settings.everyDays,
        }),
      );
      await runs.markSent(run, clock.now().toISOString());
      log.info({ period }, 'usage report emailed');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof MailDeliveryError && error.permanent) {
        log.error({ period, error: message }, 'usage report refused by the mail server; not retried');
        await runs.markFailed(run, message);
        return;
      }
      const waitMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, run.attempts - 1));
      log.warn({ period, error: message, retryInMs: waitMs }, 'usage report not sent; retrying');
      await runs.markRetry(run, clock.now().getTime() + waitMs, message);
    }
  }
}

/** The `everyDays` whole UTC days before the due instant's day. */
export function periodDueAt(dueMs: number, everyDays: number): Period {
  const dueDay = isoDay(new Date(dueMs));
  return { from: addDays(dueDay, -everyDays), to: addDays(dueDay, -1) };
}
