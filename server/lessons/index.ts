// What the rest of the server uses of the lessons: load them, show them, check them.
import type { LessonSummary, LessonView } from '../../common/protocol.js';
import type { Lesson } from './load.js';

export { evaluateLesson } from './checks.js';
export type { CheckFacts } from './facts.js';
export { loadLessons, validateLessonsDir, type Lesson, type LessonLoadError } from './load.js';
export { renderMarkdown } from './render.js';

export function toSummary(lesson: Lesson): LessonSummary {
  return { id: lesson.id, number: lesson.number, title: lesson.title, primitive: lesson.primitive };
}

/** What the browser gets: text, tasks and settings — never the checks or the solution. */
export function toLessonView(lesson: Lesson): LessonView {
  return {
    ...toSummary(lesson),
    html: lesson.html,
    tasks: lesson.tasks.map((t) => ({ id: t.id, title: t.title })),
    settings: structuredClone(lesson.settings),
  };
}
