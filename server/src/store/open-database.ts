import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { restrictFile } from '../files.ts';
import { Checkpointer, type CheckpointerOptions, type CheckpointStatus } from './checkpointer.ts';
import { migrateToLatest, type SqlDialectName } from './migrations.ts';
import type { Database } from './schema.ts';

export interface OpenDatabase {
  db: Kysely<Database>;
  /** Human-readable location, for start-up output (never includes credentials). */
  location: string;
  /** Stops what runs beside the database (the checkpointer); the store closes the database itself. */
  stopHelpers: () => Promise<void>;
  dialect: SqlDialectName;
  /** SQLite only: how the WAL checkpoints are going. */
  checkpoints?: () => CheckpointStatus;
}

export interface OpenDatabaseOptions {
  /** SQLite's WAL checkpoint thread: its interval and who hears about its failures. */
  checkpoints?: CheckpointerOptions;
}

/** SQLite's own files beside the database: the write-ahead log, its index, a rollback journal. */
const SQLITE_COMPANIONS = ['-wal', '-shm', '-journal'];

/** Opens the SQLite file (creating it), sets durability pragmas and applies migrations. */
export async function openSqliteDatabase(file: string, options: OpenDatabaseOptions = {}): Promise<OpenDatabase> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Created owner-only before SQLite sees it (an empty file is an empty database), and tightened
  // when an earlier run or the umask left it readable by others. SQLite gives the -wal and -shm
  // files it creates the database file's mode; ones left from before are tightened here too.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const suffix of ['', ...SQLITE_COMPANIONS]) restrictFile(`${file}${suffix}`);
  const db = await whileHoldingMigrationLock(file, async () => {
    const sqlite = new SqliteDatabase(file);
    // First, so that every later step waits for another process instead of failing at once.
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('journal_mode = WAL');
    // FULL: a 201 means the license row survived a power loss, not just a process crash.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('wal_autocheckpoint = 0');
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    try {
      await migrateToLatest(kysely as Kysely<unknown>, 'sqlite');
    } catch (error) {
      await kysely.destroy();
      throw error;
    }
    return kysely;
  });
  const checkpointer = new Checkpointer(file, options.checkpoints);
  return {
    db,
    location: file,
    stopHelpers: () => checkpointer.stop(),
    dialect: 'sqlite',
    checkpoints: () => checkpointer.status(),
  };
}

/**
 * Kysely's SQLite migrator only locks within one process; instances started together on one
 * DATA_DIR would each create the same tables. An exclusive transaction on a lock file beside the
 * database serialises them across processes (SQLite's busy handler waits for the holder, which
 * the OS releases if the holder dies). The whole set-up runs under it, the switch to WAL included:
 * the others then find nothing left to do. A migration may manage its own transaction, so the lock
 * cannot be a transaction on the database itself.
 */
async function whileHoldingMigrationLock<T>(file: string, setUp: () => Promise<T>): Promise<T> {
  const lockFile = `${file}-migrate.lock`;
  fs.closeSync(fs.openSync(lockFile, 'a', 0o600));
  restrictFile(lockFile);
  const lock = new SqliteDatabase(lockFile);
  try {
    // A large table rebuild by the holder takes a while.
    lock.pragma('busy_timeout = 120000');
    lock.exec('BEGIN EXCLUSIVE');
    try {
      return await setUp();
    } finally {
      lock.exec('COMMIT');
    }
  } finally {
    lock.close();
  }
}

/** SQLite in DATA_DIR unless DATABASE_URL names PostgreSQL. */
export async function openDatabase(
  databaseUrl: string | undefined,
  dataDir: string,
  options: OpenDatabaseOptions = {},
): Promise<OpenDatabase> {
  if (databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { openPostgresDatabase } = await import('./open-postgres.ts');
    return openPostgresDatabase(databaseUrl);
  }
  return openSqliteDatabase(sqliteFileFor(databaseUrl, dataDir), options);
}

export function sqliteFileFor(databaseUrl: string | undefined, dataDir: string): string {
  if (!databaseUrl) return path.join(dataDir, 'mintdesk.sqlite');
  if (databaseUrl.startsWith('sqlite:')) return path.resolve(databaseUrl.replace(/^sqlite:(\/\/)?/, ''));
  return path.resolve(databaseUrl);
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query again; the same few query shapes run thousands of
 * times a second, so keep their prepared statements (a measured 7% of a lookup's CPU).
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDatabase.Database {
  const statements = new Map<string, SqliteDatabase.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property !== 'prepare') {
        const value = Reflect.get(target, property, receiver) as unknown;
        // Native methods need the real database as `this`, not the proxy.
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return (source: string) => {
        let statement = statements.get(source);
        if (!statement) {
          statement = prepare(source);
          if (statements.size < STATEMENT_CACHE_SIZE) statements.set(source, statement);
        }
        return statement;
      };
    },
  });
}
