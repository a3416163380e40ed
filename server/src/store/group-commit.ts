/**
 * Group commit: items submitted while a write is in flight (or in the same event-loop turn) are
 * written together by the next call of `write` — one transaction and one fsync for the group.
 * Each submitter's promise settles only after its group's write has finished, so nothing is
 * acknowledged before it is durable.
 */
const MAX_PAUSE_MS = 25;

export class GroupCommit<Item, Result> {
  private waiting: Array<{ item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  private writing = false;
  private scheduled = false;

  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly maxGroupSize: number,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(pauseMs = 0): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (pauseMs > 0) setTimeout(run, pauseMs);
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = true;
    const group = this.waiting.splice(0, this.maxGroupSize);
    const started = performance.now();
    try {
      const results = await this.write(group.map((entry) => entry.item));
      group.forEach((entry, index) => entry.resolve(results[index] as Result));
    } catch (error) {
      for (const entry of group) entry.reject(error);
    } finally {
      this.writing = false;
      // SQLite's fsync blocks the event loop for the whole commit (2–20 ms on a busy disk). Writing
      // the next group at once would keep the loop in fsync nearly all the time with a handful of
      // items per commit; pausing as long as the last commit took bounds that to about half and
      // lets the next group collect everything that arrived meanwhile.
      const tookMs = performance.now() - started;
      if (this.waiting.length > 0) this.schedule(tookMs >= 1 ? Math.min(tookMs, MAX_PAUSE_MS) : 0);
    }
  }
}

type Work<Db> = (trx: Db) => Promise<unknown>;
type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for small independent writes (job bookkeeping, delivery outcomes, issue updates):
 * writes submitted while another group is being written share one transaction, so one fsync
 * covers them all. Each caller's promise settles after its group has committed. Should the group
 * fail, its writes are tried again one by one, so one bad write cannot sink the others.
 */
export class TransactionGroups<Db> {
  private readonly groups: GroupCommit<Work<Db>, Settled>;

  constructor(
    private readonly transaction: <T>(work: (trx: Db) => Promise<T>) => Promise<T>,
    maxGroupSize = 512,
  ) {
    this.groups = new GroupCommit((works) => this.writeGroup(works), maxGroupSize);
  }

  async run<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    const settled = await this.groups.submit(work);
    if (!settled.ok) throw settled.error;
    return settled.value as T;
  }

  private async writeGroup(works: Array<Work<Db>>): Promise<Settled[]> {
    try {
      return await this.transaction(async (trx) => {
        const results: Settled[] = [];
        for (const work of works) results.push({ ok: true, value: await work(trx) });
        return results;
      });
    } catch (error) {
      if (works.length === 1) return [{ ok: false, error }];
      const results: Settled[] = [];
      for (const work of works) {
        results.push(
          await this.transaction(work).then(
            (value): Settled => ({ ok: true, value }),
            (failure: unknown): Settled => ({ ok: false, error: failure }),
          ),
        );
      }
      return results;
    }
  }
}

const groupsByDatabase = new WeakMap<object, TransactionGroups<never>>();

/**
 * The one `TransactionGroups` of a database, shared by everything that writes to it (the store's
 * job bookkeeping and the embedded tracker's issues), so a burst of deliveries costs one commit
 * per group rather than one per writer.
 */
export function transactionGroupsFor<
  Db extends { transaction(): { execute<T>(work: (trx: Db) => Promise<T>): Promise<T> } },
>(db: Db): TransactionGroups<Db> {
  let groups = groupsByDatabase.get(db) as TransactionGroups<Db> | undefined;
  if (!groups) {
    groups = new TransactionGroups<Db>((work) => db.transaction().execute(work));
    groupsByDatabase.set(db, groups as unknown as TransactionGroups<never>);
  }
  return groups;
}
