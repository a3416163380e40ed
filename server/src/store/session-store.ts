import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** The `lookup_sessions` table (migration `0004_lookup_sessions`). */
export interface LookupSessionsTable {
  /** SHA-256 of the session id: a copy of the database opens no session. */
  id_hash: string;
  /** Who signed in, as they gave it: the audit trail's actor. */
  name: string;
  /** Which credential signed in (`lookup-token`, or a personal credential's id). */
  credential: string;
  created_ms: number;
  expires_ms: number;
}

export interface StoredSession {
  id: string;
  name: string;
  credential: string;
  expiresAt: number;
}

const SWEEP_EVERY_CREATES = 100;

/** Lookup page sessions in the service's database, shared by every instance that uses it. */
export class SessionStore {
  private readonly db: Kysely<Database & { lookup_sessions: LookupSessionsTable }>;
  private creates = 0;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<{ lookup_sessions: LookupSessionsTable }>();
  }

  async create(session: {
    name: string;
    credential: string;
    nowMs: number;
    lifetimeMs: number;
  }): Promise<StoredSession> {
    const id = crypto.randomBytes(32).toString('base64url');
    const expiresAt = session.nowMs + session.lifetimeMs;
    await this.db
      .insertInto('lookup_sessions')
      .values({
        id_hash: hashId(id),
        name: session.name,
        credential: session.credential,
        created_ms: session.nowMs,
        expires_ms: expiresAt,
      })
      .execute();
    this.creates += 1;
    if (this.creates % SWEEP_EVERY_CREATES === 0) await this.deleteExpired(session.nowMs);
    return { id, name: session.name, credential: session.credential, expiresAt };
  }

  async find(id: string, nowMs: number): Promise<StoredSession | undefined> {
    const row = await this.db
      .selectFrom('lookup_sessions')
      .select(['name', 'credential', 'expires_ms'])
      .where('id_hash', '=', hashId(id))
      .executeTakeFirst();
    if (!row || Number(row.expires_ms) <= nowMs) return undefined;
    return { id, name: row.name, credential: row.credential, expiresAt: Number(row.expires_ms) };
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('lookup_sessions').where('id_hash', '=', hashId(id)).execute();
  }

  async deleteExpired(nowMs: number): Promise<number> {
    const result = await this.db.deleteFrom('lookup_sessions').where('expires_ms', '<=', nowMs).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function hashId(id: string): string {
  return crypto.createHash('sha256').update(id).digest('base64url');
}
