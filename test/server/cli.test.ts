import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type CliIo, runCli } from '@mintdesk/server/cli.ts';
import type { LicenseRecord } from '@mintdesk/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { MINTDESK_BIN } from '../support/child-service.ts';
import { ManualClock } from '../support/clock.ts';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { type TestService } from '../support/service.ts';

// The real bin checks licenses against the system clock: mint at today's time, not the suite's
// fixed date (a license minted at 2026-11-21 expired in real time on 2026-12-01 and failed this).
const fixture = useTestService({ clock: new ManualClock(new Date()) });
let service: TestService;
let license: LicenseRecord;
let licenseFile: string;

beforeAll(async () => {
  service = fixture.service;
  license = (
    await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: { agent: 'asmith', userCount: 3, email: 'cli@example.org', ticketId: 9 },
    })
  ).body;
  licenseFile = path.join(service.dataDir, 'license.jwt');
  fs.writeFileSync(licenseFile, license.license.key ?? '');
});

function cli(args: string[], options: { now?: Date; stdin?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: { DATA_DIR: service.dataDir },
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async () => options.stdin ?? '',
    now: () => options.now ?? service.clock.now(),
  };
  return runCli(args, io).then((code) => ({ code, stdout, stderr }));
}

describe('mintdesk verify', () => {
  it('accepts a valid license against the JWKS URL and prints its claims', async () => {
    const result = await cli(['verify', licenseFile, '--jwks', `${service.url}/.well-known/jwks.json`]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ jti: license.license.id, users: 3, trial: true, ticket: 9 });
  });

  it('accepts a JWKS file, and standard input for the license', async () => {
    const jwksFile = path.join(service.dataDir, 'jwks.json');
    fs.writeFileSync(jwksFile, JSON.stringify((await request(`${service.url}/.well-known/jwks.json`)).body));
    const result = await cli(['verify', '-', '--jwks', jwksFile], { stdin: `${license.license.key}\n` });
    expect(result.code).toBe(0);
  });

  it('uses the keys in DATA_DIR when no JWKS is given', async () => {
    expect((await cli(['verify', licenseFile])).code).toBe(0);
  });

  it('refuses a tampered license (exit 1)', async () => {
    const [header, payload, signature] = (license.license.key ?? '').split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, users: 5000 })).toString('base64url');
    const file = path.join(service.dataDir, 'tampered.jwt');
    fs.writeFileSync(file, `${header}.${forged}.${signature}`);
    const result = await cli(['verify', file, '--jwks', `${service.url}/.well-known/jwks.json`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/signature/);
  });

  it('refuses an expired license (exit 1)', async () => {
    const later = new Date(service.clock.now().getTime() + 11 * 86_400_000);
    const result = await cli(['verify', licenseFile], { now: later });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/expired/);
  });

  it('answers usage errors with exit 2', async () => {
    expect((await cli(['verify'])).code).toBe(2);
    expect((await cli(['verify', '/nonexistent/license.jwt'])).code).toBe(2);
    expect((await cli(['verify', licenseFile, '--jwks'])).code).toBe(2);
    expect((await cli(['verify', licenseFile, '--jwks', '/nonexistent/jwks.json'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('runs as the real bin with the contract exit codes', async () => {
    const run = promisify(execFile);
    const ok = await run(process.execPath, [
      MINTDESK_BIN,
      'verify',
      licenseFile,
      '--jwks',
      `${service.url}/.well-known/jwks.json`,
    ]);
    expect(JSON.parse(ok.stdout).jti).toBe(license.license.id);
    await expect(run(process.execPath, [MINTDESK_BIN, 'verify'])).rejects.toMatchObject({ code: 2 });
  });
});

describe('mintdesk keys rotate', () => {
  it('makes a new key current and keeps old licenses verifiable', async () => {
    const before = (await request<{ keys: Array<{ kid: string }> }>(`${service.url}/.well-known/jwks.json`)).body.keys;
    const rotated = await cli(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    // The running service re-reads the key file at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = (await request<{ keys: Array<{ kid: string }> }>(`${service.url}/.well-known/jwks.json`)).body.keys;
    expect(after).toHaveLength(before.length + 1);
    expect(after.map((k) => k.kid)).toEqual(expect.arrayContaining(before.map((k) => k.kid)));

    const fresh = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: { agent: 'asmith', userCount: 4, email: 'rotated@example.org' },
    });
    const newKid = JSON.parse(
      Buffer.from((fresh.body.license.key ?? '').split('.')[0] as string, 'base64url').toString(),
    ).kid;
    expect(newKid).not.toBe(before[0]?.kid);
    expect(after.map((k) => k.kid)).toContain(newKid);

    const jwks = `${service.url}/.well-known/jwks.json`;
    expect((await cli(['verify', licenseFile, '--jwks', jwks])).code).toBe(0);
    expect((await cli(['verify', '-', '--jwks', jwks], { stdin: fresh.body.license.key })).code).toBe(0);
    const mode = fs.statSync(path.join(service.dataDir, 'keys/signing-keys.json')).mode & 0o777;
    expect(mode).toBe(0o600);
  });
});
