import type { LicenseRecord } from '@mintdesk/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import { syncIssueOrQueue } from '../delivery/sync-issue.ts';
import { AppError } from '../errors.ts';
import type { LicenseService } from '../licenses/license-service.ts';
import type { Notifier } from '../notify/webhook-notifier.ts';
import type { SqlStore } from '../store/sql-store.ts';
import type { RevocableLicenseRow, UsageStore } from '../store/usage-store.ts';
import type { Tracker } from '../tracker/tracker.ts';
import { revocationMessage } from './revocation-text.ts';

export interface RevocationDeps {
  store: SqlStore;
  usage: UsageStore;
  licenses: LicenseService;
  tracker: Tracker;
  notifier?: Notifier | undefined;
  clock: Clock;
  log: FastifyBaseLogger;
}

/**
 * Takes a license back: the record says when, who and why; the tracker issue gets a note (its
 * body is rebuilt from the row, see `desiredIssue`); Activity and the team channel say who and
 * why; usage check-ins are refused and `/.well-known/revocations.json` lists it from then on.
 */
export class RevocationService {
  constructor(private readonly deps: RevocationDeps) {}

  async revoke(licenseId: string, actor: string, reason: string): Promise<LicenseRecord> {
    const { store, usage, licenses, clock, log } = this.deps;
    const row = await store.getLicense(licenseId);
    if (!row) throw new AppError('not_found', `No license has the id ${licenseId}.`);
    const at = clock.now().toISOString();
    if (!(await usage.revoke(licenseId, { at, by: actor, reason }))) {
      const again = await store.getLicense(licenseId);
      throw new AppError(
        'license_already_revoked',
        `License ${licenseId} was already revoked on ${(again as RevocableLicenseRow | undefined)?.revoked_at ?? 'an earlier date'}.`,
      );
    }
    await licenses.audit(licenseId, actor, 'revoked', `the license: ${reason}`);
    await syncIssueOrQueue(this.deps, licenseId);
    const notifier = this.deps.notifier;
    if (notifier) {
      // One attempt: the record, the issue and Activity already hold the revocation durably.
      await notifier
        .post(revocationMessage({ licenseId, email: row.email, userCount: row.user_count, actor, reason, at }))
        .catch((error: unknown) => log.warn({ err: error, licenseId }, 'team channel not told about the revocation'));
    }
    log.info({ licenseId, actor }, 'license revoked');
    const record = await licenses.get(licenseId);
    if (!record) throw new AppError('not_found', `No license has the id ${licenseId}.`);
    return record;
  }
}
