import type { LicenseRecord } from '@mintdesk/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
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

async function mint(url: string, email: string): Promise<LicenseRecord> {
  const token = await signAppToken(APP_SECRET, { now: new Date() });
  const response = await request<LicenseRecord>(`${url}/api/v1/licenses`, {
    token,
    body: { agent: 'asmith', userCount: 5, email, ticketId: 77 },
  });
  expect(response.status).toBe(201);
  return response.body;
}

describe('a killed service', () => {
  it('resumes a pending delivery after kill -9 and a restart over the same DATA_DIR', async () => {
    const dataDir = tempDir();
    const smtp = await new SmtpReceiver().start();
    receivers.push(smtp);
    const port = smtp.port;
    await smtp.stop();
    const env = { DATA_DIR: dataDir, SMTP_URL: `smtp://127.0.0.1:${port}`, APP_SECRET, MINT_WAIT_MS: '500' };

    const first = await spawnService(env);
    running.push(first);
    const record = await mint(first.url, 'resume@example.org');
    expect(record.delivery.status).toBe('queued');
    first.process.kill('SIGKILL');
    await first.exited;

    await smtp.start(port);
    const second = await spawnService(env);
    running.push(second);
    const [mail] = await smtp.waitForMessages(1, 20_000);
    expect(mail?.attachments[0]?.content.toString()).toBe(record.license.key);

    const token = await signAppToken(APP_SECRET, { now: new Date() });
    let after = record;
    for (let i = 0; i < 50 && after.issue?.state !== 'closed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = (await request<LicenseRecord>(`${second.url}/api/v1/licenses/${record.license.id}`, { token })).body;
    }
    expect(after.delivery.status).toBe('sent');
    expect(after.issue).toMatchObject({
      state: 'closed',
      title: '[Success] - Created a license under resume@example.org for 5 users',
    });
  });

  it('finishes in-flight work and exits 0 on SIGTERM', async () => {
    const smtp = await new SmtpReceiver().start();
    receivers.push(smtp);
    const child = await spawnService({ DATA_DIR: tempDir(), SMTP_URL: smtp.url, APP_SECRET });
    running.push(child);
    smtp.hold();
    const minting = mint(child.url, 'term@example.org');
    await smtp.waitForHeld();
    child.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    smtp.release();
    const record = await minting;
    expect(await child.exited).toBe(0);
    expect(record.delivery.status).toBe('sent');
    expect(smtp.messages).toHaveLength(1);
  });
});
