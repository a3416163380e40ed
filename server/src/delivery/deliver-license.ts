import type { Clock } from '../clock.ts';
import { licenseFacts } from '../licenses/license-facts.ts';
import { composeLicenseEmail, licenseEmailInput } from '../mail/license-email.ts';
import { MailDeliveryError, type Mailer } from '../mail/mailer.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { JobAttempt, JobResult } from '../queue/job-runner.ts';
import type { DeliveryOutcome, LicenseRow } from '../store/sql-store.ts';
import { type IssueSyncDeps, retryAfterMsOf, syncIssue, syncIssueOrQueue } from './sync-issue.ts';

export interface DeliveryDeps extends IssueSyncDeps {
  mailer: Mailer;
  clock: Clock;
  metrics: Metrics;
  mailFrom: string;
  plan: string;
  /** The generic licensee, for licenses stored before they recorded their own. */
  licensee: { name: string; company: string };
  /** Whether a team channel wants to hear how each license ended (NOTIFY_WEBHOOK_URL). */
  notify: boolean;
}

/** One attempt at emailing a license, then the tracker records the outcome. */
export async function deliverLicense(deps: DeliveryDeps, { job, retryAtMs, fresh }: JobAttempt): Promise<JobResult> {
  const row = await deps.store.getLicense(job.license_id);
  if (!row) return { outcome: 'dead', error: `license ${job.license_id} does not exist` };
  if (row.key === '') return { outcome: 'dead', error: `license ${row.id} was never signed (${row.approval_status})` };
  const mail = composeLicenseEmail(licenseEmailInput(licenseFacts(row), deps.mailFrom, deps));
  let result: JobResult;
  let outcome: DeliveryOutcome;
  try {
    await deps.mailer.send(mail, { urgent: fresh === true });
    outcome = { status: 'sent', error: null, at: deps.clock.now().toISOString() };
    deps.metrics.deliveries.inc({ outcome: 'sent' });
    result = { outcome: 'done' };
  } catch (error) {
    const failure = error instanceof MailDeliveryError ? error : new MailDeliveryError(String(error), false);
    const givingUp = failure.permanent || retryAtMs === null;
    outcome = { status: givingUp ? 'failed' : 'queued', error: failure.message, at: deps.clock.now().toISOString() };
    deps.metrics.deliveries.inc({ outcome: failure.permanent ? 'permanent_failure' : 'temporary_failure' });
    deps.log.warn(
      { licenseId: row.id, permanent: failure.permanent, error: failure.message },
      'license email not delivered',
    );
    result = givingUp ? { outcome: 'dead', error: failure.message } : { outcome: 'retry', error: failure.message };
  }
  // The outcome and the issue that follows from it are written side by side (with the embedded
  // tracker: in the same group commit) rather than one after the other. Should the process die
  // between the two, the job runs again and both are written again: at-least-once, one issue.
  await Promise.all([
    deps.store.recordDeliveryOutcome(row.id, outcome),
    syncIssueOrQueue(deps, withOutcome(row, outcome)),
  ]);
  // The channel hears once how a license ended: its first delivery, or giving up on it.
  const ended = result.outcome === 'done' ? row.delivered_at === null : result.outcome === 'dead';
  if (deps.notify && ended) await deps.store.enqueueJob(row.id, 'notify', deps.clock.now().getTime());
  return result;
}

/** The license as `recordDeliveryOutcome` leaves it. */
export function withOutcome(row: LicenseRow, outcome: DeliveryOutcome): LicenseRow {
  return {
    ...row,
    delivery_status: outcome.status,
    delivery_attempts: row.delivery_attempts + 1,
    delivery_error: outcome.error,
    delivered_at: row.delivered_at ?? (outcome.status === 'sent' ? outcome.at : null),
  };
}

/** A queued tracker update, retried until the tracker takes it. */
export async function recordIssue(deps: IssueSyncDeps, { job }: JobAttempt): Promise<JobResult> {
  try {
    await syncIssue(deps, job.license_id);
    return { outcome: 'done' };
  } catch (error) {
    return {
      outcome: 'retry',
      error: error instanceof Error ? error.message : String(error),
      notBeforeMs: deps.clock.now().getTime() + retryAfterMsOf(error),
    };
  }
}
