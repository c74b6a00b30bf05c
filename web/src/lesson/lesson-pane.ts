// The left pane: the lesson text (server-rendered markdown, trusted), a Run and a Copy button on
// every command block, and below it the lesson's checks as the server last evaluated them.
import type { LearnerProgress, LessonStatus, LessonSummary, LessonView } from '../../../common/protocol.js';
import { copyText } from '../terminal/clipboard.js';
import { h } from '../app/dom.js';
import { checkPanel, nextLesson, readCommandBlock, type CommandBlock } from './lesson-model.js';
import { lessonHash } from '../app/url.js';

/** How long "Copied" stays on the button. */
const COPIED_FEEDBACK_MS = 1_500;

export interface LessonPaneDeps {
  /** Types a command block into the terminal. */
  run(block: CommandBlock): void;
  /** The learner opened a prediction's answer. */
  predicted(lessonId: string, predictionId: string): void;
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

  showLoading(title = 'Loading the lesson…'): void {
    this.view = null;
    this.header.replaceChildren(h('h2', { id: 'lesson-title', class: 'lesson-title' }, title));
    this.text.replaceChildren(h('p', { class: 'muted' }, 'Starting your shell…'));
    this.renderChecks();
  }

  showError(message: string): void {
    this.view = null;
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
    for (const figure of this.text.querySelectorAll<HTMLElement>('figure.cmd')) this.wireCommand(figure);
    for (const section of this.text.querySelectorAll<HTMLElement>('section.predict')) this.wirePrediction(view.id, section);
    this.text.scrollTop = 0;
    this.renderChecks();
  }

  showStatus(status: LessonStatus): void {
    this.status = status;
    this.renderChecks();
  }

  /** Saved progress: predictions answered on an earlier visit show their answer again. */
  setProgress(progress: LearnerProgress): void {
    this.progress = progress;
    if (!this.view) return;
    for (const section of this.text.querySelectorAll<HTMLElement>('section.predict')) this.markAnswered(this.view.id, section);
  }

  private wirePrediction(lessonId: string, section: HTMLElement): void {
    const id = section.dataset['predict'];
    const answer = section.querySelector<HTMLDetailsElement>('details.predict-answer');
    if (!id || !answer) return;
    this.markAnswered(lessonId, section);
    answer.addEventListener('toggle', () => {
      if (answer.open && section.dataset['answered'] !== 'true') {
        section.dataset['answered'] = 'true';
        this.deps.predicted(lessonId, id);
      }
    });
  }

  private markAnswered(lessonId: string, section: HTMLElement): void {
    const id = section.dataset['predict'];
    const at = id ? this.progress?.lessons[lessonId]?.predictions[id] : undefined;
    if (!at || section.dataset['answered'] === 'true') return;
    section.dataset['answered'] = 'true';
    const answer = section.querySelector<HTMLDetailsElement>('details.predict-answer');
    if (answer) answer.open = true;
  }

  private wireCommand(figure: HTMLElement): void {
    const code = figure.querySelector('code');
    const block = readCommandBlock(figure.dataset, code?.textContent ?? '');
    if (!block) return;
    const label = block.command.length > 60 ? `${block.command.slice(0, 57)}…` : block.command;
    const run = h('button', { type: 'button', class: 'cmd-run', 'aria-label': `Run in the terminal: ${label}` }, h('span', { 'aria-hidden': 'true' }, '▶ '), 'Run');
    if (block.interrupt) run.title = 'Stops whatever is running (Ctrl-C), then types this command and presses Enter';
    else run.title = 'Types this command into the terminal and presses Enter';
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
    const panel = checkPanel(this.view, this.status);
    this.checks.dataset['state'] = panel.allPassed ? 'passed' : 'pending';
    this.checks.hidden = this.view === null;
    this.summary.textContent = panel.summary;
    this.list.replaceChildren(
      ...panel.rows.map((row) =>
        h(
          'li',
          { class: 'check', 'data-testid': `check-${row.id}`, 'data-passed': String(row.passed) },
          h('span', { class: 'check-mark', 'aria-hidden': 'true' }, row.passed ? '✓' : '✗'),
          h('span', { class: 'visually-hidden' }, row.passed ? 'Passed: ' : 'Not yet: '),
          h('span', { class: 'check-title' }, row.title),
          !row.passed && row.hint ? h('p', { class: 'check-hint' }, row.hint) : null,
        ),
      ),
    );
    const following = this.view && panel.allPassed ? nextLesson(this.lessons, this.view.id) : undefined;
    this.next.replaceChildren(
      ...(following ? [h('a', { href: lessonHash(following.id), class: 'next-link' }, `Next: ${following.number} · ${following.title} →`)] : []),
    );
  }
}
