import { type JWTPayload, SignJWT } from 'jose';

export interface AppTokenOptions {
  now: Date;
  lifetimeS?: number;
  claims?: JWTPayload;
  alg?: string;
}

/** An app token as the Zendesk proxy makes one from the secure `appSecret` setting. */
export function signAppToken(
  secret: string,
  { now, lifetimeS = 300, claims = {}, alg = 'HS256' }: AppTokenOptions,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ iat, exp: iat + lifetimeS, ...claims })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}
