import fs from 'node:fs';
import path from 'node:path';
import type { LicenseRecord } from '@mintdesk/shared';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchChromium } from '../support/browser.ts';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { APP_SECRET, LOOKUP_TOKEN, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

const smtp = new SmtpReceiver();
const dataDir = tempDir();
let service: ChildService;
let browser: Browser;
let leaked: LicenseRecord;

async function mint(email: string, userCount: number, company?: string): Promise<LicenseRecord> {
  const token = await signAppToken(APP_SECRET, { now: new Date() });
  const today = new Date().toISOString().slice(0, 10);
  const order = company
    ? {
        kind: 'order',
        licensee: { name: 'IT', company },
        term: 'perpetual',
        deployment: 'self-managed',
        startsAt: today,
        orderRef: `PO-${userCount}`,
      }
    : {};
  const response = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
    token,
    body: { agent: 'Agent Smith', userCount, email, ticketId: 4000 + userCount, ...order },
  });
  expect(response.status).toBe(201);
  return response.body;
}

// Organisations with ordered seats (or an emergency trial) and the most users their installations report.
const ORGANISATIONS: Array<[string, string | undefined, number, number]> = [
  ['it@wayne.example', 'Wayne "Enterprises", Inc', 120, 150],
  ['it@acme.example', 'Acme Corporation', 200, 140],
  ['it@globex.example', 'Globex', 80, 95],
  ['it@initech.example', 'Initech', 60, 20],
  ['it@umbrella.example', 'Umbrella Corp', 40, 41],
  ['it@weekend-trial.example', undefined, 25, 18],
];

beforeAll(async () => {
  await smtp.start();
  // Orders are signed at once here (no approval step), so the report has purchased seats.
  service = await spawnService({ DATA_DIR: dataDir, SMTP_URL: smtp.url, APP_SECRET, LOOKUP_TOKEN, APPROVAL_KINDS: '' });
  browser = await launchChromium();
  for (const [email, company, users, used] of ORGANISATIONS) {
    const record = await mint(email, users, company);
    const reported = await request(`${service.url}/api/v1/usage`, {
      token: record.license.key,
      body: { activeUsers: used, instance: 'prod' },
    });
    expect(reported.status).toBe(202);
  }
  leaked = await mint('leak@revoke-e2e.example', 7);
});
afterAll(async () => {
  await browser?.close();
  service?.process.kill('SIGTERM');
  await service?.exited;
  await smtp.stop();
});

async function signIn(page: Page, path: string): Promise<void> {
  await page.goto(`${service.url}${path}`);
  await page.getByLabel('Lookup token').fill(LOOKUP_TOKEN);
  await page.getByLabel('Your name').fill('Ava Account');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the reports page in Chromium', () => {
  it('signed out, /reports shows only the sign-in form', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${service.url}/reports`);
    await expect(page.getByLabel('Lookup token').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('img').count()).resolves.toBe(0);
    const text = await page.locator('main').innerText();
    expect(text).not.toContain('example');
    expect(text).not.toContain('Download CSV');
    await page.screenshot({ path: artifact('reports-signed-out.png') });
    await page.close();
  });

  it('shows the chart, overconsumed organisations first, and downloads the CSV', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await signIn(page, '/reports');
    await page.getByRole('heading', { name: 'Purchased vs used' }).waitFor();
    const chart = page.getByRole('img', { name: /Purchased vs used users per organisation/ });
    await expect(chart.isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('From').inputValue()).resolves.toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const firstRows = await page.locator('tbody th[scope="row"]').allInnerTexts();
    // Most over first; a trial-only organisation has no purchased seats, so it is over too.
    expect(firstRows).toEqual([
      'Wayne "Enterprises", Inc',
      'weekend-trial.example',
      'Globex',
      'Umbrella Corp',
      'Acme Corporation',
      'Initech',
      'revoke-e2e.example',
    ]);
    await page.screenshot({ path: artifact('reports-page.png'), fullPage: true });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^usage-report-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
    const saved = path.join(tempDir(), download.suggestedFilename());
    await download.saveAs(saved);
    const rows = parse(fs.readFileSync(saved, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows[0]).toMatchObject({
      organisation: 'Wayne "Enterprises", Inc',
      purchased: '120',
      used_peak: '150',
      available: '-30',
      overconsumed: 'true',
    });
    expect(rows.find((row) => row.organisation === 'weekend-trial.example')).toMatchObject({
      purchased: '0',
      trial_users: '25',
    });
    expect(errors).toEqual([]);

    await page.setViewportSize({ width: 400, height: 900 });
    await page.screenshot({ path: artifact('reports-narrow.png'), fullPage: true });
    await context.close();
  });

  it('revokes a license from the lookup page after asking for a reason', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await signIn(page, '/lookup');
    await page.getByLabel('Email, ticket or license id').fill(leaked.license.id);
    await page.getByRole('button', { name: 'Search' }).click();
    const card = page.getByRole('article');
    await card.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByLabel('Reason').fill('Posted on a public forum');
    await page.screenshot({ path: artifact('lookup-revoke-dialog.png') });
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Posted on a public forum').first().waitFor();
    await expect(card.getByRole('button', { name: 'Revoke' }).count()).resolves.toBe(0);
    await expect(card.innerText()).resolves.toContain('Revoked on');
    await page.screenshot({ path: artifact('lookup-revoked.png'), fullPage: true });
    await page.close();

    const refused = await request<{ error: { code: string } }>(`${service.url}/api/v1/usage`, {
      token: leaked.license.key,
      body: { activeUsers: 1 },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('license_revoked');
    const list = await request<{ revoked: Array<{ jti: string }> }>(`${service.url}/.well-known/revocations.json`);
    expect(list.body.revoked.map((entry) => entry.jti)).toEqual([leaked.license.id]);
  });
});
