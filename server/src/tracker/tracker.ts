import type { IssueState } from '@mintdesk/shared';

export interface IssueSpec {
  title: string;
  body: string;
  state: IssueState;
  labels: string[];
}

export interface IssueSnapshot {
  id: string;
  title: string;
  state: IssueState;
  url?: string;
}

/** Where each license's outcome is recorded: one issue per license, never two. */
export interface Tracker {
  /**
   * Creates the license's issue, or brings the existing one (`knownId`, or found by license) to
   * `spec`. `licenseId` is null for failures before a license existed.
   */
  saveIssue(licenseId: string | null, spec: IssueSpec, knownId: string | null): Promise<IssueSnapshot>;
  /** Issues as the tracker reports them now; unknown ids are absent from the map. */
  getIssues(ids: string[]): Promise<Map<string, IssueSnapshot>>;
  check(): Promise<void>;
  readonly description: string;
}

/** The tracker could not take the request now; the durable queue tries again later. */
export class TrackerUnavailableError extends Error {
  constructor(
    message: string,
    /** The tracker asked us to wait this long (429 `Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TrackerUnavailableError';
  }
}
