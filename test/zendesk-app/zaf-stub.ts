import { vi } from 'vitest';
import { LicenseKind, type LicenseRecord } from '../../zendesk-app/src/policies.ts';
import type { ZafClient, ZafRequestOptions } from '../../zendesk-app/src/zaf/zaf-client.ts';

export interface StubOptions {
  email?: string;
  agent?: string;
  locale?: string;
  ticketId?: number;
  /** What `GET /api/v1/policies` answers (default: all four kinds); a function may throw like ZAF does. */
  policies?: unknown | (() => Promise<unknown>);
  respond: (options: ZafRequestOptions) => Promise<unknown>;
}

/** The four kinds as the contract describes them; add-on and order need approval by default. */
export const POLICIES = {
  kinds: [
    {
      kind: 'emergency',
      label: 'Emergency trial',
      fields: ['userCount'],
      days: 10,
      maxUsers: 100000,
      approval: false,
      trial: true,
    },
    {
      kind: 'transition',
      label: 'Transition trial',
      fields: ['userCount', 'reason'],
      days: 30,
      maxUsers: 100000,
      approval: false,
      trial: true,
    },
    {
      kind: 'addon',
      label: 'Add-on seats',
      fields: ['baseLicenseId', 'addUsers', 'totalUsers'],
      maxUsers: 100000,
      approval: true,
      trial: false,
    },
    {
      kind: 'order',
      label: 'Ordered license',
      fields: ['userCount', 'licensee', 'term', 'deployment', 'startsAt', 'endsAt', 'orderRef'],
      maxUsers: 100000,
      approval: true,
      trial: false,
    },
  ],
};

/** A ZAF client stubbed the way Zendesk's scaffolds do: `app.registered` fires asynchronously. */
export function stubZafClient(options: StubOptions) {
  const policies = options.policies ?? POLICIES;
  const request = vi.fn((req: ZafRequestOptions) => {
    if (isPolicies(req)) return typeof policies === 'function' ? policies() : Promise.resolve(policies);
    return options.respond(req);
  });
  const invoke = vi.fn(async () => ({}));
  const client: ZafClient = {
    get: vi.fn(async () => ({
      'ticket.requester.email': options.email ?? 'jane@example.org',
      'ticket.id': options.ticketId ?? 1234,
      currentUser: { name: options.agent ?? 'Agent Smith', locale: options.locale ?? 'en' },
    })),
    metadata: vi.fn(async () => ({ settings: { serverUrl: 'https://licenses.example.com' } })),
    context: vi.fn(async () => ({ account: { subdomain: 'acme' }, ticketId: options.ticketId ?? 1234 })),
    invoke,
    request: request as ZafClient['request'],
    on: vi.fn((event: string, handler: () => void) => {
      if (event === 'app.registered') setTimeout(handler, 0);
    }),
  };
  vi.stubGlobal('ZAFClient', { init: () => client });
  return { client, request, invoke };
}

export function record(overrides: {
  id?: string;
  kind?: string;
  status?: 'sent' | 'queued' | 'failed';
  issuedAt?: string;
  expiresAt?: string | null;
  userCount?: number;
  error?: string;
  issueState?: 'open' | 'closed' | null;
}): LicenseRecord {
  const issuedAt = overrides.issuedAt ?? '2026-11-21T09:30:00.000Z';
  const expiresAt =
    overrides.expiresAt === null
      ? null
      : (overrides.expiresAt ?? new Date(new Date(issuedAt).getTime() + 10 * 86_400_000).toISOString());
  const status = overrides.status ?? 'sent';
  return {
    license: {
      id: overrides.id ?? 'lic_abcdefgh23456789',
      kind: LicenseKind.parse(overrides.kind ?? 'emergency'),
      key: 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJsaWMifQ.c2ln',
      issuedAt,
      expiresAt,
      userCount: overrides.userCount ?? 25,
      email: 'jane@example.org',
      agent: 'Agent Smith',
      ticketId: 1234,
    },
    approval: { status: 'not_required' },
    delivery: { status, attempts: 1, ...(overrides.error ? { error: overrides.error } : {}) },
    issue:
      overrides.issueState === null
        ? null
        : {
            id: '1',
            state: overrides.issueState ?? (status === 'sent' ? 'closed' : 'open'),
            title:
              status === 'sent'
                ? '[Success] - Created a license under jane@example.org for 25 users'
                : '[Failure] - Could not create a license under jane@example.org for 25 users',
          },
  };
}

/** What a mint of a kind needing approval answers (202): no key, delivery held, one open issue. */
export function pendingRecord(overrides: { id?: string; kind?: string; userCount?: number } = {}): LicenseRecord {
  const users = overrides.userCount ?? 50;
  return {
    license: {
      id: overrides.id ?? 'lic_pending2345678abc',
      kind: LicenseKind.parse(overrides.kind ?? 'order'),
      issuedAt: '2026-11-21T09:30:00.000Z',
      expiresAt: '2027-11-20T23:59:59.000Z',
      userCount: users,
      email: 'jane@example.org',
      agent: 'Agent Smith',
      ticketId: 1234,
    },
    approval: { status: 'pending' },
    delivery: { status: 'held', attempts: 0 },
    issue: { id: '7', state: 'open', title: `[Approval needed] - License under jane@example.org for ${users} users` },
  };
}

export function isPolicies(options: ZafRequestOptions): boolean {
  return (options.type ?? 'GET') === 'GET' && options.url.endsWith('/api/v1/policies');
}

export function isMint(options: ZafRequestOptions): boolean {
  return options.type === 'POST' && options.url.endsWith('/api/v1/licenses');
}

export function isList(options: ZafRequestOptions): boolean {
  return (options.type ?? 'GET') === 'GET' && options.url.includes('/api/v1/licenses?');
}
