// Presenter mode's lesson pane: the step at hand only — where it is (lesson, step 2 of 7), the task
// not yet done, the heading and sentence before the command, the command in large type — with
// Previous, Run and Next (Alt+PageUp, Alt+Enter, Alt+PageDown). Run types the command into the
// shell and moves on to the next step. Its steps come from a StepSource: the open lesson (main.ts),
// or a scripted demo (demo-controls.ts), whose driver types each command of a step in turn and
// hears of every move; the demo's own controls (reset to step N, Plan B) go in `slot`.
import { h } from '../app/dom.js';
import type { CommandBlock } from '../lesson/lesson-model.js';
import { StepCursor, type StepSource } from './steps.js';

export interface StepPanelDeps {
  run(block: CommandBlock): void;
}

export class StepPanel {
  /** Where a scripted demo's own controls go. */
  readonly slot: HTMLElement;
  private readonly where: HTMLElement;
  private readonly task: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly intro: HTMLElement;
  private readonly command: HTMLElement;
  private readonly prev: HTMLButtonElement;
  private readonly runButton: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly cursor = new StepCursor();
  private source: StepSource | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: StepPanelDeps,
  ) {
    this.where = h('p', { class: 'step-where', 'data-testid': 'step-where' });
    this.task = h('p', { class: 'step-task', 'data-testid': 'step-task' });
    this.heading = h('p', { class: 'step-heading' });
    this.intro = h('p', { class: 'step-intro' });
    this.command = h('code', { 'data-testid': 'step-command' });
    this.prev = h('button', { type: 'button', class: 'step-button', 'aria-keyshortcuts': 'Alt+PageUp', title: 'Previous step (Alt+PageUp)', 'data-testid': 'step-prev' }, '◀ Previous');
    this.runButton = h('button', { type: 'button', class: 'step-button step-run', 'aria-keyshortcuts': 'Alt+Enter', title: 'Type it into the shell and press Enter (Alt+Enter)', 'data-testid': 'step-run' }, '▶ Run');
    this.next = h('button', { type: 'button', class: 'step-button', 'aria-keyshortcuts': 'Alt+PageDown', title: 'Next step (Alt+PageDown)', 'data-testid': 'step-next' }, 'Next ▶');
    this.slot = h('div', { class: 'step-slot' });
    this.prev.addEventListener('click', () => this.move(-1));
    this.next.addEventListener('click', () => this.move(1));
    this.runButton.addEventListener('click', () => this.runCurrent());
    root.replaceChildren(
      h('div', { class: 'step-text' }, this.where, this.task, this.heading, this.intro),
      h('pre', { class: 'step-command' }, this.command),
      h('div', { class: 'step-actions' }, this.prev, this.runButton, this.next),
      this.slot,
    );
    root.setAttribute('aria-label', 'The lesson, one step at a time');
    this.render();
  }

  setSource(source: StepSource): void {
    const before = this.source?.id;
    this.source = source;
    this.cursor.follow(source);
    this.render();
    if (source.id !== before) source.driver?.moved(this.cursor.index);
  }

  /** The step shown (0-based). */
  get index(): number {
    return this.cursor.index;
  }

  move(delta: -1 | 1): void {
    const from = this.cursor.index;
    this.cursor.move(delta);
    this.render();
    if (this.cursor.index !== from) this.source?.driver?.moved(this.cursor.index);
  }

  /** Goes to step INDEX (a reset to it). */
  goTo(index: number): void {
    while (this.cursor.index < index && !this.cursor.atEnd) this.cursor.move(1);
    while (this.cursor.index > index && !this.cursor.atStart) this.cursor.move(-1);
    this.render();
    this.source?.driver?.moved(this.cursor.index);
  }

  /** Types the step's command into the shell; the next step once the step has nothing left. */
  runCurrent(): void {
    const source = this.source;
    const step = source?.steps[this.cursor.index];
    if (!source || !step) return;
    const left = source.driver ? source.driver.run(this.cursor.index) : (this.deps.run(step.command), 'done');
    if (left === 'done' && !this.cursor.atEnd) this.move(1);
    else this.render();
  }

  private render(): void {
    const source = this.source;
    const step = source?.steps[this.cursor.index];
    this.where.textContent = source ? `${source.title} · ${this.cursor.label()}` : 'Waiting for the lesson…';
    this.task.textContent = source?.task ? `Task: ${source.task}` : '';
    this.heading.textContent = step?.heading ? `${step.heading}${step.intro ? ' — ' : ''}` : '';
    this.intro.textContent = step?.intro ?? '';
    if (step?.script) {
      // Every command of the demo's step, the ones typed already dimmed, the next one marked.
      this.command.replaceChildren(
        ...step.script.lines.map((line, i) =>
          h('span', { class: 'step-line', 'data-state': i < step.script!.typed ? 'typed' : i === step.script!.typed ? 'next' : 'later', 'data-shell': line.shell }, `${line.shell === 'host' ? 'host$ ' : '$ '}${line.text}\n`),
        ),
      );
    } else this.command.textContent = step?.command.command ?? '';
    this.prev.setAttribute('aria-disabled', String(!step || this.cursor.atStart));
    this.next.setAttribute('aria-disabled', String(!step || this.cursor.atEnd));
    this.runButton.setAttribute('aria-disabled', String(!step));
    this.root.dataset['step'] = String(this.cursor.index);
  }
}
