import type { LicenseRecord } from '@mintdesk/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchChromium } from '../support/browser.ts';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { addPerson } from '../support/people.ts';
import { APP_SECRET, LOOKUP_TOKEN, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

const smtp = new SmtpReceiver();
const dataDir = tempDir();
let service: ChildService;
let browser: Browser;
let approver: string;

async function mintOrder(orderRef: string): Promise<LicenseRecord> {
  const response = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
    token: await signAppToken(APP_SECRET, { now: new Date() }),
    body: {
      kind: 'order',
      agent: 'Agent Smith',
      email: 'orders@acme.example',
      userCount: 120,
      ticketId: 9100,
      licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
      term: 'subscription',
      deployment: 'self-managed',
      startsAt: new Date().toISOString().slice(0, 10),
      endsAt: `${new Date().getUTCFullYear() + 1}-12-31`,
      orderRef,
    },
  });
  expect(response.status).toBe(202);
  return response.body;
}

beforeAll(async () => {
  await smtp.start();
  service = await spawnService({ DATA_DIR: dataDir, SMTP_URL: smtp.url, APP_SECRET, LOOKUP_TOKEN });
  approver = await addPerson(dataDir, 'Maria Approver', true);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  service?.process.kill('SIGTERM');
  await service?.exited;
  await smtp.stop();
});

async function signIn(token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1100 } });
  const page = await context.newPage();
  await page.goto(`${service.url}/lookup`);
  await page.getByLabel('Lookup token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Email, ticket or license id').fill('orders@acme.example');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForLoadState();
  return page;
}

describe('approvals on the lookup page in Chromium', () => {
  it('shows the kind and, to an approver only, Approve and Reject; Reject asks for a reason', async () => {
    const approved = await mintOrder('PO-E2E-1');
    const rejected = await mintOrder('PO-E2E-2');

    const operator = await signIn(LOOKUP_TOKEN);
    await expect(operator.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    await operator.context().close();

    const page = await signIn(approver);
    const card = (id: string) => page.getByRole('article').filter({ hasText: id });
    expect(await card(approved.license.id).innerText()).toContain('Ordered license');
    expect(await card(approved.license.id).innerText()).toContain(
      '[Approval needed] - License under orders@acme.example for 120 users',
    );
    await page.screenshot({ path: artifact('lookup-pending-approval.png'), fullPage: true });

    await card(rejected.license.id).getByRole('button', { name: 'Reject' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Duplicate order');
    await page.screenshot({ path: artifact('lookup-reject-dialog.png') });
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await page.getByText(`License ${rejected.license.id} was rejected; nothing was sent.`).waitFor();
    expect(await card(rejected.license.id).innerText()).toContain(
      '[Rejected] - License under orders@acme.example for 120 users',
    );

    await card(approved.license.id).getByRole('button', { name: 'Approve' }).click();
    await page
      .getByText(`License ${approved.license.id} was approved and emailed to orders@acme.example: sent.`)
      .waitFor();
    const after = await card(approved.license.id).innerText();
    expect(after).toContain('[Success] - Created a license under orders@acme.example for 120 users (order PO-E2E-1)');
    expect(after).toContain('approved by Maria Approver');
    await expect(card(approved.license.id).getByRole('button', { name: 'Copy license' }).count()).resolves.toBe(1);
    await page.screenshot({ path: artifact('lookup-approved.png'), fullPage: true });
    const [mail] = await smtp.waitForMessages(1);
    expect(mail?.subject).toContain('license for order PO-E2E-1');
  });
});
