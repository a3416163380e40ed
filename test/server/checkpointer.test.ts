import fs from 'node:fs';
import path from 'node:path';
import { Checkpointer, type CheckpointProblem } from '@mintdesk/server/store/checkpointer.ts';
import { openSqliteDatabase } from '@mintdesk/server/store/open-database.ts';
import { CHECKPOINT_FAILING_LIMIT_MS, SqlStore } from '@mintdesk/server/store/sql-store.ts';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { startTestService, tempDir, type TestService } from '../support/service.ts';

async function eventually(done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The bytes of a valid (empty, WAL-mode) SQLite database. */
function validDatabaseBytes(): Buffer {
  const file = path.join(tempDir(), 'valid.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('create table t (x integer)');
  db.close();
  return fs.readFileSync(file);
}

const stoppers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0)) await stop();
});

describe('the WAL checkpoint thread', () => {
  it('reports a failing round and keeps checkpointing: one bad spell does not silently end it', async () => {
    const file = path.join(tempDir(), 'mintdesk.sqlite');
    // Unreadable storage under the thread's connection: every round fails with SQLITE_NOTADB.
    fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const problems: CheckpointProblem[] = [];
    let recoveredAfter = 0;
    const checkpointer = new Checkpointer(file, {
      intervalMs: 20,
      onProblem: (problem) => problems.push(problem),
      onRecovered: (failures) => {
        recoveredAfter = failures;
      },
    });
    stoppers.push(() => checkpointer.stop());

    await eventually(() => checkpointer.status().failures >= 3);
    expect(problems[0]).toMatchObject({ message: 'WAL checkpoint failed; retrying', consecutive: 1 });
    expect(problems[0]?.error).toMatch(/SQLITE_NOTADB/);
    const failing = checkpointer.status();
    expect(failing.failingSinceMs).toBeTypeOf('number');
    expect(failing.lastSuccessAtMs).toBeUndefined();
    // Reported once per run of failures, not once per round.
    expect(problems).toHaveLength(1);

    // The storage comes back (same file, rewritten in place): the same thread picks up again.
    fs.writeFileSync(file, validDatabaseBytes());
    await eventually(() => checkpointer.status().lastSuccessAtMs !== undefined);
    const recovered = checkpointer.status();
    expect(recovered.failingSinceMs).toBeUndefined();
    expect(recovered.restarts).toBe(0);
    expect(recoveredAfter).toBeGreaterThanOrEqual(3);
  });

  it('starts the thread again when it ends (here: the database cannot be opened yet)', async () => {
    const file = path.join(tempDir(), 'later.sqlite');
    const problems: CheckpointProblem[] = [];
    const checkpointer = new Checkpointer(file, { intervalMs: 20, onProblem: (problem) => problems.push(problem) });
    stoppers.push(() => checkpointer.stop());

    await eventually(() => checkpointer.status().restarts >= 2);
    expect(problems[0]?.message).toBe('WAL checkpoint thread failed; starting it again');
    expect(problems[0]?.error).toMatch(/SQLITE_CANTOPEN|unable to open/i);

    fs.writeFileSync(file, validDatabaseBytes());
    await eventually(() => checkpointer.status().lastSuccessAtMs !== undefined);
    expect(checkpointer.status().failingSinceMs).toBeUndefined();
  });

  it('makes the database not ready while checkpoints keep failing, and ready again once they succeed', async () => {
    const dir = tempDir();
    const database = await openSqliteDatabase(path.join(dir, 'mintdesk.sqlite'), { checkpoints: { intervalMs: 20 } });
    const store = new SqlStore(database);
    stoppers.push(() => store.close());
    await eventually(() => database.checkpoints?.().lastSuccessAtMs !== undefined);
    await expect(store.ping(Date.now() + CHECKPOINT_FAILING_LIMIT_MS)).resolves.toBeUndefined();

    // The same store, but with a checkpoint thread whose storage has gone bad.
    const bad = path.join(dir, 'bad.sqlite');
    fs.writeFileSync(bad, Buffer.alloc(8192, 0x5a));
    const failing = new Checkpointer(bad, { intervalMs: 20 });
    stoppers.push(() => failing.stop());
    const probed = new SqlStore({
      ...database,
      stopHelpers: async () => undefined,
      checkpoints: () => failing.status(),
    });
    await eventually(() => failing.status().failures > 0);
    // A passing hiccup is tolerated; a minute of failures is not.
    await expect(probed.ping()).resolves.toBeUndefined();
    await expect(probed.ping(Date.now() + CHECKPOINT_FAILING_LIMIT_MS)).rejects.toThrow(
      /WAL checkpoints have failed for \d+ s: SQLITE_NOTADB/,
    );
    fs.writeFileSync(bad, validDatabaseBytes());
    await eventually(() => failing.status().failingSinceMs === undefined);
    await expect(probed.ping(Date.now() + CHECKPOINT_FAILING_LIMIT_MS)).resolves.toBeUndefined();
  });
});

describe('checkpoints in the running service', () => {
  let service: TestService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('shows its checkpoints in /metrics', async () => {
    service = await startTestService({ smtpUrl: 'smtp://127.0.0.1:9' });
    const url = service.url;
    let body = '';
    const deadline = Date.now() + 15_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      body = (await request<string>(`${url}/metrics`)).body;
    } while (/^mintdesk_sqlite_checkpoint_last_success_seconds 0$/m.test(body) && Date.now() < deadline);
    expect(body).toMatch(/^mintdesk_sqlite_checkpoint_failures_total 0$/m);
    expect(body).toMatch(/^mintdesk_sqlite_checkpoint_restarts_total 0$/m);
    const lastSuccess = Number(/^mintdesk_sqlite_checkpoint_last_success_seconds (\S+)$/m.exec(body)?.[1]);
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
