import fs from 'node:fs';
import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * Commits whose fsync does not block the event loop. better-sqlite3 is synchronous: with
 * `synchronous = FULL` every COMMIT waits for fsync on the main thread (2–20 ms on a busy disk),
 * and nothing else — no request, no SMTP reply — is handled meanwhile. For the hot group commits
 * (mints, job bookkeeping, delivery outcomes, embedded issues) the transaction commits with
 * `synchronous = NORMAL` (the WAL frames written, not yet synced) and then the WAL file is
 * fdatasync'ed on libuv's thread pool before the promise settles: as durable as FULL (FULL syncs
 * the same WAL file at COMMIT), but the loop keeps working while the disk does. Every other
 * write keeps `synchronous = FULL`. PostgreSQL commits are the server's business: a plain
 * transaction.
 */
export async function durableTransaction<Db, T>(db: Kysely<Db>, work: (trx: Kysely<Db>) => Promise<T>): Promise<T> {
  const wal = await walOf(db);
  if (!wal) return db.transaction().execute(work);
  const result = await db.connection().execute(async (connection) => {
    await sql`pragma synchronous = NORMAL`.execute(connection);
    try {
      return await connection.transaction().execute(work);
    } finally {
      await sql`pragma synchronous = FULL`.execute(connection);
    }
  });
  await wal.sync();
  return result;
}

interface Wal {
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Closes what `durableTransaction` keeps open for this database (its WAL file handle). */
export async function closeDurableCommits<Db>(db: Kysely<Db>): Promise<void> {
  const wal = wals.get(db);
  wals.delete(db);
  await (await wal)?.close();
}

const wals = new WeakMap<object, Promise<Wal | undefined>>();

function walOf<Db>(db: Kysely<Db>): Promise<Wal | undefined> {
  let wal = wals.get(db);
  if (!wal) {
    wal = openWal(db).catch(() => undefined);
    wals.set(db, wal);
  }
  return wal;
}

/** SQLite under Kysely (its adapter), without sending other databases a statement they would refuse. */
function isSqlite<Db>(db: Kysely<Db>): boolean {
  try {
    return db.getExecutor().adapter instanceof SqliteAdapter;
  } catch {
    return false;
  }
}

async function openWal<Db>(db: Kysely<Db>): Promise<Wal | undefined> {
  if (!isSqlite(db)) return undefined;
  let file: string | undefined;
  try {
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
    if (mode.rows[0]?.journal_mode?.toLowerCase() !== 'wal') return undefined;
    const list = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
    file = list.rows.find((row) => row.name === 'main')?.file;
  } catch {
    return undefined;
  }
  if (!file) return undefined;
  const walFile = `${file}-wal`;
  // The WAL exists from the first write of a WAL-mode database; open it once it does.
  let handle: fs.promises.FileHandle | undefined;
  return {
    async sync() {
      handle ??= await fs.promises.open(walFile, 'r');
      await handle.datasync();
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}
