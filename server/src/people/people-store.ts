import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import {
  type FindPerson,
  hashPersonToken,
  looksLikePersonToken,
  newPersonToken,
  type Person,
} from './person-credentials.ts';

export interface PersonListing extends Person {
  createdAt: string;
}

/** How a lookup session records that a person (not the shared token) signed in. */
export function personCredential(person: Person): string {
  return `person:${person.id}`;
}

export class PersonExistsError extends Error {}

/** People with personal lookup credentials, stored by name with only the credential's hash. */
export class PeopleStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds a person and returns their new credential: the only time it exists outside its holder. */
  async add(name: string, approver: boolean, now: Date): Promise<string> {
    const existing = await this.db
      .selectFrom('people')
      .select('id')
      .where('name_lower', '=', name.toLowerCase())
      .executeTakeFirst();
    if (existing) throw new PersonExistsError(`a person named "${name}" already exists`);
    const token = newPersonToken();
    await this.db
      .insertInto('people')
      .values({
        name,
        name_lower: name.toLowerCase(),
        token_hash: hashPersonToken(token),
        approver: approver ? 1 : 0,
        created_at: now.toISOString(),
      })
      .execute();
    return token;
  }

  async list(): Promise<PersonListing[]> {
    const rows = await this.db.selectFrom('people').selectAll().orderBy('name_lower').execute();
    return rows.map((row) => ({ id: row.id, name: row.name, approver: row.approver !== 0, createdAt: row.created_at }));
  }

  /** True when someone was removed; their credential stops working at once. */
  async remove(name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('people').where('name_lower', '=', name.toLowerCase()).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The person a session's credential names (`person:ID`); undefined once they were removed. */
  async bySessionCredential(credential: string): Promise<Person | undefined> {
    const match = /^person:([0-9]{1,15})$/.exec(credential);
    if (!match) return undefined;
    const row = await this.db
      .selectFrom('people')
      .select(['id', 'name', 'approver'])
      .where('id', '=', Number(match[1]))
      .executeTakeFirst();
    return row ? { id: row.id, name: row.name, approver: row.approver !== 0 } : undefined;
  }

  /** The authenticator's lookup: by hash, so the credential is never compared or kept in memory. */
  readonly findPerson: FindPerson = async (token) => {
    if (!looksLikePersonToken(token)) return undefined;
    const row = await this.db
      .selectFrom('people')
      .select(['id', 'name', 'approver'])
      .where('token_hash', '=', hashPersonToken(token))
      .executeTakeFirst();
    return row ? { id: row.id, name: row.name, approver: row.approver !== 0 } : undefined;
  };
}
