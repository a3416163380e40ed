/**
 * A fixed-window request budget per key, in memory. The keys are ids of licenses whose signature
 * checked out, so the map holds at most the licenses that report within one window.
 */
export class PerKeyBudget {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private counts = new Map<string, number>();

  constructor(
    /** Requests per window; 0: unlimited. */
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  /** Takes one request from `key`'s budget: 0 when allowed, else milliseconds until the next window. */
  take(key: string, nowMs: number): number {
    if (this.perWindow === 0) return 0;
    if (nowMs >= this.windowStartMs + this.windowMs || nowMs < this.windowStartMs) {
      this.windowStartMs = nowMs;
      this.counts = new Map();
    }
    const used = this.counts.get(key) ?? 0;
    if (used >= this.perWindow) return this.windowStartMs + this.windowMs - nowMs;
    this.counts.set(key, used + 1);
    return 0;
  }
}
