import type { LicenseRecord } from '@mintdesk/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitlabTracker } from '@mintdesk/server/tracker/gitlab-tracker.ts';
import { TrackerUnavailableError } from '@mintdesk/server/tracker/tracker.ts';
import { ManualClock, RunningClock } from '../support/clock.ts';
import { GitlabStandIn } from '../support/gitlab-stand-in.ts';
import { request } from '../support/http.ts';
import { LOOKUP_TOKEN, startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const gitlab = new GitlabStandIn();
const smtp = new SmtpReceiver();
let service: TestService;

beforeAll(async () => {
  await gitlab.start();
  await smtp.start();
  service = await startTestService({
    smtpUrl: smtp.url,
    mintWaitMs: 3000,
    // Real time with short retries: the durable queue's retries have to come round within the test.
    clock: new RunningClock(),
    retry: { firstDelayMs: 100, maxDelayMs: 400 },
    env: {
      TRACKER: 'gitlab',
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: gitlab.token,
      GITLAB_PROJECT_ID: gitlab.projectPath,
      RATE_LIMIT_APP_PER_MINUTE: '0',
    },
  });
});
afterAll(async () => {
  await service.close();
  await smtp.stop();
  await gitlab.stop();
});
afterEach(() => {
  gitlab.recover();
  smtp.accept();
});

async function mint(email: string, userCount = 7): Promise<LicenseRecord> {
  const answer = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
    token: await service.appToken(),
    body: { agent: 'asmith', userCount, email, ticketId: 321, ticketUrl: 'https://acme.zendesk.com/agent/tickets/321' },
  });
  expect(answer.status).toBe(201);
  return answer.body;
}

async function record(id: string): Promise<LicenseRecord> {
  return (await request<LicenseRecord>(`${service.url}/api/v1/licenses/${id}`, { token: LOOKUP_TOKEN })).body;
}

/** Lets the job runner (polling every 20 ms here) catch up until `done` holds. */
async function eventually(done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('TRACKER=gitlab against a GitLab API stand-in', () => {
  it('creates one confidential issue with the labels, then closes it by iid with the success title', async () => {
    const minted = await mint('gl-success@example.org');
    expect(minted.delivery.status).toBe('sent');
    const label = `license::${minted.license.id}`;
    const [issue, ...others] = gitlab.issuesLabelled(label);
    expect(others).toHaveLength(0);
    expect(issue?.title).toBe('[Success] - Created a license under gl-success@example.org for 7 users');
    expect(issue?.state).toBe('closed');
    expect(issue?.confidential).toBe(true);
    expect(issue?.labels).toEqual(expect.arrayContaining(['mintdesk', 'success', label]));
    expect(issue?.description).toContain(minted.license.key);
    expect(issue?.description).toContain('https://acme.zendesk.com/agent/tickets/321');

    // The API reports GitLab's state and iid, and the PUT went to the iid (not the global id).
    expect(minted.issue).toMatchObject({ id: String(issue?.iid), state: 'closed', title: issue?.title });
    expect(minted.issue?.url).toBe(issue?.web_url);
    const puts = gitlab.requests.filter((sent) => sent.method === 'PUT');
    expect(puts.some((sent) => sent.path.endsWith(`/issues/${issue?.iid}`) && sent.body?.state_event === 'close')).toBe(
      true,
    );
    expect(puts.some((sent) => sent.path.endsWith(`/issues/${issue?.id}`))).toBe(false);
    expect(gitlab.requests.every((sent) => sent.authorized)).toBe(true);
    expect(gitlab.requests[0]?.path).toContain(`/projects/${encodeURIComponent(gitlab.projectPath)}/`);
  });

  it('shows a state changed by hand in GitLab, with opened reported as open', async () => {
    const minted = await mint('gl-reopened@example.org');
    gitlab.setState(Number(minted.issue?.id), 'opened');
    expect((await record(minted.license.id)).issue?.state).toBe('open');
    gitlab.setState(Number(minted.issue?.id), 'closed');
    expect((await record(minted.license.id)).issue?.state).toBe('closed');
  });

  it('opens a failure issue at a temporary refusal and closes the same one when the retry delivers', async () => {
    smtp.refuse(451, 1);
    const minted = await mint('gl-retry@example.org', 3);
    const label = `license::${minted.license.id}`;
    await eventually(() => gitlab.issuesLabelled(label)[0]?.state === 'closed');
    const issues = gitlab.issuesLabelled(label);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.title).toBe('[Success] - Created a license under gl-retry@example.org for 3 users');
    expect(issues[0]?.labels).toContain('success');
    expect(issues[0]?.labels).not.toContain('failure');
  });

  it('waits out an outage (503) and records every issue afterwards, none twice', async () => {
    gitlab.outage();
    const minted = await Promise.all([mint('gl-outage-1@example.org'), mint('gl-outage-2@example.org')]);
    for (const one of minted) {
      expect(one.delivery.status).toBe('sent');
      expect(one.issue).toBeNull();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    gitlab.recover();
    for (const one of minted) {
      await eventually(async () => (await record(one.license.id)).issue?.state === 'closed');
      expect(gitlab.issuesLabelled(`license::${one.license.id}`)).toHaveLength(1);
    }
  });

  it('never creates a second issue when a create was recorded but answered 502', async () => {
    gitlab.recordThenFail(502, 1);
    const minted = await mint('gl-ghost@example.org');
    const label = `license::${minted.license.id}`;
    await eventually(async () => (await record(minted.license.id)).issue?.state === 'closed');
    expect(gitlab.issuesLabelled(label)).toHaveLength(1);
  });

  it('answers issue null on reads while GitLab is down, the license itself still', async () => {
    const minted = await mint('gl-read@example.org');
    gitlab.outage();
    const during = await record(minted.license.id);
    expect(during.license.key).toBe(minted.license.key);
    expect(during.issue).toBeNull();
  });
});

describe('the GitLab adapter on its own', () => {
  it('finds an issue by label across pages (X-Next-Page)', async () => {
    const clock = new ManualClock();
    const tracker = new GitlabTracker(
      { url: gitlab.url, token: gitlab.token, projectId: String(gitlab.projectId), cacheMs: 0 },
      clock,
    );
    const spec = { title: 't', body: 'b', state: 'open' as const, labels: ['mintdesk', 'failure'] };
    for (let i = 0; i < 3; i += 1) await tracker.saveIssue(null, { ...spec, labels: ['paged'] }, null);
    const ids = gitlab.issuesLabelled('paged').map((issue) => String(issue.iid));
    const before = gitlab.requests.length;
    const found = await tracker.getIssues(ids);
    expect([...found.keys()].sort()).toEqual([...ids].sort());
    expect(gitlab.requests.length - before).toBe(1);
  });

  it('turns 429 into a retry that honours Retry-After, and 401 into a refusal naming the status', async () => {
    const tracker = new GitlabTracker(
      { url: gitlab.url, token: gitlab.token, projectId: String(gitlab.projectId) },
      new ManualClock(),
    );
    gitlab.fail(429, 1, { retryAfter: '17' });
    const limited = await tracker.check().catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(TrackerUnavailableError);
    expect((limited as TrackerUnavailableError).retryAfterMs).toBe(17_000);

    const wrongToken = new GitlabTracker(
      { url: gitlab.url, token: 'nope', projectId: String(gitlab.projectId) },
      new ManualClock(),
    );
    await expect(wrongToken.check()).rejects.toThrow(/401/);
    const wrongProject = new GitlabTracker(
      { url: gitlab.url, token: gitlab.token, projectId: '999' },
      new ManualClock(),
    );
    await expect(wrongProject.check()).rejects.toThrow(/404/);
  });

  it('reuses a state read within its cache time, then reads GitLab again', async () => {
    const clock = new ManualClock();
    const tracker = new GitlabTracker(
      { url: gitlab.url, token: gitlab.token, projectId: String(gitlab.projectId), cacheMs: 5000 },
      clock,
    );
    const saved = await tracker.saveIssue(null, { title: 'c', body: '', state: 'open', labels: [] }, null);
    gitlab.setState(Number(saved.id), 'closed');
    expect((await tracker.getIssues([saved.id])).get(saved.id)?.state).toBe('open');
    clock.advance(5001);
    expect((await tracker.getIssues([saved.id])).get(saved.id)?.state).toBe('closed');
  });
});
