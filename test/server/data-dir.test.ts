import fs from 'node:fs';
import path from 'node:path';
import { FileKeyStore } from '@mintdesk/server/keys/key-store.ts';
import type { LicenseRecord } from '@mintdesk/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { startTestService, tempDir, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

function modeOf(file: string): string {
  return (fs.statSync(file).mode & 0o777).toString(8).padStart(4, '0');
}

/** Every file below `dir`, with its mode: what a local user could read. */
function modesBelow(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    found[path.relative(dir, full)] = modeOf(full);
  }
  return found;
}

describe('files in DATA_DIR', () => {
  let previousUmask: number;
  let service: TestService | undefined;
  const smtp = new SmtpReceiver();

  beforeEach(async () => {
    // The default umask of most systems: files 0644, folders 0755 unless created otherwise.
    previousUmask = process.umask(0o022);
    await smtp.start();
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    await smtp.stop();
    process.umask(previousUmask);
  });

  it('database world-readable when DATA_DIR already exists: every key, secret and database file is 0600', async () => {
    const dataDir = tempDir();
    fs.chmodSync(dataDir, 0o755);
    // Generated secrets (no APP_SECRET/LOOKUP_TOKEN given), as on a first `npm start`.
    service = await startTestService({ smtpUrl: smtp.url, dataDir, env: { APP_SECRET: '', LOOKUP_TOKEN: '' } });
    const appSecret = service.running.config.appSecret;
    const minted = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await signAppToken(appSecret, { now: service.clock.now() }),
      body: { agent: 'asmith', userCount: 3, email: 'modes@example.org' },
    });
    expect(minted.status).toBe(201);

    const modes = modesBelow(dataDir);
    // The write-ahead log and its index exist while the service runs: they hold license rows too.
    expect(Object.keys(modes).sort()).toEqual(
      expect.arrayContaining([
        'keys',
        'keys/signing-keys.json',
        'mintdesk.sqlite',
        'mintdesk.sqlite-shm',
        'mintdesk.sqlite-wal',
        'secrets',
        'secrets/app-secret',
        'secrets/lookup-token',
      ]),
    );
    for (const [name, mode] of Object.entries(modes)) {
      const isDir = fs.statSync(path.join(dataDir, name)).isDirectory();
      expect({ name, mode }).toEqual({ name, mode: isDir ? '0700' : '0600' });
    }
    // The operator's own folder keeps the mode it was given.
    expect(modeOf(dataDir)).toBe('0755');
  });

  it('tightens files an earlier run or another tool left readable by others', async () => {
    const dataDir = tempDir();
    fs.chmodSync(dataDir, 0o755);
    for (const dir of ['keys', 'secrets']) fs.mkdirSync(path.join(dataDir, dir), { mode: 0o755 });
    fs.writeFileSync(path.join(dataDir, 'secrets/app-secret'), 'an-app-secret-of-32-characters-xx\n', { mode: 0o644 });
    fs.writeFileSync(path.join(dataDir, 'secrets/lookup-token'), 'a-lookup-token-of-32-characters-x\n', {
      mode: 0o644,
    });
    // A database and key file as the previous version created them (0644 under this umask).
    const first = await startTestService({ smtpUrl: smtp.url, dataDir });
    await first.close();
    fs.chmodSync(path.join(dataDir, 'mintdesk.sqlite'), 0o644);
    fs.chmodSync(path.join(dataDir, 'keys/signing-keys.json'), 0o644);

    service = await startTestService({ smtpUrl: smtp.url, dataDir, env: { APP_SECRET: '', LOOKUP_TOKEN: '' } });
    expect(service.running.config.appSecret).toBe('an-app-secret-of-32-characters-xx');
    for (const file of ['mintdesk.sqlite', 'keys/signing-keys.json', 'secrets/app-secret', 'secrets/lookup-token']) {
      expect({ file, mode: modeOf(path.join(dataDir, file)) }).toEqual({ file, mode: '0600' });
    }
    for (const dir of ['keys', 'secrets']) expect(modeOf(path.join(dataDir, dir))).toBe('0700');
  });
});

describe('instances started together on an empty shared DATA_DIR', () => {
  it('agree on one signing key: every concurrent open signs with the key the file holds', async () => {
    const dataDir = tempDir();
    const stores = await Promise.all(Array.from({ length: 6 }, () => FileKeyStore.open(dataDir)));
    const file = JSON.parse(fs.readFileSync(FileKeyStore.keyFileIn(dataDir), 'utf8')) as {
      current: string;
      keys: unknown[];
    };
    expect(file.keys).toHaveLength(1);
    for (const store of stores) {
      expect(store.current().kid).toBe(file.current);
      expect(store.jwks().keys.map((key) => key.kid)).toEqual([file.current]);
    }
    // Nothing half-written or left over beside the key file.
    expect(fs.readdirSync(path.dirname(FileKeyStore.keyFileIn(dataDir)))).toEqual(['signing-keys.json']);
  });

  it('three real processes: one key in the JWKS of each, one app secret accepted by each', async () => {
    const dataDir = tempDir();
    const smtp = await new SmtpReceiver().start();
    const children: ChildService[] = [];
    try {
      const started = await Promise.allSettled(
        [1, 2, 3].map(() => spawnService({ DATA_DIR: dataDir, SMTP_URL: smtp.url, PREVIEW: '0' }, 60_000)),
      );
      for (const outcome of started) if (outcome.status === 'fulfilled') children.push(outcome.value);
      expect(started.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const jwks = await Promise.all(
        children.map(
          async (child) => (await request<{ keys: Array<{ kid: string }> }>(`${child.url}/.well-known/jwks.json`)).body,
        ),
      );
      const kids = jwks.map((set) => set.keys.map((key) => key.kid));
      expect(kids[0]).toHaveLength(1);
      expect(kids[1]).toEqual(kids[0]);
      expect(kids[2]).toEqual(kids[0]);

      const secret = fs.readFileSync(path.join(dataDir, 'secrets/app-secret'), 'utf8').trim();
      for (const [i, child] of children.entries()) {
        const minted = await request<LicenseRecord>(`${child.url}/api/v1/licenses`, {
          token: await signAppToken(secret, { now: new Date() }),
          body: { agent: 'asmith', userCount: 2, email: `shared${i}@example.org` },
        });
        expect(minted.status).toBe(201);
        const header = JSON.parse(
          Buffer.from((minted.body.license.key ?? '').split('.')[0] ?? '', 'base64url').toString(),
        ) as {
          kid: string;
        };
        expect(header.kid).toBe(kids[0]?.[0]);
      }
    } finally {
      for (const child of children) {
        child.process.kill('SIGKILL');
        await child.exited;
      }
      await smtp.stop();
    }
  }, 120_000);
});
