// Markup injection (issue 12): caller-typed text (agent, email, ticket URL, error text) must show
// as the characters typed in tracker Markdown and in Slack mrkdwn — no @mention, /quick action,
// link, HTML or formatting can fire, no <!channel> and no hidden link.
import type { LicenseRecord } from '@mintdesk/shared';
import MarkdownIt from 'markdown-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { earlyFailureMessage, licenseMessage } from '@mintdesk/server/notify/notify-license.ts';
import type { LicenseRow } from '@mintdesk/server/store/sql-store.ts';
import { fromGitlabTitle, markdownLink, markdownText, toGitlabTitle } from '@mintdesk/server/text/markdown.ts';
import { slackLink, slackText } from '@mintdesk/server/text/slack.ts';
import { failureIssue, successIssue } from '@mintdesk/server/tracker/issue-content.ts';
import { RunningClock } from '../support/clock.ts';
import { GitlabStandIn } from '../support/gitlab-stand-in.ts';
import { request } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

/** GitLab renders Markdown with raw HTML allowed (then sanitised); so does this stand-in renderer. */
const renderer = new MarkdownIt({ html: true, linkify: true });

const HOSTILE = [
  '@all',
  '/close',
  '@all /close /label ~urgent #123 !45 %"v1" $7 &8',
  '**bold** _it_ ~~gone~~',
  '<img src=x onerror=alert(1)>',
  '<b>loud</b> &amp; &lt;',
  '[click here](https://evil.example)',
  '![x](https://evil.example/x.png)',
  '<https://evil.example>',
  'a`b``c',
  '`starts and ends`',
  ' spaced ',
  '# heading',
  '> quote',
  '| table | row |',
  '<!channel> <https://evil.example|hidden link>',
  'line\nbreak /close',
];

function decode(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The text and the code spans a Markdown line renders to. */
function rendered(markdown: string) {
  const html = renderer.renderInline(markdown);
  const codes = Array.from(html.matchAll(/<code>([\s\S]*?)<\/code>/g), (match) => decode(match[1] as string));
  const outsideCode = decode(html.replace(/<code>[\s\S]*?<\/code>/g, ''));
  return { html, codes, outsideCode };
}

describe('markup injection: GitLab Markdown', () => {
  it.each(HOSTILE)('%j renders as the characters typed, inside a code span, firing nothing', (typed) => {
    const { html, codes, outsideCode } = rendered(`- Agent: ${markdownText(typed)}`);
    const shown = typed.replace(/\n/g, ' ');
    expect(codes).toEqual([shown]);
    // No element but the code span: no link, image, HTML, emphasis.
    expect(html.replace(/<\/?code>/g, '')).not.toMatch(/<[a-z!/]/i);
    // Mentions, references and quick actions only fire outside code, where nothing typed remains.
    expect(outsideCode).toBe('- Agent: ');
    expect(markdownText(typed)).not.toContain('\n');
  });

  it('links a ticket URL without letting it close the link or add one', () => {
    const { html } = rendered(markdownLink('#12', 'https://acme.zendesk.com/x)](https://evil.example) "t" <b>'));
    expect(html.match(/<a /g)).toHaveLength(1);
    expect(html).toMatch(/^<a href="https:\/\/acme\.zendesk\.com\/x[^"]*">#12<\/a>$/);
    expect(html).not.toContain('<b>');
  });

  const facts = {
    id: 'lic_abc',
    key: 'eyJ.x.y',
    email: 'jane@example.org',
    userCount: 3,
    agent: '@all /close <img src=x onerror=alert(1)> **x**',
    ticketId: 12,
    ticketUrl: 'https://acme.zendesk.com/agent/tickets/12',
    issuedAt: new Date('2026-11-21T00:00:00Z'),
    expiresAt: new Date('2026-12-01T00:00:00Z'),
    attempts: 1,
  };

  it.each([
    ['success', successIssue(facts).body],
    [
      'failure',
      failureIssue({
        ...facts,
        stage: 'email',
        error: '550 @all\n/close <script>x</script>',
        licenseId: facts.id,
        retrying: true,
      }).body,
    ],
  ])(
    'the %s issue body shows the agent and the error as typed, with no line a quick action could start',
    (_kind, body) => {
      for (const line of body.split('\n')) expect(line.startsWith('/')).toBe(false);
      const html = renderer.render(body);
      expect(html).not.toMatch(/<(img|script|em)\b/);
      expect(decode(html)).toContain(facts.agent);
      const outside = decode(html.replace(/<code>[\s\S]*?<\/code>/g, '').replace(/<pre>[\s\S]*?<\/pre>/g, ''));
      expect(outside).not.toMatch(/@all|\/close/);
    },
  );
});

describe('markup injection: GitLab titles', () => {
  it.each([
    ['@all', '@\u2060all'],
    ['(order @all)', '(order @\u2060all)'],
    ['jane@example.org', 'jane@example.org'],
    ['a @b @c', 'a @\u2060b @\u2060c'],
  ])('%j goes to GitLab as %j and reads back unchanged', (title, sent) => {
    expect(toGitlabTitle(title)).toBe(sent);
    expect(fromGitlabTitle(toGitlabTitle(title))).toBe(title);
  });
});

describe('markup injection: Slack mrkdwn', () => {
  /** Every `<…>` Slack would act on: only our own links, each with exactly one `|`. */
  function controlSequences(text: string): string[] {
    return text.match(/<[^>]*>/g) ?? [];
  }

  it('escapes &, < and > as Slack documents', () => {
    expect(slackText('<!channel> & <https://evil.example|hidden link>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://evil.example|hidden link&gt;',
    );
  });

  it('keeps a URL from swapping the label or closing the link', () => {
    const link = slackLink('https://evil.example/|hidden link>', '#12');
    expect(controlSequences(link)).toHaveLength(1);
    expect(link.split('|')).toHaveLength(2);
    expect(link.endsWith('|#12>')).toBe(true);
  });

  const row = {
    id: 'lic_abc',
    key: 'eyJ.x.y',
    email: 'jane@example.org',
    email_lower: 'jane@example.org',
    agent: '<!channel> <https://evil.example|hidden link> @here',
    user_count: 3,
    ticket_id: 12,
    ticket_url: 'https://evil.example/|hidden link',
    issued_at: '2026-11-21T00:00:00.000Z',
    expires_at: '2026-12-01T00:00:00.000Z',
    created_ms: 0,
    delivery_status: 'sent',
    delivery_attempts: 1,
    delivery_error: null,
    delivered_at: '2026-11-21T00:00:01.000Z',
    issue_id: '1',
    idempotency_key: null,
    request_hash: null,
  } as LicenseRow;

  it('tells the team channel about a license with every typed text shown as typed', () => {
    const { text } = licenseMessage(row, {
      id: '1',
      state: 'closed',
      title: '[Success] - Created a license under jane@example.org for 3 users <!here>',
      url: 'https://gitlab.example/issues/1',
    });
    for (const sequence of controlSequences(text)) expect(sequence).toMatch(/^<https:\/\/[^|<>\s]+\|[^|<>]*>$/);
    expect(text).not.toContain('<!');
    expect(text).toContain('&lt;!channel&gt; &lt;https://evil.example|hidden link&gt;');
  });

  it('tells the team channel about an early failure the same way', () => {
    const { text } = earlyFailureMessage({
      stage: 'sign',
      error: 'boom <!channel>',
      email: 'jane@example.org',
      userCount: 3,
      agent: row.agent,
      ticketId: 12,
      ticketUrl: row.ticket_url,
    });
    for (const sequence of controlSequences(text)) expect(sequence).toMatch(/^<https:\/\/[^|<>\s]+\|[^|<>]*>$/);
    expect(text).not.toContain('<!');
  });
});

describe('markup injection: through the GitLab stand-in', () => {
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
        APPROVAL_KINDS: '',
      },
    });
  });
  afterAll(async () => {
    await service.close();
    await smtp.stop();
    await gitlab.stop();
  });

  it('records an issue whose rendered body shows the typed agent, with no mention or quick action outside code', async () => {
    const agent = '@all /close [x](https://evil.example) <b>hi</b>';
    const answer = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: {
        agent,
        userCount: 2,
        email: 'jane@example.org',
        ticketId: 7,
        ticketUrl: 'https://acme.zendesk.com/agent/tickets/7?a=1&b=(2)',
      },
    });
    expect(answer.status).toBe(201);
    const deadline = Date.now() + 10_000;
    while (gitlab.issues.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const description = gitlab.issues[0]?.description ?? '';
    const html = renderer.render(description);
    expect(decode(html)).toContain(agent);
    expect(html.match(/<a /g)).toHaveLength(1);
    expect(html).not.toContain('<b>');
    const outside = decode(html.replace(/<code>[\s\S]*?<\/code>/g, '').replace(/<pre>[\s\S]*?<\/pre>/g, ''));
    expect(outside).not.toMatch(/@all|\/close/);
  });

  it('keeps an @mention in a caller-chosen order reference from firing in the GitLab title, and reads it back as typed', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const answer = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
      token: await service.appToken(),
      body: {
        kind: 'order',
        agent: 'asmith',
        userCount: 5,
        email: 'buyer@example.org',
        licensee: { name: 'Ada Buyer', company: 'Acme Corp' },
        term: 'perpetual',
        deployment: 'self-managed',
        startsAt: today,
        orderRef: '@all PO-7',
      },
    });
    expect(answer.status).toBe(201);
    const title = '[Success] - Created a license under buyer@example.org for 5 users (order @all PO-7)';
    const deadline = Date.now() + 10_000;
    const issueOf = () => gitlab.issues.find((issue) => issue.description.includes(answer.body.license.id));
    while (issueOf()?.state !== 'closed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const stored = issueOf()?.title ?? '';
    // GitLab's mention pattern needs a username character right after the @: the joiner is none.
    expect(stored).not.toMatch(/(^|[^\w])@[A-Za-z0-9_]/);
    expect(stored).toContain('buyer@example.org');
    expect(fromGitlabTitle(stored)).toBe(title);
    const record = await request<LicenseRecord>(`${service.url}/api/v1/licenses/${answer.body.license.id}`, {
      token: await service.appToken(),
    });
    expect(record.body.issue?.title).toBe(title);
  });
});
