// The changes a learner makes to their shell (a switch, Settings apply, a lesson's settings, live
// limits) run one after another, never two at once: a respawn must not race another respawn, and a
// limit must never be written into a cgroup being torn down. Each change that touches the shell
// is also counted against a rate limit.
import { LabError } from '../base/errors.js';
import { SlidingWindow } from '../base/rate-window.js';

/** Respawns per second a learner may trigger; more is a script hammering the launcher. */
const MAX_CHANGES_PER_SECOND = 5;

export class ChangeQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly recent = new SlidingWindow(MAX_CHANGES_PER_SECOND, 1_000);

  /** Runs JOB once every change queued before it has settled (succeeded or failed). */
  enqueue<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Called by a job once it knows it will touch the shell: throws rate_limited past the limit. */
  admit(): void {
    if (!this.recent.take()) throw new LabError('rate_limited', 'too many changes per second; wait a moment');
  }
}
