import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../zendesk-app/src/App.tsx';
import type { LicenseRecord } from '../../zendesk-app/src/policies.ts';
import type { ZafRequestOptions } from '../../zendesk-app/src/zaf/zaf-client.ts';
import { isList, isMint, POLICIES, record, stubZafClient } from './zaf-stub.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

/** A service that mints numbered licenses, lists what a test puts in `listed`, and resends what it is asked. */
function fakeService(listed: LicenseRecord[] = []) {
  let minted = 0;
  return stubZafClient({
    respond: async (options: ZafRequestOptions) => {
      if (isMint(options)) {
        minted += 1;
        return record({ id: `lic_minted${minted}abcdefghjk`, issuedAt: new Date().toISOString() });
      }
      if (isList(options)) return { licenses: listed };
      const resend = /\/api\/v1\/licenses\/([^/]+)\/resend$/.exec(options.url);
      if (resend && options.type === 'POST') return record({ id: resend[1], issuedAt: listed[0]?.license.issuedAt });
      return {};
    },
  });
}

const calls = (request: { mock: { calls: [ZafRequestOptions][] } }, test: (o: ZafRequestOptions) => boolean) =>
  request.mock.calls.filter(([options]) => test(options));
const isResend = (options: ZafRequestOptions) => options.type === 'POST' && options.url.endsWith('/resend');

async function send(user: ReturnType<typeof userEvent.setup>, userCount?: string) {
  if (userCount !== undefined) {
    await user.clear(screen.getByLabelText('User count'));
    await user.type(screen.getByLabelText('User count'), userCount);
  }
  await user.click(screen.getByRole('button', { name: 'Send license' }));
}

describe('the duplicate guard, before minting', () => {
  it('asks before a second license right after a mint (the old bug minted silently), and Resend it mints nothing', async () => {
    // The list never shows the new license (as if the answer were slow): the guard still knows it.
    const { request } = fakeService([]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByLabelText('User count');
    await send(user, '25');
    const status = screen.getByRole('status');
    await within(status).findByText(/lic_minted1abcdefghjk/);

    await send(user);
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('lic_minted1abcdefghjk');
    expect(dialog.textContent).toContain(new Date().toISOString().slice(0, 10));
    expect(calls(request, isMint)).toHaveLength(1);
    // The form waits for the answer, and does not claim to be sending.
    expect(screen.getByRole('button', { name: 'Send license' })).toHaveProperty('disabled', true);
    // Keyboard: focus is in the dialog, on its first choice.
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Resend it' }));

    await user.click(within(dialog).getByRole('button', { name: 'Resend it' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls(request, isMint)).toHaveLength(1);
    expect(calls(request, isResend).map(([options]) => options.url)).toEqual([
      'https://licenses.example.com/api/v1/licenses/lic_minted1abcdefghjk/resend',
    ]);
    expect(status.textContent).toContain('lic_minted1abcdefghjk');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Send license' }));
  });

  it('asks before the first mint when the requester has a license from the last LICENSE_DAYS days; Issue another mints', async () => {
    const recent = record({ id: 'lic_recent2345678abcd', issuedAt: daysAgo(3) });
    const { request } = fakeService([recent]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByLabelText('User count');
    await send(user, '7');
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('lic_recent2345678abcd');
    expect(dialog.textContent).toContain(recent.license.issuedAt.slice(0, 10));
    expect(calls(request, isMint)).toHaveLength(0);

    await user.click(within(dialog).getByRole('button', { name: 'Issue another' }));
    await within(screen.getByRole('status')).findByText(/lic_minted1abcdefghjk/);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls(request, isMint)).toHaveLength(1);
    expect(JSON.parse(calls(request, isMint)[0]?.[0].data ?? '')).toMatchObject({ kind: 'emergency', userCount: 7 });
    expect(calls(request, isResend)).toHaveLength(0);
  });

  it('does not ask for a license older than the emergency kind’s days from the policies', async () => {
    // 10 days old: outside LICENSE_DAYS = 8 as the policies say, though inside the old constant of 10 + 1.
    const { request } = stubZafClient({
      policies: { kinds: [{ ...POLICIES.kinds[0], days: 8 }] },
      respond: async (options) => {
        if (isMint(options)) return record({});
        if (isList(options)) return { licenses: [record({ id: 'lic_old2345678abcdef', issuedAt: daysAgo(8.5) })] };
        return {};
      },
    });
    const user = userEvent.setup();
    render(<App />);
    await screen.findByLabelText('User count');
    await send(user, '3');
    await within(screen.getByRole('status')).findByText('sent');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls(request, isMint)).toHaveLength(1);
  });

  it('Escape or Cancel closes the dialog, mints nothing and gives the focus back to Send license', async () => {
    const { request } = fakeService([record({ id: 'lic_recent2345678abcd', issuedAt: daysAgo(1) })]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByLabelText('User count');
    await send(user, '5');
    await screen.findByRole('dialog');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Send license' }));
    // Enter on the focused button asks again; Cancel also mints nothing.
    await user.keyboard('{Enter}');
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls(request, isMint)).toHaveLength(0);
  });
});
