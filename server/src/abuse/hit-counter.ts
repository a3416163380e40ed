/**
 * Counts events per key in a sliding window. In memory, per instance: like
 * `@fastify/rate-limit`'s local store, several instances each keep their own counts (the durable
 * ceilings — licenses and resends per day — are counted in the database instead).
 */
export interface HitCounter {
  /** Milliseconds until `key` may have another hit when it already has `max` in the window; else undefined. */
  blockedFor(key: string, max: number): number | undefined;
  /** Records one hit for `key`. */
  hit(key: string): void;
}

const SWEEP_EVERY_HITS = 1000;

export class SlidingWindowCounter implements HitCounter {
  private readonly hits = new Map<string, number[]>();
  private sinceSweep = 0;

  constructor(
    private readonly windowMs: number,
    /** Wall-clock milliseconds; injectable for tests. */
    private readonly now: () => number = Date.now,
    /** The most hits kept per key: nobody is ever allowed more than this in a window. */
    private readonly keepAtMost = 100_000,
  ) {}

  blockedFor(key: string, max: number): number | undefined {
    const times = this.recent(key);
    if (times.length < max) return undefined;
    const oldestThatCounts = times[times.length - max] as number;
    return Math.max(1, oldestThatCounts + this.windowMs - this.now());
  }

  hit(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    if (times.length > this.keepAtMost) times.splice(0, times.length - this.keepAtMost);
    this.hits.set(key, times);
    this.sinceSweep += 1;
    if (this.sinceSweep >= SWEEP_EVERY_HITS) this.sweep();
  }

  private recent(key: string): number[] {
    const times = this.hits.get(key);
    if (!times) return [];
    const from = this.now() - this.windowMs;
    let first = 0;
    while (first < times.length && (times[first] as number) <= from) first += 1;
    if (first > 0) times.splice(0, first);
    if (times.length === 0) this.hits.delete(key);
    return times;
  }

  /** Forgets keys with nothing left in the window, so a stream of one-off addresses cannot grow the map forever. */
  private sweep(): void {
    this.sinceSweep = 0;
    const from = this.now() - this.windowMs;
    for (const [key, times] of this.hits) {
      if ((times[times.length - 1] ?? 0) <= from) this.hits.delete(key);
    }
  }
}
