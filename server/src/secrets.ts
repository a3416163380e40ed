import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './files.ts';

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
  if (fs.existsSync(file)) {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (value.length >= 16) return { value, source: file, generated: false };
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const value = crypto.randomBytes(32).toString('base64url');
  writeFileAtomic(file, `${value}\n`, 0o600);
  return { value, source: file, generated: true };
}
