import type { IssueState } from '@mintdesk/shared';
import type { Clock } from '../clock.ts';
import { retryAfterMs } from '../retry-after.ts';
import { type IssueSnapshot, type IssueSpec, type Tracker, TrackerUnavailableError } from './tracker.ts';
import { fromGitlabTitle, toGitlabTitle } from '../text/markdown.ts';

export interface GitlabSettings {
  /** e.g. `https://gitlab.example.com` (the API lives under `/api/v4`). */
  url: string;
  token: string;
  /** Numeric id or `group/project` path. */
  projectId: string;
  /** How long an issue's state read from GitLab is reused; changes made by hand show after this. */
  cacheMs?: number;
  timeoutMs?: number;
}

/** The fields of GitLab's issue resource this adapter reads. */
interface GitlabIssue {
  id: number;
  iid: number;
  title: string;
  state: 'opened' | 'closed';
  web_url?: string;
}

const PER_PAGE = 100;

/** A 4xx other than 429: the request itself is wrong (token, project, fields); retrying will not help. */
export class GitlabRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GitlabRequestError';
  }
}

/**
 * TRACKER=gitlab: one confidential issue per license in a GitLab project, over the REST API v4.
 * Each license's issue carries a unique `license::<id>` label, so it is found again by label —
 * never by GitLab's fuzzy title search — and a create that may have been recorded despite a
 * timeout or 5xx is looked up before it is tried again. Our issue id is GitLab's per-project `iid`.
 * 429 and 5xx become `TrackerUnavailableError`: the durable job queue retries them.
 */
export class GitlabTracker implements Tracker {
  readonly description: string;
  private readonly api: string;
  private readonly cache = new Map<string, { at: number; issue: IssueSnapshot }>();
  private readonly cacheMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly settings: GitlabSettings,
    private readonly clock: Clock,
  ) {
    this.api = `${settings.url.replace(/\/+$/, '')}/api/v4/projects/${encodeURIComponent(settings.projectId)}`;
    this.description = `gitlab (${settings.url}, project ${settings.projectId})`;
    this.cacheMs = settings.cacheMs ?? 5000;
    this.timeoutMs = settings.timeoutMs ?? 10_000;
  }

  async saveIssue(licenseId: string | null, spec: IssueSpec, knownId: string | null): Promise<IssueSnapshot> {
    const labels = licenseId === null ? spec.labels : [...spec.labels, licenseLabel(licenseId)];
    const fields = { title: toGitlabTitle(spec.title), description: spec.body, labels: labels.join(',') };
    let iid = knownId;
    if (iid === null && licenseId !== null) iid = (await this.findByLicense(licenseId))?.iid.toString() ?? null;
    if (iid !== null) {
      const updated = await this.update(iid, { ...fields, state_event: spec.state === 'closed' ? 'close' : 'reopen' });
      if (updated) return this.remember(updated);
      // Deleted by hand: fall through and record it again.
    }
    const created = await this.request<GitlabIssue>('POST', '/issues', { ...fields, confidential: true });
    const issue =
      spec.state === 'closed'
        ? ((await this.update(String(created.iid), { state_event: 'close' })) ?? created)
        : created;
    return this.remember(issue);
  }

  async getIssues(ids: string[]): Promise<Map<string, IssueSnapshot>> {
    const found = new Map<string, IssueSnapshot>();
    const now = this.clock.now().getTime();
    const stale: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.cache.get(id);
      if (cached && now - cached.at < this.cacheMs) found.set(id, cached.issue);
      else if (/^[1-9][0-9]*$/.test(id)) stale.push(id);
    }
    for (let start = 0; start < stale.length; start += PER_PAGE) {
      const query = new URLSearchParams({ state: 'all', per_page: String(PER_PAGE), scope: 'all' });
      for (const iid of stale.slice(start, start + PER_PAGE)) query.append('iids[]', iid);
      for (const issue of await this.listAll(query)) found.set(String(issue.iid), this.remember(issue));
    }
    return found;
  }

  async check(): Promise<void> {
    await this.request('GET', '');
  }

  private async findByLicense(licenseId: string): Promise<GitlabIssue | undefined> {
    const query = new URLSearchParams({
      labels: licenseLabel(licenseId),
      state: 'all',
      scope: 'all',
      per_page: String(PER_PAGE),
      order_by: 'created_at',
      sort: 'asc',
    });
    // The oldest one is the license's issue, should a human have copied the label.
    return (await this.listAll(query))[0];
  }

  /** Every page of a list, following `X-Next-Page`. */
  private async listAll(query: URLSearchParams): Promise<GitlabIssue[]> {
    const all: GitlabIssue[] = [];
    let page = '1';
    for (let pages = 0; page !== '' && pages < 100; pages += 1) {
      query.set('page', page);
      const { body, headers } = await this.send<GitlabIssue[]>('GET', `/issues?${query.toString()}`);
      all.push(...body);
      page = headers.get('x-next-page')?.trim() ?? '';
    }
    return all;
  }

  private async update(iid: string, fields: Record<string, unknown>): Promise<GitlabIssue | undefined> {
    try {
      return await this.request<GitlabIssue>('PUT', `/issues/${encodeURIComponent(iid)}`, fields);
    } catch (error) {
      if (error instanceof GitlabRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  private remember(issue: GitlabIssue): IssueSnapshot {
    const snapshot: IssueSnapshot = {
      id: String(issue.iid),
      title: fromGitlabTitle(issue.title),
      state: stateOf(issue.state),
      ...(issue.web_url ? { url: issue.web_url } : {}),
    };
    this.cache.set(snapshot.id, { at: this.clock.now().getTime(), issue: snapshot });
    return snapshot;
  }

  private async request<T>(method: string, path: string, body?: Record<string, unknown>): Promise<T> {
    return (await this.send<T>(method, path, body)).body;
  }

  private async send<T>(
    method: string,
    path: string,
    body?: Record<string, unknown>,
  ): Promise<{ body: T; headers: Headers }> {
    let response: Response;
    try {
      response = await fetch(`${this.api}${path}`, {
        method,
        headers: {
          'private-token': this.settings.token,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new TrackerUnavailableError(`GitLab could not be reached: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 429) {
      throw new TrackerUnavailableError('GitLab is rate limiting us (429)', retryAfterMs(response.headers, 60_000));
    }
    if (response.status >= 500) throw new TrackerUnavailableError(`GitLab answered ${response.status}`);
    if (!response.ok) {
      throw new GitlabRequestError(
        `GitLab refused ${method} ${path.split('?')[0]}: ${response.status} ${gitlabMessage(text)}`,
        response.status,
      );
    }
    try {
      return { body: JSON.parse(text) as T, headers: response.headers };
    } catch {
      throw new TrackerUnavailableError(`GitLab answered ${response.status} with a body that is not JSON`);
    }
  }
}

export function licenseLabel(licenseId: string): string {
  return `license::${licenseId}`;
}

/** GitLab says `opened`; the contract says `open`. */
function stateOf(state: string): IssueState {
  return state === 'closed' ? 'closed' : 'open';
}

function gitlabMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    return JSON.stringify(parsed.message ?? parsed.error ?? parsed).slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}
