// Replays a recording in the page, over the terminal, with asciinema-player (bundled by vite, its
// CSS too: nothing comes from the network). The cast's marker events are the player's chapters.
// Escape or Close puts the live terminal back.
import * as AsciinemaPlayer from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import { h } from '../app/dom.js';

export class ReplayOverlay {
  private readonly root: HTMLElement;
  private readonly title: HTMLElement;
  private readonly screen: HTMLElement;
  private player: AsciinemaPlayer.Player | null = null;
  private returnFocus: HTMLElement | null = null;
  private readonly closeButton: HTMLButtonElement;

  constructor(stack: HTMLElement) {
    this.title = h('p', { class: 'replay-title', id: 'replay-title' });
    const close = h('button', { type: 'button', class: 'step-button', 'data-testid': 'replay-close' }, 'Close the replay (Esc)');
    close.addEventListener('click', () => this.close());
    this.closeButton = close;
    this.screen = h('div', { class: 'replay-screen', 'data-testid': 'replay-screen' });
    this.root = h('section', { class: 'replay', role: 'region', 'aria-labelledby': 'replay-title', 'data-testid': 'replay', hidden: true }, h('div', { class: 'replay-bar' }, this.title, close), this.screen);
    // Escape from anywhere while it plays: the speaker's hands are on the keyboard, not the mouse.
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.open) this.close();
    });
    stack.append(this.root);
  }

  get open(): boolean {
    return !this.root.hidden;
  }

  /** Plays CAST (asciicast v2 text) under TITLE, from the start. */
  play(cast: string, title: string): void {
    this.player?.dispose();
    this.returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.title.textContent = title;
    this.root.hidden = false;
    this.screen.replaceChildren();
    this.player = AsciinemaPlayer.create({ data: cast }, this.screen, { autoPlay: true, fit: 'both', controls: true, idleTimeLimit: 2 });
    this.closeButton.focus();
  }

  close(): void {
    this.player?.dispose();
    this.player = null;
    this.root.hidden = true;
    this.returnFocus?.focus();
  }
}
