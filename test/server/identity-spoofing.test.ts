import type { LicenseRecord } from '@mintdesk/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityKey } from '@mintdesk/server/identity/identity-key.ts';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { dayFrom, mint } from '../support/licenses.ts';
import { addPerson, peopleCli } from '../support/people.ts';
import type { TestService } from '../support/service.ts';

const fixture = useTestService();
let service: TestService;
let alice: string;

beforeAll(async () => {
  service = fixture.service;
  alice = await addPerson(service.dataDir, 'alice', true);
});

let orders = 0;
function orderBy(agent: string) {
  orders += 1;
  return {
    kind: 'order',
    agent,
    email: `spoof${orders}@acme.example`,
    userCount: 10,
    licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
    term: 'subscription',
    deployment: 'cloud',
    startsAt: dayFrom(service, 0),
    endsAt: dayFrom(service, 365),
    orderRef: `PO-S${orders}`,
  };
}

describe('identityKey', () => {
  it.each([
    ['full-width', 'ａｌｉｃｅ'],
    ['zero-width space', 'alice\u200b'],
    ['soft hyphen', 'a\u00adlice'],
    ['bidi override', 'a\u202elice'],
    ['dotted capital I', 'ALİCE'],
    ['Cyrillic а', 'аlice'],
    ['Greek capital Alpha', 'ΑLICE'],
    ['outer and doubled spaces', '  Alice '],
    ['capital I for l', 'AIice'],
    ['Cyrillic capital А and Latin I', 'АLIce'],
  ])('folds %s onto the plain name', (_what, spelling) => {
    expect(identityKey(spelling)).toBe(identityKey('alice'));
  });

  it('keeps different names apart and collapses inner white space', () => {
    expect(identityKey('alice')).not.toBe(identityKey('alicia'));
    expect(identityKey('Maria  Approver')).toBe(identityKey('maria approver'));
  });
});

describe('self-approval by spelling the agent name differently', () => {
  it.each([
    ['full-width', 'ａｌｉｃｅ'],
    ['dotted capital I', 'ALİCE'],
    ['Cyrillic а', 'аlice'],
    ['Greek capital Alpha', 'ΑLICE'],
  ])(
    'refuses approver "alice" on an order minted as the %s spelling (403 approval_forbidden)',
    async (_what, agent) => {
      const minted = await mint(service, orderBy(agent));
      expect(minted.status).toBe(202);
      const answer = await request<LicenseRecord & { error: { code: string } }>(
        `${service.url}/api/v1/licenses/${minted.body.license.id}/approve`,
        { method: 'POST', token: alice, body: {} },
      );
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('approval_forbidden');
      expect((await service.store.getLicense(minted.body.license.id))?.approval_status).toBe('pending');
    },
  );

  it.each([
    ['zero-width space', 'alice\u200b'],
    ['soft hyphen', 'a\u00adlice'],
    ['right-to-left mark', 'alice\u200f'],
    ['left-to-right override', '\u202dalice'],
  ])('refuses an agent name with a %s at the mint (400 naming agent)', async (_what, agent) => {
    const minted = await request<{ error: { code: string; fields: Record<string, string> } }>(
      `${service.url}/api/v1/licenses`,
      { token: await service.appToken(), body: { agent, userCount: 3, email: 'invisible@acme.example' } },
    );
    expect(minted.status).toBe(400);
    expect(minted.body.error.fields.agent).toMatch(/invisible or formatting characters/);
  });

  it('refuses to add a person whose name reads as an existing one', async () => {
    const added = await peopleCli(service.dataDir, ['add', 'ΑLİCE', '--approver']);
    expect(added.code).toBe(1);
    expect(added.stderr).toMatch(/"alice" already exists, and "ΑLİCE" reads the same/);
    const invisible = await peopleCli(service.dataDir, ['add', 'bob\u200b']);
    expect(invisible.code).not.toBe(0);
    expect(invisible.stderr).toMatch(/invisible or formatting characters/);
  });
});
