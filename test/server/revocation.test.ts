import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type CliIo, runCli } from '@mintdesk/server/cli.ts';
import type { LicenseRecord } from '@mintdesk/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { LOOKUP_TOKEN, type TestService } from '../support/service.ts';
import { checkIn, type IssuedLicense, mintLicense } from '../support/usage.ts';

/** A Slack-style incoming webhook on loopback that keeps what it is sent. */
const channel = {
  received: [] as Array<{ text: string }>,
  server: http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      channel.received.push(JSON.parse(body) as { text: string });
      res.end('ok');
    });
  }),
};
await new Promise<void>((resolve) => channel.server.listen(0, '127.0.0.1', resolve));
const webhookUrl = `http://127.0.0.1:${(channel.server.address() as AddressInfo).port}/hook`;
afterAll(() => new Promise<void>((resolve) => channel.server.close(() => resolve())));

const fixture = useTestService({ env: { NOTIFY_WEBHOOK_URL: webhookUrl } });
let service: TestService;
let license: IssuedLicense;
let kept: IssuedLicense;

const REASON = 'Leaked on a public forum <b>@all</b> /close & more';

beforeAll(async () => {
  service = fixture.service;
  license = await mintLicense(service, 'leak@revoke.example', 25);
  kept = await mintLicense(service, 'kept@revoke.example', 25);
  expect((await checkIn(service, license.license.key, { activeUsers: 3 })).status).toBe(202);
});

function revoke(id: string, body: unknown, token = LOOKUP_TOKEN) {
  return request<LicenseRecord & { error?: { code: string; fields?: Record<string, string> } }>(
    `${service.url}/api/v1/licenses/${id}/revoke`,
    { token, body },
  );
}

function cli(args: string[]) {
  let stdout = '';
  const io: CliIo = {
    env: { DATA_DIR: service.dataDir },
    stdout: (text) => {
      stdout += text;
    },
    stderr: () => undefined,
    readStdin: async () => '',
    now: () => service.clock.now(),
  };
  return runCli(args, io).then((code) => ({ code, stdout }));
}

describe('revoking a license', () => {
  it('refuses bad requests before revoking anything', async () => {
    expect((await revoke(license.license.id, { reason: 'x' }, await service.appToken())).status).toBe(401);
    const empty = await revoke(license.license.id, { reason: '   ' });
    expect(empty.status).toBe(400);
    expect(Object.keys(empty.body.error?.fields ?? {})).toEqual(['reason']);
    expect((await revoke(license.license.id, { reason: 'x'.repeat(501) })).body.error?.fields).toHaveProperty('reason');
    expect((await revoke(license.license.id, { reason: 'ok', extra: 1 })).body.error?.fields).toHaveProperty('extra');
    expect((await revoke('lic_doesnotexist', { reason: 'typo' })).status).toBe(404);
    expect((await request(`${service.url}/.well-known/revocations.json`)).body).toEqual({ revoked: [] });
  });

  it('records when and why in the license record', async () => {
    const response = await revoke(license.license.id, { reason: REASON });
    expect(response.status).toBe(200);
    expect(response.body.license).toMatchObject({
      id: license.license.id,
      revokedAt: service.clock.now().toISOString(),
      revokeReason: REASON,
    });
    const again = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${license.license.id}`, {
      token: LOOKUP_TOKEN,
    });
    expect(again.body.license.revokeReason).toBe(REASON);
    const other = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${kept.license.id}`, {
      token: LOOKUP_TOKEN,
    });
    expect(other.body.license).not.toHaveProperty('revokedAt');
  });

  it('answers 409 when the license is already revoked, keeping the first reason', async () => {
    const response = await revoke(license.license.id, { reason: 'second thoughts' });
    expect(response.status).toBe(409);
    expect(response.body.error?.code).toBe('license_already_revoked');
    const record = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${license.license.id}`, {
      token: LOOKUP_TOKEN,
    });
    expect(record.body.license.revokeReason).toBe(REASON);
  });

  it('refuses the revoked license’s usage reports with 403 license_revoked', async () => {
    const response = await checkIn(service, license.license.key, { activeUsers: 4 });
    expect(response.status).toBe(403);
    expect(response.body.error?.code).toBe('license_revoked');
    expect((await checkIn(service, kept.license.key, { activeUsers: 4 })).status).toBe(202);
  });

  it('lists it in the public revocations.json', async () => {
    const response = await request<{ revoked: Array<{ jti: string; revokedAt: string }> }>(
      `${service.url}/.well-known/revocations.json`,
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      revoked: [{ jti: license.license.id, revokedAt: service.clock.now().toISOString() }],
    });
  });

  it('makes mintdesk verify --revocations report it invalid (exit 1), from a URL and from a file', async () => {
    const file = path.join(service.dataDir, 'leaked.jwt');
    fs.writeFileSync(file, license.license.key);
    const url = `${service.url}/.well-known/revocations.json`;
    const byUrl = await cli(['verify', file, '--revocations', url]);
    expect(byUrl.code).toBe(1);
    expect(byUrl.stdout).toMatch(/^invalid license: revoked on /);
    const list = path.join(service.dataDir, 'revocations.json');
    fs.writeFileSync(list, JSON.stringify((await request(url)).body));
    expect((await cli(['verify', file, `--revocations=${list}`])).code).toBe(1);
    // Without the list the signature alone is still valid; another license is not affected.
    expect((await cli(['verify', file])).code).toBe(0);
    const keptFile = path.join(service.dataDir, 'kept.jwt');
    fs.writeFileSync(keptFile, kept.license.key);
    expect((await cli(['verify', keptFile, '--revocations', url])).code).toBe(0);
    expect((await cli(['verify', file, '--revocations'])).code).toBe(2);
    expect((await cli(['verify', file, '--revocations', path.join(service.dataDir, 'none.json')])).code).toBe(2);
  });

  it('notes who and why on the tracker issue, in Activity and in the team channel, escaped', async () => {
    const issue = await service.store.db
      .selectFrom('issues')
      .select(['body', 'labels', 'state', 'title'])
      .where('license_id', '=', license.license.id)
      .executeTakeFirstOrThrow();
    expect(issue.title).toBe('[Success] - Created a license under leak@revoke.example for 25 users');
    expect(issue.body).toContain('**Revoked** on');
    expect(issue.body).toContain('by `lookup-token`');
    // No @mention, no /quick action, no HTML: a code span shows every character as typed.
    expect(issue.body).toContain('Reason: `Leaked on a public forum <b>@all</b> /close & more`');
    expect(JSON.parse(issue.labels)).toContain('revoked');
    const audit = await service.store.listAudit(license.license.id);
    expect(audit[0]).toMatchObject({ actor: 'lookup-token', action: 'revoked', detail: `the license: ${REASON}` });
    const message = channel.received.find((entry) => entry.text.includes('revoked'));
    expect(message?.text).toContain(
      `License ${license.license.id} for leak@revoke.example (25 users) was revoked by lookup-token.`,
    );
    expect(message?.text).toContain('Reason: Leaked on a public forum &lt;b&gt;@all&lt;/b&gt; /close &amp; more');
  });
});

describe('revoking from the lookup page', () => {
  let cookie: string;
  let target: IssuedLicense;

  beforeAll(async () => {
    target = await mintLicense(service, 'page@revoke.example', 8);
    const signIn = await fetch(`${service.url}/lookup/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: LOOKUP_TOKEN, name: 'Rita Revoker' }).toString(),
    });
    cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
  });

  const page = async (q: string) =>
    (await fetch(`${service.url}/lookup?q=${encodeURIComponent(q)}`, { headers: { cookie } })).text();

  const post = (fields: Record<string, string>, withCookie = true) =>
    fetch(`${service.url}/lookup/licenses/${target.license.id}/revoke`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...(withCookie ? { cookie } : {}), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  it('offers a Revoke button opening a dialog with a Reason field', async () => {
    const html = await page(target.license.id);
    expect(html).toContain(`data-open-dialog="revoke-${target.license.id}"`);
    expect(html).toMatch(/<dialog id="revoke-[^"]+"[^>]*>[\s\S]*<label for="revoke-[^"]+-reason">Reason<\/label>/);
    expect(html).toContain(`action="/lookup/licenses/${target.license.id}/revoke"`);
  });

  it('refuses without a session or a CSRF token', async () => {
    expect((await post({ csrf: 'x', reason: 'no session' }, false)).status).toBe(401);
    expect((await post({ csrf: 'forged', reason: 'no token' })).status).toBe(403);
    const record = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${target.license.id}`, {
      token: LOOKUP_TOKEN,
    });
    expect(record.body.license.revokedAt).toBeUndefined();
  });

  it('revokes with the session’s name and shows the license revoked', async () => {
    const html = await page(target.license.id);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const response = await post({ csrf, reason: 'Issued by mistake', back: `/lookup?q=${target.license.id}` });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/lookup?q=${target.license.id}`);
    const after = await page(target.license.id);
    expect(after).toContain('Revoked on');
    expect(after).toContain('<span class="tag tag--danger">revoked</span>');
    expect(after).toContain('Issued by mistake');
    expect(after).not.toContain(`data-open-dialog="revoke-${target.license.id}"`);
    expect(after).toMatch(/Rita Revoker revoked the license: Issued by mistake/);
  });
});
