import fs from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { plainSerializerCompiler, zodValidatorCompiler } from './zod-compilers.ts';

const LOGO = new URL('../lookup/static/logo.svg', import.meta.url);

export interface OpenApiOptions {
  publicUrl: string;
  version: string;
}

/** Security schemes, named once so routes can say who may call them. */
export const SECURITY = {
  app: [{ appToken: [] }],
  lookup: [{ lookupToken: [] }],
  appOrLookup: [{ appToken: [] }, { lookupToken: [] }],
  license: [{ licenseKey: [] }],
  session: [{ lookupSession: [] }],
} as const;

/**
 * Makes zod the request validator and registers the OpenAPI 3.1 document (`GET /openapi.json`)
 * and its rendering for people (`GET /docs`). Must run before any route is registered: the
 * document is generated from the very schemas that validate requests.
 */
export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(plainSerializerCompiler);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Mintdesk',
        version: options.version,
        description:
          'Signed licenses from a Zendesk ticket: minted, approved, emailed, recorded, looked up, revoked and reported. ' +
          'Every error answers `{"error":{"code","message","fields"?}}`.',
      },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: {
          appToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'HS256 JWT signed with APP_SECRET by the Zendesk proxy; exp at most one hour ahead.',
          },
          lookupToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'LOOKUP_TOKEN (the operator) or a personal credential from `mintdesk people add`.',
          },
          licenseKey: { type: 'http', scheme: 'bearer', bearerFormat: 'JWS', description: 'The license key itself.' },
          lookupSession: { type: 'apiKey', in: 'cookie', name: 'mintdesk_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    logo: { type: 'image/svg+xml', content: fs.readFileSync(LOGO), href: '/docs', target: '_self' },
    theme: { title: 'Mintdesk API' },
    uiConfig: { docExpansion: 'list', deepLinking: false, tryItOutEnabled: false },
  });
  app.get(
    '/openapi.json',
    { schema: { summary: 'This document (OpenAPI 3.1)', tags: ['meta'] } },
    async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()),
  );
}
