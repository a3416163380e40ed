// Child processes for the benchmarks: started as the production start does (`mintdesk serve`), ready
// when a path answers 200, stopped with SIGTERM and timed.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { REPO_ROOT } from '../support/child-service.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  output: () => string;
  /** Milliseconds from spawn until `readyPath` answered 200. */
  startMs: number;
}

/** Spawns a process that listens on PORT and waits until `readyPath` answers 200. */
export async function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
  timeoutMs = 60_000,
): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${args.join(' ')} exited with ${exitCode}:\n${output}`);
    if (performance.now() - started > timeoutMs) throw new Error(`${args.join(' ')} not ready in time:\n${output}`);
    try {
      const response = await fetch(`${url}${readyPath}`);
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  return { child, url, exited, output: () => output, startMs: performance.now() - started };
}

/** SIGTERM and the time until the process has exited. */
export async function stopProcess(proc: Proc, group = false): Promise<number> {
  const started = performance.now();
  if (group && proc.child.pid) process.kill(-proc.child.pid, 'SIGTERM');
  else proc.child.kill('SIGTERM');
  const code = await proc.exited;
  // npx itself dies of the signal it passed on (exit code null); the service under it exits 0.
  if (code !== 0 && !group) process.stderr.write(`process exited with ${code}:\n${proc.output()}\n`);
  return performance.now() - started;
}
