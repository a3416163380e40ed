// Whether server/dist/mintdesk.js still matches the sources it was bundled from: the bundle is used
// only when no file under server/src or shared/src (or the lockfile) is newer than it. The check
// stats ~150 files, a few milliseconds.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUNDLE_INPUTS = ['server/src', 'shared/src', 'server/package.json', 'shared/package.json'];

/** The path of the newest file under `file` and its modification time. */
function newest(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return { file, mtimeMs: stat.mtimeMs };
  let found;
  for (const name of fs.readdirSync(file)) {
    const inner = newest(path.join(file, name));
    if (inner && (!found || inner.mtimeMs > found.mtimeMs)) found = inner;
  }
  return found;
}

/**
 * undefined when `bundle` is up to date; 'not built' when there is none; otherwise the path (relative
 * to `root`, the repository) of a source newer than it.
 */
export function builtSourcesStale(bundle, root = repoRoot) {
  let built;
  try {
    built = fs.statSync(bundle).mtimeMs;
  } catch {
    return 'not built';
  }
  for (const input of BUNDLE_INPUTS) {
    const found = newest(path.join(root, input));
    if (found && found.mtimeMs > built) return path.relative(root, found.file);
  }
  return undefined;
}
