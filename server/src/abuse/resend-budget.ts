import type { Kysely } from 'kysely';
import { AppError } from '../errors.ts';
import type { SqlDialectName } from '../store/migrations.ts';
import type { Database } from '../store/schema.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface ResendLimits {
  /** At most this many resends of one license in any 24 hours. */
  perLicensePerDay: number;
  /** The operator's ceiling on licenses per requester email a day, which resends count against too; undefined: none. */
  perEmailPerDay: number | undefined;
}

export interface ResendRequest {
  licenseId: string;
  /** The license's requester address (resends always go to it). */
  email: string;
  actor: string;
  now: Date;
}

/**
 * The resend ceilings, counted from the audit trail's `resent` entries, so the count is durable and
 * shared by every instance on one database. Counting and recording happen in one transaction that
 * (on PostgreSQL) locks the license row, so concurrent resends of one license cannot both slip
 * under the ceiling.
 */
export class ResendBudget {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
    private readonly limits: ResendLimits,
  ) {}

  /**
   * Records the resend (audit entry `resent`) when both ceilings allow it; otherwise throws `429`
   * (`resend_limit`, or `email_daily_limit` for the per-requester ceiling) with `Retry-After`, and
   * records nothing.
   */
  async reserve({ licenseId, email, actor, now }: ResendRequest): Promise<void> {
    const nowMs = now.getTime();
    const since = new Date(nowMs - DAY_MS).toISOString();
    await this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') {
        await trx.selectFrom('licenses').select('id').where('id', '=', licenseId).forUpdate().execute();
      }
      const resends = await trx
        .selectFrom('audit')
        .select('at')
        .where('license_id', '=', licenseId)
        .where('action', '=', 'resent')
        .where('at', '>', since)
        .orderBy('at')
        .execute();
      const { perLicensePerDay, perEmailPerDay } = this.limits;
      if (resends.length >= perLicensePerDay) {
        const freedAt = Date.parse(resends[resends.length - perLicensePerDay]?.at as string) + DAY_MS;
        throw new AppError(
          'resend_limit',
          `License ${licenseId} was already resent ${resends.length} times in the last 24 hours, the most this service allows.`,
        ).withRetryAfter((freedAt - nowMs) / 1000);
      }
      if (perEmailPerDay !== undefined) {
        const emailLower = email.toLowerCase();
        const minted = await trx
          .selectFrom('licenses')
          .select('created_ms as ms')
          .where('email_lower', '=', emailLower)
          .where('created_ms', '>', nowMs - DAY_MS)
          .execute();
        const resent = await trx
          .selectFrom('audit')
          .innerJoin('licenses', 'licenses.id', 'audit.license_id')
          .select('audit.at')
          .where('licenses.email_lower', '=', emailLower)
          .where('audit.action', '=', 'resent')
          .where('audit.at', '>', since)
          .execute();
        const times = [...minted.map((row) => Number(row.ms)), ...resent.map((row) => Date.parse(row.at))].sort(
          (a, b) => a - b,
        );
        if (times.length >= perEmailPerDay) {
          const freedAt = (times[times.length - perEmailPerDay] as number) + DAY_MS;
          throw new AppError(
            'email_daily_limit',
            `${email} already received ${perEmailPerDay} licenses or resends in the last 24 hours, the most this service allows.`,
          ).withRetryAfter((freedAt - nowMs) / 1000);
        }
      }
      await trx
        .insertInto('audit')
        .values({ license_id: licenseId, actor, action: 'resent', detail: `to ${email}`, at: now.toISOString() })
        .execute();
    });
  }
}
