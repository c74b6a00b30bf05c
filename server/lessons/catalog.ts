// The lessons a server offers, loaded and validated once at start-up. A broken lesson file is
// reported (file, line, field) and left out; the others are served.
import type { LessonStatus, LessonSummary, LessonView } from '../../common/protocol.js';
import { hostCgroupVersion } from '../runtime/block-device.js';
import { evaluateLesson, loadLessons, toLessonView, toSummary, type CheckFacts, type Lesson } from './index.js';

export interface LessonCatalog {
  summaries(): LessonSummary[];
  first(): LessonView | undefined;
  view(id: string): LessonView | undefined;
  evaluate(id: string, facts: CheckFacts): LessonStatus | undefined;
  /** How many choices the lesson's "Predict, then verify" question with this id offers (0: none); undefined: no such question. */
  predictionChoices(lessonId: string, predictionId: string): number | undefined;
}

export async function loadLessonCatalog(dir: string): Promise<LessonCatalog & { errors: string[]; warnings: string[] }> {
  // The docker-run lines in lessons are written for this host, as the live At work panel is.
  const { lessons, errors, warnings } = await loadLessons(dir, { hostCgroupVersion: hostCgroupVersion() });
  return catalogOf(
    lessons,
    errors.map((e) => e.message),
    warnings.map((e) => e.message),
  );
}

export function catalogOf(lessons: Lesson[], errors: string[] = [], warnings: string[] = []): LessonCatalog & { errors: string[]; warnings: string[] } {
  const byId = new Map(lessons.map((l) => [l.id, l]));
  const views = new Map(lessons.map((l) => [l.id, toLessonView(l)]));
  const summaries = lessons.map(toSummary);
  return {
    errors,
    warnings,
    summaries: () => summaries,
    first: () => (lessons[0] ? views.get(lessons[0].id) : undefined),
    view: (id) => views.get(id),
    evaluate: (id, facts) => {
      const lesson = byId.get(id);
      return lesson ? evaluateLesson(lesson, facts) : undefined;
    },
    predictionChoices: (lessonId, predictionId) => {
      const p = byId.get(lessonId)?.predict.find((q) => q.id === predictionId);
      return p ? (p.choices?.length ?? 0) : undefined;
    },
  };
}
