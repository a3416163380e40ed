import fs from 'node:fs';
import path from 'node:path';
import type { LicenseRecord } from '@mintdesk/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchChromium } from '../support/browser.ts';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { APP_SECRET, LOOKUP_TOKEN, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

const smtp = new SmtpReceiver();
let service: ChildService;
let browser: Browser;
let delivered: LicenseRecord;
let refused: LicenseRecord;

async function mint(email: string, ticketId: number): Promise<LicenseRecord> {
  const token = await signAppToken(APP_SECRET, { now: new Date() });
  const response = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
    token,
    body: {
      agent: 'Agent Smith',
      userCount: 40,
      email,
      ticketId,
      ticketUrl: `https://acme.zendesk.com/agent/tickets/${ticketId}`,
    },
  });
  return response.body;
}

beforeAll(async () => {
  await smtp.start();
  service = await spawnService({ DATA_DIR: tempDir(), SMTP_URL: smtp.url, APP_SECRET, LOOKUP_TOKEN });
  browser = await launchChromium();
  delivered = await mint('weekend@example.org', 9001);
  smtp.refuse(550, 1);
  refused = await mint('weekend@example.org', 9002);
});
afterAll(async () => {
  await browser?.close();
  service?.process.kill('SIGTERM');
  await service?.exited;
  await smtp.stop();
});

async function signedInPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${service.url}/lookup`);
  await page.screenshot({ path: artifact('lookup-signed-out.png') });
  await page.getByLabel('Lookup token').fill('not the token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That lookup token is not right').waitFor();
  await page.getByLabel('Lookup token').fill(LOOKUP_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Email, ticket or license id').waitFor();
  return page;
}

async function search(page: Page, query: string): Promise<void> {
  await page.getByLabel('Email, ticket or license id').fill(query);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForLoadState();
}

describe('the lookup page in Chromium', () => {
  it('finds a success and a failure by email, newest first', async () => {
    expect(delivered.delivery.status).toBe('sent');
    expect(refused.delivery.status).toBe('failed');
    const page = await signedInPage();
    await search(page, 'Weekend@Example.org');
    const results = page.getByRole('article');
    await expect(results.count()).resolves.toBe(2);
    const first = await results.nth(0).innerText();
    const second = await results.nth(1).innerText();
    expect(first).toContain('[Failure] - Could not create a license under weekend@example.org for 40 users');
    expect(first).toContain('open');
    expect(first).toContain('550');
    expect(second).toContain('[Success] - Created a license under weekend@example.org for 40 users');
    expect(second).toContain('closed');
    expect(second).toContain(
      `${delivered.license.issuedAt.slice(0, 10)} to ${delivered.license.expiresAt?.slice(0, 10)}`,
    );
    await page.screenshot({ path: artifact('lookup-results.png'), fullPage: true });
    await page.context().close();
  });

  it('finds by ticket, downloads the file and resends it', async () => {
    const page = await signedInPage();
    await search(page, '9001');
    const card = page.getByRole('article');
    await expect(card.count()).resolves.toBe(1);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('license.jwt');
    const saved = path.join(tempDir(), 'license.jwt');
    await download.saveAs(saved);
    expect(fs.readFileSync(saved, 'utf8')).toBe(delivered.license.key);

    const before = smtp.messages.length;
    await card.getByRole('button', { name: 'Resend' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.screenshot({ path: artifact('lookup-resend-dialog.png') });
    await dialog.getByRole('button', { name: 'Resend' }).click();
    await page.getByRole('status').getByText('was emailed again').waitFor();
    const messages = await smtp.waitForMessages(before + 1);
    expect(messages[before]?.attachments.find((a) => a.filename === 'license.jwt')?.content.toString()).toBe(
      delivered.license.key,
    );
    await page.getByRole('article').getByText('Activity').click();
    await expect(page.getByRole('article').innerText()).resolves.toMatch(/lookup user resent/);
    await page.screenshot({ path: artifact('lookup-resent.png'), fullPage: true });

    await page.setViewportSize({ width: 380, height: 900 });
    await page.screenshot({ path: artifact('lookup-narrow.png'), fullPage: true });
    await page.context().close();
  });

  it('says when nothing was generated', async () => {
    const page = await signedInPage();
    await search(page, 'never@example.org');
    await page.getByText('No license was generated').waitFor();
    await page.screenshot({ path: artifact('lookup-nothing.png') });
    await page.context().close();
  });
});
