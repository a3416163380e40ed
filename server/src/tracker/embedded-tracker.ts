import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { type TransactionGroups, transactionGroupsFor } from '../store/group-commit.ts';
import type { Database } from '../store/schema.ts';
import type { IssueSnapshot, IssueSpec, Tracker } from './tracker.ts';

/** TRACKER=embedded: issues live in the service's own database. */
export class EmbeddedTracker implements Tracker {
  readonly description = 'embedded (issues in the database)';
  private readonly writes: TransactionGroups<Kysely<Database>>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly publicUrl: string,
  ) {
    this.writes = transactionGroupsFor(db);
  }

  async saveIssue(licenseId: string | null, spec: IssueSpec, knownId: string | null): Promise<IssueSnapshot> {
    const nowMs = this.clock.now().getTime();
    const values = {
      title: spec.title,
      body: spec.body,
      state: spec.state,
      labels: JSON.stringify(spec.labels),
      updated_ms: nowMs,
    };
    // Issue writes arriving together (a burst of deliveries) share one commit.
    const id = await this.writes.run(async (db) => {
      // Without a known id, the upsert on license_id finds the license's issue (one per license).
      const existing = knownId !== null ? Number(knownId) : undefined;
      if (existing !== undefined && Number.isSafeInteger(existing)) {
        await db.updateTable('issues').set(values).where('id', '=', existing).execute();
        return existing;
      }
      const row = await db
        .insertInto('issues')
        .values({ ...values, license_id: licenseId, created_ms: nowMs })
        // One issue per license, even when two writers race.
        .onConflict((oc) => oc.column('license_id').doUpdateSet(values))
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    });
    return this.snapshot(id, spec, licenseId);
  }

  async getIssues(ids: string[]): Promise<Map<string, IssueSnapshot>> {
    const numeric = ids.map(Number).filter(Number.isSafeInteger);
    const found = new Map<string, IssueSnapshot>();
    if (numeric.length === 0) return found;
    const rows = await this.db
      .selectFrom('issues')
      .select(['id', 'title', 'state', 'license_id'])
      .where('id', 'in', numeric)
      .execute();
    for (const row of rows) {
      found.set(String(row.id), {
        id: String(row.id),
        title: row.title,
        state: row.state,
        url: this.urlFor(row.license_id),
      });
    }
    return found;
  }

  async check(): Promise<void> {
    await this.db.selectFrom('issues').select('id').limit(1).execute();
  }

  private snapshot(id: number, spec: IssueSpec, licenseId: string | null): IssueSnapshot {
    return { id: String(id), title: spec.title, state: spec.state, url: this.urlFor(licenseId) };
  }

  private urlFor(licenseId: string | null): string {
    return licenseId === null
      ? `${this.publicUrl}/lookup`
      : `${this.publicUrl}/lookup?q=${encodeURIComponent(licenseId)}`;
  }
}
