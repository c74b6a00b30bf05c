// The left pane: the lesson text (server-rendered markdown, trusted), a Run and a Copy button on
// every command block, its predictions (prediction.ts), and below it the lesson's checks as the
// server last evaluated them. Presenter mode reads the same lesson as steps (steps()).
import type { LearnerProgress, LessonStatus, LessonSummary, LessonView } from '../../../common/protocol.js';
import { copyText } from '../terminal/clipboard.js';
import { h } from '../app/dom.js';
import type { Step } from '../present/steps.js';
import { shorten } from '../present/steps.js';
import { checkPanel, currentTask, nextLesson, readCommandBlock, type CheckPanel, type CheckState, type CommandBlock } from './lesson-model.js';
import { Prediction } from './prediction.js';
import { lessonHash } from '../app/url.js';

/** How long "Copied" stays on the button. */
const COPIED_FEEDBACK_MS = 1_500;

export interface LessonPaneDeps {
  /** Types a command block into the terminal. */
  run(block: CommandBlock): void;
  /** The learner answered a prediction (picked CHOICE, or opened the answer): resolves to why it was not saved, or null. */
  predicted(lessonId: string, predictionId: string, choice: number | undefined): Promise<string | null>;
}

/** What the pane shows now, for presenter mode. */
export interface LessonState {
  view: LessonView | null;
  steps: Step[];
  /** The first check that does not pass yet ('' while there are none). */
  task: string;
}

export class LessonPane {
  private readonly header: HTMLElement;
  private readonly text: HTMLElement;
  private readonly checks: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly next: HTMLElement;
  private view: LessonView | null = null;
  private status: LessonStatus | null = null;
  private lessons: LessonSummary[] = [];
  private progress: LearnerProgress | null = null;
  private predictions: Prediction[] = [];
  private commandSteps: Step[] = [];
  private readonly listeners: ((state: LessonState) => void)[] = [];

  constructor(
    root: HTMLElement,
    private readonly deps: LessonPaneDeps,
  ) {
    this.header = h('header', { class: 'lesson-header' });
    this.text = h('div', { class: 'lesson-text' });
    this.summary = h('p', { class: 'checks-summary', 'aria-live': 'polite' });
    this.list = h('ul', { class: 'check-list' });
    this.next = h('p', { class: 'next-lesson' });
    this.checks = h(
      'section',
      { class: 'checks', 'data-testid': 'lesson-check-status', 'data-state': 'pending', 'aria-labelledby': 'checks-heading' },
      h('h2', { id: 'checks-heading' }, 'Checks'),
      this.summary,
      this.list,
      this.next,
    );
    root.replaceChildren(h('article', { class: 'lesson', 'aria-labelledby': 'lesson-title' }, this.header, this.text), this.checks);
    this.showLoading();
  }

  setLessons(lessons: LessonSummary[]): void {
    this.lessons = lessons;
    this.renderChecks();
  }

  /** Called whenever the lesson or its checks change. */
  listen(listener: (state: LessonState) => void): void {
    this.listeners.push(listener);
  }

  get state(): LessonState {
    return { view: this.view, steps: this.commandSteps, task: this.view ? currentTask(this.checkPanel()) : '' };
  }

  showLoading(title = 'Loading the lesson…'): void {
    this.view = null;
    this.commandSteps = [];
    this.predictions = [];
    this.header.replaceChildren(h('h2', { id: 'lesson-title', class: 'lesson-title' }, title));
    this.text.replaceChildren(h('p', { class: 'muted' }, 'Starting your shell…'));
    this.renderChecks();
  }

  showError(message: string): void {
    this.view = null;
    this.commandSteps = [];
    this.predictions = [];
    this.header.replaceChildren(h('h2', { id: 'lesson-title', class: 'lesson-title' }, 'This lesson could not be opened'));
    this.text.replaceChildren(h('p', {}, message));
    this.renderChecks();
  }

  showLesson(view: LessonView): void {
    this.view = view;
    this.header.replaceChildren(
      h('p', { class: 'lesson-eyebrow' }, `Lesson ${view.number}`, ' · ', h('span', { class: 'lesson-eyebrow-primitive' }, view.primitive)),
      h('h2', { id: 'lesson-title', class: 'lesson-title' }, view.title),
    );
    // The server renders lesson markdown with raw HTML escaped and links filtered: trusted markup.
    this.text.innerHTML = view.html;
    const first = this.text.firstElementChild;
    if (first?.tagName === 'H1' && first.textContent?.trim() === view.title.trim()) first.remove();
    this.commandSteps = [];
    for (const figure of this.text.querySelectorAll<HTMLElement>('figure.cmd')) this.wireCommand(figure);
    this.predictions = [];
    for (const section of this.text.querySelectorAll<HTMLElement>('section.predict')) {
      const prediction = Prediction.wire(section, { answer: (id, choice) => this.deps.predicted(view.id, id, choice) });
      if (prediction) this.predictions.push(prediction);
    }
    this.restorePredictions();
    this.text.scrollTop = 0;
    this.renderChecks();
  }

  showStatus(status: LessonStatus): void {
    this.status = status;
    this.renderChecks();
  }

  /** Saved progress: predictions answered on an earlier visit show their answer (and the pick) again. */
  setProgress(progress: LearnerProgress): void {
    this.progress = progress;
    this.restorePredictions();
    // Checks passed on an earlier visit count before the first status arrives.
    this.renderChecks();
  }

  private checkPanel(): CheckPanel {
    return checkPanel(this.view, this.status, this.view ? this.progress?.lessons[this.view.id]?.checks : undefined);
  }

  private restorePredictions(): void {
    const saved = this.view ? this.progress?.lessons[this.view.id] : undefined;
    if (!saved) return;
    for (const p of this.predictions) if (saved.predictions[p.id]) p.restore(saved.picks[p.id]);
  }

  private wireCommand(figure: HTMLElement): void {
    const code = figure.querySelector('code');
    const block = readCommandBlock(figure.dataset, code?.textContent ?? '');
    if (!block) return;
    this.commandSteps.push({ command: block, ...stepContext(figure) });
    const label = block.command.length > 60 ? `${block.command.slice(0, 57)}…` : block.command;
    const run = h('button', { type: 'button', class: 'cmd-run', 'aria-label': `Run in the terminal: ${label}` }, h('span', { 'aria-hidden': 'true' }, '▶ '), 'Run');
    if (block.interrupt) run.title = "Types this command into the container's shell and presses Enter (stopping with Ctrl-C first whatever is running)";
    else run.title = "Types this command into the container's shell and presses Enter";
    const copy = h('button', { type: 'button', class: 'cmd-copy', 'aria-label': `Copy: ${label}` }, 'Copy');
    const feedback = h('span', { class: 'cmd-feedback', role: 'status' });
    run.addEventListener('click', () => this.deps.run(block));
    let timer: ReturnType<typeof setTimeout> | undefined;
    copy.addEventListener('click', () => {
      void copyText(block.command).then((ok) => {
        feedback.textContent = ok ? 'Copied' : 'Copy failed: select the text and press Ctrl+C';
        clearTimeout(timer);
        timer = setTimeout(() => (feedback.textContent = ''), COPIED_FEEDBACK_MS);
      });
    });
    figure.append(h('div', { class: 'cmd-actions' }, run, copy, feedback));
  }

  private renderChecks(): void {
    const panel = this.checkPanel();
    this.checks.dataset['state'] = panel.done ? 'passed' : 'pending';
    this.checks.hidden = this.view === null;
    this.summary.textContent = panel.summary;
    const spoken: Record<CheckState, string> = { passed: 'Passed: ', 'passed-earlier': 'Passed earlier: ', 'not-yet': 'Not yet: ' };
    this.list.replaceChildren(
      ...panel.rows.map((row) =>
        h(
          'li',
          { class: 'check', 'data-testid': `check-${row.id}`, 'data-passed': String(row.passed), 'data-state': row.state },
          h('span', { class: 'check-mark', 'aria-hidden': 'true' }, row.state === 'not-yet' ? '✗' : '✓'),
          h('span', { class: 'visually-hidden' }, spoken[row.state]),
          h('span', { class: 'check-title' }, row.title),
          row.note ? h('span', { class: 'check-note', 'data-testid': `check-note-${row.id}` }, row.note) : null,
          // A hint says how to make it true; one already passed needs none (the lesson may have undone it on purpose).
          row.state === 'not-yet' && row.hint ? hintElement(row.hint, row.hintHtml) : null,
        ),
      ),
    );
    for (const listener of this.listeners) listener(this.state);
    const following = this.view && panel.done ? nextLesson(this.lessons, this.view.id) : undefined;
    this.next.replaceChildren(
      ...(following ? [h('a', { href: lessonHash(following.id), class: 'next-link' }, `Next: ${following.number} · ${following.title} →`)] : []),
    );
  }
}

/** A hint as the server rendered its markdown (`code` as code), or its plain text from an older server. */
function hintElement(text: string, html: string | undefined): HTMLElement {
  const p = h('p', { class: 'check-hint' });
  // hintHtml is rendered on the server with raw HTML escaped and links filtered, like the lesson text.
  if (html) p.innerHTML = html;
  else p.textContent = text;
  return p;
}

/** The heading a command sits under and the paragraph just before it, for presenter mode's step. */
function stepContext(figure: HTMLElement): { heading: string; intro: string } {
  let heading = '';
  let intro = '';
  for (let el = figure.previousElementSibling; el && !heading; el = el.previousElementSibling) {
    if (/^H[1-4]$/.test(el.tagName)) heading = el.textContent?.trim() ?? '';
    else if (!intro && el.tagName === 'P') intro = shorten(el.textContent ?? '');
  }
  return { heading, intro };
}
