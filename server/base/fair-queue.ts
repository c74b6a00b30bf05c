// A server-wide queue for expensive work (probes, the inspector, diagnoses, the comparison), with a
// fair share per lane (one learner's session): at most CONCURRENCY jobs run at once on the whole
// server, at most one per lane, and a free slot goes to the lane whose last turn is the oldest (a
// lane that has had none first). So a lane that asks a thousand times gets one turn in each round, like everyone else:
// one learner can slow only themselves.
//
// A lane's excess never piles up: a job with the same coalescing key as one still waiting in the
// same lane shares that one's run and result (two thousand "refresh the inspector" are one
// refresh after the one running now), and a lane already holding MAX_WAITING jobs is refused.
import { AsyncLocalStorage } from 'node:async_hooks';
import { LabError } from './errors.js';

export interface FairQueueOptions {
  /** Jobs running at once on the whole server. */
  concurrency: number;
  /** Jobs one lane may have waiting (besides its running one); beyond it, run() is refused. */
  maxWaitingPerLane: number;
}

interface Waiting {
  key: string | undefined;
  job: () => Promise<unknown>;
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface Lane {
  running: boolean;
  waiting: Waiting[];
  /** When it last started a job (a count of starts); -1 for a lane that has not had a turn. */
  lastTurn: number;
}

/** A job starting: its lane and its coalescing key. */
export type JobStart = { lane: string; key: string | undefined };

export class FairQueue {
  /** Lanes with work, in the order they came. */
  private readonly lanes = new Map<string, Lane>();
  private running = 0;
  private turns = 0;
  private readonly observers = new Set<(start: JobStart) => void>();
  /** The lane whose job is running in this async context, if any. */
  private readonly inside = new AsyncLocalStorage<string>();

  constructor(readonly opts: FairQueueOptions) {}

  /** Runs JOB in LANE's turn; with COALESCE, shares the run of a waiting job of the same key. */
  run<T>(laneId: string, job: () => Promise<T>, opts: { coalesce?: string } = {}): Promise<T> {
    // Asked from inside one of this lane's own jobs: it is this lane's turn already, and waiting
    // for the lane to be free would wait for itself.
    if (this.inside.getStore() === laneId) return job();
    let lane = this.lanes.get(laneId);
    if (!lane) {
      lane = { running: false, waiting: [], lastTurn: -1 };
      this.lanes.set(laneId, lane);
    }
    if (opts.coalesce !== undefined) {
      const same = lane.waiting.find((w) => w.key === opts.coalesce);
      if (same) return same.promise as Promise<T>;
    }
    if (lane.waiting.length >= this.opts.maxWaitingPerLane) {
      return Promise.reject(new LabError('rate_limited', 'too much of your work is waiting on this server already; wait for the answers before asking again'));
    }
    let resolve!: (value: unknown) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    lane.waiting.push({ key: opts.coalesce, job, promise, resolve, reject });
    this.pump();
    return promise as Promise<T>;
  }

  /** Calls LISTENER as each job starts (tests and benchmarks count turns); returns its removal. */
  observe(listener: (start: JobStart) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /** Jobs running now, and waiting, on the whole server. */
  get load(): { running: number; waiting: number; lanes: number } {
    let waiting = 0;
    for (const lane of this.lanes.values()) waiting += lane.waiting.length;
    return { running: this.running, waiting, lanes: this.lanes.size };
  }

  private pump(): void {
    while (this.running < this.opts.concurrency) {
      // The lane whose last turn is the oldest (one that never had a turn first; ties by arrival).
      let next: [string, Lane] | undefined;
      for (const entry of this.lanes) {
        const lane = entry[1];
        if (lane.running || lane.waiting.length === 0) continue;
        if (!next || lane.lastTurn < next[1].lastTurn) next = entry;
      }
      if (!next) return;
      this.start(next[0], next[1]);
    }
  }

  private start(laneId: string, lane: Lane): void {
    const w = lane.waiting.shift()!;
    lane.running = true;
    lane.lastTurn = this.turns++;
    this.running++;
    for (const o of this.observers) o({ lane: laneId, key: w.key });
    Promise.resolve()
      .then(() => this.inside.run(laneId, w.job))
      .then(w.resolve, w.reject)
      .finally(() => {
        lane.running = false;
        this.running--;
        if (lane.waiting.length === 0 && this.lanes.get(laneId) === lane) this.lanes.delete(laneId);
        this.pump();
      });
  }
}
