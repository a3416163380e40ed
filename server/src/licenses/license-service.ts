import crypto from 'node:crypto';
import type { LicenseRecord, MintRequest } from '@mintdesk/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { KeyStore } from '../keys/key-store.ts';
import { earlyFailureMessage } from '../notify/notify-license.ts';
import type { Notifier } from '../notify/webhook-notifier.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { JobRunner } from '../queue/job-runner.ts';
import { GroupCommit } from '../store/group-commit.ts';
import type { InsertOutcome, LicenseRow, MintInsert, SqlStore } from '../store/sql-store.ts';
import { type FailedStage, failureIssue } from '../tracker/issue-content.ts';
import type { IssueSnapshot, Tracker } from '../tracker/tracker.ts';
import { newLicenseId } from './license-id.ts';
import { toLicenseRecord } from './license-view.ts';
import { licenseClaims, signLicense } from './sign-license.ts';

export interface LicenseServiceDeps {
  store: SqlStore;
  tracker: Tracker;
  notifier?: Notifier | undefined;
  keys: KeyStore;
  clock: Clock;
  runner: JobRunner;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

export interface LicenseSettings {
  issuer: string;
  days: number;
  plan: string;
  licensee: { name: string; company: string };
  mintWaitMs: number;
  /** At most this many licenses per requester email in any 24 hours; undefined: no ceiling. */
  maxPerEmailPerDay: number | undefined;
}

/** Mints arriving together share one transaction; larger groups are split. */
const MAX_MINT_GROUP = 256;

export type LicenseFilter = { email?: string; ticketId?: number; limit: number };

/** A license record with the ticket link the sidebar recorded (shown by the lookup page, not in the API). */
export interface LicenseEntry {
  record: LicenseRecord;
  ticketUrl: string | null;
}

export interface MintOutcome {
  record: LicenseRecord;
  /** False when an idempotent repeat returned the license minted before. */
  created: boolean;
}

/** Minting, finding and resending licenses: the use cases behind the HTTP routes. */
export class LicenseService {
  private readonly inserts: GroupCommit<MintInsert, InsertOutcome>;

  constructor(
    private readonly deps: LicenseServiceDeps,
    private readonly settings: LicenseSettings,
  ) {
    this.inserts = new GroupCommit(
      // Each delivery job is written already leased to this instance, which makes the first attempt.
      (items) => deps.store.insertLicenses(items, deps.clock.now().getTime(), deps.runner.newLease()),
      MAX_MINT_GROUP,
    );
  }

  async mint(request: MintRequest, idempotencyKey: string | undefined, caller: Caller): Promise<MintOutcome> {
    const requestHash = hashRequest(request);
    if (idempotencyKey !== undefined) {
      const earlier = await this.deps.store.findLicenseIdByIdempotencyKey(idempotencyKey);
      if (earlier) return this.repeat(earlier.id, earlier.request_hash, requestHash);
    }

    const now = this.deps.clock.now();
    const licenseId = newLicenseId();
    const { issuer, days, plan, licensee } = this.settings;
    const claims = licenseClaims(
      {
        issuer,
        days,
        plan,
        licensee,
        licenseId,
        email: request.email,
        userCount: request.userCount,
        ticketId: request.ticketId,
      },
      now,
    );
    let key: string;
    try {
      key = signLicense(claims, this.deps.keys.current());
    } catch (error) {
      await this.recordEarlyFailure('sign', error, request, null);
      throw new AppError(
        'license_not_created',
        'The license could not be signed; nothing was sent. The failure is recorded in the tracker.',
      );
    }

    const row: LicenseRow = {
      id: licenseId,
      key,
      issued_at: new Date(claims.iat * 1000).toISOString(),
      expires_at: new Date(claims.exp * 1000).toISOString(),
      created_ms: now.getTime(),
      user_count: request.userCount,
      email: request.email,
      email_lower: request.email.toLowerCase(),
      agent: request.agent,
      ticket_id: request.ticketId ?? null,
      ticket_url: request.ticketUrl ?? null,
      delivery_status: 'queued',
      delivery_attempts: 0,
      delivery_error: null,
      delivered_at: null,
      issue_id: null,
      idempotency_key: idempotencyKey ?? null,
      request_hash: requestHash,
    };
    let outcome: InsertOutcome;
    try {
      outcome = await this.inserts.submit({
        license: row,
        audit: {
          actor: caller.kind === 'app' ? request.agent : caller.name,
          detail: `${request.userCount} users for ${request.email}`,
        },
        dailyCeiling: this.settings.maxPerEmailPerDay,
      });
    } catch (error) {
      await this.recordEarlyFailure('store', error, request, licenseId);
      throw new AppError(
        'license_not_created',
        'The license could not be stored; nothing was sent. The failure is recorded in the tracker.',
      );
    }
    if (!outcome.created) {
      if (outcome.reason === 'idempotent') return this.repeat(outcome.licenseId, outcome.requestHash, requestHash);
      throw new AppError(
        'email_daily_limit',
        `${request.email} already received ${this.settings.maxPerEmailPerDay} emergency licenses in the last 24 hours, the most this service allows. Find them on the lookup page or resend one instead.`,
      ).withRetryAfter((outcome.retryAtMs - now.getTime()) / 1000);
    }

    this.deps.metrics.licensesMinted.inc();
    const job = { id: outcome.jobId, licenseId, kind: 'deliver' as const };
    const attempted = await this.deps.runner.runAndWait(job, this.settings.mintWaitMs);
    // Nothing ran yet when every worker was busy: the row as written is the answer.
    if (!attempted) return { record: toLicenseRecord(row, null), created: true };
    return { record: await this.getOrThrow(licenseId), created: true };
  }

  async get(id: string): Promise<LicenseRecord | undefined> {
    return (await this.getEntry(id))?.record;
  }

  async list(filter: LicenseFilter): Promise<LicenseRecord[]> {
    return (await this.listEntries(filter)).map((entry) => entry.record);
  }

  async getEntry(id: string): Promise<LicenseEntry | undefined> {
    const row = await this.deps.store.getLicense(id);
    return row ? (await this.entriesFor([row]))[0] : undefined;
  }

  async listEntries(filter: LicenseFilter): Promise<LicenseEntry[]> {
    return this.entriesFor(await this.deps.store.listLicenses(filter));
  }

  /** Emails the same license again to the same address; waits briefly for the outcome. */
  async resend(id: string, actor: string): Promise<LicenseRecord> {
    const row = await this.deps.store.getLicense(id);
    if (!row) throw new AppError('not_found', `No license has the id ${id}.`);
    await this.deps.store.markDeliveryQueued(id);
    const jobId = await this.deps.store.enqueueJob(id, 'deliver', this.deps.clock.now().getTime());
    await this.audit(id, actor, 'resent', `to ${row.email}`);
    await this.deps.runner.runAndWait({ id: jobId, licenseId: id, kind: 'deliver' }, this.settings.mintWaitMs);
    return this.getOrThrow(id);
  }

  async audit(licenseId: string, actor: string, action: string, detail: string | null): Promise<void> {
    try {
      await this.deps.store.addAudit({ licenseId, actor, action, detail, at: this.deps.clock.now().toISOString() });
    } catch (error) {
      this.deps.log.error({ err: error, licenseId, action }, 'could not write the audit trail');
    }
  }

  private async getOrThrow(id: string): Promise<LicenseRecord> {
    const entry = await this.getEntry(id);
    if (!entry) throw new AppError('not_found', `No license has the id ${id}.`);
    return entry.record;
  }

  /**
   * Records for many rows with one tracker round trip. While the tracker is unreachable the
   * issue is null (as the contract allows): the license itself must still be answered.
   */
  private async entriesFor(rows: LicenseRow[]): Promise<LicenseEntry[]> {
    const ids = rows.map((row) => row.issue_id).filter((id): id is string => id !== null);
    let issues = new Map<string, IssueSnapshot>();
    if (ids.length > 0) {
      try {
        issues = await this.deps.tracker.getIssues(ids);
      } catch (error) {
        this.deps.log.warn({ err: error }, 'tracker unavailable while answering');
      }
    }
    return rows.map((row) => ({
      record: toLicenseRecord(row, row.issue_id === null ? null : (issues.get(row.issue_id) ?? null)),
      ticketUrl: row.ticket_url,
    }));
  }

  private async repeat(licenseId: string, storedHash: string | null, requestHash: string): Promise<MintOutcome> {
    if (storedHash !== requestHash) throw new AppError('idempotency_key_reused');
    return { record: await this.getOrThrow(licenseId), created: false };
  }

  private async recordEarlyFailure(
    stage: FailedStage,
    error: unknown,
    request: MintRequest,
    licenseId: string | null,
  ): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    this.deps.log.error({ err: error, stage }, 'license could not be created');
    try {
      await this.deps.tracker.saveIssue(
        null,
        failureIssue({
          stage,
          error: message,
          attempts: 1,
          email: request.email,
          userCount: request.userCount,
          agent: request.agent,
          ticketId: request.ticketId ?? null,
          ticketUrl: request.ticketUrl ?? null,
          licenseId,
          retrying: false,
        }),
        null,
      );
    } catch (trackerError) {
      this.deps.log.error({ err: trackerError, stage }, 'the failure could not be recorded in the tracker either');
    }
    // No license row exists to hang a durable job on: one attempt, logged when it fails.
    await this.deps.notifier
      ?.post(
        earlyFailureMessage({
          stage,
          error: message,
          email: request.email,
          userCount: request.userCount,
          agent: request.agent,
          ticketId: request.ticketId ?? null,
          ticketUrl: request.ticketUrl ?? null,
        }),
      )
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'team channel not told about the failure'));
  }
}

/** Same key, same body: the hash of the validated request with its keys in a fixed order. */
export function hashRequest(request: MintRequest): string {
  const canonical = JSON.stringify(
    Object.keys(request)
      .sort()
      .map((name) => [name, request[name as keyof MintRequest]]),
  );
  return crypto.createHash('sha256').update(canonical).digest('hex');
}
