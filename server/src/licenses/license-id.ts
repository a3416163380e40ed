import crypto from 'node:crypto';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * A new license id such as `lic_7hq2mz9xk4tcw3pa`. The prefix keeps ids from ever being all
 * digits (those are ticket ids on the lookup page) and they never contain `@`.
 */
export function newLicenseId(): string {
  const bytes = crypto.randomBytes(16);
  let id = 'lic_';
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}
