import fs from 'node:fs';
import path from 'node:path';
import type { LicenseRecord } from '@mintdesk/shared';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

// `npm start` with no SMTP_URL: the production wiring picks the outbox mailer.
describe('the default mail transport (no SMTP_URL): .eml files in DATA_DIR/outbox', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.close();
  });

  it('says where mail goes, and is ready', async () => {
    const outbox = path.join(service.dataDir, 'outbox');
    expect(service.output).toContain(`  Mail:            .eml files in ${outbox}`);
    const ready = await request<{ checks: Record<string, string> }>(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.checks.mail).toBe('ok');
  });

  it('writes each license email as an .eml file with the license attached, owner-only', async () => {
    const outbox = path.join(service.dataDir, 'outbox');
    const minted = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: { agent: 'asmith', userCount: 12, email: 'outbox@example.org', ticketId: 4242 },
    });
    expect(minted.status).toBe(201);
    expect(minted.body.delivery).toMatchObject({ status: 'sent', attempts: 1 });

    const files = fs.readdirSync(outbox);
    expect(files).toHaveLength(1);
    const [name] = files as [string];
    expect(name).toMatch(/^\d{4}-\d{2}-\d{2}T[\d-]+Z-[0-9a-f]{8}\.eml$/);
    expect(fs.statSync(path.join(outbox, name)).mode & 0o777).toBe(0o600);

    const mail = await simpleParser(fs.readFileSync(path.join(outbox, name)));
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((to) => to.address) : []).toEqual([
      'outbox@example.org',
    ]);
    expect(mail.from?.value[0]?.address).toBe('licensing@localhost');
    expect(mail.headers.get('x-mintdesk-license-id')).toBe(minted.body.license.id);
    const attachment = mail.attachments.find((file) => file.filename === 'license.jwt');
    expect(attachment?.content.toString().trim()).toBe(minted.body.license.key);
    expect(mail.text).toContain(minted.body.license.key);
  });
});
