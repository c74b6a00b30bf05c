// Lesson logic that needs no DOM: what a command block asks for, and which check rows to show
// (the lesson's tasks as "not yet" until the server's first status for that lesson arrives).
import { CHOICE_LETTERS, type CheckResult, type LessonStatus, type LessonSummary, type LessonView } from '../../../common/protocol.js';

export interface CommandBlock {
  command: string;
  interrupt: boolean;
}

/** Reads a `<figure class="cmd" data-command data-interrupt>`'s dataset; the code text is the fallback. */
export function readCommandBlock(dataset: Record<string, string | undefined>, codeText: string): CommandBlock | null {
  const command = dataset['command'] ?? codeText;
  if (command.trim() === '') return null;
  return { command, interrupt: dataset['interrupt'] === 'true' };
}

export interface CheckPanel {
  rows: CheckResult[];
  allPassed: boolean;
  summary: string;
}

export function checkPanel(view: LessonView | null, status: LessonStatus | null): CheckPanel {
  const current = status && view && status.lessonId === view.id ? status : null;
  const rows: CheckResult[] = current
    ? current.checks
    : (view?.tasks ?? []).map((t) => ({ id: t.id, title: t.title, passed: false }));
  const allPassed = current?.allPassed ?? false;
  const passed = rows.filter((r) => r.passed).length;
  let summary: string;
  if (!view) summary = '';
  else if (rows.length === 0) summary = current ? 'This lesson has no automatic checks.' : 'Waiting for the first check…';
  else if (allPassed) summary = `All ${rows.length} checks pass.`;
  else if (!current) summary = 'Waiting for the first check…';
  else summary = `${passed} of ${rows.length} checks pass.`;
  return { rows, allPassed, summary };
}

export function nextLesson(lessons: readonly LessonSummary[], id: string): LessonSummary | undefined {
  const i = lessons.findIndex((l) => l.id === id);
  return i >= 0 ? lessons[i + 1] : undefined;
}


/**
 * What the page says once a prediction is answered: whether the pick was right, naming both
 * letters. No pick (the learner opened the answer): nothing to judge.
 */
export function predictionVerdict(pick: number | undefined, correct: number | undefined): { tone: 'right' | 'wrong' | 'none'; text: string } {
  if (pick === undefined || correct === undefined) return { tone: 'none', text: '' };
  const letter = (i: number) => CHOICE_LETTERS[i] ?? '?';
  return pick === correct
    ? { tone: 'right', text: `Right: ${letter(correct)}.` }
    : { tone: 'wrong', text: `Not this time: you picked ${letter(pick)}; the answer is ${letter(correct)}.` };
}

/** The task to show a presenter: the first check that does not pass yet. */
export function currentTask(panel: CheckPanel): string {
  const open = panel.rows.find((r) => !r.passed);
  if (open) return open.title;
  return panel.rows.length ? 'Every check passes.' : '';
}
