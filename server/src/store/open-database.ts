import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Checkpointer } from './checkpointer.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';

export interface OpenDatabase {
  db: Kysely<Database>;
  /** Human-readable location, for start-up output (never includes credentials). */
  location: string;
  /** Stops what runs beside the database (the checkpointer); the store closes the database itself. */
  stopHelpers: () => Promise<void>;
}

/** Opens the SQLite file (creating it), sets durability pragmas and applies migrations. */
export async function openSqliteDatabase(file: string): Promise<OpenDatabase> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a 201 means the license row survived a power loss, not just a process crash.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('wal_autocheckpoint = 0');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db as Kysely<unknown>);
  const checkpointer = new Checkpointer(file);
  return { db, location: file, stopHelpers: () => checkpointer.stop() };
}

export function sqliteFileFor(databaseUrl: string | undefined, dataDir: string): string {
  if (!databaseUrl) return path.join(dataDir, 'mintdesk.sqlite');
  if (databaseUrl.startsWith('sqlite:')) return path.resolve(databaseUrl.replace(/^sqlite:(\/\/)?/, ''));
  return path.resolve(databaseUrl);
}
