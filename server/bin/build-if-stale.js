#!/usr/bin/env node
// `npm start`: builds what is out of date, then `npm start` hands over to `mintdesk serve`.
// - the sidebar app, when its sources are newer than `zendesk-app/dist` (a rebuild ~5 s);
// - the service bundle `server/dist/mintdesk.js`, when server/src or shared/src is newer (~0.2 s).
// Each check stats the source trees, a few milliseconds.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtSourcesStale } from '../scripts/bundle-freshness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const appDist = path.join(root, 'zendesk-app/dist');
// Everything the app build reads: the app, the shared schemas it bundles, and the installed packages.
const appInputs = [
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

function runBuild(workspace, what, why) {
  const started = performance.now();
  process.stdout.write(`Building ${what} (${why})…\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--workspace', workspace, '--if-present'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  process.stdout.write(
    `${what[0].toUpperCase()}${what.slice(1)} built in ${((performance.now() - started) / 1000).toFixed(2)} s.\n`,
  );
}

const started = performance.now();
const appBuilt = mtime(appDist, true);
const newestAppInput = Math.max(...appInputs.map((input) => mtime(path.join(root, input)) ?? 0));
const serverStale = builtSourcesStale(path.join(root, 'server/dist/mintdesk.js'));
const checked = ((performance.now() - started) / 1000).toFixed(2);

if (appBuilt !== undefined && appBuilt >= newestAppInput)
  process.stdout.write(`Sidebar app in zendesk-app/dist is up to date (checked in ${checked} s).\n`);
else runBuild('zendesk-app', 'the sidebar app', appBuilt === undefined ? 'not built yet' : 'sources changed');

if (serverStale === undefined)
  process.stdout.write(`Service bundle server/dist/mintdesk.js is up to date (checked in ${checked} s).\n`);
else runBuild('server', 'the service bundle', serverStale === 'not built' ? 'not built yet' : `${serverStale} changed`);
