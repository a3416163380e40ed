import type { Generated } from 'kysely';

export type DeliveryStatusColumn = 'sent' | 'queued' | 'failed' | 'held';
export type ApprovalStatusColumn = 'not_required' | 'pending' | 'approved' | 'rejected';
export type JobState = 'pending' | 'running' | 'done' | 'dead';
export type JobKind = 'deliver' | 'sync_issue' | 'notify';

export interface LicensesTable {
  id: string;
  /** Empty while the license waits for approval (or was rejected): nothing was signed. */
  key: string;
  /** When it was signed; until then, when it was asked for. */
  issued_at: string;
  /** Null: no end date (a perpetual license), or not known until it is signed (a pending trial). */
  expires_at: string | null;
  created_ms: number;
  user_count: number;
  email: string;
  /** Lower-cased copy of `email`, indexed: lookups by email are exact but case-insensitive. */
  email_lower: string;
  agent: string;
  ticket_id: number | null;
  ticket_url: string | null;
  delivery_status: DeliveryStatusColumn;
  delivery_attempts: number;
  delivery_error: string | null;
  /** When the first email was accepted; once set, the tracker issue stays a success. */
  delivered_at: string | null;
  issue_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  // --- 0002: kinds, approvals ---
  kind: string;
  /** 1 for trials, 0 for paid licenses (SQLite has no booleans). */
  trial: number;
  /** Null on licenses minted before 0002: the generic licensee of the time. */
  licensee_name: string | null;
  licensee_company: string | null;
  plan: string | null;
  /** Days from signing to expiry, for kinds whose length starts when they are signed. */
  duration_days: number | null;
  /** `YYYY-MM-DD` of an order's start and end (end absent when perpetual). */
  starts_on: string | null;
  ends_on: string | null;
  /** JSON: the kind's own claims (term, deployment, orderRef, supersedes…). */
  extra_claims: string | null;
  /** JSON: the kind's facts that are recorded but not signed (reason, users added…). */
  details: string | null;
  approval_status: ApprovalStatusColumn;
  approval_by: string | null;
  approval_at: string | null;
  approval_reason: string | null;
}

/** People with a personal lookup credential (`mintdesk people add`). */
export interface PeopleTable {
  id: Generated<number>;
  name: string;
  /** Lower-cased, unique: two people cannot differ by capital letters only. */
  name_lower: string;
  /** SHA-256 (hex) of the credential; the credential itself is never stored. */
  token_hash: string;
  approver: number;
  created_at: string;
}

export interface JobsTable {
  id: Generated<number>;
  license_id: string;
  kind: JobKind;
  state: JobState;
  attempts: number;
  run_at_ms: number;
  created_ms: number;
  lease_until_ms: number | null;
  /** The instance (INSTANCE_ID) whose lease it is, while the job is running. */
  lease_owner: string | null;
  last_error: string | null;
}

/** Issues of the embedded tracker (TRACKER=embedded). */
export interface IssuesTable {
  id: Generated<number>;
  license_id: string | null;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string;
  created_ms: number;
  updated_ms: number;
}

export interface AuditTable {
  id: Generated<number>;
  license_id: string;
  actor: string;
  action: string;
  detail: string | null;
  at: string;
}

export interface Database {
  licenses: LicensesTable;
  jobs: JobsTable;
  issues: IssuesTable;
  audit: AuditTable;
  people: PeopleTable;
}
