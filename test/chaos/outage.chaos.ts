import type { LicenseRecord } from '@mintdesk/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningClock } from '../support/clock.ts';
import { request } from '../support/http.ts';
import { LOOKUP_TOKEN, startTestService, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const OUTAGE_MS = Number(process.env.OUTAGE_SECONDS ?? 60) * 1000;
const WORKERS = 6;

const smtp = new SmtpReceiver();
let service: TestService;

beforeAll(async () => {
  await smtp.start();
  service = await startTestService({
    smtpUrl: smtp.url,
    clock: new RunningClock(),
    mintWaitMs: 500,
    // The contract's spacing (first retry within 10 s, then doubling) squeezed so the test ends soon
    // after the mail server returns.
    retry: { firstDelayMs: 500, maxDelayMs: 3000 },
    env: { RATE_LIMIT_APP_PER_MINUTE: '0' },
  });
});
afterAll(async () => {
  await service?.close();
  await smtp.stop();
});

type Phase = 'before' | 'during' | 'after';
/** A mint asked in one phase and answered in the next. */
type Recorded = Phase | 'straddling';

describe('the mail server goes away for a while under load', () => {
  it('keeps minting, then delivers every license and ends each issue closed as a success', async () => {
    const token = await service.appToken(3600);
    const acknowledged = new Map<string, { key: string; phase: Recorded; status: string }>();
    const failures: string[] = [];
    let phase: Phase = 'before';
    let sequence = 0;
    let running = true;

    const workers = Array.from({ length: WORKERS }, async () => {
      while (running) {
        const n = sequence++;
        // The phases the mint was asked and answered in: one asked just before the outage may be
        // answered during it, and one asked at its very end may be delivered (and answered `sent`)
        // once the server is back.
        const askedIn = phase;
        const answer = await request<LicenseRecord>(`${service.url}/api/v1/licenses`, {
          token,
          body: { agent: 'outage', userCount: 1 + (n % 20), email: `o${n}@outage.example`, ticketId: n + 1 },
        });
        if (answer.status === 201) {
          acknowledged.set(answer.body.license.id, {
            key: answer.body.license.key ?? '',
            phase: askedIn === phase ? askedIn : 'straddling',
            status: answer.body.delivery.status,
          });
        } else {
          failures.push(`${answer.status} ${JSON.stringify(answer.body)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 3000));
    await smtp.stop();
    phase = 'during';
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await smtp.start();
    phase = 'after';
    await new Promise((resolve) => setTimeout(resolve, 3000));
    running = false;
    await Promise.all(workers);

    const during = [...acknowledged.values()].filter((entry) => entry.phase === 'during');
    expect(failures).toEqual([]);
    expect(during.length).toBeGreaterThan(10);
    expect(during.filter((entry) => entry.status !== 'queued').map((entry) => entry.status)).toEqual([]);

    // Everything queued during the outage arrives once the server is back.
    // Sends cut by the outage may sit out nodemailer's 30 s socket timeout before their retry.
    // Counted by key, not by message: a send cut after the server took it arrives twice, and
    // must not stand in for a license still waiting for its retry.
    const emailedKeys = () => {
      const counts = new Map<string, number>();
      for (const mail of smtp.messages) {
        const attachment = mail.attachments.find((file) => file.filename === 'license.jwt');
        const key = attachment?.content.toString('utf8').trim() ?? '';
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    };
    const arrivalDeadline = Date.now() + 150_000;
    while ([...acknowledged.values()].some((entry) => !emailedKeys().has(entry.key)) && Date.now() < arrivalDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const keysEmailed = emailedKeys();
    const missing = [...acknowledged.values()].filter((entry) => !keysEmailed.has(entry.key));
    expect(missing).toHaveLength(0);

    // Issues catch up through the durable queue: each license ends with one closed success issue.
    const deadline = Date.now() + 30_000;
    let records: LicenseRecord[] = [];
    for (;;) {
      records = await Promise.all(
        [...acknowledged.keys()].map(
          async (id) =>
            (await request<LicenseRecord>(`${service.url}/api/v1/licenses/${id}`, { token: LOOKUP_TOKEN })).body,
        ),
      );
      const settled = records.every((record) => record.delivery.status === 'sent' && record.issue?.state === 'closed');
      if (settled || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const record of records) {
      expect(record.delivery.status).toBe('sent');
      expect(record.issue?.state).toBe('closed');
      expect(record.issue?.title).toBe(
        `[Success] - Created a license under ${record.license.email} for ${record.license.userCount} users`,
      );
    }
    const perLicense = await sql<{ n: number }>`
      select count(*) as n from issues group by license_id having count(*) > 1`.execute(service.store.db);
    expect(perLicense.rows).toHaveLength(0);

    process.stdout.write(
      `outage: acknowledged=${acknowledged.size} during_outage=${during.length} emails=${smtp.messages.length} ` +
        `duplicate_emails=${smtp.messages.length - keysEmailed.size} missing=${missing.length}\n`,
    );
  });
});
