// Slack text: caller-typed `*bold* _it_ ~st~ `code`` must show as typed in the team channel, not
// as formatting. Slack has no escape for its markers; each one in caller text gets a zero-width
// space on both sides, so it never touches the text it would enclose.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackText } from '@mintdesk/server/text/slack.ts';
import { request } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const TYPED = '*bold* _it_ ~st~ `code` ```block```';
const ZWSP = '\u200b';

/** Whether every formatting marker has a zero-width space on both sides (so none can format). */
function everyMarkerInert(text: string): boolean {
  return [...text.matchAll(/[*_~`]/g)].every(
    (match) => text[match.index - 1] === ZWSP && text[match.index + 1] === ZWSP,
  );
}

describe('Slack text formatting from caller text', () => {
  it('keeps every marker from touching the text it would enclose, showing the characters typed', () => {
    const shown = slackText(TYPED);
    expect(everyMarkerInert(shown)).toBe(true);
    expect(shown.replaceAll(ZWSP, '')).toBe(TYPED);
    expect(slackText('<!channel> & *x*').replaceAll(ZWSP, '')).toBe('&lt;!channel&gt; &amp; *x*');
  });

  describe('through the service and a Slack-compatible webhook on loopback', () => {
    const received: string[] = [];
    const webhook = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        received.push((JSON.parse(raw) as { text: string }).text);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    const smtp = new SmtpReceiver();
    let service: TestService;
    beforeAll(async () => {
      await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
      await smtp.start();
      const port = (webhook.address() as AddressInfo).port;
      service = await startTestService({
        smtpUrl: smtp.url,
        env: { NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/services/T000/B000/XXXX` },
      });
    });
    afterAll(async () => {
      await service?.close();
      await smtp.stop();
      webhook.closeAllConnections();
      await new Promise<void>((resolve) => webhook.close(() => resolve()));
    });

    it('posts the agent name with its markers inert', async () => {
      const minted = await request(`${service.url}/api/v1/licenses`, {
        token: await service.appToken(),
        body: { agent: TYPED, userCount: 2, email: 'chat@example.org' },
      });
      expect(minted.status).toBe(201);
      const deadline = Date.now() + 20_000;
      while (!received.some((text) => text.includes('Agent:')) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const text = received.find((message) => message.includes('Agent:')) ?? '';
      const agent = /Agent: (.*?)(?: · |$)/.exec(text)?.[1] ?? '';
      expect(agent.replaceAll(ZWSP, '')).toBe(TYPED);
      expect(everyMarkerInert(agent)).toBe(true);
    });
  });
});
