// The production start runs server/dist/mintdesk.js, the service bundled into one file (start-up
// is mostly module loading). These tests build a bundle of their own beside it and run it as a
// process: its pages find their static files, the CLI works, and a stale bundle is never used.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtSourcesStale } from '../../server/scripts/build-freshness.js';
import { REPO_ROOT } from '../support/child-service.ts';
import { APP_SECRET, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

const run = promisify(execFile);
const outDir = path.join(REPO_ROOT, 'server', `.test-dist-${process.pid}`);
const bundle = path.join(outDir, 'mintdesk.js');
const dataDir = tempDir('mintdesk-bundle-');
let url = '';
let child: ReturnType<typeof spawn> | undefined;
let output = '';
const smtp = new SmtpReceiver();

beforeAll(async () => {
  await smtp.start();
  await run(process.execPath, [path.join(REPO_ROOT, 'server/scripts/build-server.mjs'), bundle], { cwd: REPO_ROOT });
  // A file, not `--input-type=module -e`: worker threads inherit the flags, and that one breaks them.
  const runner = path.join(outDir, 'serve.mjs');
  fs.writeFileSync(
    runner,
    `const { runCli } = await import(${JSON.stringify(bundle)});\nprocess.exitCode = await runCli(['serve']);\n`,
  );
  child = spawn(process.execPath, [runner], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      SMTP_URL: smtp.url,
      APP_SECRET,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!url) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`bundle did not start:\n${output}`);
    url = /Lookup page:\s+(http:\/\/\S+)\/lookup/.exec(output)?.[1] ?? '';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await smtp.stop();
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the service bundle', () => {
  it('serves every page with the static files that sit beside its modules', async () => {
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    for (const [file, type] of [
      ['/lookup/assets/lookup.css', 'text/css'],
      ['/lookup/assets/logo.svg', 'image/svg+xml'],
      ['/preview/preview.js', 'text/javascript'],
      ['/assets/base.css', 'text/css'],
      ['/reports/assets/reports.css', 'text/css'],
    ]) {
      const response = await fetch(`${url}${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toContain(type);
      expect((await response.arrayBuffer()).byteLength, file).toBeGreaterThan(0);
    }
    const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as { info: { version: string } };
    expect(openapi.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('mints and emails a license through SMTP', async () => {
    const response = await fetch(`${url}/api/v1/licenses`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await signAppToken(APP_SECRET, { now: new Date() })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ agent: 'asmith', userCount: 3, email: 'bundle@example.org', ticketId: 77 }),
    });
    expect(response.status, output).toBe(201);
    const body = (await response.json()) as { delivery: { status: string } };
    expect(body.delivery.status, output).toBe('sent');
    expect(smtp.messages).toHaveLength(1);
    expect(output).not.toMatch(/"level":[45]0/);
    expect(smtp.messages[0]?.attachments[0]?.content.toString()).toMatch(/^ey/);
  });

  it('is a bundle: no module of server/src or shared/src is loaded from source', () => {
    const text = fs.readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/from ["'][^"']*\/src\/[^"']*\.ts["']/);
    expect(text).not.toContain('@mintdesk/shared');
  });
});

describe('bundle freshness', () => {
  it('uses a bundle only while no source is newer than it', () => {
    const root = tempDir('mintdesk-fresh-');
    try {
      const source = path.join(root, 'server/src/lookup/page.ts');
      fs.mkdirSync(path.dirname(source), { recursive: true });
      fs.writeFileSync(source, 'export {};\n');
      const built = path.join(root, 'server/dist/mintdesk.js');
      expect(builtSourcesStale(built, root)).toBe('not built');
      fs.mkdirSync(path.dirname(built), { recursive: true });
      fs.writeFileSync(built, '');
      const later = new Date(Date.now() + 10_000);
      fs.utimesSync(built, later, later);
      expect(builtSourcesStale(built, root)).toBeUndefined();
      const edited = new Date(Date.now() + 20_000);
      fs.utimesSync(source, edited, edited);
      expect(builtSourcesStale(built, root)).toBe(path.join('server', 'src', 'lookup', 'page.ts'));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
