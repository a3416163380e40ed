import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const BASE_CSS = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../static/base.css'));

/** Styles shared by the server-rendered pages (lookup and preview). */
export const sharedAssetRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/assets/base.css',
    { schema: { summary: 'Styles of the server-rendered pages', tags: ['pages'] } },
    async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(BASE_CSS),
  );
};
