import crypto from 'node:crypto';
import type { LicenseKind, LicenseRecord, MintRequest } from '@mintdesk/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ResendBudget } from '../abuse/resend-budget.ts';
import type { Caller } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { sameIdentity } from '../identity/identity-key.ts';
import type { KeyStore } from '../keys/key-store.ts';
import { type KindSettings, kindPolicy, type LicenseTerms as KindTerms } from '../kinds/index.ts';
import type { Person } from '../people/person-credentials.ts';
import { ApprovalStore } from '../store/approval-store.ts';
import { earlyFailureMessage } from '../notify/notify-license.ts';
import type { Notifier } from '../notify/webhook-notifier.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { JobRunner } from '../queue/job-runner.ts';
import { GroupCommit } from '../store/group-commit.ts';
import type { InsertOutcome, LicenseRow, MintInsert, SqlStore } from '../store/sql-store.ts';
import { type FailedStage, failureIssue } from '../tracker/issue-content.ts';
import type { IssueSnapshot, Tracker } from '../tracker/tracker.ts';
import { checkStillIssuable } from './approval-checks.ts';
import { newLicenseId } from './license-id.ts';
import { licenseFacts } from './license-facts.ts';
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
  /** Counts and records resends against their ceilings (per license, per requester). */
  resendBudget: Pick<ResendBudget, 'reserve'>;
}

export interface LicenseSettings {
  issuer: string;
  /** What the kinds read: days, limits, plan and the generic licensee. */
  kinds: KindSettings;
  /** Kinds whose mints wait for an approver (APPROVAL_KINDS). */
  approvalKinds: readonly LicenseKind[];
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

/** Who decides on a pending license: a person's own credential, never the shared operator token. */
export interface Decider {
  name: string;
  person?: Person | undefined;
}

/** Minting, finding and resending licenses: the use cases behind the HTTP routes. */
export class LicenseService {
  private readonly inserts: GroupCommit<MintInsert, InsertOutcome>;
  private readonly approvals: ApprovalStore;

  constructor(
    private readonly deps: LicenseServiceDeps,
    private readonly settings: LicenseSettings,
  ) {
    this.inserts = new GroupCommit(
      // Each delivery job is written already leased to this instance, which makes the first attempt.
      (items) => deps.store.insertLicenses(items, deps.clock.now().getTime(), deps.runner.newLease()),
      MAX_MINT_GROUP,
    );
    this.approvals = new ApprovalStore(deps.store.db);
  }

  /**
   * Mints a license of any kind: the kind's policy decides its terms, then the same path stores,
   * signs and delivers it. Kinds that need approval are stored unsigned with a tracker update as
   * their first durable job, and wait.
   */
  async mint(request: MintRequest, idempotencyKey: string | undefined, caller: Caller): Promise<MintOutcome> {
    const kind: LicenseKind = request.kind ?? 'emergency';
    const policy = kindPolicy(kind);
    const requestHash = hashRequest({ ...request, kind } as MintRequest);
    if (idempotencyKey !== undefined) {
      const earlier = await this.deps.store.findLicenseIdByIdempotencyKey(idempotencyKey);
      if (earlier) return this.repeat(earlier.id, earlier.request_hash, requestHash);
    }

    const now = this.deps.clock.now();
    const terms = await policy.terms(request, {
      now,
      settings: this.settings.kinds,
      findLicense: (id) => this.deps.store.getLicense(id),
    });
    const held = this.settings.approvalKinds.includes(kind);
    const licenseId = newLicenseId();
    let key = '';
    let expiresAt = held ? fixedEnd(terms) : null;
    if (!held) {
      try {
        const claims = licenseClaims(this.termsToSign(licenseId, kind, request, terms), now);
        key = await signLicense(claims, this.deps.keys.current());
        expiresAt = claims.exp === undefined ? null : new Date(claims.exp * 1000);
      } catch (error) {
        await this.recordEarlyFailure('sign', error, request, terms.userCount, null);
        throw new AppError(
          'license_not_created',
          'The license could not be signed; nothing was sent. The failure is recorded in the tracker.',
        );
      }
    }

    const row: LicenseRow = {
      id: licenseId,
      key,
      issued_at: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString(),
      expires_at: expiresAt === null ? null : expiresAt.toISOString(),
      created_ms: now.getTime(),
      user_count: terms.userCount,
      email: request.email,
      email_lower: request.email.toLowerCase(),
      agent: request.agent,
      ticket_id: request.ticketId ?? null,
      ticket_url: request.ticketUrl ?? null,
      delivery_status: held ? 'held' : 'queued',
      delivery_attempts: 0,
      delivery_error: null,
      delivered_at: null,
      issue_id: null,
      idempotency_key: idempotencyKey ?? null,
      request_hash: requestHash,
      kind,
      trial: terms.trial ? 1 : 0,
      licensee_name: terms.licensee.name,
      licensee_company: terms.licensee.company,
      plan: terms.plan,
      duration_days: terms.durationDays,
      starts_on: terms.startsOn,
      ends_on: terms.endsOn,
      extra_claims: JSON.stringify(terms.extraClaims),
      details: JSON.stringify(terms.details),
      approval_status: held ? 'pending' : 'not_required',
      approval_by: null,
      approval_at: null,
      approval_reason: null,
    };
    const detail = policy.auditDetail(licenseFacts(row));
    let outcome: InsertOutcome;
    try {
      outcome = await this.inserts.submit({
        license: row,
        audit: {
          actor: caller.kind === 'app' ? request.agent : caller.name,
          detail: held ? `${detail}; waiting for approval` : detail,
          ...(held ? { action: 'requested' } : {}),
        },
        ...(held ? { firstJob: 'sync_issue' as const } : {}),
        dailyCeiling: this.settings.maxPerEmailPerDay,
      });
    } catch (error) {
      await this.recordEarlyFailure('store', error, request, terms.userCount, licenseId);
      throw new AppError(
        'license_not_created',
        'The license could not be stored; nothing was sent. The failure is recorded in the tracker.',
      );
    }
    if (!outcome.created) {
      if (outcome.reason === 'idempotent') return this.repeat(outcome.licenseId, outcome.requestHash, requestHash);
      throw new AppError(
        'email_daily_limit',
        `${request.email} already received ${this.settings.maxPerEmailPerDay} licenses in the last 24 hours, the most this service allows. Find them on the lookup page or resend one instead.`,
      ).withRetryAfter((outcome.retryAtMs - now.getTime()) / 1000);
    }

    if (!held) this.deps.metrics.licensesMinted.inc();
    const job = { id: outcome.jobId, licenseId, kind: held ? ('sync_issue' as const) : ('deliver' as const) };
    const attempted = await this.deps.runner.runAndWait(job, this.settings.mintWaitMs);
    // Nothing ran yet when every worker was busy: the row as written is the answer.
    if (!attempted) return { record: toLicenseRecord(row, null), created: true };
    return { record: await this.getOrThrow(licenseId), created: true };
  }

  /**
   * An approver lets a pending license go: it is signed now (its days count from here) and sent
   * through the same durable queue as any other.
   */
  async approve(id: string, decider: Decider): Promise<LicenseRecord> {
    const row = await this.pendingFor(id, decider);
    const now = this.deps.clock.now();
    await checkStillIssuable(row, now, (baseId) => this.deps.store.getLicense(baseId));
    const facts = licenseFacts(row);
    const claims = licenseClaims(
      {
        issuer: this.settings.issuer,
        licenseId: row.id,
        kind: facts.kind,
        email: row.email,
        userCount: row.user_count,
        ticketId: facts.ticketId ?? undefined,
        trial: facts.trial,
        plan: row.plan ?? this.settings.kinds.plan,
        licensee: facts.licensee ?? this.settings.kinds.licensee,
        days: row.duration_days,
        endsAt: facts.expiresAt,
        extraClaims: facts.claims as Record<string, string | number>,
      },
      now,
    );
    const key = await signLicense(claims, this.deps.keys.current());
    const jobId = await this.approvals.approve({
      licenseId: row.id,
      by: decider.name,
      at: now.toISOString(),
      key,
      issuedAt: new Date(claims.iat * 1000).toISOString(),
      expiresAt: claims.exp === undefined ? null : new Date(claims.exp * 1000).toISOString(),
      nowMs: now.getTime(),
    });
    if (jobId === undefined) throw new AppError('not_pending', `License ${id} is no longer waiting for approval.`);
    this.deps.metrics.licensesMinted.inc();
    await this.deps.runner.runAndWait({ id: jobId, licenseId: row.id, kind: 'deliver' }, this.settings.mintWaitMs);
    return this.getOrThrow(row.id);
  }

  /** An approver turns a pending license down: nothing is ever signed, the issue is closed. */
  async reject(id: string, decider: Decider, reason: string): Promise<LicenseRecord> {
    const row = await this.pendingFor(id, decider);
    const now = this.deps.clock.now();
    const jobId = await this.approvals.reject({
      licenseId: row.id,
      by: decider.name,
      at: now.toISOString(),
      reason,
      nowMs: now.getTime(),
    });
    if (jobId === undefined) throw new AppError('not_pending', `License ${id} is no longer waiting for approval.`);
    await this.deps.runner.runAndWait({ id: jobId, licenseId: row.id, kind: 'sync_issue' }, this.settings.mintWaitMs);
    return this.getOrThrow(row.id);
  }

  /** The pending license, if this person may decide on it: an approver who did not ask for it. */
  private async pendingFor(id: string, decider: Decider): Promise<LicenseRow> {
    const row = await this.deps.store.getLicense(id);
    if (!row) throw new AppError('not_found', `No license has the id ${id}.`);
    if (!decider.person)
      throw new AppError(
        'approval_forbidden',
        'Only a person with their own credential and the approver role can approve; the operator token cannot.',
      );
    if (!decider.person.approver)
      throw new AppError('approval_forbidden', `${decider.person.name} does not have the approver role.`);
    if (sameIdentity(decider.person.name, row.agent))
      throw new AppError('approval_forbidden', 'You asked for this license: someone else has to approve it.');
    if (row.approval_status !== 'pending')
      throw new AppError('not_pending', `License ${id} is not waiting for approval (${row.approval_status}).`);
    return row;
  }

  private termsToSign(licenseId: string, kind: LicenseKind, request: MintRequest, terms: KindTerms) {
    return {
      issuer: this.settings.issuer,
      licenseId,
      kind,
      email: request.email,
      userCount: terms.userCount,
      ticketId: request.ticketId,
      trial: terms.trial,
      plan: terms.plan,
      licensee: terms.licensee,
      days: terms.durationDays,
      endsAt: terms.endsAt,
      extraClaims: terms.extraClaims,
    };
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
    if (row.key === '')
      throw new AppError(
        'not_pending',
        `License ${id} was never signed (${row.approval_status}): there is nothing to send.`,
      );
    // Records the `resent` audit entry, or throws 429 before anything is queued or sent.
    await this.deps.resendBudget.reserve({ licenseId: id, email: row.email, actor, now: this.deps.clock.now() });
    await this.deps.store.markDeliveryQueued(id);
    const jobId = await this.deps.store.enqueueJob(id, 'deliver', this.deps.clock.now().getTime());
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
    userCount: number,
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
          userCount,
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
          userCount,
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
  const fields = request as Record<string, unknown>;
  const canonical = JSON.stringify(
    Object.keys(fields)
      .sort()
      .map((name) => [name, fields[name]]),
  );
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

/** A fixed end known before signing (orders, add-ons); trials count their days from the signature. */
function fixedEnd(terms: KindTerms): Date | null {
  return terms.durationDays === null ? terms.endsAt : null;
}
