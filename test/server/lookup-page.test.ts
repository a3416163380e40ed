import type { LicenseRecord } from '@mintdesk/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';

const fixture = useTestService();
const smtp = fixture.smtp;
let service: TestService;
let minted: LicenseRecord;

beforeAll(async () => {
  service = fixture.service;
  minted = (
    await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: { agent: 'asmith', userCount: 12, email: 'page@example.org', ticketId: 555 },
    })
  ).body;
});

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function signIn(name = 'Dana Desk'): Promise<string> {
  const response = await fetch(`${service.url}/lookup/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ token: LOOKUP_TOKEN, name, next: '/lookup?q=page%40example.org' }),
  });
  expect(response.status).toBe(303);
  expect(response.headers.get('location')).toBe('/lookup?q=page%40example.org');
  const cookie = response.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Strict/i);
  return cookie.split(';')[0] as string;
}

async function page(path: string, cookie?: string) {
  const response = await fetch(`${service.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function csrfOf(html: string): string {
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
}

describe('the lookup page signed out', () => {
  it.each([
    '/lookup',
    '/lookup?q=page%40example.org',
    '/lookup?q=555',
    '/lookup/licenses/x/download',
    '/lookup/anything/else',
  ])('%s shows only the sign-in form', async (path) => {
    const response = await page(path.replace('/x/', `/${minted.license.id}/`));
    expect([200, 401]).toContain(response.status);
    expect(response.body).toContain('Lookup token');
    expect(response.body).not.toContain(minted.license.id);
    expect(response.body).not.toContain(minted.license.key);
    expect(response.body).not.toContain('page@example.org');
  });

  it('refuses a wrong token and shows the form again with an error', async () => {
    const response = await fetch(`${service.url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: 'wrong-token', next: '/lookup' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    const body = await response.text();
    expect(body).toContain('That lookup token is not right');
    expect(body).toContain('aria-invalid="true"');
  });

  it('refuses a forged session cookie', async () => {
    const response = await page('/lookup?q=page%40example.org', 'mintdesk_session=eyJpZCI6IngifQ.forged');
    expect(response.body).toContain('Lookup token');
    expect(response.body).not.toContain(minted.license.id);
  });

  it('never redirects a sign-in off the page', async () => {
    const response = await fetch(`${service.url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: LOOKUP_TOKEN, next: '//evil.example.com/lookup' }),
    });
    expect(response.headers.get('location')).toBe('/lookup');
  });

  it('sends a strict Content-Security-Policy', async () => {
    const response = await page('/lookup');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(response.body).not.toMatch(/<script>(?!<)/);
  });
});

describe('the lookup page signed in', () => {
  it('finds a license by email, ticket and id, with the recorded issue title and dates', async () => {
    const cookie = await signIn();
    for (const q of ['PAGE@example.org', '555', minted.license.id]) {
      const response = await page(`/lookup?q=${encodeURIComponent(q)}`, cookie);
      expect(response.status).toBe(200);
      expect(response.body).toContain('[Success] - Created a license under page@example.org for 12 users');
      expect(response.body).toContain('>closed<');
      expect(response.body).toContain(
        `${minted.license.issuedAt.slice(0, 10)} to ${minted.license.expiresAt?.slice(0, 10)}`,
      );
      expect(response.body).toContain('Copy license');
    }
  });

  it('says when nothing was generated and sends the agent back to the sidebar', async () => {
    const cookie = await signIn();
    const response = await page('/lookup?q=nobody%40example.org', cookie);
    expect(response.body).toContain('No license was generated');
    expect(response.body).toContain('sidebar');
  });

  it('downloads the license file and records who did', async () => {
    const cookie = await signIn('Dana Desk');
    const response = await page(`/lookup/licenses/${minted.license.id}/download`, cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="license.jwt"');
    expect(response.body).toBe(minted.license.key);
    const audit = await service.store.listAudit(minted.license.id);
    expect(audit.some((entry) => entry.actor === 'Dana Desk' && entry.action === 'downloaded')).toBe(true);
    expect(audit.some((entry) => entry.actor === 'Dana Desk' && entry.action === 'looked up')).toBe(true);
  });

  it('resends with a CSRF token, and refuses without one', async () => {
    const cookie = await signIn();
    const before = smtp.messages.length;
    const withoutToken = await fetch(`${service.url}/lookup/licenses/${minted.license.id}/resend`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ csrf: 'forged' }),
    });
    expect(withoutToken.status).toBe(403);
    expect(smtp.messages.length).toBe(before);

    const search = await page('/lookup?q=555', cookie);
    const resend = await fetch(`${service.url}/lookup/licenses/${minted.license.id}/resend`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ csrf: csrfOf(search.body), back: '/lookup?q=555' }),
    });
    expect(resend.status).toBe(303);
    expect(resend.headers.get('location')).toBe(`/lookup?q=555&resent=${minted.license.id}`);
    const messages = await smtp.waitForMessages(before + 1);
    expect(messages[before]?.attachments[0]?.content.toString()).toBe(minted.license.key);
    const after = await page(resend.headers.get('location') as string, cookie);
    expect(after.body).toContain(`License ${minted.license.id} was emailed again to page@example.org: sent.`);
    expect(after.body).toMatch(/resent/);
  });

  it('refuses a resend without a session', async () => {
    const response = await fetch(`${service.url}/lookup/licenses/${minted.license.id}/resend`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ csrf: 'x' }),
    });
    expect(response.status).toBe(401);
  });

  it('signs out', async () => {
    const cookie = await signIn();
    const search = await page('/lookup', cookie);
    const out = await fetch(`${service.url}/lookup/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ csrf: csrfOf(search.body) }),
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/mintdesk_session=;/);
  });

  it('rate-limits sign-in attempts', async () => {
    let last = 0;
    for (let i = 0; i < 25; i++) {
      const response = await fetch(`${service.url}/lookup/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ token: `wrong-${i}` }),
      });
      last = response.status;
      if (last === 429) {
        expect(response.headers.get('retry-after')).toBeTruthy();
        break;
      }
    }
    expect(last).toBe(429);
  });
});
