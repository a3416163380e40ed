#!/usr/bin/env node
// `npm start`: builds the sidebar app only when its sources are newer than `zendesk-app/dist`
// (a rebuild costs ~5 s; the check a few milliseconds), then hands over to `mintdesk serve`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const app = path.join(root, 'zendesk-app');
const dist = path.join(app, 'dist');
// Everything the build reads: the app, the shared schemas it bundles, and the installed packages.
const inputs = [
  'zendesk-app/src',
  'zendesk-app/public',
  'zendesk-app/translations',
  'zendesk-app/scripts',
  'zendesk-app/manifest.json',
  'zendesk-app/package.json',
  'zendesk-app/iframe.html',
  'zendesk-app/vite.config.ts',
  'zendesk-app/tsconfig.json',
  'shared/src',
  'package-lock.json',
];

/** The newest (or, with `oldest`, the oldest) modification time of the files under `file`. */
function mtime(file, oldest = false) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let found;
  for (const name of fs.readdirSync(file)) {
    const time = mtime(path.join(file, name), oldest);
    if (time !== undefined && (found === undefined || (oldest ? time < found : time > found))) found = time;
  }
  return found;
}

const started = performance.now();
const built = mtime(dist, true);
const newestInput = Math.max(...inputs.map((input) => mtime(path.join(root, input)) ?? 0));
const seconds = () => ((performance.now() - started) / 1000).toFixed(2);
if (built !== undefined && built >= newestInput) {
  process.stdout.write(`Sidebar app in zendesk-app/dist is up to date (checked in ${seconds()} s).\n`);
} else {
  process.stdout.write(`Building the sidebar app (${built === undefined ? 'not built yet' : 'sources changed'})…\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--workspace', 'zendesk-app', '--if-present'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  process.stdout.write(`Sidebar app built in ${seconds()} s.\n`);
}
