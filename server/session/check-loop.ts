// The open lesson's checks, re-run against the real state: right after the shell is ready or its
// settings change, a moment after the learner presses Enter, and on a period while a check still
// fails. One run at a time; a run asked for meanwhile follows it at once.
import type { LessonStatus } from '../../common/protocol.js';
import type { DisposableStore } from '../base/disposable.js';

/** Checks re-run this long after the learner presses Enter (let the command finish first)… */
const CHECK_AFTER_ENTER_MS = 400;
/** …and on this period while the open lesson still has a failing check. */
const CHECK_PERIOD_MS = 3_000;

export interface CheckJob {
  /** The open lesson; none = nothing to check. */
  lessonId(): string | undefined;
  /** Gathers the facts and evaluates LESSON_ID's checks on them. */
  evaluate(lessonId: string): Promise<LessonStatus | undefined>;
  /** A verdict for the lesson that is still open. */
  report(status: LessonStatus): void;
}

export class CheckLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;

  constructor(
    private readonly store: DisposableStore,
    private readonly job: CheckJob,
  ) {
    store.add(() => clearTimeout(this.timer));
  }

  /** The learner typed DATA: after an Enter, the checks look again. */
  afterInput(data: string): void {
    if (data.includes('\r')) this.schedule(CHECK_AFTER_ENTER_MS);
  }

  /** Runs the checks in DELAY_MS (replacing a run already scheduled). */
  schedule(delayMs: number): void {
    if (!this.job.lessonId() || this.store.isDisposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delayMs);
  }

  private async run(): Promise<void> {
    const lessonId = this.job.lessonId();
    if (!lessonId) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      const status = await this.job.evaluate(lessonId);
      if (status && !this.store.isDisposed && this.job.lessonId() === lessonId) {
        this.job.report(status);
        if (!status.allPassed) this.schedule(CHECK_PERIOD_MS);
      }
    } catch (err) {
      console.error('[isolab] lesson check failed:', (err as Error).message);
      this.schedule(CHECK_PERIOD_MS);
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    }
  }
}
