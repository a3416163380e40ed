import { licenseFacts } from '@mintdesk/server/licenses/license-facts.ts';
import { composeLicenseEmail } from '@mintdesk/server/mail/license-email.ts';
import { licenseMessage } from '@mintdesk/server/notify/notify-license.ts';
import type { LicenseRow } from '@mintdesk/server/store/sql-store.ts';
import { approvalIssue, rejectedIssue, successIssue } from '@mintdesk/server/tracker/issue-content.ts';
import { hashPersonToken, newPersonToken } from '@mintdesk/server/people/person-credentials.ts';
import { fieldsOf } from '@mintdesk/server/validation.ts';
import { emergencyRequestSchema } from '@mintdesk/shared';
import { describe, expect, it } from 'vitest';

function row(overrides: Partial<LicenseRow> = {}): LicenseRow {
  return {
    id: 'lic_unit23456789abcd',
    key: 'a.b.c',
    issued_at: '2026-11-21T09:30:00.000Z',
    expires_at: '2027-11-30T23:59:59.000Z',
    created_ms: 0,
    user_count: 40,
    email: 'buyer@acme.example',
    email_lower: 'buyer@acme.example',
    agent: 'asmith',
    ticket_id: 7,
    ticket_url: null,
    delivery_status: 'sent',
    delivery_attempts: 1,
    delivery_error: null,
    delivered_at: '2026-11-21T09:30:01.000Z',
    issue_id: '3',
    idempotency_key: null,
    request_hash: null,
    kind: 'order',
    trial: 0,
    licensee_name: 'Ada Buyer',
    licensee_company: 'Acme Corp',
    plan: 'ultimate',
    duration_days: null,
    starts_on: '2026-11-21',
    ends_on: '2027-11-30',
    extra_claims: JSON.stringify({ term: 'subscription', deployment: 'cloud', orderRef: 'PO-9' }),
    details: '{}',
    approval_status: 'approved',
    approval_by: 'Maria Approver',
    approval_at: '2026-11-21T09:29:00.000Z',
    approval_reason: null,
    ...overrides,
  };
}

describe('the approval, wherever the license is told about', () => {
  it('is in the team-channel message', () => {
    const message = licenseMessage(row(), null);
    expect(message.text).toContain(':white_check_mark: Ordered license lic_unit23456789abcd emailed');
    expect(message.text).toContain('Approved by Maria Approver at 2026-11-21 09:29 UTC');
    expect(licenseMessage(row({ approval_status: 'not_required', approval_by: null }), null).text).not.toContain(
      'Approved',
    );
  });

  it('is in the tracker issue body, success and pending alike', () => {
    expect(successIssue(licenseFacts(row())).body).toContain(
      '- Approval: approved by `Maria Approver` on 2026-11-21 09:29 UTC',
    );
    const pending = approvalIssue(
      licenseFacts(row({ approval_status: 'pending', approval_by: null, approval_at: null, key: '' })),
    );
    expect(pending.title).toBe('[Approval needed] - License under buyer@acme.example for 40 users');
    expect(pending.body).toContain('- Approval: waiting for an approver');
    expect(pending.body).not.toContain('a.b.c');
  });
});

describe('caller-typed order and approval text in the tracker', () => {
  it('shows as typed inside code spans: no mention, quick action or markup fires', () => {
    const hostile = row({
      licensee_name: '<img src=x onerror=alert(1)>',
      licensee_company: '@all',
      extra_claims: JSON.stringify({ term: 'subscription', deployment: 'cloud', orderRef: '@all /close' }),
      approval_status: 'rejected',
      approval_by: 'Maria',
      approval_reason: '/close **now**',
    });
    const body = rejectedIssueBody(hostile);
    expect(body).toContain('- Licensee: `<img src=x onerror=alert(1)>`, `@all`');
    expect(body).toContain('- orderRef: `@all /close`');
    expect(body).toContain('(reason: `/close **now**`)');
    for (const line of body.split('\n')) expect(line.startsWith('/')).toBe(false);
  });
});

function rejectedIssueBody(license: LicenseRow): string {
  return rejectedIssue(licenseFacts(license)).body;
}

describe('the license email', () => {
  it('names the kind, exact dates and users, and leaves the trial caveats out of a paid license', () => {
    const mail = composeLicenseEmail({
      from: 'Licensing <l@example.org>',
      licenseId: 'lic_x',
      key: 'a.b.c',
      email: 'buyer@acme.example',
      userCount: 40,
      issuedAt: new Date('2026-11-21T09:30:00Z'),
      expiresAt: new Date('2027-11-30T23:59:59Z'),
      days: null,
      plan: 'ultimate',
      ticketId: null,
      kind: 'order',
      trial: false,
      licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
      startsOn: '2026-11-21',
      endsOn: '2027-11-30',
      claims: { term: 'subscription', deployment: 'cloud', orderRef: 'PO-9' },
    });
    expect(mail.text).toContain('License:     Ordered license');
    expect(mail.text).toContain('Term:        subscription, 2026-11-21 to 2027-11-30');
    expect(mail.text).toContain('Valid until: 2027-11-30 23:59 UTC');
    expect(mail.text).not.toMatch(/trial/i);
  });

  it('takes the generic licensee from its input, never a hard-coded "Emergency License"', () => {
    const mail = composeLicenseEmail({
      from: 'Licensing <l@example.org>',
      licenseId: 'lic_x',
      key: 'a.b.c',
      email: 'e@example.org',
      userCount: 1,
      issuedAt: new Date('2026-11-21T09:30:00Z'),
      expiresAt: new Date('2026-12-01T09:30:00Z'),
      days: 10,
      plan: 'ultimate',
      ticketId: null,
      licensee: { name: 'Notfall-Lizenz', company: 'Vorübergehend' },
    });
    expect(mail.text).toContain('generic ("Notfall-Lizenz", "Vorübergehend")');
    expect(mail.text).not.toContain('Emergency License');
    expect(mail.text).toContain('It does not include paid support or service levels');
  });
});

describe('personal credentials', () => {
  it('are 256 random bits, stored as a SHA-256 hash', () => {
    const token = newPersonToken();
    expect(token).toMatch(/^mdp_[A-Za-z0-9_-]{43}$/);
    expect(newPersonToken()).not.toBe(token);
    expect(hashPersonToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashPersonToken(token)).not.toContain(token.slice(4));
  });
});

describe('fieldsOf', () => {
  it('names fields called like Object.prototype members (regression: the fuzz test sent "constructor")', () => {
    const body = JSON.parse('{"agent":"a","userCount":1,"email":"a@b.co","constructor":1,"__proto__":2,"toString":3}');
    const result = emergencyRequestSchema().safeParse(body);
    expect(result.success).toBe(false);
    if (!result.success)
      expect(Object.keys(fieldsOf(result.error)).sort()).toEqual(['__proto__', 'constructor', 'toString']);
  });
});
