#!/usr/bin/env node
// `npm start`: builds what is out of date, then `npm start` hands over to `mintdesk serve`.
// - the sidebar app, when its sources are newer than `zendesk-app/dist` (a rebuild ~5 s);
// - the service bundle `server/dist/mintdesk.js`, when what it is built from is newer (~0.3 s).
// Each check stats the source trees, a few milliseconds.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtSourcesStale, staleInput } from '../scripts/build-freshness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Everything the app build reads: the app, the shared schemas it bundles, and the installed packages.
const APP_INPUTS = [
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

/** Builds `workspace` when `stale` says it is out of date (see `staleInput`), or says it is current. */
function buildIfStale(workspace, what, built, stale, checkedS) {
  const What = `${what[0].toUpperCase()}${what.slice(1)}`;
  if (stale === undefined) {
    process.stdout.write(`${What} in ${built} is up to date (checked in ${checkedS} s).\n`);
    return;
  }
  const started = performance.now();
  process.stdout.write(`Building ${what} (${stale === 'not built' ? 'not built yet' : `${stale} changed`})…\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--workspace', workspace, '--if-present'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  process.stdout.write(`${What} built in ${((performance.now() - started) / 1000).toFixed(2)} s.\n`);
}

const started = performance.now();
const appStale = staleInput(path.join(root, 'zendesk-app/dist'), APP_INPUTS, root);
const bundleStale = builtSourcesStale(path.join(root, 'server/dist/mintdesk.js'), root);
const checkedS = ((performance.now() - started) / 1000).toFixed(2);
buildIfStale('zendesk-app', 'the sidebar app', 'zendesk-app/dist', appStale, checkedS);
buildIfStale('server', 'the service bundle', 'server/dist/mintdesk.js', bundleStale, checkedS);
