// One terminal shown read-only to many viewers (an audience, later an instructor's watchers),
// without ever slowing the terminal's owner down. VS Code's terminal recorder is the model: a
// bounded record of the screen that a newly attached viewer is replayed from, and a live flow
// that never waits for a viewer.
//
// - What the owner's terminal prints is queued and fanned out a few milliseconds later, one batch
//   for whatever arrived meanwhile: the owner's own frame, and its next keystroke, go first.
// - A headless xterm mirrors the screen. A viewer that joins, falls too far behind or sees a resize
//   gets the screen serialized (a few KiB whatever the history), then the live bytes. While a
//   screen is being made nothing new enters the mirror, so the screen and what follows it are the
//   stream exactly, without relying on when xterm calls back.
// - Each viewer acknowledges what it has written. One whose unacknowledged bytes pass the lag bound
//   is sent nothing more (lossy) until it has caught up, then resynchronised. Nothing a viewer does
//   reaches the owner's pty or its flow control.
import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;

/** Bytes a viewer may have unacknowledged before it is skipped: about a second of a busy shell. */
export const VIEWER_LAG_BYTES = 256 * 1024;
/** A skipped viewer is resynchronised once it is back under this. */
export const VIEWER_CATCH_UP_BYTES = 32 * 1024;
/**
 * Viewers get the owner's output this long after the owner does, in one batch: the owner's echo
 * and its next keystroke never queue behind a fan-out to a whole room, and a burst of output is one
 * send per viewer. A few milliseconds are invisible to an audience watching a projector's words.
 */
export const FANOUT_DELAY_MS = 8;
/** Lines of history in the mirror (what a joining viewer can scroll back to). */
export const MIRROR_SCROLLBACK = 500;

export type ViewerFrame =
  | { kind: 'screen'; cols: number; rows: number; data: string }
  | { kind: 'output'; data: Buffer };

export interface Viewer {
  /** Sends one frame; must not throw (a closed socket drops it). */
  send(frame: ViewerFrame): void;
  /** With a live group (useGroup): this viewer joins it (it is up to date) or leaves it (behind, or awaiting a screen). */
  setLive?(live: boolean): void;
}

interface ViewerState {
  viewer: Viewer;
  unacked: number;
  /** Behind, or waiting for its screen: sent no live output. */
  skipping: boolean;
  /** Its screen is wanted: it gets the next one made. */
  wantsScreen: boolean;
  dropped: number;
}

export class TerminalBroadcast {
  private readonly mirror: InstanceType<typeof Terminal>;
  private readonly serializer = new SerializeAddon();
  private readonly viewers = new Map<Viewer, ViewerState>();
  private queued: Buffer[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  /** A screen is being made: the mirror takes nothing new until it is. */
  private serializing: Promise<void> | undefined;
  /** Sends live output to every viewer in the live group at once (socket.io encodes a room broadcast once). */
  private sendToLive: ((data: Buffer) => void) | undefined;
  private closed = false;

  constructor(
    private cols: number,
    private rows: number,
  ) {
    this.mirror = new Terminal({ cols, rows, scrollback: MIRROR_SCROLLBACK, allowProposedApi: true });
    this.mirror.loadAddon(this.serializer);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /**
   * Live output goes to the group in one send instead of one per viewer (for a room of 200 that is
   * one packet encoded, not 200); each viewer's setLive keeps its membership right.
   */
  useGroup(sendToLive: (data: Buffer) => void): void {
    this.sendToLive = sendToLive;
  }

  /** The owner's terminal printed DATA: queued, and sent to the viewers FANOUT_DELAY_MS later. */
  write(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    this.queued.push(data);
    this.flushTimer ??= setTimeout(() => this.flush(), FANOUT_DELAY_MS);
  }

  resize(cols: number, rows: number): void {
    if (this.closed || (cols === this.cols && rows === this.rows)) return;
    this.flush(); // what was printed at the old size goes through the mirror at the old size
    this.cols = cols;
    this.rows = rows;
    this.mirror.resize(cols, rows);
    // Every viewer redraws at the new size: the mirror knows what the screen is now.
    for (const state of this.viewers.values()) this.wantScreen(state);
  }

  /** A new viewer: it gets the screen as it is, then the live output. Returns its detach. */
  add(viewer: Viewer): () => void {
    const state: ViewerState = { viewer, unacked: 0, skipping: true, wantsScreen: false, dropped: 0 };
    this.viewers.set(viewer, state);
    this.wantScreen(state);
    return () => this.viewers.delete(viewer);
  }

  /** The viewer has written BYTES more; a skipped viewer that caught up is resynchronised. */
  ack(viewer: Viewer, bytes: number): void {
    const state = this.viewers.get(viewer);
    if (!state || !Number.isFinite(bytes) || bytes <= 0) return;
    state.unacked = Math.max(0, state.unacked - bytes);
    if (state.skipping && !state.wantsScreen && state.unacked <= VIEWER_CATCH_UP_BYTES) this.wantScreen(state);
  }

  /** Bytes this viewer missed while it was behind (counted by the benchmark). */
  dropped(viewer: Viewer): number {
    return this.viewers.get(viewer)?.dropped ?? 0;
  }

  /** The screen with everything written so far (tests; a viewer's screen is made the same way). */
  async screen(): Promise<string> {
    await this.serializing;
    this.flush();
    return this.serialize();
  }

  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.closed = true;
    this.viewers.clear();
    this.mirror.dispose();
  }

  /** Runs the queued output through the mirror and out to the viewers, unless a screen is being made. */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.closed || this.serializing || this.queued.length === 0) return;
    const data = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued);
    this.queued = [];
    this.mirror.write(data);
    let live = 0;
    for (const state of this.viewers.values()) if (this.account(state, data)) live++;
    if (!this.sendToLive) {
      for (const state of this.viewers.values()) if (!state.skipping) state.viewer.send({ kind: 'output', data });
    } else if (live > 0) this.sendToLive(data);
  }

  /** Whether STATE takes DATA live; a viewer past its lag bound is skipped from here on. */
  private account(state: ViewerState, data: Buffer): boolean {
    if (state.skipping) {
      state.dropped += data.length;
      return false;
    }
    if (state.unacked + data.length > VIEWER_LAG_BYTES) {
      this.skip(state);
      state.dropped += data.length;
      return false;
    }
    state.unacked += data.length;
    return true;
  }

  private skip(state: ViewerState): void {
    state.skipping = true;
    state.viewer.setLive?.(false);
  }

  private wantScreen(state: ViewerState): void {
    this.skip(state);
    state.wantsScreen = true;
    if (this.serializing) return; // it gets the screen being made, or the next one
    this.flush();
    this.serializing = (async () => {
      const data = await this.serialize();
      this.serializing = undefined;
      if (this.closed) return;
      for (const s of this.viewers.values()) {
        if (!s.wantsScreen) continue;
        s.wantsScreen = false;
        s.skipping = false;
        s.unacked = Buffer.byteLength(data);
        s.viewer.send({ kind: 'screen', cols: this.cols, rows: this.rows, data });
        s.viewer.setLive?.(true);
      }
      this.flush(); // what arrived while the screen was made, to everyone, after it
    })();
  }

  /** The mirror's screen once it has taken in all that was written to it (xterm parses asynchronously). */
  private serialize(): Promise<string> {
    return new Promise((resolve) => this.mirror.write('', () => resolve(this.serializer.serialize({ scrollback: MIRROR_SCROLLBACK }))));
  }
}
