// When to read the inspector again: after the learner runs a command (`hostname x` changes what
// it shows), as the server re-runs the checks after Enter. Enter presses within a short while make
// one refresh, and a refresh asked for while one is in flight runs once more after it, so a burst
// of commands never queues a probe per key.
import { realTimers, type Timers } from '../terminal/flow.js';

/** Let the command finish first (the server's checks wait 400 ms; the probe is slower to matter). */
export const REFRESH_AFTER_ENTER_MS = 600;

export class RefreshAfterEnter {
  private timer: unknown = undefined;
  private running = false;
  private again = false;

  constructor(
    private readonly refresh: () => Promise<void>,
    private readonly delayMs = REFRESH_AFTER_ENTER_MS,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Keystrokes went to the shell: a command ran if they hold an Enter. */
  input(data: string): void {
    if (data.includes('\r')) this.soon();
  }

  /** Refresh after the delay (restarting it: the last Enter counts). */
  soon(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      void this.run();
    }, this.delayMs);
  }

  /** Nothing pending any more (the connection dropped). */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.again = false;
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      await this.refresh();
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        void this.run();
      }
    }
  }
}
