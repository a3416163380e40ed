// Caller text that a tracker would read as references: GitLab turns `@name`, `#12`, `!3`,
// `~label`… in an issue title into mentions and links, and `#1234` in a body into a link to its
// own issue 1234. The title is fixed by the contract, so what goes into it is restricted.
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestService } from '../support/fixture.ts';
import { request } from '../support/http.ts';
import { dayFrom, mint } from '../support/licenses.ts';
import type { TestService } from '../support/service.ts';

const fixture = useTestService();
let service: TestService;
beforeAll(() => {
  service = fixture.service;
});

type Refusal = { error: { code: string; fields: Record<string, string> } };

function order(orderRef: string) {
  return {
    kind: 'order',
    agent: 'asmith',
    email: 'refs@acme.example',
    userCount: 10,
    licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
    term: 'subscription',
    deployment: 'cloud',
    startsAt: dayFrom(service, 0),
    endsAt: dayFrom(service, 365),
    orderRef,
  };
}

async function issueOf(licenseId: string) {
  return service.store.db
    .selectFrom('issues')
    .selectAll()
    .where('license_id', '=', licenseId)
    .executeTakeFirstOrThrow();
}

describe('orderRef raw in the success title', () => {
  it.each(['@all', 'PO #12', 'PO!3', '~urgent', '%"v1"', '$7', '&8', 'PO*1', '[[x]]', '<b>PO</b>', 'PO`1`'])(
    'refuses orderRef %j with 400 naming orderRef',
    async (orderRef) => {
      const answer = await request<Refusal>(`${service.url}/api/v1/licenses`, {
        token: await service.appToken(),
        body: order(orderRef),
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error.fields.orderRef).toMatch(/only letters, digits, spaces and - _ \. \/ :/);
    },
  );

  it('takes the usual shapes of an order reference', async () => {
    for (const orderRef of ['PO-2026-0042', 'SO 12/2026: a_b.c', 'Auftrag Nr. 7'])
      expect((await mint(service, order(orderRef))).status).toBe(202);
  });
});

describe('ticket written as a live tracker reference in the issue body', () => {
  it('names the ticket "Zendesk ticket 1234", with and without its link, never "#1234"', async () => {
    const plain = await mint(service, { agent: 'asmith', userCount: 2, email: 'ticket@acme.example', ticketId: 1234 });
    const linked = await mint(service, {
      agent: 'asmith',
      userCount: 2,
      email: 'ticket@acme.example',
      ticketId: 1234,
      ticketUrl: 'https://acme.zendesk.com/agent/tickets/1234',
    });
    const plainBody = (await issueOf(plain.body.license.id)).body;
    const linkedBody = (await issueOf(linked.body.license.id)).body;
    expect(plainBody).toContain('- Ticket: Zendesk ticket 1234\n');
    expect(linkedBody).toContain('- Ticket: [Zendesk ticket 1234](<https://acme.zendesk.com/agent/tickets/1234>)');
    for (const body of [plainBody, linkedBody]) expect(body).not.toMatch(/#\d/);
  });
});
