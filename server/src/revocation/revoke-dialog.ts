import type { LicenseInfo } from '@mintdesk/shared';
import { escapeHtml as h } from '../html.ts';

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
  <dialog id="revoke-${id}" aria-labelledby="revoke-${id}-title" class="dialog">
    <h4 id="revoke-${id}-title">Revoke this license?</h4>
    <p>License <code>${id}</code> stops being accepted: usage reports from it are refused and it is listed as revoked for offline checks. This cannot be undone.</p>
    <form method="post" action="/lookup/licenses/${id}/revoke" class="stack">
      <input type="hidden" name="csrf" value="${h(options.csrf)}">
      <input type="hidden" name="back" value="${h(options.back)}">
      <div class="field">
        <label for="revoke-${id}-reason">Reason</label>
        <textarea id="revoke-${id}-reason" name="reason" required maxlength="500" rows="3"></textarea>
      </div>
      <div class="dialog__actions">
        <button type="submit" class="button button--danger">Revoke</button>
        <button type="button" class="button button--basic" data-close-dialog>Cancel</button>
      </div>
    </form>
  </dialog>`;
}
