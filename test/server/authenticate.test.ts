import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { FailedCredentials } from '@mintdesk/server/abuse/failed-credentials.ts';
import { SlidingWindowCounter } from '@mintdesk/server/abuse/hit-counter.ts';
import { createAuthenticator } from '@mintdesk/server/auth/authenticate.ts';
import { ManualClock } from '../support/clock.ts';

describe('the authenticator takes further lookup credentials', () => {
  async function appWith(failures: FailedCredentials) {
    const requireCaller = createAuthenticator({
      appSecret: 'app-secret-0123456789abcdef0123456789',
      lookupToken: 'operator-token-0123456789abcdef',
      clock: new ManualClock(),
      failures,
      lookupCredential: async (token) =>
        token === 'personal-token-for-pat' ? { kind: 'lookup', name: 'Pat' } : undefined,
    });
    const app = Fastify();
    app.get('/who', { onRequest: requireCaller('lookup') }, async (request) => request.caller);
    app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) =>
      reply.code(error.statusCode ?? 500).send({ status: error.statusCode }),
    );
    await app.ready();
    return app;
  }

  it('admits a personal credential as a lookup caller with its holder name, and counts tokens that are none', async () => {
    const failures = new FailedCredentials(2);
    const app = await appWith(failures);
    const who = (token: string) => app.inject({ url: '/who', headers: { authorization: `Bearer ${token}` } });
    expect((await who('personal-token-for-pat')).json()).toEqual({ kind: 'lookup', name: 'Pat' });
    expect((await who('operator-token-0123456789abcdef')).json()).toEqual({ kind: 'lookup', name: 'lookup-token' });
    expect((await who('nobody')).statusCode).toBe(401);
    expect((await who('nobody-either')).statusCode).toBe(401);
    expect((await who('personal-token-for-pat')).statusCode).toBe(429);
    await app.close();
  });
});

describe('the sliding window counter', () => {
  it('frees a slot when the oldest hit leaves the window', () => {
    let now = 0;
    const counter = new SlidingWindowCounter(60_000, () => now);
    counter.hit('k');
    now = 10_000;
    counter.hit('k');
    expect(counter.blockedFor('k', 2)).toBe(50_000);
    expect(counter.blockedFor('other', 2)).toBeUndefined();
    now = 60_001;
    expect(counter.blockedFor('k', 2)).toBeUndefined();
    counter.hit('k');
    expect(counter.blockedFor('k', 2)).toBe(9_999);
  });
});
