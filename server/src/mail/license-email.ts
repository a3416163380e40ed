import type { LicenseKind } from '@mintdesk/shared';
import { escapeHtml } from '../html.ts';
import { type KindFacts, kindPolicy } from '../kinds/index.ts';
import type { LicenseFacts } from '../licenses/license-facts.ts';
import type { OutgoingMail } from './mailer.ts';

export interface LicenseEmailInput {
  from: string;
  licenseId: string;
  key: string;
  email: string;
  userCount: number;
  issuedAt: Date;
  /** Null: the license has no end date (perpetual). */
  expiresAt: Date | null;
  /** The license's length, when it has one. */
  days: number | null;
  plan: string;
  ticketId: number | null;
  /** Defaults: an emergency trial, as every license was before kinds. */
  kind?: LicenseKind;
  trial?: boolean;
  /** The licensee the license names (for trials the generic LICENSEE_NAME / LICENSEE_COMPANY). */
  licensee?: { name: string; company: string };
  startsOn?: string | null;
  endsOn?: string | null;
  claims?: Record<string, unknown>;
  details?: Record<string, unknown>;
}

/** `2026-11-23 21:07 UTC` — exact, and the same in every reader's time zone. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** What the stored license says, for its email; `fallback` fills what licenses from before kinds lack. */
export function licenseEmailInput(
  facts: LicenseFacts,
  from: string,
  fallback: { plan: string; licensee: { name: string; company: string } },
): LicenseEmailInput {
  return {
    from,
    licenseId: facts.id,
    key: facts.key,
    email: facts.email,
    userCount: facts.userCount,
    issuedAt: facts.issuedAt,
    expiresAt: facts.expiresAt,
    days: facts.days,
    plan: facts.plan ?? fallback.plan,
    ticketId: facts.ticketId,
    kind: facts.kind,
    trial: facts.trial,
    licensee: facts.licensee ?? fallback.licensee,
    startsOn: facts.startsOn,
    endsOn: facts.endsOn,
    claims: facts.claims,
    details: facts.details,
  };
}

/** What a trial does not include, said plainly (customers of the previous tool were surprised). */
function trialFacts(licensee: { name: string; company: string } | undefined): string[] {
  const generic = licensee ? ` ("${licensee.name}", "${licensee.company}")` : '';
  return [
    'A trial license is not a subscription. It does not include paid support or service levels, it cannot be extended or renewed, and features that depend on a paid subscription may not be included.',
    `Its licensee details are generic${generic}, not your company's, and its user count must cover all your billable users.`,
  ];
}

/**
 * The customer's email: what the license is (its kind), the exact dates it carries (or that it
 * has no end date), its users, the license attached as `license.jwt` and shown inline, and for a
 * trial in plain words what a trial excludes. The kind's policy supplies the wording.
 */
export function composeLicenseEmail(input: LicenseEmailInput): OutgoingMail {
  const policy = kindPolicy(input.kind ?? 'emergency');
  const trial = input.trial ?? true;
  const facts: KindFacts = {
    id: input.licenseId,
    email: input.email,
    userCount: input.userCount,
    days: input.days,
    startsOn: input.startsOn ?? null,
    endsOn: input.endsOn ?? null,
    claims: input.claims ?? {},
    details: input.details ?? {},
  };
  const wording = policy.wording;
  const name = wording.name(facts);
  const from = formatUtc(input.issuedAt);
  const until = input.expiresAt === null ? null : formatUtc(input.expiresAt);
  const untilText = until ?? 'no end date';
  const users = input.userCount === 1 ? '1 user' : `${input.userCount} users`;
  const reference = input.ticketId === null ? input.licenseId : `${input.licenseId}, ticket #${input.ticketId}`;
  const length = input.days === null || until === null ? '' : ` (${input.days} days)`;
  const validity =
    until === null
      ? `It is valid from ${from} with no end date for up to ${users} on the ${input.plan} plan.`
      : `It is valid from ${from} until ${until}${length} for up to ${users} on the ${input.plan} plan.`;
  const points = [
    wording.purpose(facts),
    validity,
    ...wording.ending(facts, until),
    ...(trial ? trialFacts(input.licensee) : []),
  ];
  const rows: Array<[string, string]> = [
    ['License', policy.label],
    ['Valid from', from],
    ['Valid until', untilText],
    ['Users', String(input.userCount)],
    ...(!trial && input.licensee
      ? ([['Licensee', `${input.licensee.name}, ${input.licensee.company}`]] as Array<[string, string]>)
      : []),
    ...(wording.lines?.(facts) ?? []),
    ['Reference', reference],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const heading = trial ? 'What a trial license is, and what it is not:' : 'What this license is:';
  const text = [
    'Hello,',
    '',
    `your support team has created ${article(name)} ${name} for you.`,
    '',
    ...rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
    heading,
    ...points.map((point) => `- ${point}`),
    '',
    'How to use it: upload the attached file license.jwt where you manage your license, or paste this license key:',
    '',
    input.key,
    '',
    'If anything is unclear, reply to your support ticket.',
  ].join('\n');
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #2f3941; line-height: 1.5">
<p>Hello,</p>
<p>your support team has created ${escapeHtml(article(name))} ${escapeHtml(name)} for you.</p>
<table role="presentation" style="border-collapse: collapse">
${rows.map(([label, value]) => `<tr><th style="text-align:left;padding-right:1em">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`).join('\n')}
</table>
<h2 style="font-size: 1.1em">${escapeHtml(heading.replace(/:$/, ''))}</h2>
<ul>${points.map((point) => `<li>${escapeHtml(point)}</li>`).join('')}</ul>
<h2 style="font-size: 1.1em">How to use it</h2>
<p>Upload the attached file <code>license.jwt</code> where you manage your license, or paste this license key:</p>
<pre style="white-space: pre-wrap; word-break: break-all; background: #f8f9f9; padding: 12px; border: 1px solid #d8dcde">${escapeHtml(input.key)}</pre>
<p>If anything is unclear, reply to your support ticket.</p>
</body></html>`;
  return {
    from: input.from,
    to: input.email,
    subject: `Your ${name} (${until === null ? 'no end date' : `valid until ${until}`})`,
    text,
    html,
    attachments: [{ filename: 'license.jwt', content: input.key, contentType: 'application/jwt' }],
    headers: { 'X-Mintdesk-License-Id': input.licenseId },
  };
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) && !/^one\b/i.test(noun) ? 'an' : 'a';
}
