// Presenter mode (?present in the address, or the header's Present button): the projector layout.
// Large text (the terminal at 20 px or more: app/font-size.ts), high contrast, the lesson reduced
// to the step at hand (step-panel.ts), the toggle board as large switches with an Alt+letter key
// each, shown beside each switch and in a legend (switch-keys.ts). This module owns the mode and
// nothing else: it says when it changes, and each part of the page shows itself for it.
// CSS reads <html data-present="true">.
import { presentingFromSearch, withPresenting } from '../app/url.js';

export class Presenter {
  private on: boolean;
  private readonly listeners: ((on: boolean) => void)[] = [];

  constructor(private readonly button: HTMLButtonElement) {
    this.on = presentingFromSearch(window.location.search);
    button.addEventListener('click', () => this.set(!this.on));
    this.apply();
  }

  get presenting(): boolean {
    return this.on;
  }

  /** LISTENER is called now with the current mode, and on every change. */
  listen(listener: (on: boolean) => void): void {
    this.listeners.push(listener);
    listener(this.on);
  }

  set(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    // The address says so: a reload, or the link sent to the projector's laptop, keeps the mode.
    window.history.replaceState(window.history.state, '', withPresenting(window.location.href, on));
    this.apply();
    for (const listener of this.listeners) listener(on);
  }

  private apply(): void {
    if (this.on) document.documentElement.dataset['present'] = 'true';
    else delete document.documentElement.dataset['present'];
    this.button.setAttribute('aria-pressed', String(this.on));
    this.button.title = this.on ? 'Leave presenter mode' : 'Presenter mode: large text, high contrast, one step at a time';
  }
}
