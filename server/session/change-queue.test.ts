import { describe, expect, it } from 'vitest';
import { LabError } from '../base/errors.js';
import { ChangeQueue } from './change-queue.js';

describe('ChangeQueue', () => {
  it('runs changes one after another, in order, even when one fails', async () => {
    const q = new ChangeQueue();
    const log: string[] = [];
    const job = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([q.enqueue(job('a', 20)), q.enqueue(job('b', 5, true)), q.enqueue(job('c', 1))]);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('admits five changes a second, then refuses with rate_limited', () => {
    const q = new ChangeQueue();
    for (let i = 0; i < 5; i++) q.admit();
    expect(() => q.admit()).toThrow(LabError);
    try {
      q.admit();
    } catch (err) {
      expect((err as LabError).code).toBe('rate_limited');
    }
  });
});
