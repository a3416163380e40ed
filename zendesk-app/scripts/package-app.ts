import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { checkAppFolder } from './manifest-check.ts';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(appDir, 'dist');

if (!fs.existsSync(path.join(dist, 'manifest.json'))) {
  process.stderr.write('zendesk-app/dist is missing: run `npm run build` first.\n');
  process.exit(1);
}
const problems = checkAppFolder(dist);
if (problems.length > 0) {
  process.stderr.write(`The app would be refused by Zendesk:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}

// Dev settings (zcli.apps.config.json) hold a secret for local testing: never package them.
const ignored = new Set(
  fs
    .readFileSync(path.join(appDir, '.zcliignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean),
);
const files: Record<string, Uint8Array> = {};
for (const relative of fs.readdirSync(dist, { recursive: true }) as string[]) {
  const full = path.join(dist, relative);
  if (fs.statSync(full).isDirectory() || ignored.has(path.basename(relative))) continue;
  files[relative.split(path.sep).join('/')] = fs.readFileSync(full);
}

const { version } = JSON.parse(fs.readFileSync(path.join(dist, 'manifest.json'), 'utf8')) as { version: string };
const outDir = path.join(appDir, 'package');
fs.mkdirSync(outDir, { recursive: true });
const zipPath = path.join(outDir, `mintdesk-app-${version}.zip`);
fs.writeFileSync(zipPath, zipSync(files, { level: 9 }));
process.stdout.write(`Offline manifest check passed; packaged ${Object.keys(files).length} files into ${zipPath}\n`);

const { ZENDESK_SUBDOMAIN, ZENDESK_EMAIL, ZENDESK_API_TOKEN } = process.env;
if (ZENDESK_SUBDOMAIN && ZENDESK_EMAIL && ZENDESK_API_TOKEN) {
  // zcli tries to install keytar into ~/.local/share/zcli without a home it owns.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'zcli-home-'));
  const result = spawnSync('npx', ['--no-install', 'zcli', 'apps:validate', dist], {
    stdio: 'inherit',
    env: { ...process.env, HOME: home },
  });
  process.exit(result.status ?? 1);
} else {
  process.stdout.write(
    'zcli apps:validate skipped: set ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN to validate with Zendesk.\n',
  );
}
