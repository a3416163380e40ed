import type { LicenseList, LicenseRecord } from '@mintdesk/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';

const fixture = useTestService();
const smtp = fixture.smtp;
let service: TestService;
const minted: LicenseRecord[] = [];

beforeAll(async () => {
  service = fixture.service;
  for (const [email, ticketId] of [
    ['Jane@Example.org', 100],
    ['jane@example.org', 101],
    ['other@example.org', 100],
  ] as const) {
    service.clock.advance(60_000);
    const response = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: { agent: 'asmith', userCount: 2, email, ticketId },
    });
    minted.push(response.body);
  }
});

describe('lookup API', () => {
  it('finds licenses by email, case-insensitively, newest first', async () => {
    const response = await request<LicenseList>(`${service.url}/api/v1/licenses?email=JANE%40example.org`, {
      token: LOOKUP_TOKEN,
    });
    expect(response.status).toBe(200);
    expect(response.body.licenses.map((r) => r.license.id)).toEqual([minted[1]?.license.id, minted[0]?.license.id]);
    expect(response.body.licenses[0]?.issue?.state).toBe('closed');
  });

  it('finds licenses by ticket', async () => {
    const response = await request<LicenseList>(`${service.url}/api/v1/licenses?ticketId=100`, { token: LOOKUP_TOKEN });
    expect(response.body.licenses.map((r) => r.license.id)).toEqual([minted[2]?.license.id, minted[0]?.license.id]);
  });

  it('answers an empty list when nothing matches', async () => {
    const response = await request<LicenseList>(`${service.url}/api/v1/licenses?email=nobody@example.org`, {
      token: LOOKUP_TOKEN,
    });
    expect(response.body).toEqual({ licenses: [] });
  });

  it('answers 404 in the error shape for an unknown id', async () => {
    const response = await request(`${service.url}/api/v1/licenses/lic_doesnotexist`, { token: LOOKUP_TOKEN });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: { code: 'not_found' } });
    const resend = await request(`${service.url}/api/v1/licenses/lic_doesnotexist/resend`, {
      method: 'POST',
      token: LOOKUP_TOKEN,
    });
    expect(resend.status).toBe(404);
  });

  it('resends the same license to the same address and keeps one issue', async () => {
    const target = minted[1] as LicenseRecord;
    const before = smtp.messages.length;
    const response = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${target.license.id}/resend`, {
      method: 'POST',
      token: LOOKUP_TOKEN,
    });
    expect(response.status).toBe(200);
    expect(response.body.delivery).toEqual({ status: 'sent', attempts: 2 });
    expect(response.body.issue).toMatchObject({ id: target.issue?.id, state: 'closed' });
    const messages = await smtp.waitForMessages(before + 1);
    const resent = messages[before];
    expect(resent?.to).toMatchObject({ value: [{ address: 'jane@example.org' }] });
    expect(resent?.attachments[0]?.content.toString()).toBe(target.license.key);
    const audit = await service.store.listAudit(target.license.id);
    expect(audit.map((entry) => entry.action)).toEqual(['resent', 'minted']);
    expect(audit[0]?.actor).toBe('lookup-token');
  });

  it('serves metrics and readiness', async () => {
    const metrics = await request<string>(`${service.url}/metrics`);
    expect(metrics.body).toMatch(/mintdesk_licenses_minted_total \d+/);
    expect(metrics.body).toMatch(/mintdesk_deliveries_total\{outcome="sent"\} \d+/);
    expect(metrics.body).toMatch(/mintdesk_queue_depth \d+/);
    expect(metrics.body).toMatch(/mintdesk_http_request_duration_seconds_bucket/);
    const ready = await request(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { database: 'ok', signingKey: 'ok', mail: 'ok' } });
  });
});
