import { approvalNeededTitle, failureTitle, rejectedTitle, successTitle } from '@mintdesk/shared';
import type { LicenseFacts } from '../licenses/license-facts.ts';
import { formatUtc } from '../mail/license-email.ts';
import { markdownLink, markdownText as md } from '../text/markdown.ts';
import type { IssueSpec } from './tracker.ts';

export type FailedStage = 'sign' | 'store' | 'email';

export interface FailureFacts {
  stage: FailedStage;
  error: string;
  attempts: number;
  email: string;
  userCount: number;
  agent: string;
  ticketId: number | null;
  ticketUrl: string | null;
  /** Null when the failure happened before a license existed. */
  licenseId: string | null;
  /** Whether delivery will be tried again on its own. */
  retrying: boolean;
}

export const BASE_LABELS = ['mintdesk'];

/**
 * A license as its issue tells it. The kind's title and label come resolved (`licenseFacts`), so
 * the tracker never branches on a kind; what is left out reads as an emergency trial.
 */
export type LicenseIssueFacts = Pick<
  LicenseFacts,
  'id' | 'key' | 'email' | 'userCount' | 'agent' | 'ticketId' | 'ticketUrl' | 'issuedAt' | 'attempts'
> & { expiresAt: Date | null } & Partial<
    Pick<LicenseFacts, 'label' | 'successTitle' | 'trial' | 'licensee' | 'claims' | 'details' | 'approval' | 'days'>
  >;

function complete(facts: LicenseIssueFacts) {
  return {
    label: 'Emergency trial',
    successTitle: successTitle(facts.email, facts.userCount),
    trial: true,
    licensee: null,
    claims: {},
    details: {},
    approval: { status: 'not_required' as const },
    days: null,
    ...facts,
  };
}

function ticketLink(ticketId: number | null, ticketUrl: string | null): string {
  if (ticketUrl) return markdownLink(ticketId === null ? 'ticket' : `#${ticketId}`, ticketUrl);
  return ticketId === null ? 'none given' : `#${ticketId}`;
}

/** The lines every license issue shares: what was asked for, by whom, for whom. */
function licenseLines(facts: ReturnType<typeof complete>): string[] {
  return [
    `- Kind: ${facts.label}`,
    `- Ticket: ${ticketLink(facts.ticketId, facts.ticketUrl)}`,
    `- Agent: ${md(facts.agent)}`,
    `- Requester: ${md(facts.email)}`,
    `- Users: ${facts.userCount}`,
    ...(facts.licensee && !facts.trial
      ? [`- Licensee: ${md(facts.licensee.name)}, ${md(facts.licensee.company)}`]
      : []),
    // The kind's own facts (order reference, reason, term…) may be caller-typed: code spans.
    ...Object.entries({ ...facts.claims, ...facts.details }).map(([name, value]) => `- ${name}: ${md(String(value))}`),
    `- License id: ${facts.id}`,
  ];
}

function approvalLine(facts: ReturnType<typeof complete>): string[] {
  const { status, by, at, reason } = facts.approval;
  if (status === 'not_required') return [];
  if (status === 'pending') return ['- Approval: waiting for an approver'];
  const when = at ? ` on ${formatUtc(new Date(at))}` : '';
  return [`- Approval: ${status} by ${md(by ?? 'unknown')}${when}${reason ? ` (reason: ${md(reason)})` : ''}`];
}

function untilText(expiresAt: Date | null): string {
  return expiresAt === null ? 'no end date' : formatUtc(expiresAt);
}

/** The closed issue that records a delivered license, with a copy of it. */
export function successIssue(given: LicenseIssueFacts): IssueSpec {
  const facts = complete(given);
  const body = [
    `${facts.trial ? 'A trial license' : 'A license'} (${facts.label}) was created and emailed.`,
    '',
    ...licenseLines(facts),
    ...approvalLine(facts),
    `- Valid from: ${formatUtc(facts.issuedAt)}`,
    `- Valid until: ${untilText(facts.expiresAt)}`,
    `- Delivery attempts: ${facts.attempts}`,
    '',
    'License key:',
    '',
    '```',
    facts.key,
    '```',
  ].join('\n');
  return {
    title: facts.successTitle,
    body,
    state: 'closed',
    labels: [...BASE_LABELS, 'success'],
  };
}

/** The open issue of a license that waits for an approver: nothing was signed or sent yet. */
export function approvalIssue(given: LicenseIssueFacts): IssueSpec {
  const facts = complete(given);
  const body = [
    `A license (${facts.label}) was asked for and waits for approval. Nothing was signed or sent yet.`,
    '',
    ...licenseLines(facts),
    ...approvalLine(facts),
    `- Valid until: ${facts.expiresAt === null ? (facts.days === null ? 'no end date' : `${facts.days} days after approval`) : formatUtc(facts.expiresAt)}`,
    '',
    'An approver (not the agent who asked) approves or rejects it on the lookup page.',
  ].join('\n');
  return {
    title: approvalNeededTitle(facts.email, facts.userCount),
    body,
    state: 'open',
    labels: [...BASE_LABELS, 'approval'],
  };
}

/** The closed issue of a license an approver turned down. */
export function rejectedIssue(given: LicenseIssueFacts): IssueSpec {
  const facts = complete(given);
  const body = [
    `A license (${facts.label}) was rejected; nothing was signed or sent.`,
    '',
    ...licenseLines(facts),
    ...approvalLine(facts),
  ].join('\n');
  return {
    title: rejectedTitle(facts.email, facts.userCount),
    body,
    state: 'closed',
    labels: [...BASE_LABELS, 'rejected'],
  };
}

/** The open issue that records what failed, so an agent can act on it. */
export function failureIssue(facts: FailureFacts): IssueSpec {
  const next =
    facts.stage !== 'email'
      ? 'No license was stored or sent: create one again from the sidebar.'
      : facts.retrying
        ? 'Delivery is retried automatically; this issue is closed and retitled when it succeeds.'
        : 'Delivery was given up: check the address, then use Resend on the lookup page or in the sidebar.';
  const body = [
    `Creating or delivering a license failed at the **${facts.stage}** stage.`,
    '',
    `- Error: ${md(facts.error)}`,
    `- Attempts made: ${facts.attempts}`,
    `- License generated: ${facts.licenseId === null ? 'no' : `yes (${facts.licenseId})`}`,
    `- Ticket: ${ticketLink(facts.ticketId, facts.ticketUrl)}`,
    `- Agent: ${md(facts.agent)}`,
    `- Requester: ${md(facts.email)}`,
    `- Users: ${facts.userCount}`,
    '',
    next,
  ].join('\n');
  return {
    title: failureTitle(facts.email, facts.userCount),
    body,
    state: 'open',
    labels: [...BASE_LABELS, 'failure'],
  };
}
