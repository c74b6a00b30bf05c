// A sliding-window rate limit: at most LIMIT events in any PERIOD_MS. Used where a learner's
// clicks start real work (a new shell, a diagnosis) and a script could hammer it.
export class SlidingWindow {
  private times: number[] = [];

  constructor(
    readonly limit: number,
    readonly periodMs: number,
  ) {}

  /** Whether nothing was counted in the last period (the window can be forgotten). */
  isEmpty(now = Date.now()): boolean {
    return this.times.every((t) => now - t >= this.periodMs);
  }

  /** Whether the window is full now (nothing is counted). */
  limitReached(now = Date.now()): boolean {
    this.times = this.times.filter((t) => now - t < this.periodMs);
    return this.times.length >= this.limit;
  }

  /** Counts one event and returns true, or returns false (counting nothing) when the window is full. */
  take(now = Date.now()): boolean {
    this.times = this.times.filter((t) => now - t < this.periodMs);
    if (this.times.length >= this.limit) return false;
    this.times.push(now);
    return true;
  }
}
