import { validate } from '@readme/openapi-parser';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import type { TestService } from '../support/service.ts';

const fixture = useTestService();
let service: TestService;
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; responses?: Record<string, unknown> }>>;
}
let document: OpenApiDocument;

beforeAll(async () => {
  service = fixture.service;
  const response = await request<OpenApiDocument>(`${service.url}/openapi.json`);
  expect(response.status).toBe(200);
  document = response.body;
});

/** Every method and path Fastify routes, read from its route tree (`printRoutes`). */
function registeredRoutes(app: FastifyInstance): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    const parent = stack[depth - 1] ?? '';
    const segment = match[2] ?? '';
    // The tree prints a wildcard child without its slash (`/lookup` → `*` is `/lookup/*`).
    const full = parent + (segment.startsWith('*') && !parent.endsWith('/') ? `/${segment}` : segment);
    stack[depth] = full;
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim())) {
      if (method && method !== 'HEAD') routes.push({ method, path: full });
    }
  }
  return routes;
}

/** `:id` → `{id}` and `*` → `{*}`, as @fastify/swagger writes them. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}');

describe('API description', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('describes every route the app registers (walked from Fastify’s route tree)', () => {
    const routes = registeredRoutes(service.app).filter(
      // The documentation UI's own files are not part of the API.
      (route) => !route.path.startsWith('/docs'),
    );
    expect(routes.length).toBeGreaterThan(10);
    const missing = routes.filter(
      (route) => document.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()] === undefined,
    );
    expect(missing).toEqual([]);
  });

  it('takes the mint body from the schema that validates it', async () => {
    const mint = document.paths['/api/v1/licenses']?.post;
    expect(JSON.stringify(mint?.requestBody)).toContain('userCount');
    expect(Object.keys(mint?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401', '429']));
    // …and the same schema refuses what it documents as invalid, in the contract's shape.
    const refused = await request<{ error: { code: string; fields: Record<string, string> } }>(
      `${service.url}/api/v1/licenses`,
      { token: await service.appToken(), body: { agent: 'asmith', userCount: 0, email: 'jane@example.org' } },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('validation_failed');
    expect(Object.keys(refused.body.error.fields)).toEqual(['userCount']);
  });

  it('renders the document for people at /docs under a policy with no inline script', async () => {
    const response = await fetch(`${service.url}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src[^;]*'self'/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  });
});
