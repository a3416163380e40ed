import type { FastifyPluginAsync } from 'fastify';
import type { KeyStore } from '../keys/key-store.ts';

export const wellKnownRoutes: FastifyPluginAsync<{ keys: KeyStore }> = async (app, { keys }) => {
  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'Public signing keys (JWKS)', tags: ['keys'] } },
    async (_request, reply) => {
      return reply.header('cache-control', 'public, max-age=300').send(keys.jwks());
    },
  );
};
