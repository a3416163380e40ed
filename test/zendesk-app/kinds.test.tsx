import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../zendesk-app/src/App.tsx';
import type { ZafRequestOptions } from '../../zendesk-app/src/zaf/zaf-client.ts';
import { isList, isMint, isPolicies, pendingRecord, POLICIES, record, stubZafClient } from './zaf-stub.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

const none = async () => ({ licenses: [] });
const TICKET = { ticketId: 1234, ticketUrl: 'https://acme.zendesk.com/agent/tickets/1234' };

async function renderSidebar() {
  render(<App />);
  return screen.findByLabelText('License kind');
}

function mintBodies(request: { mock: { calls: [ZafRequestOptions][] } }): unknown[] {
  return request.mock.calls.filter(([options]) => isMint(options)).map(([options]) => JSON.parse(options.data ?? ''));
}

/** Asserts the field is marked refused and its message is what `aria-describedby` points at. */
function expectRefused(label: string, message: string) {
  const field = screen.getByLabelText(label);
  expect(field.getAttribute('aria-invalid')).toBe('true');
  const described = (field.getAttribute('aria-describedby') ?? '').split(' ');
  const shown = screen.getByText(message);
  expect(described).toContain(shown.closest('[id]')?.id ?? shown.id);
}

describe('the license kind select', () => {
  it('offers the enabled kinds by their policy labels, Emergency trial first and chosen', async () => {
    stubZafClient({ respond: none });
    const select = await renderSidebar();
    const options = within(select).getAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual([
      'Emergency trial',
      'Transition trial',
      'Add-on seats',
      'Ordered license',
    ]);
    expect(select).toHaveProperty('value', 'emergency');
    // The emergency path stays one typed field: the user count has the focus.
    expect(document.activeElement).toBe(screen.getByLabelText('User count'));
    expect(screen.getByText(/A 10-day trial license/)).toBeTruthy();
  });

  it('offers only what the service enabled, and reads days and limits from the policies', async () => {
    const { request } = stubZafClient({
      policies: {
        kinds: [
          { ...POLICIES.kinds[3], label: 'Ordered license' },
          { ...POLICIES.kinds[1], days: 45, maxUsers: 50 },
          { kind: 'rental', label: 'Rental', fields: ['userCount'], maxUsers: 10, approval: false },
        ],
      },
      respond: none,
    });
    const user = userEvent.setup();
    const select = await renderSidebar();
    expect(
      within(select)
        .getAllByRole('option')
        .map((option) => option.textContent),
    ).toEqual(['Ordered license', 'Transition trial']);
    // Without emergency the first enabled kind is chosen.
    expect(select).toHaveProperty('value', 'order');
    await user.selectOptions(select, 'transition');
    expect(screen.getByText(/A 45-day trial license/)).toBeTruthy();
    await user.type(screen.getByLabelText('User count'), '51');
    await user.type(screen.getByLabelText('Reason'), 'Moving to self-managed');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    expectRefused('User count', 'Enter a whole number from 1 to 50.');
    expect(mintBodies(request)).toEqual([]);
  });

  it('leaves out a license of a kind this app version does not know, and shows the others', async () => {
    const known = record({ id: 'lic_known23456789abcd', issuedAt: '2026-10-01T00:00:00.000Z' });
    const unknown = { ...known, license: { ...known.license, id: 'lic_rental2345678abcd', kind: 'rental' } };
    stubZafClient({ respond: async (options) => (isList(options) ? { licenses: [unknown, known] } : {}) });
    await renderSidebar();
    await screen.findByText('lic_known23456789abcd');
    expect(screen.queryByText('lic_rental2345678abcd')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows a clear error with a retry when the policies cannot be loaded, and no form', async () => {
    let calls = 0;
    const { request } = stubZafClient({
      policies: async () => {
        calls += 1;
        if (calls === 1) throw { status: 503, responseJSON: { error: { code: 'unavailable', message: 'Down.' } } };
        return POLICIES;
      },
      respond: none,
    });
    const user = userEvent.setup();
    render(<App />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('License kinds could not be loaded');
    expect(alert.textContent).toContain('Down.');
    expect(screen.queryByRole('button', { name: 'Send license' })).toBeNull();
    expect(screen.queryByLabelText('User count')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByLabelText('License kind')).toBeTruthy();
    expect(request.mock.calls.filter(([options]) => isPolicies(options))).toHaveLength(2);
  });
});

describe('each kind sends its own fields', () => {
  it('emergency: the user count, and nothing of the other kinds', async () => {
    const { request } = stubZafClient({
      respond: async (options) => (isMint(options) ? record({}) : { licenses: [] }),
    });
    const user = userEvent.setup();
    await renderSidebar();
    expect(screen.queryByLabelText('Reason')).toBeNull();
    expect(screen.queryByLabelText('Licensee name')).toBeNull();
    await user.type(screen.getByLabelText('User count'), '25');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    await within(screen.getByRole('status')).findByText('sent');
    expect(mintBodies(request)).toEqual([
      { kind: 'emergency', agent: 'Agent Smith', email: 'jane@example.org', userCount: 25, ...TICKET },
    ]);
  });

  it('transition: user count and reason', async () => {
    const { request } = stubZafClient({
      respond: async (options) => (isMint(options) ? record({ kind: 'transition' }) : { licenses: [] }),
    });
    const user = userEvent.setup();
    await user.selectOptions(await renderSidebar(), 'Transition trial');
    expect(screen.getByText(/A 30-day trial license/)).toBeTruthy();
    await user.type(screen.getByLabelText('User count'), '40');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    expectRefused('Reason', 'Enter 1 to 500 characters.');
    await user.type(screen.getByLabelText('Reason'), '  Restoring SaaS data before cancelling  ');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    await within(screen.getByRole('status')).findByText('sent');
    expect(mintBodies(request)).toEqual([
      {
        kind: 'transition',
        agent: 'Agent Smith',
        email: 'jane@example.org',
        userCount: 40,
        reason: 'Restoring SaaS data before cancelling',
        ...TICKET,
      },
    ]);
  });

  it('add-on: chooses among the non-trial licenses, prefills the total, and waits for approval', async () => {
    const base = record({
      id: 'lic_order23456789abcd',
      kind: 'order',
      userCount: 50,
      issuedAt: '2026-01-05T00:00:00.000Z',
      expiresAt: '2027-01-04T23:59:59.000Z',
    });
    const trial = record({ id: 'lic_trial23456789abcd', kind: 'emergency', issuedAt: '2026-10-01T00:00:00.000Z' });
    const { request } = stubZafClient({
      respond: async (options) => {
        if (isMint(options)) return pendingRecord({ kind: 'addon', userCount: 55 });
        if (isList(options)) return { licenses: [trial, base] };
        return {};
      },
    });
    const user = userEvent.setup();
    await user.selectOptions(await renderSidebar(), 'addon');
    const current = screen.getByLabelText('Current license');
    await waitFor(() => expect(within(current).getAllByRole('option')).toHaveLength(2));
    expect(
      within(current)
        .getAllByRole('option')
        .map((option) => option.textContent),
    ).toEqual(['Choose a license', 'lic_order23456789abcd · 50 users · until 2027-01-04']);
    expect(screen.queryByLabelText('User count')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    expectRefused('Current license', 'Choose the license to add users to.');

    await user.selectOptions(current, 'lic_order23456789abcd');
    await user.type(screen.getByLabelText('Users to add'), '5');
    expect(screen.getByLabelText('Total users')).toHaveProperty('value', '55');
    // Still editable: the service, not the app, decides whether it agrees.
    await user.clear(screen.getByLabelText('Total users'));
    await user.type(screen.getByLabelText('Total users'), '56');
    await user.clear(screen.getByLabelText('Total users'));
    await user.type(screen.getByLabelText('Total users'), '55');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    const status = screen.getByRole('status');
    await within(status).findByText('waiting for approval');
    expect(status.textContent).toContain('lic_pending2345678abc');
    expect(status.textContent).toContain('[Approval needed] - License under jane@example.org for 55 users');
    expect(within(status).queryByRole('button', { name: 'Copy license' })).toBeNull();
    expect(mintBodies(request)).toEqual([
      {
        kind: 'addon',
        agent: 'Agent Smith',
        email: 'jane@example.org',
        baseLicenseId: 'lic_order23456789abcd',
        addUsers: 5,
        totalUsers: 55,
        ...TICKET,
      },
    ]);
  });

  it('add-on: the service refusing the total shows its expected total beside Total users', async () => {
    const base = record({
      id: 'lic_order23456789abcd',
      kind: 'order',
      userCount: 50,
      issuedAt: '2026-01-05T00:00:00.000Z',
    });
    stubZafClient({
      respond: async (options) => {
        if (isMint(options)) {
          throw {
            status: 400,
            responseJSON: {
              error: { code: 'validation_failed', message: 'Refused.', fields: { totalUsers: 'must be 55' } },
            },
          };
        }
        return { licenses: [base] };
      },
    });
    const user = userEvent.setup();
    await user.selectOptions(await renderSidebar(), 'addon');
    await waitFor(() =>
      expect(within(screen.getByLabelText('Current license')).getAllByRole('option')).toHaveLength(2),
    );
    await user.selectOptions(screen.getByLabelText('Current license'), 'lic_order23456789abcd');
    await user.type(screen.getByLabelText('Users to add'), '5');
    await user.clear(screen.getByLabelText('Total users'));
    await user.type(screen.getByLabelText('Total users'), '60');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    await screen.findByText('must be 55');
    expectRefused('Total users', 'must be 55');
  });

  it('order: licensee, term, deployment, dates and reference; a perpetual term has no end date', async () => {
    const { request } = stubZafClient({
      respond: async (options) => (isMint(options) ? pendingRecord({ kind: 'order' }) : { licenses: [] }),
    });
    const user = userEvent.setup();
    await user.selectOptions(await renderSidebar(), 'Ordered license');
    expect(screen.getByText(/A second person approves it/)).toBeTruthy();
    await user.type(screen.getByLabelText('Licensee name'), 'Ada Lovelace');
    await user.type(screen.getByLabelText('Company'), 'Analytical Engines Ltd');
    await user.type(screen.getByLabelText('User count'), '50');
    expect(screen.getByLabelText('Term')).toHaveProperty('value', 'subscription');
    expect(screen.getByLabelText('Deployment')).toHaveProperty('value', 'self-managed');
    await user.clear(screen.getByLabelText('Start date'));
    await user.type(screen.getByLabelText('Start date'), '2026-12-01');
    await user.type(screen.getByLabelText('Order reference'), 'PO-1234');
    // A subscription needs its end date.
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    expectRefused('End date', 'Enter a date.');
    expect(mintBodies(request)).toEqual([]);

    await user.selectOptions(screen.getByLabelText('Term'), 'Perpetual');
    expect(screen.queryByLabelText('End date')).toBeNull();
    await user.selectOptions(screen.getByLabelText('Deployment'), 'Cloud');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    await within(screen.getByRole('status')).findByText('waiting for approval');
    expect(mintBodies(request)).toEqual([
      {
        kind: 'order',
        agent: 'Agent Smith',
        email: 'jane@example.org',
        userCount: 50,
        licensee: { name: 'Ada Lovelace', company: 'Analytical Engines Ltd' },
        term: 'perpetual',
        deployment: 'cloud',
        startsAt: '2026-12-01',
        orderRef: 'PO-1234',
        ...TICKET,
      },
    ]);
  });

  it('order: a reference with a character trackers read as a reference says which characters are allowed', async () => {
    const { request } = stubZafClient({ respond: async () => ({ licenses: [] }) });
    const user = userEvent.setup();
    await user.selectOptions(await renderSidebar(), 'Ordered license');
    await user.type(screen.getByLabelText('Licensee name'), 'Ada Lovelace');
    await user.type(screen.getByLabelText('Company'), 'Analytical Engines Ltd');
    await user.type(screen.getByLabelText('User count'), '50');
    await user.selectOptions(screen.getByLabelText('Term'), 'Perpetual');
    await user.type(screen.getByLabelText('Order reference'), 'PO#1234');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    expectRefused(
      'Order reference',
      'Use 1 to 100 letters, digits, spaces and - _ . / : only — no @, # or ! (trackers read them as references).',
    );
    expect(mintBodies(request)).toEqual([]);
  });

  it('order: a subscription sends its end date, and the service refusing the licensee marks Licensee name', async () => {
    const { request } = stubZafClient({
      respond: async (options) => {
        if (isMint(options)) {
          throw {
            status: 400,
            responseJSON: {
              error: {
                code: 'validation_failed',
                message: 'Refused.',
                fields: { 'licensee.name': 'must not contain control characters', startsAt: 'is too far back' },
              },
            },
          };
        }
        return { licenses: [] };
      },
    });
    const user = userEvent.setup();
    await user.selectOptions(await renderSidebar(), 'order');
    await user.type(screen.getByLabelText('Licensee name'), 'Ada');
    await user.type(screen.getByLabelText('Company'), 'Engines');
    await user.type(screen.getByLabelText('User count'), '10');
    await user.clear(screen.getByLabelText('Start date'));
    await user.type(screen.getByLabelText('Start date'), '2026-11-01');
    await user.type(screen.getByLabelText('End date'), '2027-10-31');
    await user.type(screen.getByLabelText('Order reference'), 'PO-9');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    await screen.findByText('must not contain control characters');
    expectRefused('Licensee name', 'must not contain control characters');
    expectRefused('Start date', 'is too far back');
    expect(mintBodies(request)).toMatchObject([
      { kind: 'order', term: 'subscription', startsAt: '2026-11-01', endsAt: '2027-10-31' },
    ]);
  });

  it('shows "no end date" for a perpetual license once approved and sent', async () => {
    stubZafClient({
      respond: async (options) =>
        isMint(options) ? record({ kind: 'order', expiresAt: null, id: 'lic_perpetual2345678a' }) : { licenses: [] },
      policies: { kinds: [{ ...POLICIES.kinds[3], approval: false }] },
    });
    const user = userEvent.setup();
    await renderSidebar();
    await user.type(screen.getByLabelText('Licensee name'), 'Ada');
    await user.type(screen.getByLabelText('Company'), 'Engines');
    await user.type(screen.getByLabelText('User count'), '10');
    await user.selectOptions(screen.getByLabelText('Term'), 'perpetual');
    await user.type(screen.getByLabelText('Order reference'), 'PO-9');
    await user.click(screen.getByRole('button', { name: 'Send license' }));
    const status = screen.getByRole('status');
    await within(status).findByText('sent');
    expect(status.textContent).toContain('lic_perpetual2345678a');
    expect(status.textContent).toContain('no end date');
  });
});
