import fs from 'node:fs';
import path from 'node:path';
import { type CliIo, runCli } from '@mintdesk/server/cli.ts';
import { PoliciesAnswer } from '@mintdesk/shared';
import { beforeEach, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { dayFrom, mint, verifiedClaims } from '../support/licenses.ts';
import { LOOKUP_TOKEN } from '../support/service.ts';

// No approvals here: every kind goes straight through (approvals.test.ts covers the held path).
const fixture = useTestService({
  env: {
    APPROVAL_KINDS: '',
    TRANSITION_DAYS: '45',
    LICENSEE_NAME: 'Stand-in Licensee',
    LICENSEE_COMPANY: 'Stand-in Co',
  },
});
const smtp = fixture.smtp;

beforeEach(() => {
  smtp.accept();
});

const common = { agent: 'asmith', ticketId: 4242 };

function order(overrides: Record<string, unknown> = {}) {
  return {
    kind: 'order',
    ...common,
    email: 'buyer@acme.example',
    userCount: 50,
    licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
    term: 'subscription',
    deployment: 'self-managed',
    startsAt: dayFrom(fixture.service, -2),
    endsAt: '2027-11-30',
    orderRef: 'PO-2026-117',
    ...overrides,
  };
}

async function mailFor(licenseId: string) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const mail = smtp.messages.find((message) => message.headers.get('x-mintdesk-license-id') === licenseId);
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no mail for ${licenseId}`);
}

async function verifyWithCli(key: string, now: Date) {
  const file = path.join(fixture.service.dataDir, `verify-${Date.now()}.jwt`);
  fs.writeFileSync(file, key);
  let stdout = '';
  const io: CliIo = {
    env: { DATA_DIR: fixture.service.dataDir },
    stdout: (text) => {
      stdout += text;
    },
    stderr: () => {},
    readStdin: async () => '',
    now: () => now,
  };
  const code = await runCli(['verify', file, '--jwks', `${fixture.service.url}/.well-known/jwks.json`], io);
  return { code, stdout };
}

describe('emergency (the default kind)', () => {
  it('is the same license with or without kind, and its email names the configured generic licensee', async () => {
    const response = await mint(fixture.service, {
      kind: 'emergency',
      ...common,
      email: 'e@example.org',
      userCount: 3,
    });
    expect(response.status).toBe(201);
    expect(response.body.license.kind).toBe('emergency');
    expect(response.body.issue?.title).toBe('[Success] - Created a license under e@example.org for 3 users');
    const claims = await verifiedClaims(fixture.service, response.body.license.key);
    expect(claims).toMatchObject({ kind: 'emergency', trial: true, users: 3 });
    expect(claims.exp).toBe((claims.iat as number) + 10 * 86_400);
    expect(claims.licensee).toEqual({ name: 'Stand-in Licensee', company: 'Stand-in Co', email: 'e@example.org' });
    const mail = await mailFor(response.body.license.id);
    // Regression: the email said "Emergency License" whatever LICENSEE_NAME was.
    expect(mail.text).toContain('"Stand-in Licensee", "Stand-in Co"');
    expect(mail.text).not.toContain('Emergency License');
    expect(mail.text).toContain('License:     Emergency trial');
  });
});

describe('transition', () => {
  it('mints a TRANSITION_DAYS trial with its own title, claims and email', async () => {
    const response = await mint(fixture.service, {
      kind: 'transition',
      ...common,
      email: 'mover@example.org',
      userCount: 80,
      reason: 'Moving from SaaS to self-managed; restore before cancelling',
    });
    expect(response.status).toBe(201);
    const { license, issue, approval } = response.body;
    expect(license.kind).toBe('transition');
    expect(approval).toEqual({ status: 'not_required' });
    expect(issue).toMatchObject({
      state: 'closed',
      title: '[Success] - Created a transition license under mover@example.org for 80 users',
    });
    const claims = await verifiedClaims(fixture.service, license.key);
    expect(claims).toMatchObject({ kind: 'transition', trial: true, users: 80, plan: 'ultimate' });
    expect(claims.exp).toBe((claims.iat as number) + 45 * 86_400);
    expect(claims).not.toHaveProperty('reason');
    expect(license.expiresAt).toBe('2027-01-05T09:30:00.000Z');

    const mail = await mailFor(license.id);
    expect(mail.subject).toBe('Your 45-day transition trial license (valid until 2027-01-05 09:30 UTC)');
    expect(mail.text).toContain('Valid from:  2026-11-21 09:30 UTC');
    expect(mail.text).toContain('Valid until: 2027-01-05 09:30 UTC');
    expect(mail.text).toContain('Users:       80');
    expect(mail.text).toContain('A trial license is not a subscription. It does not include paid support');
  });

  it.each([
    [{ reason: '' }, 'reason'],
    [{ reason: 'x'.repeat(501) }, 'reason'],
    [{ reason: 'bad\u0007bell' }, 'reason'],
    [{ reason: undefined }, 'reason'],
    [{ userCount: 0 }, 'userCount'],
    [{ days: 90 }, 'days'],
  ])('refuses %o naming %s', async (change, field) => {
    const body = { kind: 'transition', ...common, email: 'mover@example.org', userCount: 5, reason: 'ok', ...change };
    const response = await mint(fixture.service, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { code: 'validation_failed', fields: { [field]: expect.any(String) } },
    });
  });
});

describe('order', () => {
  it('mints a subscription with the real licensee, term claims and an exp at the end of endsAt', async () => {
    const response = await mint(fixture.service, order());
    expect(response.status).toBe(201);
    const { license, issue } = response.body;
    expect(license.kind).toBe('order');
    expect(license.expiresAt).toBe('2027-11-30T23:59:59.000Z');
    expect(issue).toMatchObject({
      state: 'closed',
      title: '[Success] - Created a license under buyer@acme.example for 50 users (order PO-2026-117)',
    });
    const claims = await verifiedClaims(fixture.service, license.key);
    expect(claims).toMatchObject({
      kind: 'order',
      trial: false,
      users: 50,
      term: 'subscription',
      deployment: 'self-managed',
      orderRef: 'PO-2026-117',
      licensee: { name: 'Ada Buyer', company: 'Acme Corp', email: 'buyer@acme.example' },
      exp: Date.parse('2027-11-30T23:59:59Z') / 1000,
    });
    const mail = await mailFor(license.id);
    expect(mail.subject).toBe('Your subscription license for order PO-2026-117 (valid until 2027-11-30 23:59 UTC)');
    expect(mail.text).toContain('Valid until: 2027-11-30 23:59 UTC');
    expect(mail.text).toContain('Licensee:    Ada Buyer, Acme Corp');
    expect(mail.text).not.toMatch(/trial/i);
  });

  it('mints a perpetual license without exp, that mintdesk verify accepts, and says "no end date"', async () => {
    const response = await mint(fixture.service, order({ term: 'perpetual', endsAt: undefined, orderRef: 'PO-P1' }));
    expect(response.status).toBe(201);
    const { license } = response.body;
    expect(license.expiresAt).toBeNull();
    const claims = await verifiedClaims(fixture.service, license.key);
    expect(claims).not.toHaveProperty('exp');
    expect(claims).toMatchObject({ term: 'perpetual', trial: false });

    const farFuture = new Date('2046-01-01T00:00:00Z');
    const verified = await verifyWithCli(license.key ?? '', farFuture);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ jti: license.id, term: 'perpetual' });

    const mail = await mailFor(license.id);
    expect(mail.subject).toBe('Your perpetual license for order PO-P1 (no end date)');
    expect(mail.text).toContain('Valid until: no end date');
    const issue = await fixture.service.store.db
      .selectFrom('issues')
      .select('body')
      .where('license_id', '=', license.id)
      .executeTakeFirstOrThrow();
    expect(issue.body).toContain('- Valid until: no end date');
  });

  it('verify still refuses a license without exp that is not perpetual', async () => {
    const response = await mint(fixture.service, order({ orderRef: 'PO-SUB' }));
    const [header, payload, signature] = (response.body.license.key ?? '').split('.') as [string, string, string];
    const { exp: _dropped, ...claims } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect((await verifyWithCli(forged, fixture.service.clock.now())).code).toBe(1);
  });

  it.each([
    [{ licensee: { name: '', company: 'Acme' } }, 'licensee.name'],
    [{ licensee: { name: 'Ada', company: 'c'.repeat(201) } }, 'licensee.company'],
    [{ licensee: { name: 'Ada', company: 'Acme', vat: 'x' } }, 'licensee.vat'],
    [{ licensee: undefined }, 'licensee'],
    [{ term: 'lease' }, 'term'],
    [{ deployment: 'on-prem' }, 'deployment'],
    [{ startsAt: '2026-02-30' }, 'startsAt'],
    [{ startsAt: '21.11.2026' }, 'startsAt'],
    [{ startsAt: '2026-11-13' }, 'startsAt'],
    [{ endsAt: undefined }, 'endsAt'],
    [{ term: 'perpetual' }, 'endsAt'],
    [{ endsAt: '2026-11-01', startsAt: '2026-11-20' }, 'endsAt'],
    [{ orderRef: '' }, 'orderRef'],
    [{ orderRef: 'r'.repeat(101) }, 'orderRef'],
    [{ userCount: 100_001 }, 'userCount'],
    [{ trial: true }, 'trial'],
  ])('refuses %o naming %s', async (change, field) => {
    const response = await mint(fixture.service, order(change));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { code: 'validation_failed', fields: { [field]: expect.any(String) } },
    });
  });

  it('accepts a start 7 days back, not 8', async () => {
    expect(
      (await mint(fixture.service, order({ startsAt: dayFrom(fixture.service, -7), orderRef: 'PO-7' }))).status,
    ).toBe(201);
    const late = await mint(fixture.service, order({ startsAt: dayFrom(fixture.service, -8), orderRef: 'PO-8' }));
    expect(late.body).toMatchObject({ error: { fields: { startsAt: expect.stringContaining('7 days') } } });
  });
});

describe('addon', () => {
  it('checks the total, then issues the base license with more users, superseding it', async () => {
    const base = (await mint(fixture.service, order({ userCount: 50, orderRef: 'PO-BASE' }))).body;
    const body = {
      kind: 'addon',
      ...common,
      email: 'buyer@acme.example',
      baseLicenseId: base.license.id,
      addUsers: 10,
    };
    const wrong = await mint(fixture.service, { ...body, totalUsers: 61 });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { fields: { totalUsers: expect.stringContaining('must be 60') } } });

    const response = await mint(fixture.service, { ...body, totalUsers: 60 });
    expect(response.status).toBe(201);
    const { license, issue } = response.body;
    expect(license).toMatchObject({ kind: 'addon', userCount: 60, expiresAt: base.license.expiresAt });
    expect(issue).toMatchObject({
      state: 'closed',
      title: '[Success] - Added 10 users under buyer@acme.example (now 60 users)',
    });
    const baseClaims = await verifiedClaims(fixture.service, base.license.key);
    const claims = await verifiedClaims(fixture.service, license.key);
    expect(claims).toMatchObject({
      kind: 'addon',
      users: 60,
      trial: false,
      supersedes: base.license.id,
      licensee: baseClaims.licensee,
      plan: baseClaims.plan,
      term: 'subscription',
      deployment: 'self-managed',
      orderRef: 'PO-BASE',
      exp: baseClaims.exp,
    });
    const mail = await mailFor(license.id);
    expect(mail.text).toContain(`Replaces:    ${base.license.id}`);
    expect(mail.text).toContain('Users:       60');
  });

  it('refuses a trial, an unknown or another requester’s base license, naming the field', async () => {
    const trial = (await mint(fixture.service, { ...common, email: 'buyer@acme.example', userCount: 5 })).body;
    const paid = (await mint(fixture.service, order({ orderRef: 'PO-OTHER' }))).body;
    const body = { kind: 'addon', ...common, email: 'buyer@acme.example', addUsers: 1, totalUsers: 6 };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ baseLicenseId: trial.license.id }, 'baseLicenseId'],
      [{ baseLicenseId: 'lic_doesnotexist' }, 'baseLicenseId'],
      [{ baseLicenseId: paid.license.id, email: 'someone@else.example', totalUsers: 51 }, 'email'],
      [{ baseLicenseId: paid.license.id, addUsers: 0, totalUsers: 50 }, 'addUsers'],
      [{ baseLicenseId: paid.license.id, totalUsers: undefined }, 'totalUsers'],
    ];
    for (const [change, field] of cases) {
      const response = await mint(fixture.service, { ...body, ...change });
      expect(response.status, field).toBe(400);
      expect(response.body).toMatchObject({ error: { fields: { [field]: expect.any(String) } } });
    }
  });
});

describe('kind', () => {
  it('refuses an unknown kind naming kind', async () => {
    const response = await mint(fixture.service, { kind: 'lifetime', ...common, email: 'k@example.org', userCount: 1 });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { fields: { kind: expect.any(String) } } });
  });

  it('keeps the failure title for every kind', async () => {
    smtp.refuse(550);
    const response = await mint(fixture.service, order({ orderRef: 'PO-FAIL', userCount: 7 }));
    expect(response.body.issue).toMatchObject({
      state: 'open',
      title: '[Failure] - Could not create a license under buyer@acme.example for 7 users',
    });
  });
});

describe('GET /api/v1/policies', () => {
  it('describes the enabled kinds to the app and to lookup callers, nobody else', async () => {
    const answer = await request(`${fixture.service.url}/api/v1/policies`, { token: await fixture.service.appToken() });
    expect(answer.status).toBe(200);
    const policies = PoliciesAnswer.parse(answer.body);
    expect(policies.kinds.map((kind) => kind.kind)).toEqual(['emergency', 'transition', 'addon', 'order']);
    expect(policies.kinds[0]).toEqual({
      kind: 'emergency',
      label: 'Emergency trial',
      fields: ['userCount'],
      days: 10,
      maxUsers: 100_000,
      approval: false,
      trial: true,
    });
    expect(policies.kinds[1]).toMatchObject({ kind: 'transition', days: 45, fields: ['userCount', 'reason'] });
    expect(policies.kinds[3]).not.toHaveProperty('days');
    expect((await request(`${fixture.service.url}/api/v1/policies`, { token: LOOKUP_TOKEN })).status).toBe(200);
    expect((await request(`${fixture.service.url}/api/v1/policies`)).status).toBe(401);
  });
});
