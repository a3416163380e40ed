import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LicenseRecord } from '@mintdesk/shared';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchChromium } from '../support/browser.ts';
import { type ChildService, MINTDESK_BIN, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { APP_SECRET, LOOKUP_TOKEN, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

// The four-eyes rule end to end: an order minted by agent "alice" waits; alice (an approver
// herself) cannot decide on her own request, nor can the shared lookup token; "bob" approves one
// order and rejects another on the lookup page in Chromium, and the email and the tracker title
// follow.

const run = promisify(execFile);
const smtp = new SmtpReceiver();
const dataDir = tempDir();
let service: ChildService;
let browser: Browser;
let alice: string;
let bob: string;
let toApprove: LicenseRecord;
let toReject: LicenseRecord;
const pageErrors: string[] = [];

/** `mintdesk people add NAME --approver` as the operator runs it; answers the credential it printed once. */
async function addPerson(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [MINTDESK_BIN, 'people', 'add', name, '--approver'], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
  });
  const token = /^(mdp_\S+)$/m.exec(stdout)?.[1];
  if (!token) throw new Error(`people add printed no credential:\n${stdout}`);
  return token;
}

function day(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** An order as the sidebar sends it for agent alice, with a signed app token. */
async function mintOrder(orderRef: string, ticketId: number) {
  const token = await signAppToken(APP_SECRET, { now: new Date() });
  return request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
    token,
    body: {
      kind: 'order',
      agent: 'alice',
      email: 'buyer@example.org',
      userCount: 50,
      licensee: { name: 'Ada Lovelace', company: 'Analytical Engines Ltd' },
      term: 'subscription',
      deployment: 'self-managed',
      startsAt: day(0),
      endsAt: day(365),
      orderRef,
      ticketId,
      ticketUrl: `https://acme.zendesk.com/agent/tickets/${ticketId}`,
    },
  });
}

beforeAll(async () => {
  await smtp.start();
  alice = await addPerson('alice');
  bob = await addPerson('bob');
  // Default APPROVAL_KINDS: add-ons and orders wait for an approver.
  service = await spawnService({
    DATA_DIR: dataDir,
    SMTP_URL: smtp.url,
    APP_SECRET,
    LOOKUP_TOKEN,
    MINT_WAIT_MS: '4000',
  });
  browser = await launchChromium();
  const first = await mintOrder('PO-7781', 7781);
  const second = await mintOrder('PO-7782', 7782);
  expect([first.status, second.status]).toEqual([202, 202]);
  toApprove = first.body;
  toReject = second.body;
});
afterAll(async () => {
  await browser?.close();
  service?.process.kill('SIGTERM');
  await service?.exited;
  await smtp.stop();
});

async function signIn(credential: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${service.url}/lookup`);
  await page.getByLabel('Lookup token').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Email, ticket or license id').waitFor();
  return page;
}

async function search(page: Page, query: string): Promise<Locator> {
  await page.getByLabel('Email, ticket or license id').fill(query);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForLoadState();
  const card = page.getByRole('article');
  await expect(card.count()).resolves.toBe(1);
  return card;
}

/** Presses Tab until the focus is on the element named `name` (role `role`): no mouse involved. */
async function tabTo(page: Page, role: 'button' | 'textbox', name: string): Promise<void> {
  const target = page.getByRole(role, { name, exact: true });
  for (let presses = 0; presses < 60; presses += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluateAll((elements) => elements.some((element) => element === document.activeElement))) return;
  }
  throw new Error(`Tab never reached the ${role} ${name}`);
}

async function licenseMail(id: string) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const mail = smtp.messages.find((message) => message.headers.get('x-mintdesk-license-id') === id);
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail for ${id}`);
}

async function recordOf(id: string): Promise<LicenseRecord> {
  const answer = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${id}`, { token: LOOKUP_TOKEN });
  expect(answer.status).toBe(200);
  return answer.body;
}

describe('approving and rejecting on the lookup page in Chromium', () => {
  it('a minted order waits: no key, delivery held, an open "Approval needed" issue', () => {
    for (const pending of [toApprove, toReject]) {
      expect(pending.approval).toEqual({ status: 'pending' });
      expect(pending.license.key).toBeUndefined();
      expect(pending.delivery.status).toBe('held');
      expect(pending.issue).toMatchObject({
        state: 'open',
        title: '[Approval needed] - License under buyer@example.org for 50 users',
      });
    }
    expect(smtp.messages).toHaveLength(0);
  });

  it('shows alice her pending order with its kind, and offers her no Approve: she asked for it', async () => {
    const page = await signIn(alice);
    // Landmarks: the page's banner (who is signed in), its main content and the search form.
    await expect(page.getByRole('banner').count()).resolves.toBe(1);
    await expect(page.getByRole('main').count()).resolves.toBe(1);
    await expect(page.getByRole('search').count()).resolves.toBe(1);
    await expect(page.getByText('alice', { exact: true }).count()).resolves.toBe(1);
    const card = await search(page, '7781');
    await card
      .getByRole('heading', { name: '[Approval needed] - License under buyer@example.org for 50 users' })
      .waitFor();
    const text = await card.innerText();
    expect(text).toContain('Ordered license');
    expect(text).toContain('open');
    expect(text).toContain('pending');
    expect(text).toContain('held until approved');
    expect(text).toContain('someone else with the approver role has to approve');
    await expect(card.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    await expect(card.getByRole('button', { name: 'Reject' }).count()).resolves.toBe(0);
    await expect(card.getByRole('button', { name: 'Copy license' }).count()).resolves.toBe(0);
    await page.screenshot({ path: artifact('lookup-pending.png'), fullPage: true });

    // Her credential, used directly, is refused as well, and nothing changes.
    for (const decision of ['approve', 'reject']) {
      const answer = await request<{ error: { code: string } }>(
        `${service.url}/api/v1/licenses/${toApprove.license.id}/${decision}`,
        { token: alice, body: decision === 'reject' ? { reason: 'mine' } : {} },
      );
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('approval_forbidden');
    }
    // So is the operator's shared token: it can never approve.
    const operator = await request<{ error: { code: string } }>(
      `${service.url}/api/v1/licenses/${toApprove.license.id}/approve`,
      { token: LOOKUP_TOKEN, body: {} },
    );
    expect(operator.status).toBe(403);
    // Signed in to the page with it, nobody is offered Approve or Reject.
    const shared = await signIn(LOOKUP_TOKEN);
    const sharedCard = await search(shared, '7781');
    await expect(sharedCard.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    await expect(sharedCard.getByRole('button', { name: 'Reject' }).count()).resolves.toBe(0);
    await shared.context().close();
    expect((await recordOf(toApprove.license.id)).approval.status).toBe('pending');
    expect(smtp.messages).toHaveLength(0);
    await page.context().close();
  });

  it('bob approves: the result says approved and sent, the email carries the key, the issue is the order success', async () => {
    const page = await signIn(bob);
    const card = await search(page, '7781');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.waitForLoadState();
    const notice = page.getByRole('status');
    await notice
      .getByText(`License ${toApprove.license.id} was approved and emailed to buyer@example.org: sent.`)
      .waitFor();
    const approved = page.getByRole('article');
    await approved
      .getByRole('heading', {
        name: '[Success] - Created a license under buyer@example.org for 50 users (order PO-7781)',
      })
      .waitFor();
    const text = await approved.innerText();
    expect(text).toContain('closed');
    expect(text).toMatch(/approved by bob/);
    expect(text).toMatch(/sent \(1 attempt\)/);
    expect(text).toContain(`${day(0)} to ${day(365)}`);
    await expect(approved.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    await expect(approved.getByRole('button', { name: 'Copy license' }).count()).resolves.toBe(1);
    await page.screenshot({ path: artifact('lookup-approved.png'), fullPage: true });

    const record = await recordOf(toApprove.license.id);
    expect(record.approval).toMatchObject({ status: 'approved', by: 'bob' });
    expect(record.delivery.status).toBe('sent');
    expect(record.issue).toMatchObject({
      state: 'closed',
      title: '[Success] - Created a license under buyer@example.org for 50 users (order PO-7781)',
    });
    const mail = await licenseMail(toApprove.license.id);
    expect(mail.to && 'value' in mail.to ? mail.to.value[0]?.address : undefined).toBe('buyer@example.org');
    const attached = mail.attachments.find((attachment) => attachment.filename === 'license.jwt');
    expect(attached?.content.toString()).toBe(record.license.key);
    const claims = JSON.parse(Buffer.from(record.license.key?.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ kind: 'order', orderRef: 'PO-7781', term: 'subscription' });
    // Who decided is on record.
    await approved.getByText('Activity').click();
    await expect(approved.innerText()).resolves.toMatch(/bob approved/);
    await page.context().close();
  });

  it('bob rejects another with a reason, by keyboard alone: rejected, nothing emailed, the issue closed', async () => {
    const page = await signIn(bob);
    await page.getByLabel('Email, ticket or license id').focus();
    await page.keyboard.type('7782');
    await page.keyboard.press('Enter');
    await page.waitForLoadState();
    const card = page.getByRole('article');
    await card
      .getByRole('heading', { name: '[Approval needed] - License under buyer@example.org for 50 users' })
      .waitFor();
    await tabTo(page, 'button', 'Reject');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Reject this license?' });
    await dialog.waitFor();
    // The dialog takes the focus into its first field; its controls have their names.
    const reason = dialog.getByRole('textbox', { name: 'Reason' });
    await expect(reason.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await page.keyboard.type('Order <PO-7782> was cancelled & refunded');
    await page.screenshot({ path: artifact('lookup-reject-dialog.png') });
    await page.keyboard.press('Tab');
    await expect(
      dialog.getByRole('button', { name: 'Reject' }).evaluate((element) => element === document.activeElement),
    ).resolves.toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForLoadState();
    await page
      .getByRole('status')
      .getByText(`License ${toReject.license.id} was rejected; nothing was sent.`)
      .waitFor();
    const rejected = page.getByRole('article');
    await rejected
      .getByRole('heading', { name: '[Rejected] - License under buyer@example.org for 50 users' })
      .waitFor();
    const text = await rejected.innerText();
    expect(text).toContain('closed');
    expect(text).toContain('rejected by bob');
    expect(text).toContain('(reason: Order <PO-7782> was cancelled & refunded)');
    expect(text).toContain('nothing sent: rejected');
    await expect(rejected.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    await expect(rejected.getByRole('button', { name: 'Copy license' }).count()).resolves.toBe(0);
    await page.screenshot({ path: artifact('lookup-rejected.png'), fullPage: true });

    const record = await recordOf(toReject.license.id);
    expect(record.approval).toMatchObject({
      status: 'rejected',
      by: 'bob',
      reason: 'Order <PO-7782> was cancelled & refunded',
    });
    expect(record.license.key).toBeUndefined();
    expect(record.issue).toMatchObject({
      state: 'closed',
      title: '[Rejected] - License under buyer@example.org for 50 users',
    });
    expect(smtp.messages.filter((m) => m.headers.get('x-mintdesk-license-id') === toReject.license.id)).toEqual([]);
    await page.context().close();
  });

  it('raised no script errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
