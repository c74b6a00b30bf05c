// "Predict, then verify" in the page: the server renders the question, its lettered choices and
// the answer behind a reveal. Here each choice becomes a button: the learner picks one, the pick
// is saved (progress:predict) before the answer opens, and the page says whether it was right.
// Opening the answer without picking is still possible; either way the question is answered once.
import { h } from '../app/dom.js';
import { CHOICE_LETTERS } from '../../../common/protocol.js';
import { predictionVerdict } from './lesson-model.js';

export interface PredictionDeps {
  /** Saves the answer (the pick, if any); resolves to why it was not saved, or null. */
  answer(predictionId: string, choice: number | undefined): Promise<string | null>;
}

export class Prediction {
  readonly id: string;
  private readonly answer: HTMLDetailsElement;
  private readonly choices: HTMLButtonElement[] = [];
  private readonly verdict: HTMLElement;
  private readonly correct: number | undefined;
  private answered = false;

  /** Wires one rendered `<section class="predict">`; null when it is not one. */
  static wire(section: HTMLElement, deps: PredictionDeps): Prediction | null {
    const id = section.dataset['predict'];
    const answer = section.querySelector<HTMLDetailsElement>('details.predict-answer');
    return id && answer ? new Prediction(section, id, answer, deps) : null;
  }

  private constructor(
    private readonly section: HTMLElement,
    id: string,
    answer: HTMLDetailsElement,
    private readonly deps: PredictionDeps,
  ) {
    this.id = id;
    this.answer = answer;
    const correct = section.dataset['correct'];
    this.correct = correct === undefined ? undefined : Number(correct);
    this.verdict = h('p', { class: 'predict-verdict', role: 'status', 'data-testid': `predict-verdict-${id}` });
    const list = section.querySelector('ol.predict-choices');
    list?.setAttribute('aria-label', 'Pick one; the answer opens after your pick is saved');
    list?.querySelectorAll(':scope > li').forEach((li, i) => {
      const button = h(
        'button',
        { type: 'button', class: 'predict-choice', 'aria-pressed': 'false', 'data-testid': `predict-choice-${id}-${i}` },
        h('span', { class: 'predict-letter' }, CHOICE_LETTERS[i] ?? '?'),
        h('span', { class: 'predict-choice-text' }, ...Array.from(li.childNodes)),
      );
      button.addEventListener('click', () => void this.pick(i));
      li.replaceChildren(button);
      this.choices.push(button);
    });
    answer.before(this.verdict);
    answer.addEventListener('toggle', () => {
      if (answer.open && !this.answered) void this.open();
    });
  }

  /** Answered on an earlier visit: shown answered, with the pick saved then. */
  restore(pick: number | undefined): void {
    if (this.answered) return;
    this.answered = true;
    this.reveal(pick, null);
  }

  private async pick(choice: number): Promise<void> {
    if (this.answered) return;
    this.answered = true;
    this.lock(choice);
    this.verdict.textContent = 'Saving your pick…';
    const problem = await this.deps.answer(this.id, choice);
    this.reveal(choice, problem);
  }

  private async open(): Promise<void> {
    this.answered = true;
    this.lock(undefined);
    this.reveal(undefined, await this.deps.answer(this.id, undefined));
  }

  private lock(pick: number | undefined): void {
    this.choices.forEach((button, i) => {
      button.setAttribute('aria-disabled', 'true');
      button.setAttribute('aria-pressed', String(i === pick));
    });
  }

  private reveal(pick: number | undefined, problem: string | null): void {
    this.lock(pick);
    this.choices.forEach((button, i) => {
      if (i === this.correct) button.dataset['correct'] = 'true';
      if (i === pick) button.dataset['picked'] = 'true';
    });
    const verdict = predictionVerdict(pick, this.correct);
    this.section.dataset['answered'] = 'true';
    this.section.dataset['verdict'] = verdict.tone;
    // The problem says itself what is not saved ("progress is not being saved: …").
    this.verdict.textContent = [verdict.text, problem ? `(${problem.charAt(0).toUpperCase()}${problem.slice(1)}.)` : ''].filter(Boolean).join(' ');
    this.answer.open = true;
  }
}
