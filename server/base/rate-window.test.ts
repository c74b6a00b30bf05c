import { describe, expect, it } from 'vitest';
import { SlidingWindow } from './rate-window.js';

describe('SlidingWindow', () => {
  it('admits LIMIT events per period, then refuses until the oldest leaves the window', () => {
    const w = new SlidingWindow(2, 1_000);
    expect([w.take(0), w.take(10), w.take(20)]).toEqual([true, true, false]);
    expect(w.take(999)).toBe(false);
    // The event at 0 has left the window; the one at 10 has not.
    expect(w.take(1_000)).toBe(true);
    expect(w.take(1_005)).toBe(false);
    expect(w.take(1_010)).toBe(true);
  });

  it('does not count a refused event', () => {
    const w = new SlidingWindow(1, 100);
    expect(w.take(0)).toBe(true);
    for (let t = 1; t < 100; t += 10) expect(w.take(t)).toBe(false);
    expect(w.take(100)).toBe(true);
  });
});
