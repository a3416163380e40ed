import type { LicenseRecord } from '@mintdesk/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { dayFrom, mint, verifiedClaims } from '../support/licenses.ts';
import { addPerson, peopleCli } from '../support/people.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';

// Default APPROVAL_KINDS: addon and order wait for an approver.
const fixture = useTestService();
const smtp = fixture.smtp;
let service: TestService;
let approver: string;
let approverWhoAsked: string;
let looker: string;

beforeAll(async () => {
  service = fixture.service;
  approver = await addPerson(service.dataDir, 'Maria Approver', true);
  approverWhoAsked = await addPerson(service.dataDir, 'asmith', true);
  looker = await addPerson(service.dataDir, 'Lou Looker', false);
});

let orders = 0;
function orderBody(email: string, userCount = 40) {
  orders += 1;
  return {
    kind: 'order',
    agent: 'asmith',
    email,
    userCount,
    ticketId: 31337,
    licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
    term: 'subscription',
    deployment: 'cloud',
    startsAt: dayFrom(service, 0),
    endsAt: '2027-12-31',
    orderRef: `PO-A${orders}`,
  };
}

async function decide(id: string, decision: 'approve' | 'reject', token: string | undefined, body?: unknown) {
  return request<LicenseRecord>(`${service.url}/api/v1/licenses/${id}/${decision}`, {
    method: 'POST',
    ...(token !== undefined ? { token } : {}),
    body: body ?? {},
  });
}

async function issueRow(licenseId: string) {
  return service.store.db
    .selectFrom('issues')
    .selectAll()
    .where('license_id', '=', licenseId)
    .executeTakeFirstOrThrow();
}

describe('a kind that needs approval', () => {
  it('answers 202 pending with no key, holds delivery, and opens one approval issue; nothing is signed or sent', async () => {
    const response = await mint(service, orderBody('held@acme.example'));
    expect(response.status).toBe(202);
    const record = response.body;
    expect(record.approval).toEqual({ status: 'pending' });
    expect(record.license).not.toHaveProperty('key');
    expect(record.delivery).toEqual({ status: 'held', attempts: 0 });
    expect(record.issue).toMatchObject({
      state: 'open',
      title: '[Approval needed] - License under held@acme.example for 40 users',
    });
    const row = await service.store.getLicense(record.license.id);
    expect(row?.key).toBe('');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtp.messages.filter((m) => m.headers.get('x-mintdesk-license-id') === record.license.id)).toHaveLength(0);
    const issues = await service.store.db
      .selectFrom('issues')
      .selectAll()
      .where('license_id', '=', record.license.id)
      .execute();
    expect(issues).toHaveLength(1);
    // Resend and download have nothing to send.
    expect(
      (
        await request(`${service.url}/api/v1/licenses/${record.license.id}/resend`, {
          method: 'POST',
          token: LOOKUP_TOKEN,
        })
      ).status,
    ).toBe(409);
    expect(
      (await request(`${service.url}/api/v1/licenses/${record.license.id}/download`, { token: LOOKUP_TOKEN })).status,
    ).toBe(409);
  });

  it('refuses the operator token, a non-approver, the agent who asked, and the app (403/401)', async () => {
    const { license } = (await mint(service, orderBody('refused@acme.example'))).body;
    for (const token of [LOOKUP_TOKEN, looker, approverWhoAsked]) {
      const response = await decide(license.id, 'approve', token);
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ error: { code: 'approval_forbidden' } });
      const rejected = await decide(license.id, 'reject', token, { reason: 'no' });
      expect(rejected.status).toBe(403);
    }
    expect((await decide(license.id, 'approve', await service.appToken())).status).toBe(401);
    expect((await decide(license.id, 'approve', undefined)).status).toBe(401);
    expect((await service.store.getLicense(license.id))?.approval_status).toBe('pending');
  });

  it('approve signs and emails it, and retitles the same issue to success and closes it', async () => {
    const pending = (await mint(service, orderBody('approved@acme.example', 25))).body;
    const response = await decide(pending.license.id, 'approve', approver);
    expect(response.status).toBe(200);
    const record = response.body;
    expect(record.approval).toMatchObject({
      status: 'approved',
      by: 'Maria Approver',
      at: service.clock.now().toISOString(),
    });
    expect(record.delivery).toEqual({ status: 'sent', attempts: 1 });
    expect(record.issue).toMatchObject({
      id: pending.issue?.id,
      state: 'closed',
      title: `[Success] - Created a license under approved@acme.example for 25 users (order PO-A${orders})`,
    });
    const claims = await verifiedClaims(service, record.license.key);
    expect(claims).toMatchObject({
      jti: pending.license.id,
      kind: 'order',
      users: 25,
      trial: false,
      deployment: 'cloud',
    });

    const [mail] = await smtp.waitForMessages(1);
    expect(
      smtp.messages
        .find((m) => m.headers.get('x-mintdesk-license-id') === record.license.id)
        ?.attachments[0]?.content.toString(),
    ).toBe(record.license.key);
    expect(mail).toBeDefined();
    const issue = await issueRow(pending.license.id);
    expect(issue.body).toContain('- Approval: approved by `Maria Approver` on 2026-11-21 09:30 UTC');
    const issues = await service.store.db
      .selectFrom('issues')
      .select('id')
      .where('license_id', '=', record.license.id)
      .execute();
    expect(issues).toHaveLength(1);
    const audit = await service.store.listAudit(record.license.id);
    expect(audit.map((entry) => [entry.actor, entry.action])).toEqual(
      expect.arrayContaining([
        ['asmith', 'requested'],
        ['Maria Approver', 'approved'],
      ]),
    );

    const again = await decide(pending.license.id, 'approve', approver);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'not_pending' } });
  });

  it('two approvers at once: one approves, the other is told it is no longer pending; one email', async () => {
    const second = await addPerson(service.dataDir, 'Second Approver', true);
    const pending = (await mint(service, orderBody('race@acme.example', 3))).body;
    const answers = await Promise.all([
      decide(pending.license.id, 'approve', approver),
      decide(pending.license.id, 'approve', second),
      decide(pending.license.id, 'reject', second, { reason: 'too late' }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409, 409]);
    // The approval answers after its delivery attempt; give a stray second one a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.messages.filter((m) => m.headers.get('x-mintdesk-license-id') === pending.license.id)).toHaveLength(1);
    const jobs = await service.store.db
      .selectFrom('jobs')
      .select('kind')
      .where('license_id', '=', pending.license.id)
      .where('kind', '=', 'deliver')
      .execute();
    expect(jobs).toHaveLength(1);
  });

  it('reject needs a reason, closes the issue as rejected, and sends nothing', async () => {
    const pending = (await mint(service, orderBody('rejected@acme.example', 12))).body;
    const missing = await decide(pending.license.id, 'reject', approver, {});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { fields: { reason: expect.any(String) } } });

    const response = await decide(pending.license.id, 'reject', approver, { reason: 'Order PO not paid yet' });
    expect(response.status).toBe(200);
    expect(response.body.approval).toMatchObject({
      status: 'rejected',
      by: 'Maria Approver',
      reason: 'Order PO not paid yet',
    });
    expect(response.body.license).not.toHaveProperty('key');
    expect(response.body.issue).toMatchObject({
      id: pending.issue?.id,
      state: 'closed',
      title: '[Rejected] - License under rejected@acme.example for 12 users',
    });
    expect((await issueRow(pending.license.id)).body).toContain('(reason: `Order PO not paid yet`)');
    expect(smtp.messages.filter((m) => m.headers.get('x-mintdesk-license-id') === pending.license.id)).toHaveLength(0);
    expect((await decide(pending.license.id, 'approve', approver)).status).toBe(409);
  });

  it('an add-on waits too, and its pending record already shows the total and the base end date', async () => {
    const base = (await mint(service, orderBody('seats@acme.example', 30))).body;
    await decide(base.license.id, 'approve', approver);
    const addon = await mint(service, {
      kind: 'addon',
      agent: 'bjones',
      email: 'seats@acme.example',
      baseLicenseId: base.license.id,
      addUsers: 5,
      totalUsers: 35,
    });
    expect(addon.status).toBe(202);
    expect(addon.body.license).toMatchObject({ userCount: 35, expiresAt: '2027-12-31T23:59:59.000Z' });
    expect(addon.body.issue?.title).toBe('[Approval needed] - License under seats@acme.example for 35 users');
    const approved = await decide(addon.body.license.id, 'approve', approverWhoAsked);
    expect(approved.status).toBe(200);
    expect(approved.body.issue?.title).toBe('[Success] - Added 5 users under seats@acme.example (now 35 users)');
  });
});

describe('people', () => {
  it('add prints the credential once; list shows names and roles, never credentials; the store keeps only a hash', async () => {
    const added = await peopleCli(service.dataDir, ['add', 'Once Only']);
    expect(added.code).toBe(0);
    const token = /^(mdp_\S+)$/m.exec(added.stdout)?.[1] ?? '';
    expect(token).toMatch(/^mdp_[A-Za-z0-9_-]{43}$/);
    const listed = await peopleCli(service.dataDir, ['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^Maria Approver\tapprover/m);
    expect(listed.stdout).toMatch(/^Once Only\tlookup/m);
    expect(listed.stdout).not.toContain('mdp_');
    const rows = await service.store.db.selectFrom('people').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect((await peopleCli(service.dataDir, ['add', 'once only'])).code).toBe(1);
    expect((await peopleCli(service.dataDir, ['add'])).code).toBe(2);
    expect((await peopleCli(service.dataDir, ['add', 'x', '--admin'])).code).toBe(2);
  });

  it('a personal credential is a lookup bearer that records its holder; removing the person ends it', async () => {
    const token = await addPerson(service.dataDir, 'Temp Person', false);
    const minted = (await mint(service, { agent: 'asmith', email: 'who@example.org', userCount: 2 })).body;
    const list = await request<{ licenses: LicenseRecord[] }>(`${service.url}/api/v1/licenses?email=who@example.org`, {
      token,
    });
    expect(list.status).toBe(200);
    expect(list.body.licenses[0]?.license.id).toBe(minted.license.id);
    expect((await request(`${service.url}/api/v1/licenses/${minted.license.id}/download`, { token })).status).toBe(200);
    const audit = await service.store.listAudit(minted.license.id);
    expect(audit[0]).toMatchObject({ actor: 'Temp Person', action: 'downloaded' });
    // Not an app credential.
    expect((await mint(service, { agent: 'x', email: 'y@example.org', userCount: 1 })).status).toBe(201);
    expect(
      (
        await request(`${service.url}/api/v1/licenses`, {
          token,
          body: { agent: 'x', email: 'y@example.org', userCount: 1 },
        })
      ).status,
    ).toBe(401);

    const removed = await peopleCli(service.dataDir, ['remove', 'temp person']);
    expect(removed.code).toBe(0);
    expect((await request(`${service.url}/api/v1/licenses/${minted.license.id}`, { token })).status).toBe(401);
    expect((await peopleCli(service.dataDir, ['remove', 'Temp Person'])).code).toBe(1);
  });
});
