// `npm run bench`: figures as `name: value unit` lines, against the real service on loopback.
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { gzipSync } from 'node:zlib';
import { spawnService, REPO_ROOT, type ChildService } from '../support/child-service.ts';
import { APP_SECRET, LOOKUP_TOKEN, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { signAppToken } from '../support/tokens.ts';
import { runUsageBench } from './usage-bench.ts';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const SEED_LICENSES = Number(process.env.BENCH_LICENSES ?? 1_000_000);

function print(name: string, value: number, unit = ''): void {
  process.stdout.write(`${name}: ${Number.isInteger(value) ? value : value.toFixed(2)}${unit ? ` ${unit}` : ''}\n`);
}

async function load(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options });
}

async function stop(service: ChildService): Promise<void> {
  service.process.kill('SIGTERM');
  await service.exited;
}

/** Writes licenses straight into the database in large transactions: a realistic 1M-row store. */
function seed(dataDir: string, count: number): void {
  const db = new Database(path.join(dataDir, 'mintdesk.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `insert into licenses (id, key, issued_at, expires_at, created_ms, user_count, email, email_lower, agent, ticket_id,
       ticket_url, delivery_status, delivery_attempts, delivery_error, delivered_at, issue_id, idempotency_key, request_hash)
     values (?, 'x.y.z', '2026-01-01T00:00:00.000Z', '2026-01-11T00:00:00.000Z', ?, 5, ?, ?, 'bench', ?, null, 'sent', 1,
       null, '2026-01-01T00:00:00.000Z', null, null, null)`,
  );
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const email = `customer${i % 250_000}@bench.example`;
      insert.run(
        `lic_seed${i.toString(36).padStart(8, '0')}`,
        1_700_000_000_000 + i,
        email,
        email,
        100_000 + (i % 500_000),
      );
    }
  });
  for (let from = 0; from < count; from += 50_000) batch(from, Math.min(count, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

const smtp = await new SmtpReceiver().start();
const dataDir = tempDir('mintdesk-bench-');
// Capacity, not policy: the per-caller rate limits would cap one token at 600 requests a minute.
const env = {
  DATA_DIR: dataDir,
  SMTP_URL: smtp.url,
  APP_SECRET,
  LOOKUP_TOKEN,
  LOG_LEVEL: 'warn',
  PREVIEW: '0',
  RATE_LIMIT_APP_PER_MINUTE: '0',
};
let service = await spawnService(env);
const appToken = await signAppToken(APP_SECRET, { now: new Date(), lifetimeS: 3600 });
const mintRequest = {
  url: `${service.url}/api/v1/licenses`,
  method: 'POST' as const,
  headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ agent: 'bench', userCount: 10, email: 'bench@example.org', ticketId: 1 }),
};

const baseline = await load({ url: `${service.url}/healthz` });
print('baseline_rps', Math.round(baseline.requests.average), 'req/s');
const single = await load({ ...mintRequest, connections: 1 });
print('mint_single_client_p50', single.latency.p50, 'ms');
print('mint_single_client_p99', single.latency.p99, 'ms');
const mint = await load(mintRequest);
print('mint_rps', Math.round(mint.requests.average), 'req/s');
print('mint_p50', mint.latency.p50, 'ms');
print('mint_p99', mint.latency.p99, 'ms');
print('mint_non_2xx', mint.non2xx + mint.errors, 'responses');
print('mint_vs_baseline_ratio', mint.requests.average / baseline.requests.average);
print('emails_received', smtp.messages.length, 'messages');
smtp.messages.length = 0;

await stop(service);
// A store of its own for the 1M figures: the mint run above left thousands of deliveries queued,
// and draining them would run alongside (and distort) the lookups.
const largeDir = tempDir('mintdesk-bench-1m-');
const largeEnv = { ...env, DATA_DIR: largeDir };
await stop(await spawnService(largeEnv));
const seedStart = Date.now();
seed(largeDir, SEED_LICENSES);
print('seed_seconds', (Date.now() - seedStart) / 1000, 's');
service = await spawnService(largeEnv);
const lookup = await load({
  url: `${service.url}/api/v1/licenses?email=customer4242@bench.example`,
  headers: { authorization: `Bearer ${LOOKUP_TOKEN}` },
});
print(`lookup_${SEED_LICENSES >= 1_000_000 ? '1m' : SEED_LICENSES}_p99`, lookup.latency.p99, 'ms');
print('lookup_rps', Math.round(lookup.requests.average), 'req/s');
const mintLarge = await load({ ...mintRequest, url: `${service.url}/api/v1/licenses` });
print('mint_1m_rps', Math.round(mintLarge.requests.average), 'req/s');
print('mint_1m_p99', mintLarge.latency.p99, 'ms');
await stop(service);
await smtp.stop();

// Usage check-ins and the usage report (usage_rps, report_1m_ms): a file of their own.
await runUsageBench({ durationS: DURATION_S, connections: CONNECTIONS, print });

const assets = path.join(REPO_ROOT, 'zendesk-app/dist/assets');
if (fs.existsSync(assets)) {
  const bytes = fs
    .readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .reduce((total, name) => total + gzipSync(fs.readFileSync(path.join(assets, name)), { level: 9 }).length, 0);
  print('sidebar_js_gzip', Number((bytes / 1024).toFixed(1)), 'KB');
}
fs.rmSync(dataDir, { recursive: true, force: true });
fs.rmSync(largeDir, { recursive: true, force: true });
