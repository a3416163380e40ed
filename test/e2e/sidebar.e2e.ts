import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchChromium } from '../support/browser.ts';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { addPerson } from '../support/people.ts';
import { tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const smtp = new SmtpReceiver();
let service: ChildService;
let browser: Browser;
let approver: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  await smtp.start();
  // Orders mint at once here (so an add-on has a base to build on); add-ons wait for approval.
  const dataDir = tempDir();
  approver = await addPerson(dataDir, 'bob', true);
  service = await spawnService({
    DATA_DIR: dataDir,
    SMTP_URL: smtp.url,
    MINT_WAIT_MS: '4000',
    APPROVAL_KINDS: 'addon',
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  service?.process.kill('SIGTERM');
  await service?.exited;
  await smtp.stop();
});

async function openPreview(query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${service.url}/preview${query}`);
  await page.frameLocator('#app-frame').getByLabel('User count').waitFor();
  return page;
}

/** The sidebar app alone, as an agent sees it in the ticket's app panel. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.locator('.app-card').screenshot({ path: artifact(name) });
}

function claimsOf(key: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(key.split('.')[1] ?? '', 'base64url').toString());
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

const keyOf = async (id: string) =>
  (await licenseMail(id)).attachments.find((a) => a.filename === 'license.jwt')?.content.toString() ?? '';

async function statusId(app: FrameLocator): Promise<string> {
  const text = await app.getByRole('status').innerText();
  const id = /lic_[a-z0-9]+/.exec(text)?.[0];
  if (!id) throw new Error(`no license id in the status: ${text}`);
  return id;
}

describe('the sidebar in the preview ticket page', () => {
  it('sends an emergency license after one typed field and one click, and the email carries it', async () => {
    const page = await openPreview();
    const app = page.frameLocator('#app-frame');
    const kind = app.getByLabel('License kind');
    await expect(kind.inputValue()).resolves.toBe('emergency');
    await expect(kind.locator('option').allInnerTexts()).resolves.toEqual([
      'Emergency trial',
      'Transition trial',
      'Add-on seats',
      'Ordered license',
    ]);
    await expect(app.getByLabel('Requester email').inputValue()).resolves.toBe('jane@example.org');
    await expect(app.getByLabel('Agent username').inputValue()).resolves.toBe('Agent Smith');
    await page.screenshot({ path: artifact('sidebar-empty.png') });

    await app.getByLabel('User count').fill('25');
    await app.getByRole('button', { name: 'Send license' }).click();
    const status = app.getByRole('status');
    await status.getByText('sent', { exact: true }).waitFor();
    const text = await status.innerText();
    const id = await statusId(app);
    expect(text).toMatch(/\d{4}-\d{2}-\d{2}/);

    const mail = await licenseMail(id);
    expect(mail.to).toMatchObject({ value: [{ address: 'jane@example.org' }] });
    const claims = claimsOf(await keyOf(id));
    expect(claims.jti).toBe(id);
    expect(claims.kind).toBe('emergency');
    expect(text).toContain(new Date((claims.exp as number) * 1000).toISOString().slice(0, 10));

    await page.getByText('internal note').first().waitFor();
    await page.screenshot({ path: artifact('sidebar-success.png') });
    await shoot(page, 'sidebar-kind-emergency.png');
    await page.close();
  });

  it('keyboard only: the user count has the focus, Enter sends, and a second Enter asks first', async () => {
    const page = await openPreview('?email=keys%40example.org&ticket=2001');
    const app = page.frameLocator('#app-frame');
    /** What has the focus inside the app: a field's label or a button's name. */
    const focused = () =>
      app.locator('body').evaluate(() => {
        const element = document.activeElement as HTMLInputElement | null;
        return element?.labels?.[0]?.textContent ?? element?.textContent?.trim() ?? '';
      });
    // The app puts the focus on the one field an agent types; the page then hands keys to the frame.
    await expect(focused()).resolves.toBe('User count');
    await app.getByLabel('User count').focus();
    await page.keyboard.type('4');
    await page.keyboard.press('Enter');
    await app.getByRole('status').getByText('sent', { exact: true }).waitFor();
    const id = await statusId(app);

    // Tab order: kind, then the kind's field, then requester and agent, then the button.
    await app.getByLabel('License kind').focus();
    const order = [await focused()];
    for (let i = 0; i < 4; i += 1) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual(['License kind', 'User count', 'Requester email', 'Agent username', 'Send license']);

    await page.keyboard.press('Enter');
    const dialog = app.getByRole('dialog');
    await dialog.waitFor();
    await expect(dialog.innerText()).resolves.toContain(id);
    await expect.poll(focused).toBe('Resend it');
    await page.keyboard.press('Tab');
    await expect(focused()).resolves.toBe('Issue another');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(focused).toBe('Send license');
    await page.close();
  });

  it('duplicate guard: Resend it mints nothing and resends the same license; Issue another mints', async () => {
    const page = await openPreview('?email=twice%40example.org&ticket=2002');
    const app = page.frameLocator('#app-frame');
    await app.getByLabel('User count').fill('5');
    await app.getByRole('button', { name: 'Send license' }).click();
    await app.getByRole('status').getByText('sent', { exact: true }).waitFor();
    const first = await statusId(app);
    await licenseMail(first);
    const mailsBefore = smtp.messages.length;

    // Right after the mint: the second click asks before minting anything.
    await app.getByRole('button', { name: 'Send license' }).click();
    const dialog = app.getByRole('dialog');
    await dialog.waitFor();
    const question = await dialog.innerText();
    expect(question).toContain(first);
    expect(question).toContain(new Date().toISOString().slice(0, 10));
    await shoot(page, 'sidebar-duplicate-dialog.png');

    await dialog.getByRole('button', { name: 'Resend it' }).click();
    await dialog.waitFor({ state: 'detached' });
    const deadline = Date.now() + 20_000;
    while (smtp.messages.length === mailsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const resent = smtp.messages.slice(mailsBefore);
    expect(resent.map((mail) => mail.headers.get('x-mintdesk-license-id'))).toEqual([first]);
    await expect(statusId(app)).resolves.toBe(first);
    await expect(app.locator('.history li').count()).resolves.toBe(1);

    await app.getByRole('button', { name: 'Send license' }).click();
    await dialog.getByRole('button', { name: 'Issue another' }).click();
    await app.getByRole('status').getByText('sent', { exact: true }).waitFor();
    await expect.poll(() => statusId(app)).not.toBe(first);
    const second = await statusId(app);
    await licenseMail(second);
    await expect.poll(() => app.locator('.history li').count()).toBe(2);
    await page.close();
  });

  it('transition trial: user count and reason, a trial of TRANSITION_DAYS', async () => {
    const page = await openPreview('?email=moving%40example.org&ticket=2003');
    const app = page.frameLocator('#app-frame');
    await app.getByLabel('License kind').selectOption({ label: 'Transition trial' });
    await app.getByLabel('User count').fill('40');
    await app.getByLabel('Reason').fill('Restoring SaaS data on the new self-managed install');
    await shoot(page, 'sidebar-kind-transition.png');
    await app.getByRole('button', { name: 'Send license' }).click();
    await app.getByRole('status').getByText('sent', { exact: true }).waitFor();
    const id = await statusId(app);
    const claims = claimsOf(await keyOf(id));
    expect(claims).toMatchObject({ kind: 'transition', users: 40, trial: true });
    expect(((claims.exp as number) - (claims.iat as number)) / 86_400).toBe(30);
    await page.close();
  });

  it('ordered license and add-on seats: the add-on builds on the order and waits for approval', async () => {
    const page = await openPreview('?email=buyer%40example.org&ticket=2004');
    const app = page.frameLocator('#app-frame');
    await app.getByLabel('License kind').selectOption({ label: 'Ordered license' });
    await app.getByLabel('Licensee name').fill('Ada Lovelace');
    await app.getByLabel('Company').fill('Analytical Engines <Ltd>');
    await app.getByLabel('User count').fill('50');
    await expect(app.getByLabel('End date').count()).resolves.toBe(1);
    await app.getByLabel('Term').selectOption('perpetual');
    await expect(app.getByLabel('End date').count()).resolves.toBe(0);
    await app.getByLabel('Term').selectOption('subscription');
    await app.getByLabel('Deployment').selectOption({ label: 'Self-managed' });
    const today = new Date().toISOString().slice(0, 10);
    const nextYear = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
    await app.getByLabel('Start date').fill(today);
    await app.getByLabel('End date').fill(nextYear);
    await app.getByLabel('Order reference').fill('PO-2026-0042');
    await shoot(page, 'sidebar-kind-order.png');
    await app.getByRole('button', { name: 'Send license' }).click();
    const status = app.getByRole('status');
    await status.getByText('sent', { exact: true }).waitFor();
    const order = await statusId(app);
    await expect(status.innerText()).resolves.toContain(nextYear);
    const claims = claimsOf(await keyOf(order));
    expect(claims).toMatchObject({ kind: 'order', users: 50, term: 'subscription', orderRef: 'PO-2026-0042' });
    expect(claims.trial).not.toBe(true);

    await app.getByLabel('License kind').selectOption({ label: 'Add-on seats' });
    const current = app.getByLabel('Current license');
    await expect
      .poll(() => current.locator('option').allInnerTexts())
      .toContain(`${order} · 50 users · until ${nextYear}`);
    await current.selectOption(order);
    await app.getByLabel('Users to add').fill('5');
    await expect(app.getByLabel('Total users').inputValue()).resolves.toBe('55');
    await shoot(page, 'sidebar-kind-addon.png');
    await app.getByRole('button', { name: 'Send license' }).click();
    // The order is a license of the last days for this requester: the guard asks first.
    await app.getByRole('dialog').getByRole('button', { name: 'Issue another' }).click();
    await status.getByText('waiting for approval').waitFor();
    await expect(status.innerText()).resolves.toContain(
      '[Approval needed] - License under buyer@example.org for 55 users',
    );
    await shoot(page, 'sidebar-pending.png');

    // An approver decides on the lookup side; the open sidebar follows without a reload.
    const addon = await statusId(app);
    const approved = await request(`${service.url}/api/v1/licenses/${addon}/approve`, { token: approver, body: {} });
    expect(approved.status).toBe(200);
    await status.getByText('sent', { exact: true }).waitFor({ timeout: 20_000 });
    await expect(status.innerText()).resolves.not.toContain('waiting for approval');
    await expect(status.innerText()).resolves.toContain('Approved by bob.');
    await expect(status.innerText()).resolves.toContain(`expires ${nextYear}`);
    await expect(status.getByRole('button', { name: 'Copy license' }).count()).resolves.toBe(1);
    expect(claimsOf(await keyOf(addon))).toMatchObject({ kind: 'addon', users: 55, supersedes: order });
    await shoot(page, 'sidebar-approved.png');
    await page.close();
  });

  it('a perpetual order says "no end date"', async () => {
    const page = await openPreview('?email=forever%40example.org&ticket=2005');
    const app = page.frameLocator('#app-frame');
    await app.getByLabel('License kind').selectOption('order');
    await app.getByLabel('Licensee name').fill('Grace Hopper');
    await app.getByLabel('Company').fill('Compilers Inc');
    await app.getByLabel('User count').fill('12');
    await app.getByLabel('Term').selectOption('perpetual');
    await app.getByLabel('Deployment').selectOption('cloud');
    await app.getByLabel('Order reference').fill('PO-7');
    await app.getByRole('button', { name: 'Send license' }).click();
    const status = app.getByRole('status');
    await status.getByText('sent', { exact: true }).waitFor();
    await expect(status.innerText()).resolves.toContain('no end date');
    const claims = claimsOf(await keyOf(await statusId(app)));
    expect(claims).toMatchObject({ kind: 'order', term: 'perpetual', deployment: 'cloud' });
    expect(claims.exp).toBeUndefined();
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
