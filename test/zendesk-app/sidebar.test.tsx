import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../zendesk-app/src/App.tsx';
import type { ZafRequestOptions } from '../../zendesk-app/src/zaf/zaf-client.ts';
import { isList, isMint, record, stubZafClient } from './zaf-stub.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

const none = async () => ({ licenses: [] });

async function renderSidebar() {
  render(<App />);
  return screen.findByLabelText('User count');
}

/** The agent's one typed field and one click. */
async function sendLicenseFor(userCount: string) {
  const user = userEvent.setup();
  await renderSidebar();
  await user.type(screen.getByLabelText('User count'), userCount);
  await user.click(screen.getByRole('button', { name: 'Send license' }));
}

describe('the ticket sidebar', () => {
  it('prefills the requester and the agent, and renders nothing outside Zendesk', async () => {
    stubZafClient({ email: 'customer@example.org', agent: 'Alex Agent', respond: none });
    await renderSidebar();
    expect(screen.getByLabelText('Requester email')).toHaveProperty('value', 'customer@example.org');
    expect(screen.getByLabelText('Agent username')).toHaveProperty('value', 'Alex Agent');
    expect(screen.getByLabelText('User count')).toHaveProperty('value', '');
  });

  it('shows what is wrong beside the field and sends nothing', async () => {
    const { request } = stubZafClient({ respond: none });
    await sendLicenseFor('0');
    const count = screen.getByLabelText('User count');
    expect(count.getAttribute('aria-invalid')).toBe('true');
    const described = (count.getAttribute('aria-describedby') ?? '').split(' ');
    const message = screen.getByText('Enter a whole number from 1 to 100000.');
    expect(described).toContain(message.closest('[id]')?.id ?? message.id);
    expect(request.mock.calls.some(([options]) => isMint(options))).toBe(false);
  });

  it('mints once for a double click, with an idempotency key, and shows the result', async () => {
    let release: () => void = () => undefined;
    const { request } = stubZafClient({
      respond: async (options) => {
        if (isMint(options)) {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return record({ status: 'sent' });
        }
        if (isList(options)) return { licenses: [] };
        return {};
      },
    });
    const user = userEvent.setup();
    await renderSidebar();
    await user.type(screen.getByLabelText('User count'), '25');
    const button = screen.getByRole('button', { name: 'Send license' });
    await user.click(button);
    await user.dblClick(button);
    expect(screen.getByText('Sending…')).toBeTruthy();
    expect(screen.getByRole('button', { name: /Sending/ })).toHaveProperty('disabled', true);
    release();
    const status = await screen.findByRole('status');
    await within(status).findByText(/lic_abcdefgh23456789/);
    expect(status.textContent).toContain('2026-12-01');
    expect(status.textContent).toContain('sent');
    expect(status.textContent).toContain('[Success] - Created a license under jane@example.org for 25 users');
    const mints = request.mock.calls.filter(([options]) => isMint(options));
    expect(mints).toHaveLength(1);
    const [mint] = mints[0] as [ZafRequestOptions];
    expect(mint.headers?.['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(mint.headers?.Authorization).toBe('Bearer {{jwt.token}}');
    expect(mint.secure).toBe(true);
    expect(mint.jwt).toMatchObject({ algorithm: 'HS256', secret_key: '{{setting.appSecret}}' });
    expect(JSON.parse(mint.data ?? '{}')).toEqual({
      kind: 'emergency',
      agent: 'Agent Smith',
      email: 'jane@example.org',
      userCount: 25,
      ticketId: 1234,
      ticketUrl: 'https://acme.zendesk.com/agent/tickets/1234',
    });
    await waitFor(() =>
      expect(request.mock.calls.some(([options]) => options.url === '/api/v2/tickets/1234.json')).toBe(true),
    );
    const note = request.mock.calls.find(([options]) => options.url === '/api/v2/tickets/1234.json')?.[0];
    expect(JSON.parse(note?.data ?? '{}')).toMatchObject({ ticket: { comment: { public: false } } });
  });

  it('puts the server refusal beside the field it names', async () => {
    stubZafClient({
      respond: async (options) => {
        if (isMint(options)) {
          throw {
            status: 400,
            responseJSON: {
              error: {
                code: 'validation_failed',
                message: 'Fields refused.',
                fields: { email: 'this domain does not accept mail' },
              },
            },
          };
        }
        return { licenses: [] };
      },
    });
    await sendLicenseFor('5');
    await screen.findByText('this domain does not accept mail');
    expect(screen.getByLabelText('Requester email').getAttribute('aria-invalid')).toBe('true');
  });

  it('shows the server message when the service fails', async () => {
    stubZafClient({
      respond: async (options) => {
        if (isMint(options)) {
          throw {
            status: 500,
            responseText: JSON.stringify({
              error: { code: 'internal_error', message: 'Something went wrong on our side.' },
            }),
          };
        }
        return { licenses: [] };
      },
    });
    await sendLicenseFor('5');
    expect((await screen.findByRole('alert')).textContent).toContain('Something went wrong on our side.');
  });

  it('follows a queued delivery until it is sent', async () => {
    let gets = 0;
    stubZafClient({
      respond: async (options) => {
        if (isMint(options)) return record({ status: 'queued', error: '451 try later', issueState: 'open' });
        if (isList(options)) return { licenses: [] };
        if (options.url.includes('/api/v1/licenses/lic_')) {
          gets += 1;
          return record({ status: 'sent' });
        }
        return {};
      },
    });
    await sendLicenseFor('25');
    const status = await screen.findByRole('status');
    await within(status).findByText('queued');
    await within(status).findByText('sent', {}, { timeout: 5000 });
    expect(gets).toBeGreaterThan(0);
  });

  it('lists earlier licenses and warns when one is less than 10 days old', async () => {
    const recent = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const { request } = stubZafClient({
      respond: async (options) => {
        if (isList(options)) return { licenses: [record({ id: 'lic_recent2345678abcd', issuedAt: recent })] };
        if (options.url.endsWith('/resend')) return record({ id: 'lic_recent2345678abcd', issuedAt: recent });
        return {};
      },
    });
    const user = userEvent.setup();
    await renderSidebar();
    const warning = await screen.findByRole('alert');
    expect(warning.textContent).toContain(`on ${recent.slice(0, 10)}`);
    expect(screen.getByText('lic_recent2345678abcd')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Resend' }));
    expect(screen.getByText('Email license lic_recent2345678abcd again to jane@example.org?')).toBeTruthy();
    await user.click(screen.getAllByRole('button', { name: 'Resend' })[0] as HTMLElement);
    await screen.findByText('License lic_recent2345678abcd resent: sent.');
    expect(request.mock.calls.some(([options]) => options.url.endsWith('/lic_recent2345678abcd/resend'))).toBe(true);
  });

  it('follows the agent locale', async () => {
    stubZafClient({ locale: 'de-DE', respond: none });
    render(<App />);
    expect(await screen.findByLabelText('Anzahl Benutzer')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Lizenz senden' })).toBeTruthy();
  });
});
