// The "Why did that fail?" panel under the terminal bar: a button opens it with the last command
// line from the terminal (editable), Diagnose asks the server (diagnose:run), and the verdict shows
// which layer refused it — each layer lifted alone, what it changed, what the command printed.
// Keyboard: the button is in the tab order before the terminal; in the panel Enter runs, Escape
// closes and gives the terminal its focus back.
import type { Ack, DiagnoseVerdict } from '../../../common/protocol.js';
import { commandProblem, panelStatus, verdictView, type Availability, type VerdictView } from './diagnose-model.js';
import { h } from '../app/dom.js';

export interface DiagnosePanelDeps {
  /** The command line to offer: the last one run in the terminal. */
  lastCommand(): string;
  run(command: string): Promise<Ack<DiagnoseVerdict>>;
  focusTerminal(): void;
}

export class DiagnosePanel {
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly result: HTMLElement;
  private running = false;
  private availability: Availability = 'starting';
  /** The panel's own message (what it is re-running); the status line shows it when nothing outranks it. */
  private message = '';
  /** Bumped when the connection drops: a late answer to an old request is not shown. */
  private generation = 0;

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly root: HTMLElement,
    private readonly deps: DiagnosePanelDeps,
  ) {
    this.input = h('input', {
      type: 'text',
      id: 'diagnose-command',
      class: 'diagnose-input',
      'data-testid': 'diagnose-command',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'diagnose-note',
    });
    this.submit = h('button', { type: 'submit', class: 'diagnose-submit', 'data-testid': 'diagnose-run' }, 'Diagnose');
    const close = h('button', { type: 'button', class: 'diagnose-close', 'aria-label': 'Close the diagnosis' }, '×');
    this.form = h(
      'form',
      { class: 'diagnose-form' },
      h('label', { for: 'diagnose-command', class: 'diagnose-label' }, 'Command to re-run'),
      h('div', { class: 'diagnose-row' }, this.input, this.submit, close),
      h(
        'p',
        { id: 'diagnose-note', class: 'diagnose-note' },
        'It runs again in throwaway containers: first with your settings, then with one protection lifted at a time. ' +
          'Whatever it changes there is thrown away; on a solo server a lifted run has the power of that switch off.',
      ),
    );
    this.status = h('p', { class: 'diagnose-status', role: 'status', 'data-testid': 'diagnose-status' });
    this.result = h('div', { class: 'diagnose-result', 'data-testid': 'diagnose-result', 'aria-live': 'polite' });
    root.append(h('h2', { class: 'diagnose-heading', id: 'diagnose-heading' }, 'Why did that fail?'), this.form, this.status, this.result);
    root.setAttribute('aria-labelledby', 'diagnose-heading');
    root.hidden = true;

    button.addEventListener('click', () => (root.hidden ? this.open() : this.close()));
    close.addEventListener('click', () => this.close());
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.diagnose();
    });
    root.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        this.close();
      }
    });
    this.input.addEventListener('input', () => this.render());
    this.render();
  }

  /** Whether a session is there to ask: the button, the form and the status line follow. */
  setAvailability(availability: Availability): void {
    this.availability = availability;
    if (availability !== 'ready') {
      this.generation++;
      this.running = false;
    }
    this.render();
  }

  private get available(): boolean {
    return this.availability === 'ready';
  }

  open(): void {
    if (!this.running) this.input.value = this.deps.lastCommand();
    this.root.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.render();
    this.input.focus();
    this.input.select();
  }

  close(): void {
    this.root.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    this.deps.focusTerminal();
  }

  private async diagnose(): Promise<void> {
    const command = this.input.value.trim();
    if (this.running || !this.available || commandProblem(command) !== null) return this.render();
    this.running = true;
    const generation = this.generation;
    this.result.replaceChildren();
    this.render(`Re-running \`${command}\` in throwaway containers…`);
    const reply = await this.deps.run(command);
    if (generation !== this.generation) return;
    this.running = false;
    if (reply.ok) {
      this.render('');
      this.result.replaceChildren(renderVerdict(verdictView(reply.data)));
    } else {
      this.render('');
      this.result.replaceChildren(h('p', { class: 'diagnose-error', 'data-testid': 'diagnose-error' }, reply.message));
    }
  }

  private render(message?: string): void {
    if (message !== undefined) this.message = message;
    const problem = this.input.value.trim() === '' ? null : commandProblem(this.input.value.trim());
    const usable = this.available && !this.running && this.input.value.trim() !== '' && problem === null;
    this.submit.setAttribute('aria-disabled', String(!usable));
    this.submit.textContent = this.running ? 'Diagnosing…' : 'Diagnose';
    this.button.setAttribute('aria-disabled', String(!this.available));
    this.root.setAttribute('aria-busy', String(this.running));
    this.status.textContent = panelStatus(this.availability, problem, this.message);
  }
}

function excerptBlock(excerpt: string): HTMLElement | null {
  return excerpt ? h('pre', { class: 'diagnose-output' }, excerpt) : null;
}

function callsList(calls: string[]): HTMLElement | null {
  if (!calls.length) return null;
  return h('p', { class: 'diagnose-calls' }, 'seccomp refused: ', ...calls.flatMap((c, i) => [i ? ', ' : '', h('code', {}, c)]));
}

export function renderVerdict(view: VerdictView): HTMLElement {
  const rows = view.rows.map((row) =>
    h(
      'li',
      { class: 'diagnose-layer', 'data-testid': `diagnose-layer-${row.id}`, 'data-effect': row.effect, 'data-tone': row.tone },
      h('span', { class: 'diagnose-layer-mark', 'aria-hidden': 'true' }, row.tone === 'culprit' ? '✔' : row.tone === 'neutral' ? '–' : '?'),
      h('div', { class: 'diagnose-layer-body' },
        h('p', { class: 'diagnose-layer-title' }, h('strong', {}, row.title), ' lifted: ', h('span', { class: 'diagnose-effect' }, row.label)),
        h('p', { class: 'diagnose-lifted' }, row.lifted),
        callsList(row.calls),
        row.excerpt ? h('details', {}, h('summary', {}, 'What it printed'), excerptBlock(row.excerpt)) : null,
      ),
    ),
  );
  return h(
    'div',
    { class: 'diagnose-verdict', 'data-kind': view.kind },
    h('p', { class: 'diagnose-headline', 'data-testid': 'diagnose-headline' }, view.headline),
    h('p', { class: 'diagnose-conclusion', 'data-testid': 'diagnose-conclusion' }, view.conclusion),
    h('div', { class: 'diagnose-baseline' },
      h('p', {}, h('strong', {}, 'With your settings: '), view.baseline.label),
      callsList(view.baseline.calls),
      excerptBlock(view.baseline.excerpt),
    ),
    rows.length ? h('ol', { class: 'diagnose-layers', 'aria-label': 'Each layer lifted alone' }, ...rows) : null,
    view.combination ? h('p', { class: 'diagnose-combination' }, view.combination) : null,
    view.notLifted.length
      ? h('ul', { class: 'diagnose-not-lifted', 'aria-label': 'Not lifted' }, ...view.notLifted.map((n) => h('li', {}, h('strong', {}, n.title), ` not lifted: ${n.reason}`)))
      : null,
    h('details', { class: 'diagnose-adjustments' },
      h('summary', {}, `How it was re-run (${view.footer})`),
      h('ul', {}, ...view.adjustments.map((a) => h('li', {}, a))),
    ),
  );
}
