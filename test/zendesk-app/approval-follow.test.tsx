import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../zendesk-app/src/App.tsx';
import type { LicenseRecord } from '../../zendesk-app/src/policies.ts';
import type { ZafRequestOptions } from '../../zendesk-app/src/zaf/zaf-client.ts';
import { isList, isMint, pendingRecord, POLICIES, stubZafClient } from './zaf-stub.ts';

// The operator made emergency licenses need approval too (APPROVAL_KINDS), so the one typed field
// and one click lead to a license that waits for an approver.
const APPROVING = {
  kinds: POLICIES.kinds.map((policy) => (policy.kind === 'emergency' ? { ...policy, approval: true } : policy)),
};
const ID = 'lic_pending2345678abc';
const MINUTE = 60_000;

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function approved(): LicenseRecord {
  const pending = pendingRecord({ kind: 'emergency', userCount: 25 });
  return {
    license: {
      ...pending.license,
      key: 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJsaWMifQ.c2ln',
      issuedAt: '2026-11-21T09:40:00.000Z',
      expiresAt: '2026-12-01T09:40:00.000Z',
    },
    approval: { status: 'approved', by: 'bob', at: '2026-11-21T09:40:00.000Z' },
    delivery: { status: 'sent', attempts: 1 },
    issue: { id: '7', state: 'closed', title: '[Success] - Created a license under jane@example.org for 25 users' },
  };
}

function rejected(): LicenseRecord {
  const pending = pendingRecord({ kind: 'emergency', userCount: 25 });
  return {
    ...pending,
    approval: { status: 'rejected', by: 'bob', at: '2026-11-21T09:40:00.000Z', reason: 'No <order> on file' },
    issue: { id: '7', state: 'closed', title: '[Rejected] - License under jane@example.org for 25 users' },
  };
}

/** Mints a license that waits for approval; `later` answers each `GET /api/v1/licenses/:id`. */
async function mintPending(later: (poll: number) => LicenseRecord) {
  let polls = 0;
  const { request } = stubZafClient({
    policies: APPROVING,
    respond: async (options: ZafRequestOptions) => {
      if (isMint(options)) return pendingRecord({ kind: 'emergency', userCount: 25 });
      if (isList(options)) return { licenses: [] };
      if (options.url.endsWith(`/api/v1/licenses/${ID}`)) return later(++polls);
      return {};
    },
  });
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
  render(<App />);
  await user.type(await screen.findByLabelText('User count'), '25');
  await user.click(screen.getByRole('button', { name: 'Send license' }));
  const status = screen.getByRole('status');
  await within(status).findByText('waiting for approval');
  return { status, polls: () => polls, request };
}

const wait = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));

describe('a license waiting for approval', () => {
  it('updates the status region once an approver approves it: sent, with its expiry and the key', async () => {
    const { status, polls } = await mintPending((poll) =>
      poll < 3 ? pendingRecord({ kind: 'emergency', userCount: 25 }) : approved(),
    );
    expect(within(status).queryByRole('button', { name: 'Copy license' })).toBeNull();
    await wait(MINUTE);
    await within(status).findByText('sent');
    expect(polls()).toBe(3);
    expect(status.textContent).not.toContain('waiting for approval');
    expect(status.textContent).toContain(ID);
    expect(status.textContent).toContain('expires 2026-12-01');
    expect(status.textContent).toContain('Approved by bob.');
    expect(status.textContent).toContain('[Success] - Created a license under jane@example.org for 25 users');
    expect(within(status).getByRole('button', { name: 'Copy license' })).toBeTruthy();
    // Decided: it stops asking.
    await wait(10 * MINUTE);
    expect(polls()).toBe(3);
  });

  it('says rejected and why, with nothing to copy', async () => {
    const { status } = await mintPending(() => rejected());
    await wait(MINUTE);
    await within(status).findByText('rejected');
    expect(status.textContent).not.toContain('waiting for approval');
    expect(status.textContent).toContain('Rejected by bob: No <order> on file.');
    expect(status.textContent).toContain('[Rejected] - License under jane@example.org for 25 users');
    expect(within(status).queryByRole('button', { name: 'Copy license' })).toBeNull();
  });

  it('asks less and less often, keeps asking through a network error, and stops after ten minutes', async () => {
    let failures = 0;
    const { status, polls } = await mintPending((poll) => {
      if (poll === 2) {
        failures += 1;
        throw { status: 0, responseText: 'offline' };
      }
      return pendingRecord({ kind: 'emergency', userCount: 25 });
    });
    await wait(4_000);
    expect(polls()).toBe(0);
    await wait(MINUTE);
    const inFirstMinute = polls();
    expect(inFirstMinute).toBeGreaterThanOrEqual(3);
    expect(failures).toBe(1);
    await wait(10 * MINUTE);
    const total = polls();
    // A fixed 3-second poll would have asked about 200 times; the back-off asks a handful.
    expect(total).toBeGreaterThan(inFirstMinute);
    expect(total).toBeLessThan(20);
    await within(status).findByText(/this no longer updates on its own/);
    expect(within(status).getByText('waiting for approval')).toBeTruthy();
    await wait(30 * MINUTE);
    expect(polls()).toBe(total);
  });
});

describe('a decided license in the history', () => {
  it('shows a rejected license as rejected (not waiting), with no Resend', async () => {
    stubZafClient({
      policies: APPROVING,
      respond: async (options: ZafRequestOptions) => (isList(options) ? { licenses: [rejected()] } : {}),
    });
    render(<App />);
    const history = (await screen.findByRole('heading', { name: 'Earlier licenses for this requester' })).closest(
      'section',
    ) as HTMLElement;
    await within(history).findByText(ID);
    expect(within(history).getByText('rejected')).toBeTruthy();
    expect(within(history).queryByText('waiting for approval')).toBeNull();
    expect(within(history).queryByRole('button', { name: 'Resend' })).toBeNull();
  });
});
