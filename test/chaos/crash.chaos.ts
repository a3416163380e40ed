import path from 'node:path';
import type { LicenseRecord } from '@mintdesk/shared';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildService, spawnService } from '../support/child-service.ts';
import { request } from '../support/http.ts';
import { APP_SECRET, LOOKUP_TOKEN, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';

const KILLS = 4;
const WORKERS = 8;
const RUN_BETWEEN_KILLS_MS = 1500;

const smtp = new SmtpReceiver();
const dataDir = tempDir('mintdesk-chaos-');
const env = () => ({
  DATA_DIR: dataDir,
  SMTP_URL: smtp.url,
  APP_SECRET,
  LOOKUP_TOKEN,
  MINT_WAIT_MS: '200',
  PREVIEW: '0',
});
let service: ChildService | undefined;

beforeAll(async () => {
  await smtp.start();
});
afterAll(async () => {
  service?.process.kill('SIGKILL');
  await smtp.stop();
});

describe('SIGKILL under concurrent minting', () => {
  it('loses no acknowledged license: each is stored, emailed and has one closed success issue', async () => {
    const acknowledged = new Map<string, string>();
    let refusedOrCut = 0;
    let sequence = 0;

    for (let round = 0; round <= KILLS; round++) {
      service = await spawnService(env());
      const url = service.url;
      const token = await signAppToken(APP_SECRET, { now: new Date(), lifetimeS: 3600 });
      let running = true;
      const workers = Array.from({ length: WORKERS }, async () => {
        while (running) {
          const n = sequence++;
          try {
            const response = await request<LicenseRecord>(`${url}/api/v1/licenses`, {
              token,
              body: { agent: 'chaos', userCount: 1 + (n % 50), email: `c${n}@chaos.example`, ticketId: n + 1 },
            });
            if (response.status === 201) acknowledged.set(response.body.license.id, response.body.license.key ?? '');
            else refusedOrCut += 1;
          } catch {
            refusedOrCut += 1;
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, RUN_BETWEEN_KILLS_MS));
      if (round < KILLS) service.process.kill('SIGKILL');
      running = false;
      await Promise.all(workers);
      if (round < KILLS) await service.exited;
    }

    // The last instance drains what the killed ones left behind.
    const url = (service as ChildService).url;
    const deadline = Date.now() + 60_000;
    const emailed = () => new Set(smtp.messages.map((mail) => String(mail.headers.get('x-mintdesk-license-id'))));
    while (Date.now() < deadline && [...acknowledged.keys()].some((id) => !emailed().has(id))) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const received = emailed();
    const missing = [...acknowledged.keys()].filter((id) => !received.has(id));
    const duplicates = smtp.messages.length - received.size;

    // Every duplicate carries the same license as the first copy: at-least-once, never a different key.
    for (const mail of smtp.messages) {
      const id = String(mail.headers.get('x-mintdesk-license-id'));
      const key = mail.attachments.find((a) => a.filename === 'license.jwt')?.content.toString();
      if (acknowledged.has(id)) expect(key).toBe(acknowledged.get(id));
    }

    let closed = 0;
    for (let i = 0; i < 100 && closed < acknowledged.size; i++) {
      const db = new Database(path.join(dataDir, 'mintdesk.sqlite'), { readonly: true });
      const rows = db
        .prepare(
          `select l.id, l.key, l.issue_id, i.id as issue_row, i.state, i.title, i.body
           from licenses l left join issues i on i.license_id = l.id`,
        )
        .all() as Array<{
        id: string;
        key: string;
        issue_id: string | null;
        issue_row: number | null;
        state: string | null;
        title: string | null;
        body: string | null;
      }>;
      db.close();
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const id of acknowledged.keys()) expect(byId.has(id)).toBe(true);
      // One issue per license is the table's UNIQUE; what a crash could break is the license's link
      // to it: a closed success must be the very issue the license records, holding its key.
      closed = [...acknowledged.keys()].filter((id) => {
        const row = byId.get(id);
        return (
          row?.state === 'closed' &&
          row.title?.startsWith('[Success]') &&
          row.issue_id === String(row.issue_row) &&
          row.body?.includes(row.key)
        );
      }).length;
      if (closed < acknowledged.size) await new Promise((resolve) => setTimeout(resolve, 250));
    }

    process.stdout.write(
      `chaos: kills=${KILLS} acknowledged=${acknowledged.size} refused_or_cut=${refusedOrCut} emailed=${received.size} ` +
        `missing=${missing.length} duplicate_emails=${duplicates} closed_success_issues=${closed}\n`,
    );
    for (const id of missing.slice(0, 3)) {
      const record = await request<LicenseRecord>(`${url}/api/v1/licenses/${id}`, { token: LOOKUP_TOKEN });
      process.stdout.write(
        `not delivered: ${JSON.stringify(record.body.delivery)} ${JSON.stringify(record.body.issue)}\n`,
      );
    }
    expect(acknowledged.size).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(closed).toBe(acknowledged.size);
  });
});
