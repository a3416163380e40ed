import type { LicenseRecord } from '@mintdesk/shared';
import { sameIdentity } from '../identity/identity-key.ts';
import { reasonDialog } from './reason-dialog.ts';
import { escapeHtml as h, pageShell } from '../html.ts';
import { kindPolicy } from '../kinds/index.ts';
import { revokeControls } from '../revocation/revoke-dialog.ts';
import type { AuditEntry } from '../store/sql-store.ts';

export interface Notice {
  tone: 'success' | 'warning' | 'danger';
  text: string;
}

function layout(title: string, body: string, header = ''): string {
  return pageShell({ title, section: 'License lookup', body, header, scripts: ['/lookup/assets/lookup.js'] });
}

export function signInPage(options: { next: string; error?: string }): string {
  const error = options.error ? `<p class="message message--danger" id="token-error">${h(options.error)}</p>` : '';
  return layout(
    'Sign in',
    `<section class="card card--narrow">
  <h1>Sign in to the license lookup</h1>
  <p class="hint">Use your personal credential (from <code>mintdesk people add</code>), or the service's shared lookup token (LOOKUP_TOKEN, or the file its start-up output names).</p>
  <form method="post" action="/lookup/sign-in" class="stack">
    <input type="hidden" name="next" value="${h(options.next)}">
    <div class="field">
      <label for="token">Lookup token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required autofocus${
        options.error ? ' aria-invalid="true" aria-describedby="token-error"' : ''
      }>
      ${error}
    </div>
    <div class="field">
      <label for="name">Your name <span class="hint">(optional, for the audit trail)</span></label>
      <input id="name" name="name" type="text" maxlength="100" autocomplete="name">
    </div>
    <button type="submit" class="button button--primary">Sign in</button>
  </form>
</section>`,
  );
}

export interface LookupResult {
  record: LicenseRecord;
  /** The Zendesk ticket link the sidebar recorded (not part of the API's license record). */
  ticketUrl: string | null;
  audit: AuditEntry[];
}

export interface SearchPageModel {
  query: string;
  kind: 'email' | 'ticket' | 'license' | undefined;
  results: LookupResult[];
  csrf: string;
  who: string;
  /** Signed in with a personal credential that has the approver role. */
  approver?: boolean;
  notice?: Notice;
  error?: string;
  now: Date;
}

/** The top bar's end on every signed-in page: links between the pages, who is signed in, Sign out. */
export function signedInTopbar(current: 'lookup' | 'reports', csrf: string, who: string): string {
  const link = (page: typeof current, href: string, label: string) =>
    `<a href="${href}"${page === current ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<nav class="topbar__nav" aria-label="Pages">${link('lookup', '/lookup', 'License lookup')}${link('reports', '/reports', 'Usage reports')}</nav>
<form method="post" action="/lookup/sign-out" class="topbar__end">
  <input type="hidden" name="csrf" value="${h(csrf)}">
  <span class="topbar__who">${h(who)}</span>
  <button type="submit" class="button button--basic button--small">Sign out</button>
</form>`;
}

export function searchPage(model: SearchPageModel): string {
  const signOut = signedInTopbar('lookup', model.csrf, model.who);
  const notice = model.notice
    ? `<div class="message message--${model.notice.tone}" role="status">${h(model.notice.text)}</div>`
    : '<div role="status" class="visually-hidden"></div>';
  const searchError = model.error ? `<p class="message message--danger" id="q-error">${h(model.error)}</p>` : '';
  return layout(
    model.query ? `${model.query}` : 'Find a license',
    `<section class="card">
  <h1>Find a license</h1>
  <p class="hint">A customer says the license email never arrived? Search by their email address, the ticket number or the license id.</p>
  <form method="get" action="/lookup" class="search" role="search">
    <div class="field search__field">
      <label for="q">Email, ticket or license id</label>
      <input id="q" name="q" type="search" value="${h(model.query)}" autocomplete="off" spellcheck="false"${
        model.error ? ' aria-invalid="true" aria-describedby="q-error"' : ''
      }>
      ${searchError}
    </div>
    <button type="submit" class="button button--primary">Search</button>
  </form>
</section>
${notice}
${model.query && !model.error ? resultsSection(model) : ''}`,
    signOut,
  );
}

function resultsSection(model: SearchPageModel): string {
  const what =
    model.kind === 'email'
      ? `the address ${model.query}`
      : model.kind === 'ticket'
        ? `ticket #${model.query}`
        : `the id ${model.query}`;
  if (model.results.length === 0) {
    return `<section class="card empty" aria-labelledby="results-title">
  <h2 id="results-title">No license was generated for ${h(what)}</h2>
  <p>Nothing was minted, so nothing could have been sent. Open the ticket and use the Mintdesk sidebar to send a license again.</p>
  <p class="hint">Searching by email? Check the spelling: the match is exact (capital letters do not matter).</p>
</section>`;
  }
  const count = model.results.length === 1 ? '1 license' : `${model.results.length} licenses`;
  return `<section aria-labelledby="results-title">
  <h2 id="results-title" class="results-title">${count} for ${h(what)}, newest first</h2>
  ${model.results.map((result) => resultCard(result, model)).join('\n')}
</section>`;
}

function resultCard({ record, ticketUrl, audit }: LookupResult, model: SearchPageModel): string {
  const { license, delivery, issue, approval } = record;
  const id = h(license.id);
  const pending = approval.status === 'pending';
  const signed = license.key !== undefined;
  const expired = license.expiresAt !== null && new Date(license.expiresAt).getTime() <= model.now.getTime();
  const title = issue ? h(issue.title) : 'No tracker issue recorded yet';
  const stateTag = issue
    ? `<span class="tag tag--${issue.state === 'closed' ? 'success' : 'danger'}">${issue.state}</span>`
    : '<span class="tag">pending</span>';
  const deliveryText =
    delivery.status === 'held'
      ? approval.status === 'rejected'
        ? 'nothing sent: rejected'
        : 'held until approved'
      : delivery.status === 'sent'
        ? `sent (${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'})`
        : `${delivery.status} after ${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}${delivery.error ? `: ${h(delivery.error)}` : ''}`;
  const ticket =
    license.ticketId === undefined
      ? 'none given'
      : ticketUrl
        ? `<a href="${h(ticketUrl)}" rel="noopener noreferrer" target="_blank">#${license.ticketId}</a>`
        : `#${license.ticketId}`;
  const backTo = `/lookup?q=${encodeURIComponent(model.query)}`;
  const until = license.expiresAt === null ? 'no end date' : license.expiresAt.slice(0, 10);
  const validity = !signed
    ? pending
      ? `not yet issued: waiting for approval${license.expiresAt !== null ? ` (would end ${until})` : ''}`
      : 'never issued'
    : `${license.issuedAt.slice(0, 10)} to ${until} <span class="tag tag--${license.revokedAt ? 'danger' : expired ? 'neutral' : 'success'}">${license.revokedAt ? 'revoked' : expired ? 'expired' : 'active'}</span>`;
  const approvalText =
    approval.status === 'not_required'
      ? ''
      : `<div><dt>Approval</dt><dd>${h(approval.status)}${approval.by ? ` by ${h(approval.by)}` : ''}${approval.at ? ` on ${h(approval.at.slice(0, 10))}` : ''}${approval.reason ? ` (reason: ${h(approval.reason)})` : ''}</dd></div>`;
  const hidden = `<input type="hidden" name="csrf" value="${h(model.csrf)}">
      <input type="hidden" name="back" value="${h(backTo)}">`;
  const keyActions = signed
    ? `<button type="button" class="button" data-copy="${h(license.key ?? '')}">Copy license</button>
    <form method="get" action="/lookup/licenses/${id}/download"><button type="submit" class="button">Download</button></form>
    <button type="button" class="button" data-open-dialog="resend-${id}">Resend</button>`
    : '';
  // The service refuses a person deciding on their own request: offer them no buttons that cannot work.
  const mayDecide = pending && model.approver === true && !sameIdentity(model.who, license.agent);
  const decisions = mayDecide
    ? `<form method="post" action="/lookup/licenses/${id}/approve">
      ${hidden}
      <button type="submit" class="button button--primary">Approve</button>
    </form>
    <button type="button" class="button" data-open-dialog="reject-${id}">Reject</button>`
    : pending && model.approver
      ? '<p class="hint">You asked for this license: someone else with the approver role has to approve or reject it.</p>'
      : pending
        ? '<p class="hint">Waiting for an approver: sign in with your own credential (with the approver role) to approve or reject.</p>'
        : '';
  const resendDialog = signed
    ? `<dialog id="resend-${id}" aria-labelledby="resend-${id}-title" class="dialog">
    <h4 id="resend-${id}-title">Resend this license?</h4>
    <p>License <code>${id}</code> will be emailed again to ${h(license.email)}.</p>
    <form method="post" action="/lookup/licenses/${id}/resend" class="dialog__actions">
      ${hidden}
      <button type="submit" class="button button--primary">Resend</button>
      <button type="button" class="button button--basic" data-close-dialog>Cancel</button>
    </form>
  </dialog>`
    : '';
  const rejectDialog = mayDecide
    ? reasonDialog({
        dialogId: `reject-${id}`,
        fieldId: `reason-${id}`,
        title: 'Reject this license?',
        text: `License <code>${id}</code> for ${h(license.email)} will never be issued; its tracker issue is closed.`,
        action: `/lookup/licenses/${id}/reject`,
        hidden,
        confirm: 'Reject',
      })
    : '';
  return `<article class="card result" aria-labelledby="title-${id}">
  <div class="result__head">
    <h3 id="title-${id}" class="result__title">${title}</h3>
    ${stateTag}
  </div>
  <dl class="facts">
    <div><dt>Kind</dt><dd>${h(kindPolicy(license.kind).label)}</dd></div>
    <div><dt>License id</dt><dd><code>${id}</code></dd></div>
    <div><dt>Valid</dt><dd>${validity}</dd></div>
    <div><dt>Requester</dt><dd>${h(license.email)}</dd></div>
    <div><dt>Users</dt><dd>${license.userCount}</dd></div>
    <div><dt>Agent</dt><dd>${h(license.agent)}</dd></div>
    <div><dt>Ticket</dt><dd>${ticket}</dd></div>
    ${approvalText}
    <div><dt>Delivery</dt><dd>${deliveryText}</dd></div>
  </dl>
  <div class="actions">
    ${keyActions}
    ${decisions}
    ${signed ? revokeControls(license, { csrf: model.csrf, back: backTo }) : ''}
  </div>
  ${resendDialog}
  ${rejectDialog}
  <details class="activity">
    <summary>Activity (${audit.length})</summary>
    <ul>${audit
      .map(
        (entry) =>
          `<li><time datetime="${h(entry.at)}">${h(entry.at.slice(0, 16).replace('T', ' '))} UTC</time> · ${h(entry.actor)} ${h(entry.action)}${entry.detail ? ` ${h(entry.detail)}` : ''}</li>`,
      )
      .join('')}</ul>
  </details>
</article>`;
}
