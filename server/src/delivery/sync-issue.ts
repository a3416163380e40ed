import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import type { LicenseRow, SqlStore } from '../store/sql-store.ts';
import { failureIssue, successIssue } from '../tracker/issue-content.ts';
import { type IssueSpec, type Tracker, TrackerUnavailableError } from '../tracker/tracker.ts';

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
  const common = {
    email: row.email,
    userCount: row.user_count,
    agent: row.agent,
    ticketId: row.ticket_id === null ? null : Number(row.ticket_id),
    ticketUrl: row.ticket_url,
  };
  if (row.delivered_at !== null) {
    return successIssue({
      ...common,
      id: row.id,
      key: row.key,
      issuedAt: new Date(row.issued_at),
      expiresAt: new Date(row.expires_at),
      attempts: row.delivery_attempts,
    });
  }
  if (row.delivery_attempts === 0) return null;
  return failureIssue({
    ...common,
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
  const spec = desiredIssue(row, row.delivery_status === 'queued');
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
