import type { LicenseRecord } from '@mintdesk/shared';
import { vi } from 'vitest';
import type { ZafClient, ZafRequestOptions } from '../../zendesk-app/src/zaf/zaf-client.ts';

export interface StubOptions {
  email?: string;
  agent?: string;
  locale?: string;
  ticketId?: number;
  respond: (options: ZafRequestOptions) => Promise<unknown>;
}

/** A ZAF client stubbed the way Zendesk's scaffolds do: `app.registered` fires asynchronously. */
export function stubZafClient(options: StubOptions) {
  const request = vi.fn((req: ZafRequestOptions) => options.respond(req));
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
  status?: 'sent' | 'queued' | 'failed';
  issuedAt?: string;
  error?: string;
  issueState?: 'open' | 'closed' | null;
}): LicenseRecord {
  const issuedAt = overrides.issuedAt ?? '2026-11-21T09:30:00.000Z';
  const expiresAt = new Date(new Date(issuedAt).getTime() + 10 * 86_400_000).toISOString();
  const status = overrides.status ?? 'sent';
  return {
    license: {
      id: overrides.id ?? 'lic_abcdefgh23456789',
      kind: 'emergency',
      key: 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJsaWMifQ.c2ln',
      issuedAt,
      expiresAt,
      userCount: 25,
      email: 'jane@example.org',
      agent: 'Agent Smith',
      ticketId: 1234,
    },
    delivery: { status, attempts: 1, ...(overrides.error ? { error: overrides.error } : {}) },
    approval: { status: 'not_required' },
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

export function isMint(options: ZafRequestOptions): boolean {
  return options.type === 'POST' && options.url.endsWith('/api/v1/licenses');
}

export function isList(options: ZafRequestOptions): boolean {
  return (options.type ?? 'GET') === 'GET' && options.url.includes('/api/v1/licenses?');
}
