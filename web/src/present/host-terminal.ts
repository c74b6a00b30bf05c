// Presenter mode's second terminal: a shell on the host beside the container's (sideterm target
// 'host'), so the room sees both views at once — `hostname` or `ps` inside and outside. Only a solo
// lab gives one: a workshop server refuses it, and then this hides its button for good and says why.
import type { ITheme } from '@xterm/xterm';
import { h } from '../app/dom.js';
import type { LabSocket } from '../app/socket.js';
import { chunkInput } from '../terminal/input.js';
import { LabTerminal } from '../terminal/terminal.js';

export interface HostTerminalDeps {
  socket: LabSocket;
  theme: ITheme;
  fontSize(): number;
  onLeave(backwards: boolean): void;
  hasSession(): boolean;
  /** Why there is no host terminal (a workshop server refused it). */
  refused(message: string): void;
}

export class HostTerminal {
  /** The header's toggle for it (in the presenter tools). */
  readonly button: HTMLButtonElement;
  private readonly host: HTMLElement;
  private readonly terminal: LabTerminal;
  private state: 'closed' | 'opening' | 'open' | 'refused' = 'closed';
  private shown = false;

  constructor(
    private readonly stack: HTMLElement,
    private readonly deps: HostTerminalDeps,
  ) {
    this.host = h('div', { id: 'terminal-host-side', class: 'terminal-host host-side', role: 'region', 'aria-label': 'Shell on the host', 'data-testid': 'host-terminal', hidden: true });
    stack.append(this.host);
    this.button = h('button', { type: 'button', class: 'step-button', 'aria-pressed': 'false', 'aria-controls': this.host.id, 'data-testid': 'host-toggle', title: 'A shell on the host beside the container’s (solo mode)' }, 'Host shell');
    this.button.addEventListener('click', () => void this.show(!this.shown));
    this.terminal = new LabTerminal(this.host, {
      theme: deps.theme,
      fontSize: deps.fontSize(),
      onInput: (data) => this.send(data),
      onResize: (size) => {
        if (this.state === 'open' && deps.socket.connected) deps.socket.emit('sideterm:resize', { target: 'host', ...size });
      },
      onAck: (bytes) => {
        if (deps.socket.connected) deps.socket.emit('sideterm:ack', { target: 'host', bytes });
      },
      onLeave: (backwards) => deps.onLeave(backwards),
    });
    deps.socket.on('sideterm:output', ({ target, data }) => {
      if (target === 'host') this.terminal.writeOutput(data);
    });
    deps.socket.on('sideterm:exit', ({ target, message }) => {
      if (target !== 'host') return;
      this.state = 'closed';
      this.terminal.note(message);
    });
    deps.socket.on('disconnect', () => {
      if (this.state !== 'refused') this.state = 'closed';
    });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Shows (and opens, the first time) or hides the host terminal. Resolves once it is open or refused. */
  async show(on: boolean): Promise<void> {
    if (this.state === 'refused') on = false;
    this.shown = on;
    this.host.hidden = !on;
    this.stack.classList.toggle('with-host', on);
    this.button.setAttribute('aria-pressed', String(on));
    if (!on) return;
    this.terminal.fitNow();
    if (this.state === 'closed') await this.open();
  }

  /** Keys for the host's shell (a demo's hostCommands, or the speaker's own). */
  send(data: string): void {
    if (this.state !== 'open' || !this.deps.socket.connected) return;
    for (const chunk of chunkInput(data)) this.deps.socket.emit('sideterm:input', { target: 'host', data: chunk });
  }

  text(): string {
    return this.terminal.text();
  }

  setTheme(theme: ITheme): void {
    this.terminal.setTheme(theme);
  }

  setFontSize(px: number): void {
    this.terminal.setFontSize(px);
  }

  setHighContrast(on: boolean): void {
    this.terminal.setHighContrast(on);
  }

  private async open(): Promise<void> {
    if (!this.deps.hasSession()) {
      this.terminal.note('waiting for the session; press Host shell again in a moment');
      return;
    }
    this.state = 'opening';
    this.terminal.resetFlow();
    this.terminal.note('starting a shell on the host…');
    const reply = await this.deps.socket.emitWithAck('sideterm:open', { target: 'host', ...this.terminal.size });
    if (!reply.ok) {
      if (reply.code === 'forbidden') {
        // A workshop server: there is no host shell to give, now or later.
        this.state = 'refused';
        this.button.hidden = true;
        void this.show(false);
        this.deps.refused(reply.message);
      } else {
        this.state = 'closed';
        this.terminal.note(`could not open: ${reply.message}`);
      }
      return;
    }
    this.state = 'open';
    this.terminal.note(reply.data.description);
    this.deps.socket.emit('sideterm:resize', { target: 'host', ...this.terminal.size });
  }
}
