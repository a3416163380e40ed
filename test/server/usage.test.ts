import { FileKeyStore } from '@mintdesk/server/keys/key-store.ts';
import { reportCsv, type UsageReportRow } from '@mintdesk/server/reports/usage-report.ts';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';
import { checkIn, forge, type IssuedLicense, mintLicense, mintOrder, tamper } from '../support/usage.ts';

const DAY_MS = 86_400_000;
// The fixture's clock starts at 2026-11-21T09:30Z and only moves when a test moves it.
// Orders are signed at once (no approval step) so the report has purchased seats to count.
const fixture = useTestService({ env: { RATE_LIMIT_USAGE_PER_MINUTE: '5', APPROVAL_KINDS: '' } });
let service: TestService;

interface ReportJson {
  from: string;
  to: string;
  rows: UsageReportRow[];
}

async function report(query: string) {
  return request<ReportJson & { error?: { code: string; fields?: Record<string, string> } }>(
    `${fixture.service.url}/api/v1/reports/usage?${query}`,
    { token: LOOKUP_TOKEN },
  );
}

function rowOf(body: ReportJson, organisation: string): UsageReportRow | undefined {
  return body.rows.find((row) => row.organisation === organisation);
}

beforeAll(() => {
  service = fixture.service;
});

describe('usage check-ins', () => {
  let license: IssuedLicense;
  beforeAll(async () => {
    license = await mintLicense(service, 'admin@checkin.example', 20);
  });

  it('accepts a report authenticated by the license itself', async () => {
    const response = await checkIn(service, license.license.key, { activeUsers: 12, instance: 'gitlab-1' });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: true, licenseId: license.license.id, day: '2026-11-21' });
  });

  it.each([
    [{ activeUsers: -1 }, 'activeUsers'],
    [{ activeUsers: 1.5 }, 'activeUsers'],
    [{ activeUsers: '3' }, 'activeUsers'],
    [{}, 'activeUsers'],
    [{ activeUsers: 3, instance: 'x'.repeat(101) }, 'instance'],
    [{ activeUsers: 3, instance: 'line\nbreak' }, 'instance'],
    [{ activeUsers: 3, users: 4 }, 'users'],
  ])('refuses the body %j naming %s', async (body, field) => {
    const response = await checkIn(service, license.license.key, body);
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('validation_failed');
    expect(Object.keys(response.body.error?.fields ?? {})).toContain(field);
  });

  it('refuses a missing or foreign credential with 401', async () => {
    const none = await request(`${service.url}/api/v1/usage`, { body: { activeUsers: 1 } });
    expect(none.status).toBe(401);
    const appToken = await request(`${service.url}/api/v1/usage`, {
      token: await service.appToken(),
      body: { activeUsers: 1 },
    });
    expect(appToken.status).toBe(401);
    const lookupToken = await request(`${service.url}/api/v1/usage`, { token: LOOKUP_TOKEN, body: { activeUsers: 1 } });
    expect(lookupToken.status).toBe(401);
  });

  it('refuses a forged license (another key, the same kid) with 401', async () => {
    const response = await checkIn(service, forge(license.license.key), { activeUsers: 1 });
    expect(response.status).toBe(401);
    expect(response.body.error?.code).toBe('unauthorized');
  });

  it('refuses a license whose claims were altered with 401', async () => {
    const altered = tamper(license.license.key, (claims) => {
      claims.users = 100_000;
    });
    expect((await checkIn(service, altered, { activeUsers: 1 })).status).toBe(401);
  });

  it('accepts a license expired 29 days ago and refuses one expired 31 days ago', async () => {
    const old = await mintLicense(service, 'admin@expired.example', 5);
    const expiresMs = Date.parse(old.license.expiresAt as string);
    service.clock.advance(expiresMs + 29 * DAY_MS - service.clock.now().getTime());
    try {
      expect((await checkIn(service, old.license.key, { activeUsers: 2 })).status).toBe(202);
      service.clock.advance(2 * DAY_MS);
      const refused = await checkIn(service, old.license.key, { activeUsers: 2 });
      expect(refused.status).toBe(401);
      expect(JSON.stringify(refused.body)).toContain('expired more than 30 days ago');
    } finally {
      service.clock.advance(-(expiresMs + 31 * DAY_MS - Date.parse('2026-11-21T09:30:00.000Z')));
    }
  });

  it('accepts licenses signed with a rotated key and with the new current key', async () => {
    const before = await mintLicense(service, 'admin@rotation.example', 5);
    await (await FileKeyStore.open(service.dataDir)).rotate(new Date());
    // The running service notices the key file within a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await mintLicense(service, 'admin@rotation.example', 5);
    const kid = (key: string) => JSON.parse(Buffer.from(key.split('.')[0] as string, 'base64url').toString()).kid;
    expect(kid(after.license.key)).not.toBe(kid(before.license.key));
    expect((await checkIn(service, before.license.key, { activeUsers: 1 })).status).toBe(202);
    expect((await checkIn(service, after.license.key, { activeUsers: 1 })).status).toBe(202);
  });

  it('bounds each license to RATE_LIMIT_USAGE_PER_MINUTE check-ins a minute (429 with Retry-After)', async () => {
    const busy = await mintLicense(service, 'admin@busy.example', 5);
    for (let i = 0; i < 5; i += 1)
      expect((await checkIn(service, busy.license.key, { activeUsers: i })).status).toBe(202);
    const refused = await checkIn(service, busy.license.key, { activeUsers: 9 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another license is not held back by this one.
    expect((await checkIn(service, license.license.key, { activeUsers: 1 })).status).toBe(202);
    service.clock.advance(61_000);
    expect((await checkIn(service, busy.license.key, { activeUsers: 1 })).status).toBe(202);
  });

  it('keeps one row per license per day whatever an installation sends', async () => {
    const chatty = await mintLicense(service, 'admin@chatty.example', 5);
    for (let i = 0; i < 4; i += 1) {
      await checkIn(service, chatty.license.key, { activeUsers: 10 + i, instance: `node-${i}` });
    }
    const rows = await service.store.db
      .selectFrom('usage_days' as never)
      .selectAll()
      .where('license_id' as never, '=', chatty.license.id as never)
      .execute();
    expect(rows).toEqual([
      expect.objectContaining({ peak: 13, last: 13, reports: 4, last_instance: 'node-3', day: '2026-11-21' }),
    ]);
  });
});

describe('the usage report', () => {
  const day1 = '2026-11-21';
  let a1: IssuedLicense;
  let a2: IssuedLicense;
  let trial: IssuedLicense;

  beforeAll(async () => {
    // Two ordered licenses of one company (100 + 50 users) and an emergency trial of another (30).
    a1 = await mintOrder(service, 'it@acme-report.example', 100, 'Acme Report Corp');
    a2 = await mintOrder(service, 'ops@acme-report.example', 50, 'Acme Report Corp', null);
    trial = await mintLicense(service, 'jane@trial-report.example', 30);
    // Day 1: a1 peaks at 120 (then 90), a2 at 40 → 160 on one day, over the 150 bought.
    await checkIn(service, a1.license.key, { activeUsers: 120 });
    await checkIn(service, a1.license.key, { activeUsers: 90 });
    await checkIn(service, a2.license.key, { activeUsers: 40 });
    await checkIn(service, trial.license.key, { activeUsers: 25 });
    // Day 2: 70 + 45 = 115, inside what was bought.
    service.clock.advance(DAY_MS);
    await checkIn(service, a1.license.key, { activeUsers: 70 });
    await checkIn(service, a2.license.key, { activeUsers: 45 });
  });

  it('computes purchased, trial users, peak and availability per organisation for one day', async () => {
    const response = await report(`from=${day1}&to=${day1}`);
    expect(response.status).toBe(200);
    expect(rowOf(response.body, 'Acme Report Corp')).toEqual({
      organisation: 'Acme Report Corp',
      purchased: 150,
      trialUsers: 0,
      usedPeak: 160,
      available: -10,
      overconsumed: true,
      activeLicenses: 2,
      lastReport: expect.stringMatching(/^2026-11-21T/),
    });
    expect(rowOf(response.body, 'trial-report.example')).toMatchObject({
      purchased: 0,
      trialUsers: 30,
      usedPeak: 25,
      activeLicenses: 1,
    });
    // Overconsumed organisations come first.
    const firstNotOver = response.body.rows.findIndex((row) => !row.overconsumed);
    expect(response.body.rows.slice(firstNotOver).every((row) => !row.overconsumed)).toBe(true);
  });

  it('takes the peak of the period it is asked about', async () => {
    const day2 = (await report('from=2026-11-22&to=2026-11-22')).body;
    expect(rowOf(day2, 'Acme Report Corp')).toMatchObject({ usedPeak: 115, available: 35, overconsumed: false });
    const both = (await report('from=2026-11-21&to=2026-11-22')).body;
    expect(rowOf(both, 'Acme Report Corp')).toMatchObject({ usedPeak: 160, available: -10, overconsumed: true });
    // Before the licenses were issued the organisation had neither licenses nor usage.
    const before = (await report('from=2026-11-01&to=2026-11-20')).body;
    expect(rowOf(before, 'Acme Report Corp')).toBeUndefined();
  });

  it('leaves out licenses that are no longer active at the end of the period', async () => {
    // While the period lasts, licenses active now count; once it has ended, those active at its end.
    const running = (await report('from=2026-11-21&to=2026-12-05')).body;
    expect(rowOf(running, 'trial-report.example')).toMatchObject({ trialUsers: 30, activeLicenses: 1 });
    service.clock.advance(20 * DAY_MS);
    try {
      // The trial license (10 days) has expired by December 5th; its usage in November stays.
      const ended = (await report('from=2026-11-21&to=2026-12-05')).body;
      expect(rowOf(ended, 'trial-report.example')).toMatchObject({ trialUsers: 0, usedPeak: 25, activeLicenses: 0 });
    } finally {
      service.clock.advance(-20 * DAY_MS);
    }
  });

  it('answers CSV with the contract header and the same figures', async () => {
    const response = await fetch(`${service.url}/api/v1/reports/usage?from=${day1}&to=${day1}&format=csv`, {
      headers: { authorization: `Bearer ${LOOKUP_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="usage-report-2026-11-21-to-2026-11-21.csv"',
    );
    const text = await response.text();
    expect(text.split('\r\n')[0]).toBe(
      'organisation,purchased,trial_users,used_peak,available,overconsumed,active_licenses,last_report',
    );
    const records = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(records.find((record) => record.organisation === 'Acme Report Corp')).toMatchObject({
      purchased: '150',
      trial_users: '0',
      used_peak: '160',
      available: '-10',
      overconsumed: 'true',
      active_licenses: '2',
    });
  });

  it.each([
    ['from=2026-13-01&to=2026-12-01', 'from'],
    ['from=2026-11-01&to=2026-02-30', 'to'],
    ['from=yesterday', 'from'],
    ['from=2026-11-10&to=2026-11-01', 'from'],
    ['from=2020-01-01&to=2026-01-01', 'to'],
    ['from=2026-11-01&to=2026-11-02&format=xlsx', 'format'],
  ])('refuses %s naming %s', async (query, field) => {
    const response = await report(query);
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('validation_failed');
    expect(Object.keys(response.body.error?.fields ?? {})).toEqual([field]);
  });

  it('keeps a company named Wayne "Enterprises", Inc intact through the CSV', async () => {
    const wayne = await mintOrder(service, 'bruce@wayne.example', 12, 'Wayne "Enterprises", Inc');
    expect((await checkIn(service, wayne.license.key, { activeUsers: 13 })).status).toBe(202);
    const response = await fetch(`${service.url}/api/v1/reports/usage?format=csv`, {
      headers: { authorization: `Bearer ${LOOKUP_TOKEN}` },
    });
    const text = await response.text();
    expect(text).toContain('"Wayne ""Enterprises"", Inc",12,0,13,-1,true,1,');
    const records = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(records.find((record) => record.organisation === 'Wayne "Enterprises", Inc')).toMatchObject({
      purchased: '12',
      used_peak: '13',
      overconsumed: 'true',
    });
  });

  it('counts an add-on instead of the license it replaces, not both', async () => {
    const base = await mintOrder(service, 'it@addon-report.example', 40, 'Addon Report GmbH');
    const before = (await report('')).body;
    expect(rowOf(before, 'Addon Report GmbH')).toMatchObject({ purchased: 40, activeLicenses: 1 });
    const addon = await request(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: {
        kind: 'addon',
        agent: 'asmith',
        email: 'it@addon-report.example',
        baseLicenseId: base.license.id,
        addUsers: 10,
        totalUsers: 50,
      },
    });
    expect(addon.status).toBe(201);
    const after = (await report('')).body;
    expect(rowOf(after, 'Addon Report GmbH')).toMatchObject({ purchased: 50, activeLicenses: 1 });
  });

  it('is for the lookup credential only', async () => {
    const app = await request(`${service.url}/api/v1/reports/usage`, { token: await service.appToken() });
    expect(app.status).toBe(401);
    const license = await request(`${service.url}/api/v1/reports/usage`, { token: a1.license.key });
    expect(license.status).toBe(401);
  });
});

describe('the report CSV', () => {
  const row = (organisation: string): UsageReportRow => ({
    organisation,
    purchased: 10,
    trialUsers: 0,
    usedPeak: 12,
    available: -2,
    overconsumed: true,
    activeLicenses: 1,
    lastReport: '2026-11-21T10:00:00.000Z',
  });

  it('quotes by RFC 4180, so names with quotes, commas and line breaks survive a round trip', () => {
    const names = ['Wayne "Enterprises", Inc', 'Line\nBreak Ltd', ' padded ', 'Plain'];
    const csv = reportCsv(names.map(row));
    expect(csv).toContain('"Wayne ""Enterprises"", Inc"');
    const parsed = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(parsed.map((record) => record.organisation)).toEqual(names);
    expect(parsed[0]).toMatchObject({ available: '-2', overconsumed: 'true', last_report: '2026-11-21T10:00:00.000Z' });
  });

  it('never lets a name run as a spreadsheet formula, and leaves negative numbers alone', () => {
    const csv = reportCsv([row('=HYPERLINK("http://evil.example")'), row('+1'), row('@SUM(A1)'), row('-x')]);
    const parsed = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(parsed.map((record) => record.organisation)).toEqual([
      `'=HYPERLINK("http://evil.example")`,
      `'+1`,
      `'@SUM(A1)`,
      `'-x`,
    ]);
    expect(parsed.every((record) => record.available === '-2')).toBe(true);
  });
});
