import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface ThrowawayPostgres {
  /** A fresh, empty database in the cluster for each call. */
  newDatabaseUrl(): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's `pg_ctl` and `initdb`, newest major first; undefined when PostgreSQL is not installed. */
function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const majors = fs
    .readdirSync(root)
    .filter((name) => fs.existsSync(path.join(root, name, 'bin/pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? path.join(root, majors[0], 'bin') : undefined;
}

export const postgresAvailable = Boolean(process.env.TEST_POSTGRES_URL) || postgresBinDir() !== undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real PostgreSQL for a test file: `TEST_POSTGRES_URL` when given, otherwise a throwaway cluster
 * in a temp dir on a loopback port, run as the `postgres` user (initdb refuses root) with Debian's
 * `pg_ctl`. fsync is off: these tests are about queries and locking, not the disk.
 */
export async function startPostgres(): Promise<ThrowawayPostgres> {
  const given = process.env.TEST_POSTGRES_URL;
  if (given) return { newDatabaseUrl: () => createDatabase(given), stop: async () => undefined };

  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mintdesk-pg-'));
  const data = path.join(dir, 'data');
  const asPostgres = (command: string, args: string[]) => {
    const runAsRoot = process.getuid?.() === 0;
    if (runAsRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
    return runAsRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, command), args, { stdio: 'pipe' });
  };
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  asPostgres('pg_ctl', [
    '-D',
    data,
    '-l',
    path.join(dir, 'server.log'),
    '-w',
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off`,
    'start',
  ]);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    newDatabaseUrl: () => createDatabase(adminUrl),
    async stop() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

async function createDatabase(adminUrl: string): Promise<string> {
  const name = `mintdesk_${crypto.randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
