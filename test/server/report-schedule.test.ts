import type { ParsedMail } from 'mailparser';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../support/clock.ts';
import { postgresAvailable, startPostgres, type ThrowawayPostgres } from '../support/postgres.ts';
import { startTestService, tempDir, type TestService } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { checkIn, mintOrder } from '../support/usage.ts';

const DAY_MS = 86_400_000;
const RECIPIENTS = 'licensing@example.org, accounts@example.org';

function reportsIn(messages: ParsedMail[]): ParsedMail[] {
  return messages.filter((mail) => mail.subject?.startsWith('Mintdesk usage report'));
}

async function settle(ms = 600): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe.skipIf(!postgresAvailable)('the scheduled usage report with two instances on one PostgreSQL', () => {
  let postgres: ThrowawayPostgres;
  let databaseUrl: string;
  const smtp = new SmtpReceiver();
  // One clock for both instances, as two machines agree on the time.
  const clock = new ManualClock('2026-11-21T09:30:00.000Z');
  const dataDir = tempDir();
  const instances: TestService[] = [];

  const start = () =>
    startTestService({
      smtpUrl: smtp.url,
      dataDir,
      clock,
      env: { DATABASE_URL: databaseUrl, REPORT_EMAIL_TO: RECIPIENTS, REPORT_EVERY_DAYS: '14' },
      config: { reportCheckMs: 25 },
    });

  beforeAll(async () => {
    postgres = await startPostgres();
    databaseUrl = await postgres.newDatabaseUrl();
    await smtp.start();
    // Usage before the schedule starts: an organisation over what it bought in the first period.
    const seeder = await startTestService({
      smtpUrl: smtp.url,
      dataDir,
      clock,
      env: { DATABASE_URL: databaseUrl, APPROVAL_KINDS: '' },
    });
    clock.advance(-3 * DAY_MS);
    const license = await mintOrder(seeder, 'it@over.example', 10, 'Over Consumers Inc');
    await checkIn(seeder, license.license.key, { activeUsers: 14 });
    clock.advance(3 * DAY_MS);
    await seeder.close();
    smtp.messages.length = 0;
    instances.push(await start(), await start());
  }, 60_000);
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await smtp.stop();
    await postgres?.stop();
  });

  it('emails the first report soon after the first start, once, with the CSV attached', async () => {
    const [first] = reportsIn(await smtp.waitForMessages(1, 10_000));
    await settle();
    expect(reportsIn(smtp.messages)).toHaveLength(1);
    expect(first?.subject).toBe('Mintdesk usage report 2026-11-07 to 2026-11-20 (1 overconsumed)');
    const to = Array.isArray(first?.to) ? first?.to.flatMap((a) => a.value) : (first?.to?.value ?? []);
    expect(to.map((address) => address.address).sort()).toEqual(['accounts@example.org', 'licensing@example.org']);
    const attachment = first?.attachments.find((file) => file.filename === 'usage-report-2026-11-07-to-2026-11-20.csv');
    const rows = parse(attachment?.content.toString() ?? '', { columns: true }) as Array<Record<string, string>>;
    expect(rows.find((row) => row.organisation === 'Over Consumers Inc')).toMatchObject({
      purchased: '10',
      used_peak: '14',
      available: '-4',
      overconsumed: 'true',
    });
  });

  it('sends nothing more for the same period across restarts of both instances', async () => {
    for (let i = 0; i < instances.length; i += 1) {
      await instances[i]?.close();
      instances[i] = await start();
    }
    clock.advance(13 * DAY_MS);
    await settle();
    expect(reportsIn(smtp.messages)).toHaveLength(1);
  });

  it('emails the next period once when its day comes', async () => {
    clock.advance(DAY_MS);
    const messages = reportsIn(await smtp.waitForMessages(2, 10_000));
    await settle();
    expect(reportsIn(smtp.messages)).toHaveLength(2);
    expect(messages[1]?.subject).toBe('Mintdesk usage report 2026-11-21 to 2026-12-04');
    const runs = await instances[0]?.store.db
      .selectFrom('report_runs' as never)
      .select(['period_from' as never, 'state' as never, 'attempts' as never])
      .orderBy('period_from' as never)
      .execute();
    expect(runs).toEqual([
      { period_from: '2026-11-07', state: 'sent', attempts: 1 },
      { period_from: '2026-11-21', state: 'sent', attempts: 1 },
    ]);
  });
});
