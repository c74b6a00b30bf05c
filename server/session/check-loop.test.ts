import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LessonStatus } from '../../common/protocol.js';
import { DisposableStore } from '../base/disposable.js';
import { CheckLoop } from './check-loop.js';

const status = (lessonId: string, allPassed: boolean): LessonStatus => ({ lessonId, checks: [], allPassed, checkedAt: '' });

describe('CheckLoop', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function loop(opts: { lesson?: string; passed?: boolean; evaluateMs?: number } = {}) {
    const store = new DisposableStore();
    let lesson: string | undefined = opts.lesson ?? '01-uts-namespace';
    const evaluated: string[] = [];
    const reported: LessonStatus[] = [];
    const checks = new CheckLoop(store, {
      lessonId: () => lesson,
      evaluate: async (id) => {
        evaluated.push(id);
        if (opts.evaluateMs) await new Promise((r) => setTimeout(r, opts.evaluateMs));
        return status(id, opts.passed ?? false);
      },
      report: (s) => reported.push(s),
    });
    return { store, checks, evaluated, reported, open: (id: string | undefined) => (lesson = id) };
  }

  it('checks again a moment after Enter, not after other keys', async () => {
    const { checks, evaluated } = loop({ passed: true });
    checks.afterInput('ls');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(evaluated).toHaveLength(0);
    checks.afterInput('\r');
    await vi.advanceTimersByTimeAsync(399);
    expect(evaluated).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(evaluated).toHaveLength(1);
  });

  it('keeps checking every 3 s while a check fails, and stops once all pass', async () => {
    const { checks, evaluated, reported } = loop({ passed: false });
    checks.schedule(0);
    await vi.advanceTimersByTimeAsync(6_001);
    expect(evaluated).toHaveLength(3);
    expect(reported).toHaveLength(3);
    const passing = loop({ passed: true });
    passing.checks.schedule(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(passing.evaluated).toHaveLength(1);
  });

  it('runs once more right after a run that was asked for while one was running', async () => {
    const { checks, evaluated } = loop({ passed: true, evaluateMs: 100 });
    checks.schedule(0);
    await vi.advanceTimersByTimeAsync(10);
    checks.schedule(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(evaluated).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(evaluated).toHaveLength(2);
  });

  it('reports nothing for a lesson closed meanwhile, nor after the session ended', async () => {
    const a = loop({ evaluateMs: 100 });
    a.checks.schedule(0);
    await vi.advanceTimersByTimeAsync(10);
    a.open('02-pid-namespace');
    await vi.advanceTimersByTimeAsync(100);
    expect(a.reported).toEqual([]);

    const b = loop();
    b.checks.schedule(1_000);
    b.store.dispose();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(b.evaluated).toEqual([]);
  });

  it('does nothing without an open lesson', async () => {
    const { checks, evaluated, open } = loop();
    open(undefined);
    checks.schedule(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(evaluated).toEqual([]);
  });
});
