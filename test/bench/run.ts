// `npm run bench`: figures as `name: value unit` lines, against the real service on loopback,
// measured as a skeptical reader would: a bare Fastify hello-world baseline in the same run and
// the same way (autocannon, 50 connections); a fresh app token and a distinct requester per mint;
// lookups with a different requester per request over 1M realistic rows; delivery counted at the
// SMTP receiver (during the load and draining after it); start-up to a ready /readyz and clean
// stop as the production start (`mintdesk serve`) does it; the service's RSS under load.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { builtSourcesStale } from '../../server/scripts/build-freshness.js';
import { MINTDESK_BIN, REPO_ROOT } from '../support/child-service.ts';
import { LOOKUP_TOKEN, tempDir } from '../support/service.ts';
import { SmtpReceiver } from '../support/smtp-receiver.ts';
import { FIRST_SEED_TICKET, SEED_EMAILS, SEED_TICKETS, seedEmail, seedStore } from './seed.ts';
import { sleep, startProcess, stopProcess } from './processes.ts';
import { steadyLoad } from './steady-load.ts';
import { runInstancesBench } from './instances-bench.ts';
import { benchAppToken, benchServiceEnv } from './service-env.ts';
import { runUsageBench } from './usage-bench.ts';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const SEED_LICENSES = Number(process.env.BENCH_LICENSES ?? 1_000_000);
const DRAIN_MAX_S = Number(process.env.BENCH_DRAIN_MAX_SECONDS ?? 120);
const RUN_TS = path.join(REPO_ROOT, 'server/bin/run-ts.js');
const SIZE = SEED_LICENSES >= 1_000_000 ? `${SEED_LICENSES / 1_000_000}m` : String(SEED_LICENSES);

function print(name: string, value: number, unit = ''): void {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(value < 1 ? 3 : 2);
  process.stdout.write(`${name}: ${shown}${unit ? ` ${unit}` : ''}\n`);
}

const startService = (env: Record<string, string>) =>
  startProcess(process.execPath, [MINTDESK_BIN, 'serve'], env, '/readyz');

/** Resident set size of a process in MB, from /proc (0 where there is none). */
function rssMb(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS while `work` runs: [first sample, highest, last]. */
async function withRss<T>(pid: number | undefined, work: Promise<T>): Promise<[T, number[]]> {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(rssMb(pid)), 250);
  try {
    return [await work, samples];
  } finally {
    clearInterval(timer);
  }
}

function load(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options });
}

/** App tokens as the Zendesk proxy makes them (HS256 with APP_SECRET), one per request. */
function tokenPool(size: number): string[] {
  const iat = Math.floor(Date.now() / 1000);
  return Array.from({ length: size }, (_, i) => benchAppToken(i, 7, iat));
}

const TOKENS = tokenPool(Number(process.env.BENCH_TOKENS ?? 120_000));
let nextToken = 0;
let nextRequester = 0;
const runId = crypto.randomBytes(3).toString('hex');
let tokensWrapped = false;

interface MintCounts {
  created: number;
  sent: number;
  other: number;
}

/** A mint with a token never used before and a requester email never used before. */
function mintRequests(counts: MintCounts): autocannon.Request[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/licenses',
      setupRequest: (request) => {
        const token = TOKENS[nextToken++ % TOKENS.length] as string;
        if (nextToken > TOKENS.length) tokensWrapped = true;
        const n = nextRequester++;
        return {
          ...request,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            agent: `agent${n % 40}`,
            userCount: 1 + (n % 200),
            email: `requester${n}.${runId}@bench.example`,
            ticketId: 1_000_000 + n,
          }),
        };
      },
      onResponse: (status, body) => {
        if (status !== 201) counts.other += 1;
        else {
          counts.created += 1;
          if (body.includes('"status":"sent"')) counts.sent += 1;
        }
      },
    },
  ];
}

/** Counts what the loopback SMTP receiver accepted, without keeping the parsed messages around. */
class Received {
  private counted = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly smtp: SmtpReceiver) {
    this.timer = setInterval(() => this.total, 100);
  }
  get total(): number {
    this.counted += this.smtp.messages.length;
    this.smtp.messages.length = 0;
    return this.counted;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

// The production start runs the bundle; a stale one would measure the sources through tsx instead.
const staleBundle = builtSourcesStale(path.join(REPO_ROOT, 'server/dist/mintdesk.js'));
if (staleBundle !== undefined)
  process.stderr.write(`note: the service bundle is stale (${staleBundle}); run npm run build\n`);
print('service_bundle_current', staleBundle === undefined ? 1 : 0);

// Other work on the machine moves every absolute figure: say how busy it was, beside the baseline.
const loadAverage = () => Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
print('machine_cores', os.availableParallelism());
print('load_avg_1m_start', loadAverage());

const smtp = await new SmtpReceiver().start();
const received = new Received(smtp);
const env = benchServiceEnv(smtp.url);
const dirs: string[] = [];

// --- the bare baseline --------------------------------------------------------------------------
// Measured at the start and again right before each phase: the machine's load changes within a
// run, and each ratio is taken against the baseline measured nearest to it.
const hello = await startProcess(process.execPath, [RUN_TS, 'test/bench/hello-world.ts'], {}, '/');
async function baselineNow(phase: string): Promise<number> {
  const result = await load({ url: hello.url, duration: Math.max(2, Math.round(DURATION_S / 2)) });
  print(`baseline_before_${phase}_rps`, Math.round(result.requests.average), 'req/s');
  print(`baseline_before_${phase}_p99`, result.latency.p99, 'ms');
  return result.requests.average;
}

/** The service's own CPU time per answered request while `work` ran, in microseconds. */
async function cpuPerRequest(
  pid: number | undefined,
  work: Promise<autocannon.Result>,
): Promise<[autocannon.Result, number]> {
  const before = cpuSeconds(pid);
  const result = await work;
  const answered = result.requests.total || 1;
  return [result, ((cpuSeconds(pid) - before) * 1e6) / answered];
}

const [baseline, baselineCpuUs] = await cpuPerRequest(hello.child.pid, load({ url: hello.url }));
let baselineRps = baseline.requests.average;
print('baseline_rps', Math.round(baselineRps), 'req/s');
print('baseline_p99', baseline.latency.p99, 'ms');
// CPU per request does not depend on how much of the machine the load generator took.
print('baseline_cpu_us_per_request', Math.round(baselineCpuUs), 'µs');

// --- a fresh store: health, mint under fresh tokens, delivery during and after ------------------
const freshDir = tempDir('mintdesk-bench-');
dirs.push(freshDir);
let service = await startService({ ...env, DATA_DIR: freshDir });
print('start_empty_ms', Math.round(service.startMs), 'ms');
const health = await load({ url: `${service.url}/healthz` });
print('healthz_rps', Math.round(health.requests.average), 'req/s');
print('healthz_vs_baseline_ratio', health.requests.average / baselineRps);

baselineRps = await baselineNow('mint');
const mintCounts: MintCounts = { created: 0, sent: 0, other: 0 };
const cpuBefore = cpuSeconds(service.child.pid);
const receivedBefore = received.total;
const [mint, mintRss] = await withRss(
  service.child.pid,
  load({ url: service.url, requests: mintRequests(mintCounts) }),
);
const mintCpu = cpuSeconds(service.child.pid) - cpuBefore;
const deliveredDuringMint = received.total - receivedBefore;
print('mint_rps', Math.round(mint.requests.average), 'req/s');
print('mint_p50', mint.latency.p50, 'ms');
print('mint_p99', mint.latency.p99, 'ms');
print('mint_non_201', mintCounts.other + mint.errors + mint.timeouts, 'responses');
print('mint_vs_baseline_ratio', mint.requests.average / baselineRps);
print('mint_answered_sent_ratio', mintCounts.created === 0 ? 0 : mintCounts.sent / mintCounts.created);
print('mint_cpu_cores', mintCpu / DURATION_S, 'cores');
print('mint_cpu_us_per_request', Math.round((mintCpu * 1e6) / Math.max(1, mint.requests.total)), 'µs');
print('delivery_during_mint_msgs_per_s', deliveredDuringMint / DURATION_S, 'msg/s');
print('rss_mb', Math.round(Math.max(...mintRss)), 'MB');
print('rss_first_last_mb', Math.round((mintRss.at(-1) ?? 0) - (mintRss[0] ?? 0)), 'MB');

// The backlog the load left behind drains while a few agents keep minting: do they still get their
// first attempt at once (answered `sent`), and does the backlog keep moving?
const drainStarted = performance.now();
const drainCpuBefore = cpuSeconds(service.child.pid);
const backlog = mintCounts.created - deliveredDuringMint;
const agentCounts: MintCounts = { created: 0, sent: 0, other: 0 };
const agents = await autocannon({
  url: service.url,
  connections: 2,
  duration: Math.min(5, DURATION_S),
  requests: mintRequests(agentCounts),
});
print('mint_during_backlog_p99', agents.latency.p99, 'ms');
print('mint_during_backlog_sent_ratio', agentCounts.created === 0 ? 0 : agentCounts.sent / agentCounts.created);
const expected = mintCounts.created + agentCounts.created;
const drained = await waitFor(() => received.total >= expected, DRAIN_MAX_S * 1000);
const drainS = (performance.now() - drainStarted) / 1000;
const drainedCount = received.total - deliveredDuringMint;
print('delivery_backlog', backlog, 'messages');
print('delivery_drain_msgs_per_s', drainedCount / drainS, 'msg/s');
print('delivery_drain_s', drainS, drained ? 's' : 's (gave up)');
print('delivery_cpu_cores', (cpuSeconds(service.child.pid) - drainCpuBefore) / drainS, 'cores');
print('emails_missing', Math.max(0, expected - received.total), 'messages');
print('stop_ms', Math.round(await stopProcess(service)), 'ms');

// --- a large realistic store: start-up, lookups, mint ----------------------------------------------
const largeDir = tempDir('mintdesk-bench-large-');
dirs.push(largeDir);
const largeEnv = { ...env, DATA_DIR: largeDir };
await stopProcess(await startService(largeEnv));
const seedStart = performance.now();
seedStore(largeDir, SEED_LICENSES);
print('seed_s', (performance.now() - seedStart) / 1000, 's');

// The first start after a build or deploy compiles everything (an empty V8 compile cache); every
// later start reuses what Node's compile cache kept.
const coldCache = tempDir('mintdesk-bench-compile-cache-');
dirs.push(coldCache);
service = await startService({ ...largeEnv, NODE_COMPILE_CACHE: coldCache });
print(`start_${SIZE}_first_after_build_ms`, Math.round(service.startMs), 'ms');
await stopProcess(service);
service = await startService(largeEnv);
print(`start_${SIZE}_ms`, Math.round(service.startMs), 'ms');
print(`stop_${SIZE}_ms`, Math.round(await stopProcess(service)), 'ms');
const npx = await startProcess('npx', ['--no-install', 'mintdesk', 'serve'], largeEnv, '/readyz');
print(`start_${SIZE}_npx_ms`, Math.round(npx.startMs), 'ms');
await stopProcess(npx, true);

service = await startService(largeEnv);
baselineRps = await baselineNow('lookup');
const lookupHeaders = { authorization: `Bearer ${LOOKUP_TOKEN}` };
const randomInt = (below: number) => Math.floor(Math.random() * below);
const emailLookups: autocannon.Request[] = [
  {
    method: 'GET',
    headers: lookupHeaders,
    setupRequest: (request) => ({
      ...request,
      path: `/api/v1/licenses?email=${encodeURIComponent(seedEmail(randomInt(SEED_EMAILS)))}`,
    }),
  },
];
const [byEmail, emailCpuUs] = await cpuPerRequest(
  service.child.pid,
  load({ url: service.url, requests: emailLookups }),
);
print(`lookup_email_${SIZE}_p50`, byEmail.latency.p50, 'ms');
print(`lookup_email_${SIZE}_p99`, byEmail.latency.p99, 'ms');
print(`lookup_email_${SIZE}_rps`, Math.round(byEmail.requests.average), 'req/s');
print(`lookup_email_vs_baseline_ratio`, byEmail.requests.average / baselineRps);
print(`lookup_email_non_2xx`, byEmail.non2xx + byEmail.errors, 'responses');
print(`lookup_email_cpu_us_per_request`, Math.round(emailCpuUs), 'µs');

// Closed-loop at 50 connections measures queueing at saturation: p99 ≈ connections / throughput.
// What one person waits for at a busy desk is the latency at a steady offered rate below
// capacity, the same 50 connections; the bare hello-world at that rate is its floor.
const STEADY_RPS = Number(process.env.BENCH_STEADY_RPS ?? 500);
const steady = (url: string, requestPath: () => string) =>
  steadyLoad({
    url,
    path: requestPath,
    headers: lookupHeaders,
    rps: STEADY_RPS,
    durationS: DURATION_S,
    connections: CONNECTIONS,
  });
const steadyHello = await steady(hello.url, () => '/');
print(`baseline_at_${STEADY_RPS}rps_p99`, steadyHello.p99, 'ms');
const emailPath = () => `/api/v1/licenses?email=${encodeURIComponent(seedEmail(randomInt(SEED_EMAILS)))}`;
const steadyEmail = await steady(service.url, emailPath);
print(`lookup_email_${SIZE}_at_${STEADY_RPS}rps_p50`, steadyEmail.p50, 'ms');
print(`lookup_email_${SIZE}_at_${STEADY_RPS}rps_p99`, steadyEmail.p99, 'ms');
print(`lookup_email_${SIZE}_at_${STEADY_RPS}rps_failed`, steadyEmail.failed, 'responses');
const ticketLookups: autocannon.Request[] = [
  {
    method: 'GET',
    headers: lookupHeaders,
    setupRequest: (request) => ({
      ...request,
      path: `/api/v1/licenses?ticketId=${FIRST_SEED_TICKET + randomInt(SEED_TICKETS)}`,
    }),
  },
];
const [[byTicket, ticketCpuUs], lookupRss] = await withRss(
  service.child.pid,
  cpuPerRequest(service.child.pid, load({ url: service.url, requests: ticketLookups })),
);
print(`lookup_ticket_${SIZE}_p50`, byTicket.latency.p50, 'ms');
print(`lookup_ticket_${SIZE}_p99`, byTicket.latency.p99, 'ms');
print(`lookup_ticket_${SIZE}_rps`, Math.round(byTicket.requests.average), 'req/s');
print(`lookup_ticket_vs_baseline_ratio`, byTicket.requests.average / baselineRps);
print(`lookup_ticket_non_2xx`, byTicket.non2xx + byTicket.errors, 'responses');
print(`lookup_ticket_cpu_us_per_request`, Math.round(ticketCpuUs), 'µs');
const steadyTicket = await steady(
  service.url,
  () => `/api/v1/licenses?ticketId=${FIRST_SEED_TICKET + randomInt(SEED_TICKETS)}`,
);
print(`lookup_ticket_${SIZE}_at_${STEADY_RPS}rps_p50`, steadyTicket.p50, 'ms');
print(`lookup_ticket_${SIZE}_at_${STEADY_RPS}rps_p99`, steadyTicket.p99, 'ms');
print(`lookup_ticket_${SIZE}_at_${STEADY_RPS}rps_failed`, steadyTicket.failed, 'responses');
print(`lookup_rss_mb`, Math.round(Math.max(...lookupRss)), 'MB');

baselineRps = await baselineNow('mint_large');
const largeCounts: MintCounts = { created: 0, sent: 0, other: 0 };
const mintLarge = await load({ url: service.url, requests: mintRequests(largeCounts) });
print(`mint_${SIZE}_rps`, Math.round(mintLarge.requests.average), 'req/s');
print(`mint_${SIZE}_p99`, mintLarge.latency.p99, 'ms');
print(`mint_${SIZE}_vs_baseline_ratio`, mintLarge.requests.average / baselineRps);
await stopProcess(service);
await stopProcess(hello);
if (tokensWrapped) process.stderr.write('note: the token pool wrapped around; raise BENCH_TOKENS\n');
received.stop();
await smtp.stop();

// Usage check-ins and the usage report (usage_rps, report_1m_ms): a file of their own.
await runUsageBench({ durationS: DURATION_S, connections: CONNECTIONS, print });

// Three instances on one PostgreSQL: click-to-sent, a SIGKILL and restart, a 451 spell (instances_*).
await runInstancesBench({ durationS: DURATION_S, print });

const assets = path.join(REPO_ROOT, 'zendesk-app/dist/assets');
if (fs.existsSync(assets)) {
  const bytes = fs
    .readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .reduce((total, name) => total + gzipSync(fs.readFileSync(path.join(assets, name)), { level: 9 }).length, 0);
  print('sidebar_js_gzip', Number((bytes / 1024).toFixed(1)), 'KB');
}
for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
print('load_avg_1m_end', loadAverage());
