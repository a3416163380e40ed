import type { Generated } from 'kysely';

export type DeliveryStatusColumn = 'sent' | 'queued' | 'failed';
export type JobState = 'pending' | 'running' | 'done' | 'dead';
export type JobKind = 'deliver' | 'sync_issue' | 'notify';

export interface LicensesTable {
  id: string;
  key: string;
  issued_at: string;
  expires_at: string;
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
}
