// A realistic large store for the bench, written in SQL inside SQLite (no row crosses into
// JavaScript): licenses with real-size Ed25519 license keys, their closed success issues (with the
// license copy in the body, as the tracker keeps it), their finished delivery jobs and audit rows.
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';

export const SEED_EMAILS = 250_000;
export const SEED_TICKETS = 500_000;
export const FIRST_SEED_TICKET = 100_000;

export function seedEmail(n: number): string {
  return `customer${n % SEED_EMAILS}@bench.example`;
}

/** A license key of the real size: an EdDSA compact JWS over the claims a mint signs. */
function realSizeKey(): string {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const iat = 1_780_000_000;
  const header = { alg: 'EdDSA', kid: crypto.randomBytes(32).toString('base64url').slice(0, 43), typ: 'license+jwt' };
  const claims = {
    iss: 'https://licenses.example.com',
    jti: 'lic_7hq2mz9xk4tcw3pa7hq2mz9x',
    iat,
    nbf: iat,
    exp: iat + 864_000,
    email: 'customer123456@bench.example',
    users: 25,
    plan: 'ultimate',
    trial: true,
    licensee: { name: 'Emergency License', company: 'Temporary License', email: 'customer123456@bench.example' },
    ticket: 123456,
  };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${crypto.sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

/** Seeds `count` licenses into the (already migrated) store in `dataDir`. */
export function seedStore(dataDir: string, count: number, nowMs = Date.now()): void {
  const db = new Database(path.join(dataDir, 'mintdesk.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const key = realSizeKey();
  const first = nowMs - count * 1000;
  const range = `with recursive n(i) as (select 0 union all select i + 1 from n where i < ${count - 1})`;
  const iso = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${ms}) / 1000.0, 'unixepoch')`;
  const created = `(${first} + i * 1000)`;
  const email = `'customer' || (i % ${SEED_EMAILS}) || '@bench.example'`;
  db.transaction(() => {
    db.exec(`${range}
      insert into issues (id, license_id, title, body, state, labels, created_ms, updated_ms)
      select i + 1, 'lic_seed' || printf('%012d', i),
        '[Success] - Created a license under ' || ${email} || ' for ' || (1 + i % 50) || ' users',
        'A trial license was created and emailed.' || char(10) || char(10) ||
        '- Ticket: #' || (${FIRST_SEED_TICKET} + i % ${SEED_TICKETS}) || char(10) || '- Agent: bench-agent' || char(10) ||
        '- Requester: ' || ${email} || char(10) || '- Users: ' || (1 + i % 50) || char(10) ||
        '- License id: lic_seed' || printf('%012d', i) || char(10) || '- Valid from: ' || ${iso(created)} || char(10) ||
        '- Valid until: ' || ${iso(`${created} + 864000000`)} || char(10) || '- Delivery attempts: 1' || char(10) ||
        char(10) || 'License key:' || char(10) || char(10) || '\`\`\`' || char(10) || '${key}' || char(10) || '\`\`\`',
        'closed', '["mintdesk","success"]', ${created}, ${created}
      from n`);
    db.exec(`${range}
      insert into licenses (id, key, issued_at, expires_at, created_ms, user_count, email, email_lower, agent,
        ticket_id, ticket_url, delivery_status, delivery_attempts, delivery_error, delivered_at, issue_id,
        idempotency_key, request_hash)
      select 'lic_seed' || printf('%012d', i), '${key}', ${iso(created)}, ${iso(`${created} + 864000000`)}, ${created},
        1 + i % 50, ${email}, ${email}, 'bench-agent', ${FIRST_SEED_TICKET} + i % ${SEED_TICKETS},
        'https://example.zendesk.com/agent/tickets/' || (${FIRST_SEED_TICKET} + i % ${SEED_TICKETS}), 'sent', 1, null,
        ${iso(`${created} + 800`)}, cast(i + 1 as text), null, lower(hex(randomblob(32)))
      from n`);
    db.exec(`${range}
      insert into jobs (license_id, kind, state, attempts, run_at_ms, created_ms, lease_until_ms, last_error)
      select 'lic_seed' || printf('%012d', i), 'deliver', 'done', 1, ${created}, ${created}, null, null from n`);
    db.exec(`${range}
      insert into audit (license_id, actor, action, detail, at)
      select 'lic_seed' || printf('%012d', i), 'bench-agent', 'minted', (1 + i % 50) || ' users for ' || ${email},
        ${iso(created)} from n`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
