import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../store/schema.ts';
import type { IssueSnapshot, IssueSpec, Tracker } from './tracker.ts';

/** TRACKER=embedded: issues live in the service's own database. */
export class EmbeddedTracker implements Tracker {
  readonly description = 'embedded (issues in the database)';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly publicUrl: string,
  ) {}

  async saveIssue(licenseId: string | null, spec: IssueSpec, knownId: string | null): Promise<IssueSnapshot> {
    const nowMs = this.clock.now().getTime();
    const values = {
      title: spec.title,
      body: spec.body,
      state: spec.state,
      labels: JSON.stringify(spec.labels),
      updated_ms: nowMs,
    };
    const existing =
      knownId !== null ? Number(knownId) : licenseId !== null ? await this.idForLicense(licenseId) : undefined;
    if (existing !== undefined && Number.isSafeInteger(existing)) {
      await this.db.updateTable('issues').set(values).where('id', '=', existing).execute();
      return this.snapshot(existing, spec, licenseId);
    }
    const row = await this.db
      .insertInto('issues')
      .values({ ...values, license_id: licenseId, created_ms: nowMs })
      // One issue per license, even when two writers race.
      .onConflict((oc) => oc.column('license_id').doUpdateSet(values))
      .returning('id')
      .executeTakeFirstOrThrow();
    return this.snapshot(row.id, spec, licenseId);
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

  private async idForLicense(licenseId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('issues').select('id').where('license_id', '=', licenseId).executeTakeFirst();
    return row?.id;
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
