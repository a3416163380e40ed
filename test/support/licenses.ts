import type { LicenseRecord } from '@mintdesk/shared';
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { type JsonResponse, request } from './http.ts';
import type { TestService } from './service.ts';

/** A mint through the real API with a fresh app token. */
export async function mint(service: TestService, body: unknown): Promise<JsonResponse<LicenseRecord>> {
  return request<LicenseRecord>(`${service.url}/api/v1/licenses`, { token: await service.appToken(), body });
}

/** The license's claims, verified with jose against the service's published JWKS. */
export async function verifiedClaims(service: TestService, key: string | undefined): Promise<JWTPayload> {
  const jwks = await request<{ keys: unknown[] }>(`${service.url}/.well-known/jwks.json`);
  const { payload } = await jwtVerify(key ?? '', createLocalJWKSet(jwks.body as never), {
    currentDate: service.clock.now(),
    typ: 'license+jwt',
    algorithms: ['EdDSA'],
  });
  return payload;
}

/** `YYYY-MM-DD`, `days` from the service's clock. */
export function dayFrom(service: TestService, days: number): string {
  return new Date(service.clock.now().getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
