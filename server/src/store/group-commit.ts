import type { Kysely } from 'kysely';
import { durableTransaction } from './durable-commit.ts';

/**
 * Group commit: items submitted while a write is in flight (or in the same event-loop turn) are
 * written together by the next call of `write` — one transaction and one fsync for the group.
 * Each submitter's promise settles only after its group's write has finished, so nothing is
 * acknowledged before it is durable.
 */
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

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = true;
    const group = this.waiting.splice(0, this.maxGroupSize);
    try {
      const results = await this.write(group.map((entry) => entry.item));
      group.forEach((entry, index) => entry.resolve(results[index] as Result));
    } catch (error) {
      for (const entry of group) entry.reject(error);
    } finally {
      this.writing = false;
      if (this.waiting.length > 0) this.schedule();
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

const groupsByDatabase = new WeakMap<object, unknown>();

/**
 * The one `TransactionGroups` of a database, shared by everything that writes to it (the store's
 * job bookkeeping and the embedded tracker's issues), so a burst of deliveries costs one commit
 * per group rather than one per writer. Its commits are `durableTransaction`s.
 */
export function transactionGroupsFor<Db>(db: Kysely<Db>): TransactionGroups<Kysely<Db>> {
  let groups = groupsByDatabase.get(db) as TransactionGroups<Kysely<Db>> | undefined;
  if (!groups) {
    groups = new TransactionGroups<Kysely<Db>>((work) => durableTransaction(db, work));
    groupsByDatabase.set(db, groups);
  }
  return groups;
}
