// Lesson logic that needs no DOM: what a command block asks for, and which check rows to show
// (the lesson's tasks as "not yet" until the server's first status for that lesson arrives; a check
// that passed earlier stays passed, and its row says whether it is true now).
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

/**
 * A check row: true now; passed earlier but not true now (following the lesson undid it, or a
 * switch changed what it sees: it stays passed for progress); or not yet.
 */
export type CheckState = 'passed' | 'passed-earlier' | 'not-yet';

export interface CheckRow extends CheckResult {
  state: CheckState;
  /** What the row says beside its title, for a check passed earlier; empty otherwise. */
  note: string;
}

export interface CheckPanel {
  rows: CheckRow[];
  /** Every check is true now. */
  allPassed: boolean;
  /** Every check has passed, now or earlier: the lesson is done (its progress says so too). */
  done: boolean;
  summary: string;
}

/**
 * The check rows of VIEW from the server's STATUS (what is true now, and `passedAt`), or before the
 * first status from the lesson's tasks. SAVED is the learner's saved progress for it (check id →
 * when it first passed): it counts even before the first status arrives.
 */
export function checkPanel(view: LessonView | null, status: LessonStatus | null, saved: Readonly<Record<string, string>> = {}): CheckPanel {
  const current = status && view && status.lessonId === view.id ? status : null;
  const results: CheckResult[] = current
    ? current.checks
    : (view?.tasks ?? []).map((t) => ({ id: t.id, title: t.title, passed: false }));
  const rows = results.map((r): CheckRow => {
    const passedAt = r.passedAt ?? saved[r.id];
    if (r.passed) return { ...r, state: 'passed', note: '' };
    if (!passedAt) return { ...r, state: 'not-yet', note: '' };
    // Before the first status, nothing is known about now.
    return { ...r, passedAt, state: 'passed-earlier', note: current ? 'passed earlier · not true now' : 'passed earlier' };
  });
  const allPassed = current?.allPassed ?? false;
  const done = rows.length > 0 && rows.every((r) => r.state !== 'not-yet');
  const now = rows.filter((r) => r.state === 'passed').length;
  const earlier = rows.filter((r) => r.state === 'passed-earlier').length;
  let summary: string;
  if (!view) summary = '';
  else if (rows.length === 0) summary = current ? 'This lesson has no automatic checks.' : 'Waiting for the first check…';
  else if (allPassed) summary = `All ${rows.length} checks pass.`;
  else if (!current) summary = earlier ? `${earlier} of ${rows.length} checks passed earlier; checking now…` : 'Waiting for the first check…';
  else if (done) summary = `Done: every check has passed (${earlier} not true now).`;
  else summary = `${now} of ${rows.length} checks pass${earlier ? `; ${earlier} more passed earlier` : ''}.`;
  return { rows, allPassed, done, summary };
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

/** The task to show a presenter: the first check that has not passed yet (one passed earlier is done). */
export function currentTask(panel: CheckPanel): string {
  const open = panel.rows.find((r) => r.state === 'not-yet');
  if (open) return open.title;
  if (!panel.rows.length) return '';
  return panel.allPassed ? 'Every check passes.' : 'Every check has passed.';
}
