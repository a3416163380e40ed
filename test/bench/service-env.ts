// What every benchmark gives the service it starts, and the app tokens it mints with.
import crypto from 'node:crypto';
import { APP_SECRET, LOOKUP_TOKEN } from '../support/service.ts';

/** The service's settings for a benchmark: real SMTP on loopback, quiet logs, no rate limits. */
export function benchServiceEnv(smtpUrl: string): Record<string, string> {
  return {
    SMTP_URL: smtpUrl,
    APP_SECRET,
    LOOKUP_TOKEN,
    LOG_LEVEL: 'warn',
    PREVIEW: '0',
    // Capacity, not policy: the per-caller rate limits would cap one installation at 600 a minute.
    RATE_LIMIT_APP_PER_MINUTE: '0',
  };
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** An app token as the Zendesk proxy makes it (HS256 with APP_SECRET), the `n`th of a run. */
export function benchAppToken(n: number, installations: number, iat = Math.floor(Date.now() / 1000)): string {
  const claims = { iat, exp: iat + 3600, sub: `bench-installation-${n % installations}`, n };
  const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${crypto.createHmac('sha256', APP_SECRET).update(input).digest('base64url')}`;
}
