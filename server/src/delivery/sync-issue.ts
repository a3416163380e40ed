import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import type { LicenseRow, SqlStore } from '../store/sql-store.ts';
import { licenseFacts } from '../licenses/license-facts.ts';
import { approvalIssue, failureIssue, rejectedIssue, successIssue } from '../tracker/issue-content.ts';
import { type IssueSpec, type Tracker, TrackerUnavailableError } from '../tracker/tracker.ts';
import { withRevocationNote } from '../revocation/revocation-text.ts';

export interface IssueSyncDeps {
  store: SqlStore;
  tracker: Tracker;
  clock: Clock;
  log: FastifyBaseLogger;
}

/**
 * What the license's tracker issue should say now, derived from the license alone, so that
 * recording it is idempotent and a retry can never create a second issue or go backwards.
 * Null while nothing has been attempted yet.
 */
export function desiredIssue(row: LicenseRow, retrying: boolean): IssueSpec | null {
  const facts = licenseFacts(row);
  if (row.approval_status === 'pending') return approvalIssue(facts);
  if (row.approval_status === 'rejected') return rejectedIssue(facts);
  if (row.delivered_at !== null) return successIssue(facts);
  if (row.delivery_attempts === 0) return null;
  return failureIssue({
    email: facts.email,
    userCount: facts.userCount,
    agent: facts.agent,
    ticketId: facts.ticketId,
    ticketUrl: facts.ticketUrl,
    stage: 'email',
    error: row.delivery_error ?? 'unknown error',
    attempts: row.delivery_attempts,
    licenseId: row.id,
    retrying,
  });
}

/**
 * Brings the tracker in line with the license (read now, or as just written by the caller);
 * throws when the tracker cannot be reached.
 */
export async function syncIssue(deps: IssueSyncDeps, license: string | LicenseRow): Promise<void> {
  const row = typeof license === 'string' ? await deps.store.getLicense(license) : license;
  if (!row) return;
  const spec = withRevocationNote(row, desiredIssue(row, row.delivery_status === 'queued'));
  if (!spec) return;
  const issue = await deps.tracker.saveIssue(row.id, spec, row.issue_id);
  if (issue.id !== row.issue_id) await deps.store.setIssueId(row.id, issue.id);
}

/** Records the outcome now, or leaves a durable job to record it once the tracker is back. */
export async function syncIssueOrQueue(deps: IssueSyncDeps, license: string | LicenseRow): Promise<void> {
  try {
    await syncIssue(deps, license);
  } catch (error) {
    const licenseId = typeof license === 'string' ? license : license.id;
    deps.log.warn({ err: error, licenseId }, 'tracker unavailable; the issue will be recorded later');
    const nowMs = deps.clock.now().getTime();
    await deps.store.enqueueJob(licenseId, 'sync_issue', nowMs, nowMs + retryAfterMsOf(error));
  }
}

/** How long the tracker asked us to stay away (0 when it did not say). */
export function retryAfterMsOf(error: unknown): number {
  return error instanceof TrackerUnavailableError ? (error.retryAfterMs ?? 0) : 0;
}
