import type { Kysely, Updateable } from 'kysely';
import type { Database, LicensesTable } from './schema.ts';

export interface Approved {
  licenseId: string;
  by: string;
  at: string;
  /** The signed license and its dates, decided at the moment of approval. */
  key: string;
  issuedAt: string;
  expiresAt: string | null;
  nowMs: number;
}

export interface Rejected {
  licenseId: string;
  by: string;
  at: string;
  reason: string;
  nowMs: number;
}

/**
 * Decisions on licenses waiting for approval. Each is one transaction that changes the license
 * only while it is still pending (two approvers clicking at once: one wins, the other is told)
 * and leaves the durable job that carries the decision out.
 */
export class ApprovalStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Signs the license into the row and queues its delivery; undefined when it was no longer pending. */
  async approve(decision: Approved): Promise<number | undefined> {
    return this.decide(decision, {
      changes: {
        key: decision.key,
        issued_at: decision.issuedAt,
        expires_at: decision.expiresAt,
        approval_status: 'approved',
        approval_by: decision.by,
        approval_at: decision.at,
        delivery_status: 'queued',
      },
      job: 'deliver',
      action: 'approved',
      detail: null,
    });
  }

  /** Closes the request for good and queues the tracker update; undefined when it was no longer pending. */
  async reject(decision: Rejected): Promise<number | undefined> {
    return this.decide(decision, {
      changes: {
        approval_status: 'rejected',
        approval_by: decision.by,
        approval_at: decision.at,
        approval_reason: decision.reason,
      },
      job: 'sync_issue',
      action: 'rejected',
      detail: `(reason: ${decision.reason})`,
    });
  }

  /**
   * One decision: the row changes only while still pending, and the job that carries the
   * decision out and its audit entry are written in the same transaction.
   */
  private async decide(
    decision: { licenseId: string; by: string; at: string; nowMs: number },
    outcome: {
      changes: Updateable<LicensesTable>;
      job: 'deliver' | 'sync_issue';
      action: 'approved' | 'rejected';
      detail: string | null;
    },
  ): Promise<number | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('licenses')
        .set(outcome.changes)
        .where('id', '=', decision.licenseId)
        .where('approval_status', '=', 'pending')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return undefined;
      const job = await trx
        .insertInto('jobs')
        .values(newJob(decision.licenseId, outcome.job, decision.nowMs))
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('audit')
        .values({
          license_id: decision.licenseId,
          actor: decision.by,
          action: outcome.action,
          detail: outcome.detail,
          at: decision.at,
        })
        .execute();
      return Number(job.id);
    });
  }
}

function newJob(licenseId: string, kind: 'deliver' | 'sync_issue', nowMs: number) {
  return {
    license_id: licenseId,
    kind,
    state: 'pending' as const,
    attempts: 0,
    run_at_ms: nowMs,
    created_ms: nowMs,
    lease_until_ms: null,
    last_error: null,
  };
}
