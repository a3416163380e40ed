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
