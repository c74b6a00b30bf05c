// Flow control, client side: the server pauses the shell once FLOW_CONTROL.highWatermarkBytes are
// in flight, so the page must say how many bytes xterm.js has actually processed (not merely
// received). Acks go out in batches of ackEveryBytes, and whatever is left is flushed once output
// goes quiet, so a short burst never leaves the server waiting.
import { FLOW_CONTROL } from '../../../common/protocol.js';

/** An unacked remainder is flushed this long after it was processed: a frame or so, far below any human-visible stall. */
export const ACK_IDLE_MS = 20;

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface FlowAckerOptions {
  send(bytes: number): void;
  ackEveryBytes?: number;
  idleMs?: number;
  timers?: Timers;
}

export class FlowAcker {
  private processed = 0;
  /** Bumped by reset(): write callbacks from a previous connection must not ack into the new one. */
  private generation = 0;
  private idleTimer: unknown = undefined;
  private readonly ackEvery: number;
  private readonly idleMs: number;
  private readonly timers: Timers;

  constructor(private readonly opts: FlowAckerOptions) {
    this.ackEvery = opts.ackEveryBytes ?? FLOW_CONTROL.ackEveryBytes;
    this.idleMs = opts.idleMs ?? ACK_IDLE_MS;
    this.timers = opts.timers ?? realTimers;
  }

  /** Call when `bytes` are handed to the terminal; run the returned function from its write callback. */
  track(bytes: number): () => void {
    const generation = this.generation;
    return () => {
      if (generation === this.generation && bytes > 0) this.processedBytes(bytes);
    };
  }

  /** Bytes processed but not yet acked. */
  get pending(): number {
    return this.processed;
  }

  flush(): void {
    this.clearIdle();
    if (this.processed === 0) return;
    const bytes = this.processed;
    this.processed = 0;
    this.opts.send(bytes);
  }

  /** Forget everything (a new connection, a new session): nothing in flight belongs to it. */
  reset(): void {
    this.generation++;
    this.processed = 0;
    this.clearIdle();
  }

  private processedBytes(bytes: number): void {
    this.processed += bytes;
    if (this.processed >= this.ackEvery) this.flush();
    else if (this.idleTimer === undefined) this.idleTimer = this.timers.set(() => this.onIdle(), this.idleMs);
  }

  private onIdle(): void {
    this.idleTimer = undefined;
    this.flush();
  }

  private clearIdle(): void {
    if (this.idleTimer === undefined) return;
    this.timers.clear(this.idleTimer);
    this.idleTimer = undefined;
  }
}
