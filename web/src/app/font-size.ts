// The text size the learner picked: buttons in the header and Alt+= / Alt+- / Alt+0 (Ctrl+= and
// Ctrl+- stay the browser's own zoom, which people rely on; Alt is free in a terminal page: the
// shell's meta keys for these three are rarely used). The terminal and the lesson both follow it,
// and presenter mode starts from larger sizes. Remembered in localStorage, like the theme.
import { h } from './dom.js';
import { remembered } from './remembered.js';

/** Text size steps, as factors of the normal size. */
export const TEXT_STEPS = [0.8, 0.9, 1, 1.15, 1.3, 1.5, 1.75, 2] as const;
export const DEFAULT_STEP = TEXT_STEPS.indexOf(1);
/** Stored as the step's factor, e.g. "1.15". */
const stored = remembered('isolab.textSize');

/** The terminal's font at 100 %: 14 px keeps 80 columns beside the lesson from 1280 px up. */
const TERMINAL_PX = 14;
/** Presenter mode: a projector read from the back of a room wants 22 px, and never less than 20. */
const PRESENT_TERMINAL_PX = 22;
export const PRESENT_MIN_TERMINAL_PX = 20;
/** The lesson's text in presenter mode, against the page's 1rem. */
const PRESENT_TEXT_SCALE = 1.3;

/** A stored step (its factor, e.g. "1.15"); the default for anything else. */
export function parseStep(stored: string | null): number {
  const i = TEXT_STEPS.findIndex((f) => String(f) === stored);
  return i >= 0 ? i : DEFAULT_STEP;
}

/** One step larger (+1) or smaller (-1), within the steps; 0 goes back to the default. */
export function nextStep(step: number, delta: -1 | 0 | 1): number {
  if (delta === 0) return DEFAULT_STEP;
  return Math.min(TEXT_STEPS.length - 1, Math.max(0, step + delta));
}

export interface TextSizes {
  /** The terminal's font size in CSS pixels (whole pixels: xterm measures its cells from it). */
  terminalPx: number;
  /** The lesson's text, as a factor of 1rem. */
  textScale: number;
  /** "115 %", for the header. */
  percent: number;
}

export function textSizes(step: number, presenting: boolean): TextSizes {
  const f = TEXT_STEPS[step] ?? 1;
  return presenting
    ? { terminalPx: Math.max(PRESENT_MIN_TERMINAL_PX, Math.round(PRESENT_TERMINAL_PX * f)), textScale: PRESENT_TEXT_SCALE * f, percent: Math.round(f * 100) }
    : { terminalPx: Math.round(TERMINAL_PX * f), textScale: f, percent: Math.round(f * 100) };
}

/** The header's [A−] [100 %] [A+] group; the middle button goes back to 100 %. */
export class TextSize {
  private step = parseStep(stored.read());
  private presenting = false;
  private readonly smaller: HTMLButtonElement;
  private readonly reset: HTMLButtonElement;
  private readonly larger: HTMLButtonElement;

  constructor(
    root: HTMLElement,
    private readonly onChange: (sizes: TextSizes) => void,
  ) {
    this.smaller = h('button', { type: 'button', class: 'text-size-button', 'aria-label': 'Smaller text', title: 'Smaller text (Alt+−)', 'aria-keyshortcuts': 'Alt+-', 'data-testid': 'text-smaller' }, 'A−');
    this.reset = h('button', { type: 'button', class: 'text-size-button text-size-value', title: 'Normal text size (Alt+0)', 'aria-keyshortcuts': 'Alt+0', 'data-testid': 'text-reset' });
    this.larger = h('button', { type: 'button', class: 'text-size-button', 'aria-label': 'Larger text', title: 'Larger text (Alt+=)', 'aria-keyshortcuts': 'Alt+=', 'data-testid': 'text-larger' }, 'A+');
    this.smaller.addEventListener('click', () => this.change(-1));
    this.reset.addEventListener('click', () => this.change(0));
    this.larger.addEventListener('click', () => this.change(1));
    root.replaceChildren(h('div', { class: 'text-size', role: 'group', 'aria-label': 'Text size of the terminal and the lesson' }, this.smaller, this.reset, this.larger));
    this.apply();
  }

  get sizes(): TextSizes {
    return textSizes(this.step, this.presenting);
  }

  change(delta: -1 | 0 | 1): void {
    this.step = nextStep(this.step, delta);
    stored.write(String(TEXT_STEPS[this.step]));
    this.apply();
    this.onChange(this.sizes);
  }

  /** Presenter mode scales from its own, larger, base sizes (the step stays the learner's). */
  setPresenting(on: boolean): void {
    this.presenting = on;
    this.apply();
    this.onChange(this.sizes);
  }

  private apply(): void {
    const sizes = this.sizes;
    document.documentElement.style.setProperty('--text-scale', String(sizes.textScale));
    this.reset.textContent = `${sizes.percent} %`;
    this.reset.setAttribute('aria-label', `Text size ${sizes.percent} percent; press to go back to 100 percent`);
    this.smaller.setAttribute('aria-disabled', String(this.step === 0));
    this.larger.setAttribute('aria-disabled', String(this.step === TEXT_STEPS.length - 1));
  }
}
