import type { LicenseRecord } from '@mintdesk/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { dayFrom, mint } from '../support/licenses.ts';
import { addPerson, peopleCli } from '../support/people.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';

const fixture = useTestService();
const smtp = fixture.smtp;
let service: TestService;
let approver: string;
let pending: LicenseRecord;

beforeAll(async () => {
  service = fixture.service;
  approver = await addPerson(service.dataDir, 'Maria Approver', true);
  pending = (await mint(service, order('PO-PAGE-1'))).body;
});

function order(orderRef: string) {
  return {
    kind: 'order',
    agent: 'asmith',
    email: 'page-orders@acme.example',
    userCount: 15,
    licensee: { name: 'Ada <b>Buyer</b>', company: 'Acme & Sons' },
    term: 'perpetual',
    deployment: 'self-managed',
    startsAt: dayFrom(service, 0),
    orderRef,
  };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function signIn(token: string, name = ''): Promise<string> {
  const response = await fetch(`${service.url}/lookup/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ token, name, next: '/lookup' }),
  });
  expect(response.status).toBe(303);
  return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

async function page(path: string, cookie: string) {
  const response = await fetch(`${service.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  return { status: response.status, body: await response.text() };
}

async function post(path: string, cookie: string, fields: Record<string, string>) {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: form(fields),
  });
  return { status: response.status, location: response.headers.get('location'), body: await response.text() };
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const query = '/lookup?q=page-orders%40acme.example';

describe('pending licenses on the lookup page', () => {
  it('shows the kind on every result, and no Approve or Reject to the operator token', async () => {
    const cookie = await signIn(LOOKUP_TOKEN, 'Maria Approver');
    const { body } = await page(query, cookie);
    expect(body).toContain('<dt>Kind</dt><dd>Ordered license</dd>');
    expect(body).toContain('[Approval needed] - License under page-orders@acme.example for 15 users');
    expect(body).toContain('waiting for approval');
    expect(body).not.toContain('>Approve<');
    expect(body).not.toContain('Copy license');
    // Typing an approver's name beside the shared token does not make one.
    const refused = await post(`/lookup/licenses/${pending.license.id}/approve`, cookie, {
      csrf: csrfOf(body),
      back: query,
    });
    expect(refused.status).toBe(403);
    expect((await service.store.getLicense(pending.license.id))?.approval_status).toBe('pending');
  });

  it('signs an approver in with their own credential, under their own name, with Approve and Reject', async () => {
    const cookie = await signIn(approver, 'Somebody Else');
    const { body } = await page(query, cookie);
    expect(body).toContain('<span class="topbar__who">Maria Approver</span>');
    expect(body).toContain(`action="/lookup/licenses/${pending.license.id}/approve"`);
    expect(body).toMatch(/<button type="submit" class="button button--primary">Approve<\/button>/);
    expect(body).toContain(`data-open-dialog="reject-${pending.license.id}"`);
    expect(body).toContain('<label for="reason-');
    // Caller-typed licensee text never becomes markup.
    expect(body).not.toContain('<b>Buyer</b>');
  });

  it('approves with the CSRF token (refuses without), then shows the license as sent', async () => {
    const cookie = await signIn(approver);
    const search = await page(query, cookie);
    const forged = await post(`/lookup/licenses/${pending.license.id}/approve`, cookie, {
      csrf: 'forged',
      back: query,
    });
    expect(forged.status).toBe(403);
    const approved = await post(`/lookup/licenses/${pending.license.id}/approve`, cookie, {
      csrf: csrfOf(search.body),
      back: query,
    });
    expect(approved.status).toBe(303);
    expect(approved.location).toBe(`${query}&decided=${pending.license.id}`);
    const after = await page(approved.location as string, cookie);
    expect(after.body).toContain(
      `License ${pending.license.id} was approved and emailed to page-orders@acme.example: sent.`,
    );
    expect(after.body).toContain('Approval</dt><dd>approved by Maria Approver');
    expect(after.body).toContain('no end date');
    expect(after.body).toContain('Maria Approver approved');
    const mail = smtp.messages.find((m) => m.headers.get('x-mintdesk-license-id') === pending.license.id);
    expect(mail?.html).toContain('Ada &lt;b&gt;Buyer&lt;/b&gt;, Acme &amp; Sons');
  });

  it('rejects with a reason from the dialog; a blank reason is refused', async () => {
    const other = (await mint(service, order('PO-PAGE-2'))).body;
    const cookie = await signIn(approver);
    const search = await page(query, cookie);
    const csrf = csrfOf(search.body);
    const blank = await post(`/lookup/licenses/${other.license.id}/reject`, cookie, { csrf, back: query, reason: ' ' });
    expect(blank.status).toBe(400);
    const rejected = await post(`/lookup/licenses/${other.license.id}/reject`, cookie, {
      csrf,
      back: query,
      reason: 'Duplicate of PO-PAGE-1',
    });
    expect(rejected.status).toBe(303);
    const after = await page(rejected.location as string, cookie);
    expect(after.body).toContain(`License ${other.license.id} was rejected; nothing was sent.`);
    expect(after.body).toContain('[Rejected] - License under page-orders@acme.example for 15 users');
    expect(after.body).toContain('(reason: Duplicate of PO-PAGE-1)');
  });

  it('a removed person is signed out at their next request', async () => {
    const token = await addPerson(service.dataDir, 'Short Stay', false);
    const cookie = await signIn(token);
    expect((await page(query, cookie)).body).toContain('Short Stay');
    await peopleCli(service.dataDir, ['remove', 'Short Stay']);
    const after = await page(query, cookie);
    expect(after.body).toContain('Lookup token');
    expect(after.body).not.toContain('page-orders@acme.example');
  });
});
