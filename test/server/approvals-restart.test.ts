import type { LicenseRecord } from '@mintdesk/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { addPerson } from '../support/people.ts';
import { APP_SECRET, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

const running: ChildService[] = [];
const receivers: SmtpReceiver[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
  for (const receiver of receivers.splice(0)) await receiver.stop();
});

describe('a license waiting for approval', () => {
  it('survives kill -9: after a restart it is still pending with its issue, and approving it sends it', async () => {
    const dataDir = tempDir();
    const smtp = await new SmtpReceiver().start();
    receivers.push(smtp);
    const env = { DATA_DIR: dataDir, SMTP_URL: smtp.url, APP_SECRET };

    const first = await spawnService(env);
    running.push(first);
    const today = new Date().toISOString().slice(0, 10);
    const minted = await request<LicenseRecord>(`${first.url}/api/v1/licenses`, {
      token: await signAppToken(APP_SECRET, { now: new Date() }),
      body: {
        kind: 'order',
        agent: 'asmith',
        email: 'durable@acme.example',
        userCount: 20,
        licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
        term: 'perpetual',
        deployment: 'self-managed',
        startsAt: today,
        orderRef: 'PO-KILL',
      },
    });
    expect(minted.status).toBe(202);
    first.process.kill('SIGKILL');
    await first.exited;

    const second = await spawnService(env);
    running.push(second);
    const approver = await addPerson(dataDir, 'Maria Approver', true);
    const after = await request<LicenseRecord>(`${second.url}/api/v1/licenses/${minted.body.license.id}`, {
      token: approver,
    });
    expect(after.status).toBe(200);
    expect(after.body.approval).toEqual({ status: 'pending' });
    expect(after.body.issue).toMatchObject({
      id: minted.body.issue?.id,
      state: 'open',
      title: '[Approval needed] - License under durable@acme.example for 20 users',
    });
    expect(smtp.messages).toHaveLength(0);

    const approved = await request<LicenseRecord>(`${second.url}/api/v1/licenses/${minted.body.license.id}/approve`, {
      method: 'POST',
      token: approver,
      body: {},
    });
    expect(approved.status).toBe(200);
    const [mail] = await smtp.waitForMessages(1, 20_000);
    expect(mail?.attachments[0]?.content.toString()).toBe(approved.body.license.key);
    expect(mail?.subject).toBe('Your perpetual license for order PO-KILL (no end date)');
  });
});
