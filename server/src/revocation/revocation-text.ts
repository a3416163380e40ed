import type { ChannelMessage } from '../notify/webhook-notifier.ts';
import { markdownText } from '../text/markdown.ts';
import { slackText } from '../text/slack.ts';
import type { RevocableLicenseRow } from '../store/usage-store.ts';
import type { IssueSpec } from '../tracker/tracker.ts';

export interface RevocationFacts {
  licenseId: string;
  email: string;
  userCount: number;
  actor: string;
  reason: string;
  at: string;
}

/** The note the license's tracker issue carries once it is revoked. */
export function revocationNote(facts: { at: string; actor: string; reason: string }): string {
  return [
    '---',
    '',
    `**Revoked** on ${facts.at.slice(0, 16).replace('T', ' ')} UTC by ${markdownText(facts.actor)}.`,
    '',
    `Reason: ${markdownText(facts.reason)}`,
  ].join('\n');
}

export function revocationMessage(facts: RevocationFacts): ChannelMessage {
  return {
    text: [
      `:no_entry: License ${facts.licenseId} for ${slackText(facts.email)} (${facts.userCount} users) was revoked by ${slackText(facts.actor)}.`,
      `Reason: ${slackText(facts.reason)}`,
    ].join('\n'),
  };
}

/** The issue as the license's outcome says, plus the revocation note once it is revoked. */
export function withRevocationNote(row: RevocableLicenseRow, spec: IssueSpec | null): IssueSpec | null {
  if (!spec || !row.revoked_at) return spec;
  const note = revocationNote({
    at: row.revoked_at,
    actor: row.revoked_by ?? 'unknown',
    reason: row.revoke_reason ?? '',
  });
  return { ...spec, body: `${spec.body}\n\n${note}`, labels: [...spec.labels, 'revoked'] };
}
