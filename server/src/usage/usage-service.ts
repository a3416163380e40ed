import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { KeyStore } from '../keys/key-store.ts';
import { tooManyRequests } from '../abuse/rate-limits.ts';
import { GroupCommit } from '../store/group-commit.ts';
import type { CheckIn, CheckInOutcome, UsageStore } from '../store/usage-store.ts';
import { LicenseBearerVerifier } from './license-bearer.ts';
import { PerKeyBudget } from './per-key-budget.ts';
import type { UsageReport } from './usage-report-body.ts';

/** Check-ins of licenses that expired up to this many days ago are still accepted. */
export const EXPIRED_GRACE_DAYS = 30;
/** Check-ins arriving together share one transaction (one fsync); larger groups are split. */
const MAX_CHECK_IN_GROUP = 512;

export interface UsageServiceDeps {
  store: UsageStore;
  keys: KeyStore;
  clock: Clock;
}

export interface UsageSettings {
  /** Check-ins per license per minute (per instance); 0: no limit. */
  perLicensePerMinute: number;
}

/** A license whose signature authenticated a check-in (whether it is stored and not revoked is checked with the write). */
export interface CheckInCaller {
  licenseId: string;
}

export interface CheckInReceipt {
  licenseId: string;
  organisation: string;
  day: string;
}

/**
 * Usage check-ins: a licensed installation reports its active users with its own license as the
 * credential. Whatever it sends, it occupies one row per day (peak and last): a misbehaving
 * installation can cost CPU up to its rate budget, never disk.
 */
export class UsageService {
  private readonly verifier: LicenseBearerVerifier;
  private readonly budget: PerKeyBudget;
  private readonly writes: GroupCommit<CheckIn, CheckInOutcome>;

  constructor(
    private readonly deps: UsageServiceDeps,
    settings: UsageSettings,
  ) {
    this.verifier = new LicenseBearerVerifier(deps.keys, EXPIRED_GRACE_DAYS);
    this.budget = new PerKeyBudget(settings.perLicensePerMinute, 60_000);
    this.writes = new GroupCommit((items) => deps.store.recordCheckIns(items), MAX_CHECK_IN_GROUP);
  }

  /** Who the license is: 401 unless it is a license signed by this service, within its grace. */
  async authenticate(token: string | undefined): Promise<CheckInCaller> {
    if (token === undefined) {
      throw new AppError('unauthorized', 'Send the license key as the bearer token: Authorization: Bearer <license>.');
    }
    const checked = await this.verifier.verify(token, this.deps.clock.now());
    if (!checked.ok) throw new AppError('unauthorized', `The license was refused: ${checked.reason}.`);
    return { licenseId: checked.license.jti };
  }

  /**
   * Records the check-in with the others arriving together (one transaction, one fsync), which is
   * also where the license's row is read: 401 when this service holds no such license, 403 when
   * it is revoked.
   */
  async checkIn(caller: CheckInCaller, report: UsageReport): Promise<CheckInReceipt> {
    const now = this.deps.clock.now();
    const waitMs = this.budget.take(caller.licenseId, now.getTime());
    if (waitMs > 0) throw tooManyRequests(waitMs);
    const day = now.toISOString().slice(0, 10);
    const outcome = await this.writes.submit({
      licenseId: caller.licenseId,
      day,
      activeUsers: report.activeUsers,
      instance: report.instance ?? null,
      atMs: now.getTime(),
    });
    if (outcome.status === 'unknown') {
      throw new AppError('unauthorized', 'The license was refused: this service holds no such license.');
    }
    if (outcome.status === 'revoked') {
      throw new AppError(
        'license_revoked',
        `License ${caller.licenseId} was revoked on ${outcome.revokedAt}; its usage reports are refused.`,
      );
    }
    return { licenseId: caller.licenseId, organisation: outcome.organisation, day };
  }
}
