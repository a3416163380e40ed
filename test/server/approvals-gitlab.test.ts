import type { LicenseRecord } from '@mintdesk/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningClock } from '../support/clock.ts';
import { GitlabStandIn } from '../support/gitlab-stand-in.ts';
import { request } from '../support/http.ts';
import { addPerson } from '../support/people.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const gitlab = new GitlabStandIn();
const smtp = new SmtpReceiver();
let service: TestService;

beforeAll(async () => {
  await gitlab.start();
  await smtp.start();
  service = await startTestService({
    smtpUrl: smtp.url,
    clock: new RunningClock(),
    env: {
      TRACKER: 'gitlab',
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: gitlab.token,
      GITLAB_PROJECT_ID: gitlab.projectPath,
    },
  });
});
afterAll(async () => {
  await service.close();
  await smtp.stop();
  await gitlab.stop();
});

describe('an approval with TRACKER=gitlab', () => {
  it('opens one GitLab issue while pending, then retitles and closes that same issue when approved', async () => {
    const approver = await addPerson(service.dataDir, 'Maria Approver', true);
    const pending = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: {
        kind: 'order',
        agent: 'asmith',
        email: 'gl@acme.example',
        userCount: 9,
        licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
        term: 'subscription',
        deployment: 'cloud',
        startsAt: new Date().toISOString().slice(0, 10),
        endsAt: `${new Date().getUTCFullYear() + 1}-06-30`,
        orderRef: 'PO-GL',
      },
    });
    expect(pending.status).toBe(202);
    expect(gitlab.issues).toHaveLength(1);
    expect(gitlab.issues[0]).toMatchObject({
      title: '[Approval needed] - License under gl@acme.example for 9 users',
      state: 'opened',
    });
    expect(gitlab.issues[0]?.labels).toEqual(expect.arrayContaining(['mintdesk', 'approval']));

    const approved = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${pending.body.license.id}/approve`, {
      method: 'POST',
      token: approver,
      body: {},
    });
    expect(approved.status).toBe(200);
    expect(approved.body.issue).toMatchObject({ id: pending.body.issue?.id, state: 'closed' });
    expect(gitlab.issues).toHaveLength(1);
    expect(gitlab.issues[0]).toMatchObject({
      title: '[Success] - Created a license under gl@acme.example for 9 users (order PO-GL)',
      state: 'closed',
    });
    expect(gitlab.issues[0]?.labels).toEqual(expect.arrayContaining(['mintdesk', 'success']));
    expect(gitlab.issues[0]?.labels).not.toContain('approval');
  });
});
