import crypto from 'node:crypto';
import type { LicenseRecord } from '@mintdesk/shared';
import { sql } from 'kysely';
import { type JsonResponse, request } from './http.ts';
import type { TestService } from './service.ts';

let mints = 0;

/** A license minted through the API, as the sidebar would (an emergency trial). */
export async function mintLicense(service: TestService, email: string, userCount: number): Promise<LicenseRecord> {
  mints += 1;
  const response = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
    token: await service.appToken(),
    body: { agent: 'asmith', userCount, email, ticketId: 7000 + mints },
  });
  if (response.status !== 201) throw new Error(`mint answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

/**
 * Counts a minted license as purchased (non-trial), as an `order` license will be once the
 * license kinds land; the key itself still says trial.
 */
export async function markPurchased(service: TestService, licenseId: string): Promise<void> {
  await sql`update licenses set trial = 0 where id = ${licenseId}`.execute(service.store.db);
}

/** A usage check-in with the license key as the bearer credential. */
export function checkIn(
  service: TestService,
  key: string,
  body: unknown,
): Promise<
  JsonResponse<{ accepted?: boolean; day?: string; error?: { code: string; fields?: Record<string, string> } }>
> {
  return request(`${service.url}/api/v1/usage`, { token: key, body });
}

/** The same claims and `kid`, signed by a key that is not the service's: a forged license. */
export function forge(key: string): string {
  const [header, payload] = key.split('.') as [string, string];
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const signature = crypto.sign(null, Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

/** The key with its claims changed and the original signature kept: a tampered license. */
export function tamper(key: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = key.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  change(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
