import crypto from 'node:crypto';
import type { LicenseRecord } from '@mintdesk/shared';
import { sql } from 'kysely';
import { type JsonResponse, request } from './http.ts';
import { dayFrom } from './licenses.ts';
import type { TestService } from './service.ts';

let mints = 0;

/** A signed license record: its key is there. */
export type IssuedLicense = LicenseRecord & { license: LicenseRecord['license'] & { key: string } };

async function mintBody(service: TestService, body: Record<string, unknown>): Promise<IssuedLicense> {
  mints += 1;
  const response = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
    token: await service.appToken(),
    body: { agent: 'asmith', ticketId: 7000 + mints, ...body },
  });
  if (response.status !== 201 || response.body.license.key === undefined) {
    throw new Error(`mint answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body as IssuedLicense;
}

/** A license minted through the API, as the sidebar would (an emergency trial). */
export function mintLicense(service: TestService, email: string, userCount: number): Promise<IssuedLicense> {
  return mintBody(service, { userCount, email });
}

/**
 * A purchased license (kind `order`, not a trial) for `company`; the service must run with
 * `APPROVAL_KINDS=` so it is signed at once. A subscription of a year, or perpetual when
 * `endsAt` is null.
 */
export function mintOrder(
  service: TestService,
  email: string,
  userCount: number,
  company: string,
  endsAt: string | null = dayFrom(service, 365),
): Promise<IssuedLicense> {
  return mintBody(service, {
    kind: 'order',
    userCount,
    email,
    licensee: { name: 'IT Department', company },
    term: endsAt === null ? 'perpetual' : 'subscription',
    deployment: 'self-managed',
    startsAt: dayFrom(service, 0),
    ...(endsAt === null ? {} : { endsAt }),
    orderRef: `PO-${mints}`,
  });
}

/** Marks a stored license purchased (non-trial) directly, for data seeded outside the API. */
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
