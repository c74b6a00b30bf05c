import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionEndReason, SessionExpiring } from '../../common/protocol.js';
import { SessionClock, warningLead } from './session-clock.js';

describe('SessionClock', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function clock(idleMs: number, maxMs: number) {
    const warnings: SessionExpiring[] = [];
    const ended: SessionEndReason[] = [];
    const c = new SessionClock({ idleMs, maxMs }, { expiring: (w) => warnings.push(w), ended: (r) => ended.push(r) });
    return { c, warnings, ended };
  }

  it('warns before the idle end, withdraws the warning on activity, and ends when idle again', () => {
    const { c, warnings, ended } = clock(10 * 60_000, 0);
    vi.advanceTimersByTime(8 * 60_000 - 1);
    expect(warnings).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(warnings).toEqual([{ reason: 'idle', endsInMs: 2 * 60_000 }]);
    c.activity();
    expect(warnings.at(-1)).toEqual({ reason: 'idle', endsInMs: null });
    vi.advanceTimersByTime(10 * 60_000 - 1);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ended).toEqual(['idle']);
  });

  it('activity without a warning only moves the idle end', () => {
    const { c, warnings, ended } = clock(60_000, 0);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(20_000);
      c.activity();
    }
    expect(warnings).toEqual([]);
    expect(ended).toEqual([]);
  });

  it('ends at the maximum length however active the learner is, warned once', () => {
    const { c, warnings, ended } = clock(60_000, 5 * 60_000);
    for (let t = 0; t < 5 * 60_000; t += 10_000) {
      c.activity();
      vi.advanceTimersByTime(10_000);
    }
    expect(warnings).toEqual([{ reason: 'max_length', endsInMs: 2 * 60_000 }]);
    expect(ended).toEqual(['max_length']);
  });

  it('says nothing after dispose, and nothing at all with no limits', () => {
    const a = clock(1000, 2000);
    a.c.dispose();
    const b = clock(0, 0);
    vi.advanceTimersByTime(60_000);
    expect([...a.warnings, ...a.ended, ...b.warnings, ...b.ended]).toEqual([]);
  });

  it('warns a short limit at its half', () => expect(warningLead(6000)).toBe(3000));
});
