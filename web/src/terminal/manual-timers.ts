// For tests of what runs on a timer (flow.ts's acks, the board's refresh after Enter): Timers that
// fire only when the test says so, so a test never waits on the clock.
import type { Timers } from './flow.js';

/** Timers the test fires by hand: `fire()` runs every pending one, `armed` counts them. */
export function manualTimers(): Timers & { fire(): void; armed: number } {
  const pending = new Map<number, () => void>();
  let next = 1;
  return {
    set(fn) {
      pending.set(next, fn);
      return next++;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
    fire() {
      const fns = [...pending.values()];
      pending.clear();
      for (const fn of fns) fn();
    },
    get armed() {
      return pending.size;
    },
  };
}
