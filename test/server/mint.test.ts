import { LicenseRecord, successTitle } from '@mintdesk/shared';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const smtp = new SmtpReceiver();
let service: TestService;

beforeAll(async () => {
  await smtp.start();
});
afterAll(async () => {
  await smtp.stop();
});
beforeEach(async () => {
  smtp.accept();
  smtp.messages.length = 0;
  service = await startTestService({ smtpUrl: smtp.url });
});
afterEach(async () => {
  await service.close();
});

const validBody = { agent: 'asmith', userCount: 25, email: 'jane@example.org', ticketId: 1234 };

async function mint(body: unknown = validBody, headers: Record<string, string> = {}) {
  return request<LicenseRecord>(`${service.url}/api/v1/licenses`, { token: await service.appToken(), body, headers });
}

describe('minting a license', () => {
  it('signs, emails and records a closed success issue', async () => {
    const response = await mint();
    expect(response.status).toBe(201);
    const record = LicenseRecord.parse(response.body);
    expect(record.delivery).toEqual({ status: 'sent', attempts: 1 });
    expect(record.issue).toMatchObject({
      state: 'closed',
      title: '[Success] - Created a license under jane@example.org for 25 users',
    });
    expect(record.license).toMatchObject({ userCount: 25, email: 'jane@example.org', agent: 'asmith', ticketId: 1234 });
    expect(record.license.issuedAt).toBe('2026-11-21T09:30:00.000Z');
    expect(record.license.expiresAt).toBe('2026-12-01T09:30:00.000Z');
    expect(response.headers.get('location')).toBe(`/api/v1/licenses/${record.license.id}`);
    // Exactly the contract's names: clients may parse strictly.
    expect(Object.keys(response.body).sort()).toEqual(['approval', 'delivery', 'issue', 'license']);
    expect(response.body.approval).toEqual({ status: 'not_required' });
    expect(Object.keys(response.body.license).sort()).toEqual(
      ['agent', 'email', 'expiresAt', 'id', 'issuedAt', 'key', 'kind', 'ticketId', 'userCount'].sort(),
    );
    expect(response.body.license.kind).toBe('emergency');
    expect(Object.keys(response.body.issue ?? {}).sort()).toEqual(['id', 'state', 'title', 'url']);

    const [mail] = await smtp.waitForMessages(1);
    expect(mail?.to).toMatchObject({ value: [{ address: 'jane@example.org' }] });
    expect(mail?.subject).toContain('10-day trial license');
    expect(mail?.text).toContain(record.license.key);
    expect(mail?.text).toContain('Valid from:  2026-11-21 09:30 UTC');
    expect(mail?.text).toContain('Valid until: 2026-12-01 09:30 UTC');
    expect(mail?.text).toMatch(/trial license/i);
    expect(mail?.html).toContain(record.license.key);
    const attachment = mail?.attachments.find((a) => a.filename === 'license.jwt');
    expect(attachment?.content.toString('utf8')).toBe(record.license.key);

    const jwks = await request<{ keys: Array<Record<string, unknown>> }>(`${service.url}/.well-known/jwks.json`);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    const header = decodeProtectedHeader(record.license.key ?? '');
    expect(header).toEqual({ alg: 'EdDSA', kid: jwks.body.keys[0]?.kid, typ: 'license+jwt' });
    const { payload } = await jwtVerify(record.license.key ?? '', createLocalJWKSet(jwks.body as never), {
      currentDate: service.clock.now(),
    });
    expect(payload).toEqual({
      iss: 'http://127.0.0.1:0',
      jti: record.license.id,
      iat: 1795253400,
      nbf: 1795253400,
      exp: 1795253400 + 10 * 86400,
      kind: 'emergency',
      email: 'jane@example.org',
      users: 25,
      plan: 'ultimate',
      trial: true,
      licensee: { name: 'Emergency License', company: 'Temporary License', email: 'jane@example.org' },
      ticket: 1234,
    });

    const fetched = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${record.license.id}`, {
      token: await service.appToken(),
    });
    expect(fetched.body).toEqual(record);
  });

  it('titles the issue in the plural also for one user', async () => {
    const response = await mint({ ...validBody, userCount: 1 });
    expect(response.body.issue?.title).toBe(successTitle('jane@example.org', 1));
    expect(response.body.issue?.title).toBe('[Success] - Created a license under jane@example.org for 1 users');
  });

  it('records an open failure issue when the mail server refuses for good (550)', async () => {
    smtp.refuse(550);
    const response = await mint();
    expect(response.status).toBe(201);
    expect(response.body.delivery.status).toBe('failed');
    expect(response.body.delivery.attempts).toBe(1);
    expect(response.body.delivery.error).toContain('550');
    expect(response.body.issue).toMatchObject({
      state: 'open',
      title: '[Failure] - Could not create a license under jane@example.org for 25 users',
    });
    const issue = await service.store.db.selectFrom('issues').selectAll().executeTakeFirstOrThrow();
    expect(issue.body).toContain('**email** stage');
    expect(issue.body).toContain('550');
    expect(issue.body).toContain(`yes (${response.body.license.id})`);
    expect(JSON.parse(issue.labels)).toEqual(['mintdesk', 'failure']);
    expect(smtp.refusals).toBe(1);
  });

  it('retries temporary refusals (451 ×3), then delivers and closes the same issue', async () => {
    await service.close();
    service = await startTestService({ smtpUrl: smtp.url, retry: { firstDelayMs: 1000 } });
    smtp.refuse(451, 3);
    const first = await mint();
    expect(first.body.delivery).toMatchObject({ status: 'queued', attempts: 1 });
    expect(first.body.issue).toMatchObject({ state: 'open' });
    const issueId = first.body.issue?.id;

    const deadline = Date.now() + 10_000;
    let record = first.body;
    while (record.delivery.status !== 'sent' && Date.now() < deadline) {
      service.clock.advance(60_000);
      await new Promise((resolve) => setTimeout(resolve, 30));
      record = (
        await request<LicenseRecord>(`${service.url}/api/v1/licenses/${first.body.license.id}`, {
          token: await service.appToken(),
        })
      ).body;
    }
    expect(record.delivery).toEqual({ status: 'sent', attempts: 4 });
    expect(record.issue).toMatchObject({ id: issueId, state: 'closed', title: successTitle('jane@example.org', 25) });
    const issues = await service.store.db.selectFrom('issues').selectAll().execute();
    expect(issues).toHaveLength(1);
    expect(issues[0]?.body).toContain(record.license.key);
    expect(JSON.parse(issues[0]?.labels ?? '[]')).toEqual(['mintdesk', 'success']);
    expect(smtp.messages).toHaveLength(1);
  });

  it('answers queued when delivery takes longer than the wait, and delivers in the background', async () => {
    await service.close();
    await smtp.stop();
    service = await startTestService({ smtpUrl: smtp.url, mintWaitMs: 200, retry: { firstDelayMs: 100 } });
    const response = await mint();
    expect(response.status).toBe(201);
    expect(response.body.delivery.status).toBe('queued');
    await smtp.start();
    const deadline = Date.now() + 10_000;
    while (smtp.messages.length === 0 && Date.now() < deadline) {
      service.clock.advance(1000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(smtp.messages).toHaveLength(1);
  });
});

describe('idempotency', () => {
  it('returns the same license for the same key and body, and mints once', async () => {
    const first = await mint(validBody, { 'idempotency-key': 'attempt-1' });
    const second = await mint(validBody, { 'idempotency-key': 'attempt-1' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.license.id).toBe(first.body.license.id);
    expect(second.body.license.key).toBe(first.body.license.key);
    const rows = await service.store.db.selectFrom('licenses').select('id').execute();
    expect(rows).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('refuses the same key with another body (422)', async () => {
    await mint(validBody, { 'idempotency-key': 'attempt-2' });
    const other = await mint({ ...validBody, userCount: 26 }, { 'idempotency-key': 'attempt-2' });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ error: { code: 'idempotency_key_reused' } });
  });

  it('mints once for concurrent repeats', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => mint(validBody, { 'idempotency-key': 'double-click' })),
    );
    expect(new Set(answers.map((a) => a.body.license.id)).size).toBe(1);
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const rows = await service.store.db.selectFrom('licenses').select('id').execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses an empty or overlong key', async () => {
    for (const key of ['', 'k'.repeat(201)]) {
      const response = await mint(validBody, { 'idempotency-key': key });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error: { code: 'validation_failed', fields: { 'Idempotency-Key': expect.any(String) } },
      });
    }
  });
});
