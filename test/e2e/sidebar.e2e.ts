import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchChromium } from '../support/browser.ts';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const smtp = new SmtpReceiver();
let service: ChildService;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  await smtp.start();
  service = await spawnService({ DATA_DIR: tempDir(), SMTP_URL: smtp.url, MINT_WAIT_MS: '4000' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  service?.process.kill('SIGTERM');
  await service?.exited;
  await smtp.stop();
});

async function openPreview(query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${service.url}/preview${query}`);
  await page.frameLocator('#app-frame').getByLabel('User count').waitFor();
  return page;
}

describe('the sidebar in the preview ticket page', () => {
  it('sends a license after one typed field and one click, and the email carries it', async () => {
    const page = await openPreview();
    const app = page.frameLocator('#app-frame');
    await expect(app.getByLabel('Requester email').inputValue()).resolves.toBe('jane@example.org');
    await expect(app.getByLabel('Agent username').inputValue()).resolves.toBe('Agent Smith');
    await page.screenshot({ path: artifact('sidebar-empty.png') });

    await app.getByLabel('User count').fill('25');
    await app.getByRole('button', { name: 'Send license' }).click();
    const status = app.getByRole('status');
    await status.getByText('sent', { exact: true }).waitFor();
    const text = await status.innerText();
    const id = /lic_[a-z0-9]+/.exec(text)?.[0];
    expect(id).toBeDefined();
    expect(text).toMatch(/\d{4}-\d{2}-\d{2}/);

    const [mail] = await smtp.waitForMessages(1);
    expect(mail?.to).toMatchObject({ value: [{ address: 'jane@example.org' }] });
    expect(mail?.headers.get('x-mintdesk-license-id')).toBe(id);
    const key = mail?.attachments.find((a) => a.filename === 'license.jwt')?.content.toString() ?? '';
    const claims = JSON.parse(Buffer.from(key.split('.')[1] ?? '', 'base64url').toString());
    expect(claims.jti).toBe(id);
    expect(text).toContain(new Date(claims.exp * 1000).toISOString().slice(0, 10));

    await page.getByText('internal note').waitFor();
    await page.screenshot({ path: artifact('sidebar-success.png') });
    await page.close();
  });

  it('shows a refused delivery as failed, with what to do next', async () => {
    smtp.refuse(550);
    const page = await openPreview('?email=bounce%40example.org&ticket=4321');
    const app = page.frameLocator('#app-frame');
    await app.getByLabel('User count').fill('3');
    await app.getByRole('button', { name: 'Send license' }).click();
    await app.getByRole('status').getByText('failed', { exact: true }).waitFor();
    expect(await app.getByRole('status').innerText()).toContain(
      '[Failure] - Could not create a license under bounce@example.org for 3 users',
    );
    await page.screenshot({ path: artifact('sidebar-failure.png') });
    smtp.accept();
    await page.close();
  });

  it('marks a refused field for screen readers', async () => {
    const page = await openPreview('?email=not-an-email');
    const app = page.frameLocator('#app-frame');
    await app.getByLabel('User count').fill('2');
    await app.getByRole('button', { name: 'Send license' }).click();
    const email = app.getByLabel('Requester email');
    await expect(email.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await email.getAttribute('aria-describedby')) ?? '';
    const messages = await Promise.all(describedBy.split(' ').map((id) => app.locator(`[id="${id}"]`).innerText()));
    expect(messages.join(' ')).toContain('Enter a valid email address.');
    await page.screenshot({ path: artifact('sidebar-invalid.png') });
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});
