// Whether something built is older than what it is built from: `mintdesk` runs the service bundle
// (server/dist/mintdesk.js) only while it is current, and `npm start` rebuilds the sidebar app and
// the bundle only when they are not. The check stats the input trees, a few milliseconds.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * What the service bundle is built from. The lockfile too: the bundle inlines kysely and jose, so
 * installing another version of either must rebuild it.
 */
export const BUNDLE_INPUTS = [
  'server/src',
  'shared/src',
  'server/package.json',
  'shared/package.json',
  'package-lock.json',
];

/** The file under `file` (itself, or anywhere below a folder) that `later` picks: the newest or the oldest. */
function pickFile(file, later) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return { file, mtimeMs: stat.mtimeMs };
  let found;
  for (const name of fs.readdirSync(file)) {
    const inner = pickFile(path.join(file, name), later);
    if (inner && (!found || later(inner.mtimeMs, found.mtimeMs))) found = inner;
  }
  return found;
}

/**
 * undefined when `built` (a file, or a folder: its oldest file counts) is at least as new as every
 * file under `inputs`; 'not built' when there is nothing built; otherwise the path (relative to
 * `root`, the repository) of an input newer than it.
 */
export function staleInput(built, inputs, root = repoRoot) {
  const output = pickFile(built, (a, b) => a < b);
  if (!output) return 'not built';
  for (const input of inputs) {
    const found = pickFile(path.join(root, input), (a, b) => a > b);
    if (found && found.mtimeMs > output.mtimeMs) return path.relative(root, found.file);
  }
  return undefined;
}

/** `staleInput` for the service bundle. */
export function builtSourcesStale(bundle, root = repoRoot) {
  return staleInput(bundle, BUNDLE_INPUTS, root);
}
