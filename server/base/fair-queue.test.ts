import { describe, expect, it } from 'vitest';
import { FairQueue, type JobStart } from './fair-queue.js';

/** A job that runs until released, so a test decides when each one ends. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { open, job: () => done };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('FairQueue', () => {
  it('a flooding lane does not make another lane wait behind its flood', async () => {
    const q = new FairQueue({ concurrency: 1, maxWaitingPerLane: 4 });
    const starts: JobStart[] = [];
    q.observe((s) => starts.push(s));
    const first = gate();
    const flood: Promise<unknown>[] = [q.run('a', first.job)];
    for (let i = 0; i < 2000; i++) flood.push(q.run('a', async () => {}).catch(() => 'refused'));
    const b = q.run('b', async () => 'b done');
    first.open();
    await b;
    await Promise.all(flood);
    // b waited for the one job of a that was running when it asked, and for nothing else.
    expect(starts.slice(0, 2)).toEqual([{ lane: 'a', key: undefined }, { lane: 'b', key: undefined }]);
    // The flood's excess was refused, not queued: a ran its running job and four waiting ones.
    expect(starts.filter((s) => s.lane === 'a')).toHaveLength(5);
    expect((await Promise.all(flood)).filter((r) => r === 'refused')).toHaveLength(2000 - 4);
    expect(q.load).toEqual({ running: 0, waiting: 0, lanes: 0 });
  });

  it('coalesces a lane\'s repeated job into one run that every caller shares', async () => {
    const q = new FairQueue({ concurrency: 2, maxWaitingPerLane: 4 });
    let runs = 0;
    const first = gate();
    const all = [q.run('a', first.job, { coalesce: 'inspect' })];
    for (let i = 0; i < 2000; i++) all.push(q.run('a', async () => void runs++, { coalesce: 'inspect' }));
    first.open();
    await Promise.all(all);
    // The one running when they asked, and one more that all two thousand share.
    expect(runs).toBe(1);
  });

  it('runs at most CONCURRENCY jobs at once and one per lane, turn by turn', async () => {
    const q = new FairQueue({ concurrency: 2, maxWaitingPerLane: 8 });
    let now = 0;
    let peak = 0;
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(name);
      peak = Math.max(peak, ++now);
      await tick();
      now--;
    };
    const all = ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'].map((n) => q.run(n[0]!, job(n)));
    await Promise.all(all);
    expect(peak).toBe(2);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('a failing job fails its callers only, and the queue goes on', async () => {
    const q = new FairQueue({ concurrency: 1, maxWaitingPerLane: 2 });
    await expect(q.run('a', () => Promise.reject(new Error('probe died')))).rejects.toThrow('probe died');
    await expect(q.run('a', async () => 7)).resolves.toBe(7);
  });

  it('a job that asks for more work of its own lane gets it at once, not a wait for itself', async () => {
    const q = new FairQueue({ concurrency: 1, maxWaitingPerLane: 2 });
    const inner = () => q.run('a', async () => 'inner', { coalesce: 'column' });
    await expect(q.run('a', async () => `outer+${await inner()}`)).resolves.toBe('outer+inner');
  });
});
