import { loadConfig } from '@mintdesk/server/config.ts';
import { PoliciesAnswer } from '@mintdesk/shared';
import { describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { mint } from '../support/licenses.ts';

const fixture = useTestService({ env: { LICENSE_KINDS: 'emergency, order', APPROVAL_KINDS: 'order' } });

describe('LICENSE_KINDS and APPROVAL_KINDS', () => {
  it('refuses a disabled kind naming kind, and mints nothing', async () => {
    const response = await mint(fixture.service, {
      kind: 'transition',
      agent: 'asmith',
      email: 'off@example.org',
      userCount: 2,
      reason: 'moving',
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { code: 'validation_failed', fields: { kind: expect.stringContaining('the kinds enabled here') } },
    });
    const rows = await fixture.service.store.db.selectFrom('licenses').select('id').execute();
    expect(rows).toHaveLength(0);
  });

  it('lists only the enabled kinds, with their approval', async () => {
    const answer = await request(`${fixture.service.url}/api/v1/policies`, { token: await fixture.service.appToken() });
    const { kinds } = PoliciesAnswer.parse(answer.body);
    expect(kinds.map((kind) => [kind.kind, kind.approval])).toEqual([
      ['emergency', false],
      ['order', true],
    ]);
  });

  it('reads defaults, empty lists and refuses unknown names', () => {
    const defaults = loadConfig({});
    expect(defaults.enabledKinds).toEqual(['emergency', 'transition', 'addon', 'order']);
    expect(defaults.approvalKinds).toEqual(['addon', 'order']);
    expect(defaults.transitionDays).toBe(30);
    expect(loadConfig({ APPROVAL_KINDS: '' }).approvalKinds).toEqual([]);
    expect(() => loadConfig({ LICENSE_KINDS: 'emergency,lifetime' })).toThrow(/LICENSE_KINDS.*lifetime/);
    expect(() => loadConfig({ TRANSITION_DAYS: '91' })).toThrow(/TRANSITION_DAYS/);
  });
});
