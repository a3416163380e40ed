import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInIssue {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  labels: string[];
  confidential: boolean;
  created_at: string;
  updated_at: string;
  web_url: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
  /** Whether the request carried the right PRIVATE-TOKEN (the token itself is not kept). */
  authorized: boolean;
}

type Fault = { status: number; remaining: number; retryAfter?: string; recordFirst: boolean; methods?: string[] };

/**
 * GitLab's REST API v4 issues endpoints as documented, on loopback: global `id` vs per-project
 * `iid`, `PRIVATE-TOKEN` (401 otherwise), 404 for unknown projects and issues, label filters (AND),
 * `state`, `iids[]`, `page`/`per_page` (default 20, max 100) with `X-Next-Page`, `X-Total` and
 * `Link` headers, `state_event` close/reopen, and faults: 429 with `Retry-After`, 5xx, and a create
 * that is recorded but answered with a 5xx. Every request is recorded.
 */
export class GitlabStandIn {
  readonly issues: StandInIssue[] = [];
  readonly requests: RecordedRequest[] = [];
  private server: http.Server | undefined;
  private faults: Fault[] = [];
  private nextGlobalId = 5000;
  port = 0;

  constructor(
    readonly token = 'glpat-test-token',
    readonly projectId = 42,
    readonly projectPath = 'support/internal-requests',
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => {
        raw += chunk.toString();
      });
      request.on('end', () => this.handle(request, raw, response));
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `times` requests (of the given methods) answer `status`. */
  fail(status: number, times: number, options: { retryAfter?: string; methods?: string[] } = {}): void {
    this.faults.push({ status, remaining: times, recordFirst: false, ...options });
  }

  /** The next `times` creates are recorded, then answered with `status` as if they had failed. */
  recordThenFail(status: number, times: number): void {
    this.faults.push({ status, remaining: times, recordFirst: true, methods: ['POST'] });
  }

  /** Answers 503 to everything until `recover()`. */
  outage(): void {
    this.faults.unshift({ status: 503, remaining: Number.POSITIVE_INFINITY, recordFirst: false });
  }

  recover(): void {
    this.faults = this.faults.filter((fault) => fault.remaining !== Number.POSITIVE_INFINITY);
  }

  /** A change made by hand in GitLab's UI. */
  setState(iid: number, state: 'opened' | 'closed'): void {
    const issue = this.issues.find((candidate) => candidate.iid === iid);
    if (issue) issue.state = state;
  }

  issuesLabelled(label: string): StandInIssue[] {
    return this.issues.filter((issue) => issue.labels.includes(label));
  }

  private handle(request: http.IncomingMessage, raw: string, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const method = request.method ?? 'GET';
    let body: Record<string, unknown> | undefined;
    if (raw) {
      body = request.headers['content-type']?.includes('json')
        ? (JSON.parse(raw) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(raw));
    }
    const authorized = request.headers['private-token'] === this.token;
    this.requests.push({ method, path: url.pathname, query: url.searchParams, body, authorized });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(payload));
    };

    const fault = this.faults.find((candidate) => !candidate.methods || candidate.methods.includes(method));
    if (fault) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      if (fault.recordFirst) this.route(method, url, body, () => undefined);
      const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
      return send(fault.status, { message: `${fault.status} stand-in fault` }, headers);
    }
    if (!authorized) return send(401, { message: '401 Unauthorized' });
    this.route(method, url, body, send);
  }

  private route(
    method: string,
    url: URL,
    body: Record<string, unknown> | undefined,
    send: (status: number, payload: unknown, headers?: Record<string, string>) => void,
  ): void {
    const match = /^\/api\/v4\/projects\/([^/]+)(\/issues(?:\/([^/]+))?)?$/.exec(url.pathname);
    const project = match ? decodeURIComponent(match[1] as string) : undefined;
    if (!match || (project !== String(this.projectId) && project !== this.projectPath)) {
      return send(404, { message: '404 Project Not Found' });
    }
    if (!match[2]) {
      if (method !== 'GET') return send(405, { message: '405 Method Not Allowed' });
      return send(200, { id: this.projectId, path_with_namespace: this.projectPath });
    }
    const iidText = match[3];
    if (iidText === undefined) {
      if (method === 'GET') return this.list(url.searchParams, send);
      if (method === 'POST') return this.create(body ?? {}, send);
      return send(405, { message: '405 Method Not Allowed' });
    }
    const issue = this.issues.find((candidate) => String(candidate.iid) === iidText);
    if (!issue) return send(404, { message: '404 Not found' });
    if (method === 'GET') return send(200, issue);
    if (method !== 'PUT') return send(405, { message: '405 Method Not Allowed' });
    const fields = body ?? {};
    if (typeof fields.title === 'string') issue.title = fields.title;
    if (typeof fields.description === 'string') issue.description = fields.description;
    if (typeof fields.labels === 'string') issue.labels = splitLabels(fields.labels);
    if (fields.state_event === 'close') issue.state = 'closed';
    if (fields.state_event === 'reopen') issue.state = 'opened';
    issue.updated_at = new Date().toISOString();
    return send(200, issue);
  }

  private create(fields: Record<string, unknown>, send: (status: number, payload: unknown) => void): void {
    if (typeof fields.title !== 'string' || fields.title === '') return send(400, { error: 'title is missing' });
    const iid = this.issues.length + 1;
    const now = new Date().toISOString();
    const issue: StandInIssue = {
      id: this.nextGlobalId++,
      iid,
      project_id: this.projectId,
      title: fields.title,
      description: typeof fields.description === 'string' ? fields.description : '',
      state: 'opened',
      labels: typeof fields.labels === 'string' ? splitLabels(fields.labels) : [],
      confidential: fields.confidential === true || fields.confidential === 'true',
      created_at: now,
      updated_at: now,
      web_url: `${this.url}/${this.projectPath}/-/issues/${iid}`,
    };
    this.issues.push(issue);
    send(201, issue);
  }

  private list(
    query: URLSearchParams,
    send: (status: number, payload: unknown, headers?: Record<string, string>) => void,
  ): void {
    const labels = splitLabels(query.get('labels') ?? '');
    const state = query.get('state') ?? 'all';
    const iids = query.getAll('iids[]').map(Number);
    let found = this.issues.filter(
      (issue) =>
        labels.every((label) => issue.labels.includes(label)) &&
        (state === 'all' || issue.state === state) &&
        (iids.length === 0 || iids.includes(issue.iid)),
    );
    found = query.get('sort') === 'asc' ? found : [...found].reverse();
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 20) || 20));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(found.length / perPage));
    const slice = found.slice((page - 1) * perPage, page * perPage);
    const link = (p: number) => {
      const next = new URLSearchParams(query);
      next.set('page', String(p));
      return `${this.url}/api/v4/projects/${this.projectId}/issues?${next.toString()}`;
    };
    const links = [`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`];
    if (page < totalPages) links.unshift(`<${link(page + 1)}>; rel="next"`);
    if (page > 1) links.unshift(`<${link(page - 1)}>; rel="prev"`);
    send(200, slice, {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      'x-total': String(found.length),
      'x-total-pages': String(totalPages),
      link: links.join(', '),
    });
  }
}

function splitLabels(text: string): string[] {
  return text
    .split(',')
    .map((label) => label.trim())
    .filter((label) => label !== '');
}
