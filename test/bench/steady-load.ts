// Open-loop load: requests sent at evenly spaced times (not in per-second bursts, as autocannon's
// `overallRate` does), over a keep-alive pool of at most `connections` sockets, each latency
// measured from the time the request was due — so a request that waited for a free socket or for
// the service counts its wait (no coordinated omission).
import http from 'node:http';

export interface SteadyResult {
  sent: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

export async function steadyLoad(options: {
  url: string;
  path: () => string;
  headers?: Record<string, string>;
  rps: number;
  durationS: number;
  connections: number;
}): Promise<SteadyResult> {
  const { hostname, port } = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Array<Promise<void>> = [];
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const request = http.get(
        { hostname, port, path: options.path(), headers: options.headers, agent },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (response.statusCode !== 200) failed += 1;
            latencies.push(performance.now() - due);
            resolve();
          });
        },
      );
      request.on('error', () => {
        failed += 1;
        resolve();
      });
    });
  const intervalMs = 1000 / options.rps;
  const total = Math.round(options.rps * options.durationS);
  const started = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    // Everything due by now goes out now; then sleep until the next one is due.
    while (next < total && started + next * intervalMs <= now) {
      inFlight.push(send(started + next * intervalMs));
      next += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + next * intervalMs - performance.now())));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(2));
  return { sent: total, failed, p50: at(0.5), p99: at(0.99), max: at(1) };
}
