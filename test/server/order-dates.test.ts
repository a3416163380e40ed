import type { LicenseRecord } from '@mintdesk/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { dayFrom } from '../support/licenses.ts';
import { addPerson } from '../support/people.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';

const DAY_MS = 86_400_000;
const fixture = useTestService();
let service: TestService;
let approver: string;

beforeAll(async () => {
  service = fixture.service;
  approver = await addPerson(service.dataDir, 'Dora Approver', true);
});

type Answer = LicenseRecord & { error: { code: string; message: string; fields: Record<string, string> } };

let orders = 0;
function order(dates: { startsAt: string; endsAt: string }) {
  orders += 1;
  return {
    kind: 'order',
    agent: 'asmith',
    email: 'dates@acme.example',
    userCount: 10,
    licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
    term: 'subscription',
    deployment: 'self-managed',
    orderRef: `PO-D${orders}`,
    ...dates,
  };
}

const mintAny = async (body: unknown) =>
  request<Answer>(`${service.url}/api/v1/licenses`, { token: await service.appToken(), body });
const mintOrder = (dates: { startsAt: string; endsAt: string }) => mintAny(order(dates));

const approve = (id: string) =>
  request<Answer>(`${service.url}/api/v1/licenses/${id}/approve`, { method: 'POST', token: approver, body: {} });

function yearsLater(day: string, years: number): string {
  return `${Number(day.slice(0, 4)) + years}${day.slice(4)}`;
}

describe('order dates far in the future', () => {
  it('refuses a startsAt more than 90 days ahead (400 naming startsAt), 2099 included', async () => {
    for (const startsAt of [dayFrom(service, 91), '2099-01-01']) {
      const refused = await mintOrder({ startsAt, endsAt: '2099-12-31' });
      expect(refused.status).toBe(400);
      expect(refused.body.error.fields.startsAt).toMatch(/must not be more than 90 days ahead/);
    }
    expect((await mintOrder({ startsAt: dayFrom(service, 90), endsAt: dayFrom(service, 400) })).status).toBe(202);
  });

  it('refuses an endsAt more than 10 years after startsAt (400 naming endsAt)', async () => {
    const startsAt = dayFrom(service, 10);
    const dayAfterTenYears = new Date(Date.parse(`${yearsLater(startsAt, 10)}T00:00:00Z`) + DAY_MS)
      .toISOString()
      .slice(0, 10);
    const refused = await mintOrder({ startsAt, endsAt: dayAfterTenYears });
    expect(refused.status).toBe(400);
    expect(refused.body.error.fields.endsAt).toMatch(/must not be more than 10 years after startsAt/);
    expect((await mintOrder({ startsAt, endsAt: yearsLater(startsAt, 10) })).status).toBe(202);
  });
});

describe('approval signing what changed while it waited', () => {
  it('refuses with 409 approval_outdated an order whose endsAt passed, and signs nothing', async () => {
    const pending = await mintOrder({ startsAt: dayFrom(service, 0), endsAt: dayFrom(service, 1) });
    expect(pending.status).toBe(202);
    service.clock.advance(3 * DAY_MS);
    const refused = await approve(pending.body.license.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('approval_outdated');
    expect(refused.body.error.message).toMatch(/before its approval: nothing was signed/);
    const row = await service.store.getLicense(pending.body.license.id);
    expect(row?.key).toBe('');
    expect(row?.approval_status).toBe('pending');
  });

  it('refuses an add-on whose base license expired while it waited', async () => {
    const base = await mintOrder({ startsAt: dayFrom(service, 0), endsAt: dayFrom(service, 5) });
    expect((await approve(base.body.license.id)).status).toBe(200);
    const addon = await mintAny({
      kind: 'addon',
      agent: 'asmith',
      email: 'dates@acme.example',
      baseLicenseId: base.body.license.id,
      addUsers: 5,
      totalUsers: 15,
    });
    expect(addon.status).toBe(202);
    service.clock.advance(7 * DAY_MS);
    const refused = await approve(addon.body.license.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('approval_outdated');
    expect((await service.store.getLicense(addon.body.license.id))?.key).toBe('');
  });

  it('refuses an add-on whose base license was revoked while it waited', async () => {
    const base = await mintOrder({ startsAt: dayFrom(service, 0), endsAt: dayFrom(service, 300) });
    expect((await approve(base.body.license.id)).status).toBe(200);
    const addon = await mintAny({
      kind: 'addon',
      agent: 'asmith',
      email: 'dates@acme.example',
      baseLicenseId: base.body.license.id,
      addUsers: 2,
      totalUsers: 12,
    });
    expect(addon.status).toBe(202);
    const revoked = await request(`${service.url}/api/v1/licenses/${base.body.license.id}/revoke`, {
      token: LOOKUP_TOKEN,
      body: { reason: 'refunded' },
    });
    expect(revoked.status).toBe(200);
    const refused = await approve(addon.body.license.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('approval_outdated');
    expect(refused.body.error.message).toMatch(new RegExp(`base license ${base.body.license.id} was revoked`));
    expect((await service.store.getLicense(addon.body.license.id))?.key).toBe('');
  });
});
