import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { checkAppFolder } from './manifest-check.ts';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(appDir, 'dist');

fs.copyFileSync(path.join(appDir, 'manifest.json'), path.join(dist, 'manifest.json'));
fs.rmSync(path.join(dist, 'translations'), { recursive: true, force: true });
fs.cpSync(path.join(appDir, 'translations'), path.join(dist, 'translations'), { recursive: true });

const problems = checkAppFolder(dist);
if (problems.length > 0) {
  process.stderr.write(`The built app would be refused:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}

/** Gzipped size of all the app's JavaScript: what an agent's browser downloads. */
export function javascriptGzipBytes(dir: string): number {
  return fs
    .readdirSync(path.join(dir, 'assets'))
    .filter((name) => name.endsWith('.js'))
    .reduce((total, name) => total + gzipSync(fs.readFileSync(path.join(dir, 'assets', name)), { level: 9 }).length, 0);
}

process.stdout.write(
  `zendesk-app/dist is a valid app folder; sidebar_js_gzip: ${(javascriptGzipBytes(dist) / 1024).toFixed(1)} KB\n`,
);
