// What the learner's terminal shows: the bytes of whichever shell is current, through one
// OutputPump (flow control against the browser's acks), and isolab's own one-line banners between
// shells. The pump outlives every shell: a respawn keeps the browser's flow-control state.
import type { IPty } from 'node-pty';
import type { Disposer } from '../base/disposable.js';
import { OutputPump } from '../runtime/output-pump.js';

/** isolab's own line: cyan (not dim: unreadable on the light theme), on a fresh line so it never mangles the old prompt. */
export function bannerLine(changes: readonly string[], outcome: string): Buffer {
  return Buffer.from(`\r\n\x1b[36m── isolab: ${changes.join(' · ')} — ${outcome} ──\x1b[0m\r\n`);
}

export class TerminalOutput {
  private readonly pump: OutputPump;

  /** SEND takes a frame to the browser; CURRENT is the pty to pause and resume (the current shell's, if any). */
  constructor(send: (frame: Buffer) => void, current: () => IPty | undefined) {
    this.pump = new OutputPump({ send, pause: () => current()?.pause(), resume: () => current()?.resume() });
  }

  /** Flow-control statistics, for benchmarks and tests. */
  get stats(): { inFlight: number; buffered: number; paused: boolean } {
    return { inFlight: this.pump.inFlight, buffered: this.pump.buffered, paused: this.pump.isPaused };
  }

  /** Feeds PTY's output to the terminal; a pty that starts while the browser is behind starts paused. */
  attach(pty: IPty): Disposer {
    const sub = pty.onData((data) => this.pump.push(data as unknown as Buffer));
    if (this.pump.isPaused) pty.pause();
    return () => sub.dispose();
  }

  /** One banner line naming CHANGES and what became of the shell ("new shell"); nothing when nothing changed. */
  banner(changes: readonly string[], outcome: string): void {
    if (changes.length > 0) this.pump.push(bannerLine(changes, outcome));
  }

  /** The browser wrote BYTES to its screen. */
  ack(bytes: number): void {
    this.pump.ack(bytes);
  }

  close(): void {
    this.pump.close();
  }
}
