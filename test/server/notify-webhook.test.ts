import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LicenseRecord } from '@mintdesk/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunningClock } from '../support/clock.ts';
import { request } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

/** A Slack-compatible incoming webhook on loopback: `ok`, or the failures Slack documents. */
class WebhookReceiver {
  readonly received: Array<{ text: string }> = [];
  private failures: Array<{ status: number; body: string; retryAfter?: string }> = [];
  private server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const failure = this.failures.shift();
      if (failure) {
        res.writeHead(failure.status, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
        res.end(failure.body);
        return;
      }
      this.received.push(JSON.parse(raw) as { text: string });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
  }

  fail(status: number, body: string, retryAfter?: string): void {
    this.failures.push({ status, body, ...(retryAfter ? { retryAfter } : {}) });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const webhook = new WebhookReceiver();
const smtp = new SmtpReceiver();
let service: TestService;

beforeAll(async () => {
  await webhook.start();
  await smtp.start();
  service = await startTestService({
    smtpUrl: smtp.url,
    clock: new RunningClock(),
    retry: { firstDelayMs: 100, maxDelayMs: 400 },
    env: { NOTIFY_WEBHOOK_URL: webhook.url },
  });
});
afterAll(async () => {
  await service.close();
  await smtp.stop();
  await webhook.stop();
});
afterEach(() => {
  webhook.received.length = 0;
  smtp.accept();
});

async function mint(email: string): Promise<LicenseRecord> {
  const answer = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
    token: await service.appToken(),
    body: {
      agent: 'asmith',
      userCount: 9,
      email,
      ticketId: 77,
      ticketUrl: 'https://acme.zendesk.com/agent/tickets/77',
    },
  });
  expect(answer.status).toBe(201);
  return answer.body;
}

async function messagesAbout(licenseId: string, count = 1): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const texts = webhook.received.map((message) => message.text).filter((text) => text.includes(licenseId));
    if (texts.length >= count || Date.now() > deadline) return texts;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('NOTIFY_WEBHOOK_URL', () => {
  it('posts one message per delivered license with ticket link, agent, requester, users and the issue', async () => {
    const minted = await mint('notify@example.org');
    const [text, ...more] = await messagesAbout(minted.license.id);
    expect(more).toHaveLength(0);
    expect(text).toContain('notify@example.org');
    expect(text).toContain('<https://acme.zendesk.com/agent/tickets/77|#77>');
    expect(text).toContain('Agent: asmith');
    expect(text).toContain('Users: 9');
    expect(text).toContain('[Success] - Created a license under notify@example.org for 9 users');
    expect(text).toContain('(closed)');

    // A resend of a delivered license is not news for the channel.
    await request(`${service.url}/api/v1/licenses/${minted.license.id}/resend`, {
      method: 'POST',
      token: await service.appToken(),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await messagesAbout(minted.license.id)).toHaveLength(1);
  });

  it('posts the failure when the mail server refuses for good', async () => {
    smtp.refuse(550);
    const minted = await mint('refused@example.org');
    const [text] = await messagesAbout(minted.license.id);
    expect(text).toContain('could not be emailed');
    expect(text).toContain('[Failure] - Could not create a license under refused@example.org for 9 users');
    expect(text).toContain('(open)');
  });

  it('retries 5xx and 429 through the queue without holding up the mint, and gives up on 404', async () => {
    webhook.fail(500, 'internal_error');
    webhook.fail(429, 'rate_limited', '1');
    const started = Date.now();
    const minted = await mint('retried@example.org');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(minted.delivery.status).toBe('sent');
    const [text] = await messagesAbout(minted.license.id);
    expect(text).toContain('retried@example.org');

    webhook.fail(404, 'no_service');
    const gone = await mint('gone@example.org');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await messagesAbout(gone.license.id)).toHaveLength(0);
  });
});
