import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import { licenseFacts } from '../licenses/license-facts.ts';
import type { JobAttempt, JobResult } from '../queue/job-runner.ts';
import type { LicenseRow, SqlStore } from '../store/sql-store.ts';
import type { IssueSnapshot, Tracker } from '../tracker/tracker.ts';
import { slackText as escape, slackLink } from '../text/slack.ts';
import { type ChannelMessage, type Notifier, NotifyError } from './webhook-notifier.ts';

export interface NotifyDeps {
  store: SqlStore;
  tracker: Tracker;
  notifier: Notifier;
  clock: Clock;
  log: FastifyBaseLogger;
}

/** The durable `notify` job: tells the team channel how a license ended. */
export async function notifyLicense(deps: NotifyDeps, { job }: JobAttempt): Promise<JobResult> {
  const row = await deps.store.getLicense(job.license_id);
  if (!row) return { outcome: 'dead', error: `license ${job.license_id} does not exist` };
  let issue: IssueSnapshot | null = null;
  if (row.issue_id !== null) {
    try {
      issue = (await deps.tracker.getIssues([row.issue_id])).get(row.issue_id) ?? null;
    } catch (error) {
      deps.log.warn({ err: error }, 'tracker unavailable while notifying; posting without the issue');
    }
  }
  try {
    await deps.notifier.post(licenseMessage(row, issue));
    return { outcome: 'done' };
  } catch (error) {
    const failure = error instanceof NotifyError ? error : new NotifyError(String(error), false);
    deps.log.warn({ licenseId: row.id, error: failure.message }, 'team channel notification not accepted');
    if (failure.permanent) return { outcome: 'dead', error: failure.message };
    return {
      outcome: 'retry',
      error: failure.message,
      notBeforeMs: deps.clock.now().getTime() + (failure.retryAfterMs ?? 0),
    };
  }
}

export function licenseMessage(row: LicenseRow, issue: IssueSnapshot | null): ChannelMessage {
  const sent = row.delivered_at !== null;
  const facts = licenseFacts(row);
  const headline = sent
    ? `:white_check_mark: ${facts.label} ${row.id} emailed to ${escape(row.email)} for ${row.user_count} users.`
    : `:warning: ${facts.label} ${row.id} for ${escape(row.email)} (${row.user_count} users) could not be emailed: ${escape(row.delivery_error ?? 'unknown error')}.`;
  const { status, by, at } = facts.approval;
  const approval =
    status === 'approved'
      ? [`Approved by ${escape(by ?? 'unknown')}${at ? ` at ${at.slice(0, 16).replace('T', ' ')} UTC` : ''}`]
      : [];
  return { text: [headline, ...approval, ...detailLines(row, issue)].join('\n') };
}

/** Early failures have no license row: the same message from what the request said. */
export function earlyFailureMessage(facts: {
  stage: string;
  error: string;
  email: string;
  userCount: number;
  agent: string;
  ticketId: number | null;
  ticketUrl: string | null;
}): ChannelMessage {
  return {
    text: [
      `:x: No emergency license was created for ${escape(facts.email)} (${facts.userCount} users): the ${facts.stage} step failed (${escape(facts.error)}).`,
      `Ticket: ${ticketText(facts.ticketId, facts.ticketUrl)} · Agent: ${escape(facts.agent)}`,
    ].join('\n'),
  };
}

function detailLines(row: LicenseRow, issue: IssueSnapshot | null): string[] {
  const ticketId = row.ticket_id === null ? null : Number(row.ticket_id);
  const issueText = issue
    ? `${issue.url ? slackLink(issue.url, issue.title) : escape(issue.title)} (${issue.state})`
    : 'not recorded yet';
  return [
    `Ticket: ${ticketText(ticketId, row.ticket_url)} · Agent: ${escape(row.agent)} · Requester: ${escape(row.email)} · Users: ${row.user_count}`,
    `Issue: ${issueText}`,
  ];
}

function ticketText(ticketId: number | null, ticketUrl: string | null): string {
  const label = ticketId === null ? 'ticket' : `#${ticketId}`;
  if (ticketUrl) return slackLink(ticketUrl, label);
  return ticketId === null ? 'none given' : label;
}
