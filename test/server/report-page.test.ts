import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';
import { checkIn, mintOrder } from '../support/usage.ts';

const fixture = useTestService({ env: { APPROVAL_KINDS: '' } });
let service: TestService;
let cookie: string;

async function page(path: string, withCookie = true) {
  const response = await fetch(`${service.url}${path}`, {
    headers: withCookie ? { cookie } : {},
    redirect: 'manual',
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

beforeAll(async () => {
  service = fixture.service;
  const license = await mintOrder(service, 'ops@page-report.example', 10, 'Page Report Ltd');
  await checkIn(service, license.license.key, { activeUsers: 12 });
  const signIn = await fetch(`${service.url}/lookup/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: LOOKUP_TOKEN,
      name: 'Ava Account',
      next: '/reports?from=2026-11-08',
    }).toString(),
  });
  expect(signIn.status).toBe(303);
  // The sign-in on /lookup brings the person back to the report they asked for.
  expect(signIn.headers.get('location')).toBe('/reports?from=2026-11-08');
  cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
});

describe('the /reports page', () => {
  it.each(['/reports', '/reports?from=2026-11-01&to=2026-11-21', '/reports/usage.csv', '/reports/other'])(
    'signed out, %s shows only the sign-in form',
    async (path) => {
      const response = await page(path, false);
      expect([200, 401]).toContain(response.status);
      expect(response.body).toContain('Lookup token');
      expect(response.body).toContain('name="next" value="/reports"');
      expect(response.body).not.toContain('Page Report');
      expect(response.body).not.toContain('<svg');
    },
  );

  it('signed in, shows the last 14 days with the chart, the table and the CSV link', async () => {
    const response = await page('/reports');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(response.body).not.toMatch(/<script>|style="/);
    expect(response.body).toContain('value="2026-11-08"');
    expect(response.body).toContain('value="2026-11-21"');
    expect(response.body).toMatch(/<svg[^>]+role="img"[^>]+aria-labelledby="chart-svg-title chart-svg-desc"/);
    expect(response.body).toContain(
      '<desc id="chart-svg-desc">Page Report Ltd: 10 purchased, 12 used at peak, overconsumed.</desc>',
    );
    expect(response.body).toContain('href="/reports/usage.csv?from=2026-11-08&amp;to=2026-11-21"');
    expect(response.body).toContain('Download CSV');
    expect(response.body).toContain('<span class="tag tag--danger">overconsumed</span>');
    expect(response.body).toContain('Ava Account');
  });

  it('downloads the CSV with the session', async () => {
    const response = await page('/reports/usage.csv?from=2026-11-08&to=2026-11-21');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('usage-report-2026-11-08-to-2026-11-21.csv');
    expect(response.body).toContain('Page Report Ltd,10,0,12,-2,true,1,');
  });

  it('says which date was refused', async () => {
    const response = await page('/reports?from=2026-02-31&to=2026-11-21');
    expect(response.status).toBe(400);
    expect(response.body).toContain('aria-invalid="true" aria-describedby="from-error"');
    expect(response.body).toContain('From must be a date as YYYY-MM-DD.');
  });
});
