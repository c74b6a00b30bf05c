// What the learner's terminal shows: the bytes of whichever shell is current, through one
// OutputPump (flow control against the browser's acks), and isolab's own one-line banners between
// shells. The pump outlives every shell: a respawn keeps the browser's flow-control state.
import type { IPty } from 'node-pty';
import type { Disposer } from '../base/disposable.js';
import { TerminalBroadcast } from '../base/terminal-broadcast.js';
import { OutputPump } from '../runtime/output-pump.js';

/** isolab's own line: cyan (not dim: unreadable on the light theme), on a fresh line so it never mangles the old prompt. */
export function bannerLine(changes: readonly string[], outcome: string): Buffer {
  return Buffer.from(`\r\n\x1b[36m── isolab: ${changes.join(' · ')} — ${outcome} ──\x1b[0m\r\n`);
}

/**
 * Something that sees what the terminal shows, besides the browser: a recording, the audience. It
 * gets every byte in order (shells and banners alike) and never touches flow control.
 */
export interface TerminalTap {
  output(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** A moment worth a chapter: a new shell's banner, a lesson opened, a demo step. */
  marker(label: string): void;
  /** What the learner typed (a recording with keystrokes wants it; the audience does not). */
  typed?(data: string): void;
}

/** A new shell's output before it is shown: more than a prompt before "ready" is a launcher gone wrong. */
export const HELD_OUTPUT_BYTES = 16 * 1024;

/** A shell's output wired to the terminal but not yet shown (TerminalOutput.attach). */
export interface HeldOutput {
  /** What was held, then everything after it, goes to the terminal. */
  show(): void;
  detach: Disposer;
}

/** What the terminal showed last, kept for a viewer who joins late (the audience, a watcher). */
export const RECENT_OUTPUT_BYTES = 32 * 1024;

export class TerminalOutput {
  private readonly pump: OutputPump;
  private readonly taps = new Set<TerminalTap>();
  private recentChunks: Buffer[] = [];
  private recentBytes = 0;
  /** Whether the log has dropped its oldest output (it may then begin inside a line or a sequence). */
  private recentTrimmed = false;

  /** SEND takes a frame to the browser; CURRENT is the pty to pause and resume (the current shell's, if any). */
  constructor(send: (frame: Buffer) => void, current: () => IPty | undefined) {
    this.pump = new OutputPump({ send, pause: () => current()?.pause(), resume: () => current()?.resume() });
  }

  /** Flow-control statistics, for benchmarks and tests. */
  get stats(): { inFlight: number; buffered: number; paused: boolean } {
    return { inFlight: this.pump.inFlight, buffered: this.pump.buffered, paused: this.pump.isPaused };
  }

  /**
   * Wires PTY's output to the terminal, held back until `show()`: a shell still starting must not
   * write into the one the learner is using (the old shell runs until the new one is ready). Held
   * output is kept up to HELD_OUTPUT_BYTES (a prompt, a launcher's warning); `detach` unwires it.
   */
  attach(pty: IPty): HeldOutput {
    let held: Buffer[] | null = [];
    let heldBytes = 0;
    const sub = pty.onData((data) => {
      const chunk = data as unknown as Buffer;
      if (held === null) this.push(chunk);
      else if (heldBytes + chunk.length <= HELD_OUTPUT_BYTES) {
        held.push(chunk);
        heldBytes += chunk.length;
      }
    });
    return {
      show: () => {
        if (held === null) return;
        const chunks = held;
        held = null;
        for (const chunk of chunks) this.push(chunk);
        // A pty that starts while the browser is behind starts paused.
        if (this.pump.isPaused) pty.pause();
      },
      detach: () => sub.dispose(),
    };
  }

  /** One banner line naming CHANGES and what became of the shell ("new shell"); nothing when nothing changed. */
  banner(changes: readonly string[], outcome: string): void {
    if (changes.length === 0) return;
    this.marker(`${changes.join(' · ')} (${outcome})`);
    this.push(bannerLine(changes, outcome));
  }

  /** TAP sees the terminal from now on; returns its removal. */
  tap(tap: TerminalTap): Disposer {
    this.taps.add(tap);
    return () => this.taps.delete(tap);
  }

  marker(label: string): void {
    for (const t of this.taps) t.marker(label);
  }

  typed(data: string): void {
    for (const t of this.taps) t.typed?.(data);
  }

  resized(cols: number, rows: number): void {
    for (const t of this.taps) t.resize(cols, rows);
  }

  /**
   * The screen as the log shows it, at COLS×ROWS, for a browser that re-attaches: the log replayed
   * into a headless xterm made for the moment and serialized (bench/resume-memory.ts: a mirror kept
   * per session would hold ~200 KiB idle, 1.6 MiB busy; the log holds at most RECENT_OUTPUT_BYTES).
   * Starts with a full reset (RIS), so what the browser showed before is replaced, not added to.
   * The log is read at the call, so nothing printed after it is in the screen.
   */
  async screen(cols: number, rows: number): Promise<Buffer> {
    let log = this.recent();
    // A trimmed log may begin inside an escape sequence or a character: start at its first full line.
    if (this.recentTrimmed) log = log.subarray(log.indexOf(0x0a) + 1);
    const mirror = new TerminalBroadcast(cols, rows);
    try {
      mirror.write(log);
      return Buffer.from(`\x1bc${await mirror.screen()}`);
    } finally {
      mirror.close();
    }
  }

  /** A new browser took over the terminal: flow control starts afresh with it. */
  restartFlow(): void {
    this.pump.restart();
  }

  /** The browser wrote BYTES to its screen. */
  ack(bytes: number): void {
    this.pump.ack(bytes);
  }

  close(): void {
    this.taps.clear();
    this.pump.close();
  }

  /** The last RECENT_OUTPUT_BYTES (or fewer) the terminal showed, oldest first. */
  recent(): Buffer {
    return Buffer.concat(this.recentChunks);
  }

  private push(data: Buffer): void {
    this.remember(data);
    // The learner's own frame first: whatever watches must never delay the echo of a keystroke.
    this.pump.push(data);
    for (const t of this.taps) t.output(data);
  }

  private remember(data: Buffer): void {
    this.recentChunks.push(data);
    this.recentBytes += data.length;
    while (this.recentBytes - (this.recentChunks[0]?.length ?? 0) >= RECENT_OUTPUT_BYTES) {
      this.recentBytes -= this.recentChunks.shift()!.length;
      this.recentTrimmed = true;
    }
    if (this.recentChunks.length > 256) {
      // Many small chunks (keystroke echoes): join them so the list stays short.
      const joined = Buffer.concat(this.recentChunks);
      if (joined.length > RECENT_OUTPUT_BYTES) this.recentTrimmed = true;
      // A copy, not a view: a view would keep the whole joined buffer alive.
      this.recentChunks = [Buffer.from(joined.subarray(Math.max(0, joined.length - RECENT_OUTPUT_BYTES)))];
      this.recentBytes = this.recentChunks[0]!.length;
    }
  }
}
