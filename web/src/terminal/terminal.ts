// The xterm.js terminal: binary output in (flow-controlled: bytes are acked once xterm has
// processed them), keystrokes out, geometry kept in step with its box and within TERM_LIMITS.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import type { TermSize } from '../../../common/protocol.js';
import { bufferText, type BufferRow } from './buffer-text.js';
import { prefersReducedMotion } from '../app/dom.js';
import { FlowAcker } from './flow.js';
import { clampSize } from './geometry.js';

/** Window drags fire ResizeObserver every frame; the shell only needs the size it settles on. */
const RESIZE_DEBOUNCE_MS = 80;
/** Enough to scroll back through a lesson's worth of output. */
const SCROLLBACK_LINES = 5_000;
/** Local fonts only: the page loads nothing from the network. */
const MONO_FONTS = 'ui-monospace, "Cascadia Mono", "SF Mono", Menlo, "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace';

/** Colours are nudged to at least this contrast against the background (WCAG AA for text)… */
const CONTRAST = 4.5;
/** …and further on a projector, where washed-out colours vanish (WCAG AAA). */
const HIGH_CONTRAST = 7;

export interface LabTerminalDeps {
  theme: ITheme;
  /** The font size in CSS pixels (app/font-size.ts). */
  fontSize: number;
  onInput(data: string): void;
  onResize(size: TermSize): void;
  onAck(bytes: number): void;
  /** F6 / Shift-F6 inside the terminal: move focus out (Tab belongs to the shell). */
  onLeave(backwards: boolean): void;
}

export class LabTerminal {
  private readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly flow: FlowAcker;
  private resizeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: HTMLElement,
    deps: LabTerminalDeps,
  ) {
    this.flow = new FlowAcker({ send: (bytes) => deps.onAck(bytes) });
    this.term = new Terminal({
      fontFamily: MONO_FONTS,
      fontSize: deps.fontSize,
      lineHeight: 1.15,
      scrollback: SCROLLBACK_LINES,
      cursorBlink: !prefersReducedMotion(),
      theme: deps.theme,
      minimumContrastRatio: CONTRAST,
      allowProposedApi: false,
    });
    this.term.loadAddon(this.fit);
    this.term.open(host);
    this.term.onData((data) => deps.onInput(data));
    this.term.attachCustomKeyEventHandler((ev) => {
      if (ev.key !== 'F6' || ev.ctrlKey || ev.altKey || ev.metaKey) return true;
      if (ev.type === 'keydown') {
        ev.preventDefault();
        deps.onLeave(ev.shiftKey);
      }
      return false;
    });
    new ResizeObserver(() => {
      clearTimeout(this.resizeTimer);
      this.resizeTimer = setTimeout(() => this.fitNow(), RESIZE_DEBOUNCE_MS);
    }).observe(host);
    this.fitNow();
    // Subscribed after the first fit: the initial size goes to the server with session:start.
    this.term.onResize(({ cols, rows }) => deps.onResize({ cols, rows }));
  }

  /** Sizes the terminal to its box now (clamped to what the server accepts). */
  fitNow(): void {
    if (this.host.clientWidth === 0 || this.host.clientHeight === 0) return; // hidden: keep the last size
    const proposed = this.fit.proposeDimensions();
    if (!proposed) return;
    const size = clampSize(proposed);
    if (size.cols !== this.term.cols || size.rows !== this.term.rows) this.term.resize(size.cols, size.rows);
  }

  get size(): TermSize {
    return clampSize({ cols: this.term.cols, rows: this.term.rows });
  }

  /** Shell output: acked (term:ack) once xterm has processed it. */
  writeOutput(data: ArrayBuffer | Uint8Array): void {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.term.write(bytes, this.flow.track(bytes.byteLength));
  }

  /** A dim line from the page itself (not from the shell, so not acked). */
  note(text: string): void {
    this.term.write(`\r\n\x1b[2m[isolab] ${text}\x1b[0m\r\n`);
  }

  /** A new connection: output acked from here on belongs to the new session. */
  resetFlow(): void {
    this.flow.reset();
  }

  setTheme(theme: ITheme): void {
    this.term.options.theme = theme;
  }

  /** A new font size: the cells are measured again and the shell told its new size. */
  setFontSize(px: number): void {
    if (this.term.options.fontSize === px) return;
    this.term.options.fontSize = px;
    this.fitNow();
  }

  get fontSize(): number {
    return this.term.options.fontSize ?? 0;
  }

  /** Presenter mode: colours pushed to a projector's contrast. */
  setHighContrast(on: boolean): void {
    this.term.options.minimumContrastRatio = on ? HIGH_CONTRAST : CONTRAST;
  }

  /** Brings the terminal into view (the narrow layout scrolls the page; elsewhere it is always in view). */
  reveal(): void {
    const box = this.host.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) this.host.scrollIntoView({ block: 'nearest', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
  }

  /** The cursor's row as a prompt test wants it: trailing blanks trimmed, but not before the cursor. */
  cursorLine(): string {
    const buffer = this.term.buffer.active;
    const line = buffer.getLine(buffer.baseY + buffer.cursorY);
    const before = line?.translateToString(false, 0, buffer.cursorX) ?? '';
    const all = (line?.translateToString(false) ?? '').replace(/ +$/, '');
    return all.length >= before.length ? all : before;
  }

  focus(): void {
    this.term.focus();
  }

  /** The whole buffer as text (see buffer-text.ts), for tests and for copying. */
  text(): string {
    const buffer = this.term.buffer.active;
    const rows: BufferRow[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      rows.push({ text: line?.translateToString(false) ?? '', isWrapped: line?.isWrapped ?? false });
    }
    const cursorRow = buffer.baseY + buffer.cursorY;
    const textBeforeCursor = buffer.getLine(cursorRow)?.translateToString(false, 0, buffer.cursorX) ?? '';
    return bufferText(rows, { row: cursorRow, textBeforeCursor });
  }
}
