// Terminal output from the pty to one browser, with flow control.
//
// - The first chunk after a quiet moment goes out at once (a keystroke echo must not wait);
//   chunks arriving during the short window after it are coalesced into one frame.
// - Bytes sent but not yet acknowledged by the client's term.write callback are counted; above the
//   high watermark the pty is paused (the shell then blocks in write(), so a `yes` flood costs
//   the server nothing), below the low watermark it resumes. Ctrl-C still reaches the shell
//   because input is never paused.
import { FLOW_CONTROL } from '../../common/protocol.js';

/** Coalescing window: long enough to merge a burst of small writes, short enough to be invisible. */
export const COALESCE_WINDOW_MS = 4;
/** A coalesced frame never grows beyond this; past it we flush immediately. */
export const MAX_FRAME_BYTES = 64 * 1024;

export interface PumpTarget {
  send(frame: Buffer): void;
  pause(): void;
  resume(): void;
}

export class OutputPump {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private unacked = 0;
  private paused = false;
  private closed = false;

  constructor(
    private readonly target: PumpTarget,
    private readonly limits: { high: number; low: number } = {
      high: FLOW_CONTROL.highWatermarkBytes,
      low: FLOW_CONTROL.lowWatermarkBytes,
    },
  ) {}

  /** Bytes sent to the client and not acknowledged yet. */
  get inFlight(): number {
    return this.unacked;
  }

  /** Bytes held in the server waiting for the coalescing window. */
  get buffered(): number {
    return this.pendingBytes;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  push(chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    if (!this.windowTimer) {
      this.emit(chunk);
      this.openWindow();
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= MAX_FRAME_BYTES) this.flush();
  }

  /** The client has written `bytes` more to its screen. */
  ack(bytes: number): void {
    this.unacked = Math.max(0, this.unacked - bytes);
    if (this.paused && this.unacked <= this.limits.low) {
      this.paused = false;
      this.target.resume();
    }
  }

  /**
   * A new browser took over (a re-attach): what the old one never acknowledged never will be, so
   * nothing is in flight any more and a pty paused for it resumes.
   */
  restart(): void {
    this.unacked = 0;
    if (this.paused) {
      this.paused = false;
      this.target.resume();
    }
  }

  /** Stops the pump for good (session over): anything not yet sent is dropped. */
  close(): void {
    this.closed = true;
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private openWindow(): void {
    this.windowTimer = setTimeout(() => {
      this.windowTimer = undefined;
      if (this.pendingBytes > 0) {
        this.flush();
        this.openWindow();
      }
    }, COALESCE_WINDOW_MS);
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const frame = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.emit(frame);
  }

  private emit(frame: Buffer): void {
    this.unacked += frame.length;
    this.target.send(frame);
    if (!this.paused && this.unacked > this.limits.high) {
      this.paused = true;
      this.target.pause();
    }
  }
}
