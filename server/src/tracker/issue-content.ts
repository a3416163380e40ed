import { failureTitle, successTitle } from '@mintdesk/shared';
import { formatUtc } from '../mail/license-email.ts';
import { markdownLink, markdownText as md } from '../text/markdown.ts';
import type { IssueSpec } from './tracker.ts';

export type FailedStage = 'sign' | 'store' | 'email';

export interface LicenseFacts {
  id: string;
  key: string;
  email: string;
  userCount: number;
  agent: string;
  ticketId: number | null;
  ticketUrl: string | null;
  issuedAt: Date;
  expiresAt: Date;
  attempts: number;
}

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

function ticketLink(ticketId: number | null, ticketUrl: string | null): string {
  if (ticketUrl) return markdownLink(ticketId === null ? 'ticket' : `#${ticketId}`, ticketUrl);
  return ticketId === null ? 'none given' : `#${ticketId}`;
}

/** The closed issue that records a delivered license, with a copy of it. */
export function successIssue(facts: LicenseFacts): IssueSpec {
  const body = [
    'A trial license was created and emailed.',
    '',
    `- Ticket: ${ticketLink(facts.ticketId, facts.ticketUrl)}`,
    `- Agent: ${md(facts.agent)}`,
    `- Requester: ${md(facts.email)}`,
    `- Users: ${facts.userCount}`,
    `- License id: ${facts.id}`,
    `- Valid from: ${formatUtc(facts.issuedAt)}`,
    `- Valid until: ${formatUtc(facts.expiresAt)}`,
    `- Delivery attempts: ${facts.attempts}`,
    '',
    'License key:',
    '',
    '```',
    facts.key,
    '```',
  ].join('\n');
  return {
    title: successTitle(facts.email, facts.userCount),
    body,
    state: 'closed',
    labels: [...BASE_LABELS, 'success'],
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
