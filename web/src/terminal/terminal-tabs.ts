// The terminal's tabs: the container's shell (the session's own, term:*), a gVisor shell and a
// shell on the shared VM (sideterm:*). Each tab is its own xterm with its own flow control and
// scrollback; a side shell is opened on the server the first time its tab is chosen.
import type { ITheme } from '@xterm/xterm';
import { COMPARE_TARGETS, type SideTarget } from '../../../common/compare.js';
import type { Ack, SideOpened } from '../../../common/protocol.js';
import { h } from '../app/dom.js';
import { chunkInput } from './input.js';
import type { LabSocket } from '../app/socket.js';
import { LabTerminal } from './terminal.js';

export type TabId = 'container' | SideTarget;

/** Opening the VM's tab may boot the shared VM: seconds under TCG, more on a loaded machine. */
const SIDE_OPEN_TIMEOUT_MS = 90_000;

const TAB_LABELS: Record<TabId, string> = { container: 'Container', gvisor: 'gVisor', vm: 'VM', host: 'Host' };
const OPENING: Record<SideTarget, string> = {
  gvisor: 'starting a gVisor sandbox (runsc)…',
  vm: 'connecting to the shared VM (it boots on first use: a few seconds)…',
  host: 'starting a shell on the host…',
};

interface SideState {
  terminal: LabTerminal;
  host: HTMLElement;
  state: 'closed' | 'opening' | 'open';
}

export interface TerminalTabsDeps {
  socket: LabSocket;
  theme: ITheme;
  /** The font size the terminals have now (a side terminal made later starts with it). */
  fontSize(): number;
  onLeave(backwards: boolean): void;
  /** A session exists (side shells need one). */
  hasSession(): boolean;
}

export class TerminalTabs {
  private active: TabId = 'container';
  private readonly buttons = new Map<TabId, HTMLButtonElement>();
  private readonly sides = new Map<SideTarget, SideState>();
  private readonly stack: HTMLElement;
  /** The palette a side terminal made now gets (the theme may have changed since the page loaded). */
  private theme: ITheme;
  private highContrast = false;

  constructor(
    tablist: HTMLElement,
    private readonly containerHost: HTMLElement,
    private readonly container: LabTerminal,
    private readonly deps: TerminalTabsDeps,
  ) {
    this.stack = containerHost.parentElement!;
    this.theme = deps.theme;
    for (const id of ['container', ...COMPARE_TARGETS] as TabId[]) {
      const button = h(
        'button',
        { type: 'button', role: 'tab', id: `tab-${id}`, class: 'terminal-tab', 'aria-selected': String(id === 'container'), 'aria-controls': id === 'container' ? containerHost.id : `terminal-${id}`, 'data-testid': `terminal-tab-${id}`, tabindex: id === 'container' ? '0' : '-1' },
        TAB_LABELS[id],
      );
      button.addEventListener('click', () => void this.select(id));
      button.addEventListener('keydown', (ev) => {
        if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
        const ids = [...this.buttons.keys()];
        const next = ids[(ids.indexOf(id) + (ev.key === 'ArrowRight' ? 1 : ids.length - 1)) % ids.length]!;
        this.buttons.get(next)!.focus();
      });
      this.buttons.set(id, button);
      tablist.append(button);
    }
    containerHost.setAttribute('role', 'tabpanel');
    containerHost.setAttribute('aria-labelledby', 'tab-container');
    this.listen();
  }

  get current(): TabId {
    return this.active;
  }

  /** The terminal of a tab (the container's, or a side one once it exists). */
  terminal(id: TabId = this.active): LabTerminal | undefined {
    return id === 'container' ? this.container : this.sides.get(id)?.terminal;
  }

  async select(id: TabId): Promise<void> {
    this.active = id;
    for (const [tab, button] of this.buttons) {
      button.setAttribute('aria-selected', String(tab === id));
      button.tabIndex = tab === id ? 0 : -1;
    }
    this.containerHost.hidden = id !== 'container';
    for (const [target, side] of this.sides) side.host.hidden = target !== id;
    if (id === 'container') {
      this.container.fitNow();
      this.container.focus();
      return;
    }
    const side = this.side(id);
    side.host.hidden = false;
    side.terminal.fitNow();
    side.terminal.focus();
    if (side.state === 'closed') await this.open(id, side);
  }

  private side(target: SideTarget): SideState {
    let side = this.sides.get(target);
    if (side) return side;
    const host = h('div', { id: `terminal-${target}`, class: 'terminal-host', role: 'tabpanel', 'aria-labelledby': `tab-${target}`, 'data-testid': `terminal-${target}` });
    this.stack.append(host);
    const terminal = new LabTerminal(host, {
      theme: this.theme,
      fontSize: this.deps.fontSize(),
      onInput: (data) => {
        if (this.sides.get(target)?.state !== 'open' || !this.deps.socket.connected) return;
        for (const chunk of chunkInput(data)) this.deps.socket.emit('sideterm:input', { target, data: chunk });
      },
      onResize: (size) => {
        if (this.sides.get(target)?.state === 'open' && this.deps.socket.connected) this.deps.socket.emit('sideterm:resize', { target, ...size });
      },
      onAck: (bytes) => {
        if (this.deps.socket.connected) this.deps.socket.emit('sideterm:ack', { target, bytes });
      },
      onLeave: (backwards) => this.deps.onLeave(backwards),
    });
    terminal.setHighContrast(this.highContrast);
    side = { terminal, host, state: 'closed' };
    this.sides.set(target, side);
    return side;
  }

  private async open(target: SideTarget, side: SideState): Promise<void> {
    if (!this.deps.hasSession()) {
      side.terminal.note('waiting for the session; choose the tab again in a moment');
      return;
    }
    side.state = 'opening';
    side.terminal.resetFlow();
    side.terminal.note(OPENING[target]);
    const reply = await withTimeout<SideOpened>(this.deps.socket.emitWithAck('sideterm:open', { target, ...side.terminal.size }));
    if (!reply.ok) {
      side.state = 'closed';
      side.terminal.note(`could not open: ${reply.message}`);
      return;
    }
    side.state = 'open';
    side.terminal.note(reply.data.description);
    // The size may have changed while it was opening.
    this.deps.socket.emit('sideterm:resize', { target, ...side.terminal.size });
  }

  setTheme(theme: ITheme): void {
    this.theme = theme;
    for (const side of this.sides.values()) side.terminal.setTheme(theme);
  }

  setFontSize(px: number): void {
    for (const side of this.sides.values()) side.terminal.setFontSize(px);
  }

  setHighContrast(on: boolean): void {
    this.highContrast = on;
    for (const side of this.sides.values()) side.terminal.setHighContrast(on);
  }

  private listen(): void {
    const { socket } = this.deps;
    socket.on('sideterm:output', ({ target, data }) => this.sides.get(target)?.terminal.writeOutput(data));
    socket.on('sideterm:exit', ({ target, message }) => {
      const side = this.sides.get(target);
      if (!side) return;
      side.state = 'closed';
      side.terminal.note(message);
    });
    socket.on('disconnect', () => {
      for (const side of this.sides.values()) {
        if (side.state !== 'closed') side.terminal.note('connection lost: this shell is gone; choose the tab again after reconnecting');
        side.state = 'closed';
      }
    });
  }
}

function withTimeout<T>(pending: Promise<Ack<T>>): Promise<Ack<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Ack<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: 'internal', message: 'the server did not answer in time' }), SIDE_OPEN_TIMEOUT_MS);
  });
  return Promise.race([pending, late]).finally(() => clearTimeout(timer));
}
