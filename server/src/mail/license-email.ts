import { escapeHtml } from '../html.ts';
import type { OutgoingMail } from './mailer.ts';

export interface LicenseEmailInput {
  from: string;
  licenseId: string;
  key: string;
  email: string;
  userCount: number;
  issuedAt: Date;
  expiresAt: Date;
  days: number;
  plan: string;
  ticketId: number | null;
}

/** `2026-11-23 21:07 UTC` — exact, and the same in every reader's time zone. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The customer's email: the license attached as `license.jwt` and shown inline, the exact dates
 * it carries, and in plain words what a trial license is and is not (users of the previous tool
 * were surprised by both).
 */
export function composeLicenseEmail(input: LicenseEmailInput): OutgoingMail {
  const from = formatUtc(input.issuedAt);
  const until = formatUtc(input.expiresAt);
  const users = input.userCount === 1 ? '1 user' : `${input.userCount} users`;
  const reference = input.ticketId === null ? input.licenseId : `${input.licenseId}, ticket #${input.ticketId}`;
  const facts = [
    `This is a temporary trial license so that you can keep working while your subscription is renewed.`,
    `It is valid from ${from} until ${until} (${input.days} days) for up to ${users} on the ${input.plan} plan.`,
    `When it ends, it simply stops working; nothing is charged and nothing renews automatically.`,
    `It is a trial license with generic licensee details ("Emergency License", "Temporary License"), not your subscription: features and support that depend on a paid subscription may not be included, and its user count must cover all your billable users.`,
    `To keep working after ${until}, renew your subscription or reply to your support ticket.`,
  ];
  const text = [
    'Hello,',
    '',
    `your support team has created a ${input.days}-day trial license for you.`,
    '',
    `Valid from:  ${from}`,
    `Valid until: ${until}`,
    `Users:       ${input.userCount}`,
    `Reference:   ${reference}`,
    '',
    'What a trial license is, and what it is not:',
    ...facts.map((fact) => `- ${fact}`),
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
<p>your support team has created a ${input.days}-day trial license for you.</p>
<table role="presentation" style="border-collapse: collapse">
<tr><th style="text-align:left;padding-right:1em">Valid from</th><td>${escapeHtml(from)}</td></tr>
<tr><th style="text-align:left;padding-right:1em">Valid until</th><td>${escapeHtml(until)}</td></tr>
<tr><th style="text-align:left;padding-right:1em">Users</th><td>${input.userCount}</td></tr>
<tr><th style="text-align:left;padding-right:1em">Reference</th><td>${escapeHtml(reference)}</td></tr>
</table>
<h2 style="font-size: 1.1em">What a trial license is, and what it is not</h2>
<ul>${facts.map((fact) => `<li>${escapeHtml(fact)}</li>`).join('')}</ul>
<h2 style="font-size: 1.1em">How to use it</h2>
<p>Upload the attached file <code>license.jwt</code> where you manage your license, or paste this license key:</p>
<pre style="white-space: pre-wrap; word-break: break-all; background: #f8f9f9; padding: 12px; border: 1px solid #d8dcde">${escapeHtml(input.key)}</pre>
<p>If anything is unclear, reply to your support ticket.</p>
</body></html>`;
  return {
    from: input.from,
    to: input.email,
    subject: `Your ${input.days}-day trial license (valid until ${until})`,
    text,
    html,
    attachments: [{ filename: 'license.jwt', content: input.key, contentType: 'application/jwt' }],
    headers: { 'X-Mintdesk-License-Id': input.licenseId },
  };
}
