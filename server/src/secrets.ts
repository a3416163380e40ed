import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createFileExclusive, ensurePrivateDir, restrictFile, writeFileAtomic } from './files.ts';

export interface ResolvedSecret {
  value: string;
  /** Where the value came from: the environment variable's name, or the file it was read from. */
  source: string;
  generated: boolean;
}

/**
 * Uses the environment's value when set; otherwise reads `DATA_DIR/secrets/<name>`, generating
 * it (mode 0600) on first start. Callers print `source`, never `value`.
 */
export function resolveSecret(
  envName: string,
  envValue: string | undefined,
  dataDir: string,
  fileName: string,
): ResolvedSecret {
  if (envValue !== undefined) return { value: envValue, source: `$${envName}`, generated: false };
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, fileName);
  ensurePrivateDir(dir);
  const existing = readSecret(file);
  if (existing !== undefined && existing.length >= 16) return { value: existing, source: file, generated: false };
  const value = crypto.randomBytes(32).toString('base64url');
  if (existing === undefined) {
    // Instances started together on an empty shared DATA_DIR: one creates the file, the others
    // use what it wrote, so all of them accept the same tokens.
    if (!createFileExclusive(file, `${value}\n`)) {
      const winner = readSecret(file);
      if (winner !== undefined && winner.length >= 16) return { value: winner, source: file, generated: false };
      throw new Error(`${file} exists but holds no usable secret`);
    }
  } else {
    writeFileAtomic(file, `${value}\n`);
  }
  return { value, source: file, generated: true };
}

/** The secret in `file` (made owner-only first), or undefined when there is no such file. */
function readSecret(file: string): string | undefined {
  try {
    restrictFile(file);
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
