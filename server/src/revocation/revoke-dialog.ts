import type { LicenseInfo } from '@mintdesk/shared';
import { escapeHtml as h } from '../html.ts';
import { reasonDialog } from '../lookup/reason-dialog.ts';

/**
 * The lookup page's revocation parts of one result: a note when the license is revoked, else a
 * **Revoke** button that opens a dialog asking for the reason (same CSRF token as Resend).
 */
export function revokeControls(license: LicenseInfo, options: { csrf: string; back: string }): string {
  const id = h(license.id);
  if (license.revokedAt) {
    return `<p class="message message--danger revoked-note">Revoked on ${h(license.revokedAt.slice(0, 16).replace('T', ' '))} UTC: ${h(license.revokeReason ?? '')}</p>`;
  }
  return `<button type="button" class="button button--danger-outline" data-open-dialog="revoke-${id}">Revoke</button>
  ${reasonDialog({
    dialogId: `revoke-${id}`,
    fieldId: `revoke-${id}-reason`,
    title: 'Revoke this license?',
    text: `License <code>${id}</code> stops being accepted: usage reports from it are refused and it is listed as revoked for offline checks. This cannot be undone.`,
    action: `/lookup/licenses/${id}/revoke`,
    hidden: `<input type="hidden" name="csrf" value="${h(options.csrf)}">
      <input type="hidden" name="back" value="${h(options.back)}">`,
    confirm: 'Revoke',
  })}`;
}
