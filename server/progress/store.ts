// Learners' progress: the lessons each learner opened, the checks that passed (and when), the
// predictions they answered, the lesson they had open last. Learners are told apart by the random
// id their browser keeps (and, for a prediction, the choice they picked). One interface; sqlite.ts is the embedded store a single server uses.
//
// Progress is a convenience, never a reason to fail: a store that cannot be used logs once, and
// the server goes on without saving — the page is told.
import type { LearnerProgress, LessonStatus } from '../../common/protocol.js';

export interface ProgressStore {
  /** null while progress is saved; otherwise why it is not (shown to the learner). */
  readonly problem: string | null;
  /** The learner's saved progress; a learner never seen before has none. */
  load(learnerId: string): LearnerProgress;
  /** The learner opened a lesson: it becomes their last lesson. */
  lessonOpened(learnerId: string, lessonId: string): LearnerProgress;
  /**
   * Records the checks that pass now; a check once passed stays passed, and the lesson is complete
   * once each of its checks has passed (not necessarily at once). `changed` is true when one passed
   * (or the lesson completed) for the first time.
   */
  recordStatus(learnerId: string, status: LessonStatus): { progress: LearnerProgress; changed: boolean };
  /** The first answer stays: a pick made after the answer was shown is not a prediction. */
  predictionAnswered(learnerId: string, lessonId: string, predictionId: string, choice?: number): LearnerProgress;
  close(): void;
}

/** What a learner has when nothing is saved, with the reason shown to them. */
export const noProgress = (problem: string | null): LearnerProgress => ({ saving: false, ...(problem ? { problem } : {}), lastLesson: null, lessons: {} });

/** Progress that is not saved (no database, or it failed). */
export class DisabledProgressStore implements ProgressStore {
  constructor(readonly problem: string) {}
  load(): LearnerProgress {
    return noProgress(this.problem);
  }
  lessonOpened(): LearnerProgress {
    return noProgress(this.problem);
  }
  recordStatus(): { progress: LearnerProgress; changed: boolean } {
    return { progress: noProgress(this.problem), changed: false };
  }
  predictionAnswered(): LearnerProgress {
    return noProgress(this.problem);
  }
  close(): void {}
}

