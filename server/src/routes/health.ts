import type { FastifyPluginAsync } from 'fastify';

export type ReadinessCheck = () => Promise<void>;

export interface HealthRoutesOptions {
  /** Named checks: database, signing key, mail transport. */
  checks: Record<string, ReadinessCheck>;
}

const CHECK_TIMEOUT_MS = 3000;

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { checks }) => {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: database, signing key, mail transport', tags: ['operations'] } },
    async (request, reply) => {
      const results: Record<string, string> = {};
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), CHECK_TIMEOUT_MS);
            results[name] = 'ok';
          } catch (error) {
            request.log.warn({ err: error, check: name }, 'readiness check failed');
            results[name] = 'failing';
          }
        }),
      );
      const ready = Object.values(results).every((result) => result === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
    },
  );
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
