// The learner behind a session: the id their browser sent (progress is saved under it) and what
// the page was last told about saving, so it hears again only when something changed.
import type { LearnerProgress, LessonStatus } from '../../common/protocol.js';
import type { ProgressStore } from '../progress/store.js';

export class Learner {
  /** None = the page sent no id, and nothing is saved. */
  private id: string | undefined;
  /** Whether the page was last told that progress is saved. */
  private toldSaving: boolean | undefined;
  /** Lesson id → check id → when it first passed in this session: all a learner has when nothing is saved. */
  private readonly firstPassed = new Map<string, Record<string, string>>();

  constructor(
    private readonly store: ProgressStore,
    private readonly tell: (progress: LearnerProgress) => void,
  ) {}

  identify(id: string | undefined): void {
    this.id = id;
  }

  /** The lesson a returning learner had open last (whether it still exists is the catalog's to say). */
  lastLesson(): string | null {
    return this.id ? this.store.load(this.id).lastLesson : null;
  }

  /** This learner's saved progress (or why it is not saved). */
  progress(): LearnerProgress {
    if (!this.id) {
      return { saving: false, problem: 'progress is not saved: this page sent no learner id (is browser storage turned off?)', lastLesson: null, lessons: {} };
    }
    return this.store.load(this.id);
  }

  lessonOpened(lessonId: string): void {
    if (this.id) this.told(this.store.lessonOpened(this.id, lessonId));
  }

  /** The learner opened a prediction's answer; the reply carries the progress, so nothing is pushed. */
  predictionAnswered(lessonId: string, predictionId: string, choice?: number): LearnerProgress {
    if (!this.id) return this.progress();
    const progress = this.store.predictionAnswered(this.id, lessonId, predictionId, choice);
    this.toldSaving = progress.saving;
    return progress;
  }

  /**
   * A check verdict, recorded: returns STATUS with `passedAt` on every check that has ever passed,
   * true now or not (the saved time, else this session's). The page hears of the progress when a
   * check passed for the first time, or saving started or stopped.
   */
  recordStatus(status: LessonStatus): LessonStatus {
    let seen = this.firstPassed.get(status.lessonId);
    if (!seen) this.firstPassed.set(status.lessonId, (seen = {}));
    for (const check of status.checks) if (check.passed) seen[check.id] ??= status.checkedAt;
    let saved: Record<string, string> = {};
    if (this.id) {
      const { progress, changed } = this.store.recordStatus(this.id, status);
      if (changed || progress.saving !== this.toldSaving) this.told(progress);
      saved = progress.lessons[status.lessonId]?.checks ?? {};
    }
    const checks = status.checks.map((check) => {
      const passedAt = saved[check.id] ?? seen[check.id];
      return passedAt ? { ...check, passedAt } : check;
    });
    return { ...status, checks };
  }

  private told(progress: LearnerProgress): void {
    this.toldSaving = progress.saving;
    this.tell(progress);
  }
}
