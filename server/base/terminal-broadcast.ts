// One terminal shown read-only to many viewers (an audience, later an instructor's watchers),
// without ever slowing the terminal's owner down. VS Code's terminal recorder is the model: a
// bounded record of the screen that a newly attached viewer is replayed from, and a live flow
// that never waits for a viewer.
//
// - A headless xterm mirrors the screen; a viewer that joins, or that fell too far behind, gets
//   that screen serialized (a few KiB whatever the history) and then the live bytes.
// - Each viewer acknowledges what it has written. One whose unacknowledged bytes pass the lag
//   bound is sent nothing more (lossy) until it has caught up, then resynchronised from the
//   mirror. Nothing a viewer does reaches the owner's pty or its flow control.
import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;

/** Bytes a viewer may have unacknowledged before it is skipped: about a second of a busy shell. */
export const VIEWER_LAG_BYTES = 256 * 1024;
/** A skipped viewer is resynchronised once it is back under this. */
export const VIEWER_CATCH_UP_BYTES = 32 * 1024;
/** Lines of history in the mirror (what a joining viewer can scroll back to). */
export const MIRROR_SCROLLBACK = 500;

export type ViewerFrame =
  | { kind: 'screen'; cols: number; rows: number; data: string }
  | { kind: 'output'; data: Buffer };

export interface Viewer {
  /** Sends one frame; must not throw (a closed socket drops it). */
  send(frame: ViewerFrame): void;
}

interface ViewerState {
  viewer: Viewer;
  unacked: number;
  /** Behind: sent nothing until it catches up. */
  skipping: boolean;
  /** Waiting for its screen: what is written meanwhile comes after the screen, in order. */
  held: Buffer[] | null;
  dropped: number;
}

export class TerminalBroadcast {
  private readonly mirror: InstanceType<typeof Terminal>;
  private readonly serializer = new SerializeAddon();
  private readonly viewers = new Map<Viewer, ViewerState>();
  private closed = false;

  constructor(private cols: number, private rows: number) {
    this.mirror = new Terminal({ cols, rows, scrollback: MIRROR_SCROLLBACK, allowProposedApi: true });
    this.mirror.loadAddon(this.serializer);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** The owner's terminal printed DATA. Costs the owner one mirror write, whatever the viewers do. */
  write(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    this.mirror.write(data);
    for (const state of this.viewers.values()) {
      if (state.held) {
        state.held.push(data);
        continue;
      }
      if (state.skipping) {
        state.dropped += data.length;
        continue;
      }
      if (state.unacked + data.length > VIEWER_LAG_BYTES) {
        state.skipping = true;
        state.dropped += data.length;
        continue;
      }
      state.unacked += data.length;
      state.viewer.send({ kind: 'output', data });
    }
  }

  resize(cols: number, rows: number): void {
    if (this.closed || (cols === this.cols && rows === this.rows)) return;
    this.cols = cols;
    this.rows = rows;
    this.mirror.resize(cols, rows);
    // Every viewer redraws at the new size: the mirror knows what the screen is now.
    for (const state of this.viewers.values()) void this.resync(state);
  }

  /** A new viewer: it gets the screen as it is, then the live output. Returns its detach. */
  add(viewer: Viewer): () => void {
    const state: ViewerState = { viewer, unacked: 0, skipping: false, held: null, dropped: 0 };
    this.viewers.set(viewer, state);
    void this.resync(state);
    return () => this.viewers.delete(viewer);
  }

  /** The viewer has written BYTES more; a skipped viewer that caught up is resynchronised. */
  ack(viewer: Viewer, bytes: number): void {
    const state = this.viewers.get(viewer);
    if (!state || !Number.isFinite(bytes) || bytes <= 0) return;
    state.unacked = Math.max(0, state.unacked - bytes);
    if (state.skipping && state.unacked <= VIEWER_CATCH_UP_BYTES) void this.resync(state);
  }

  /** Bytes this viewer missed while it was behind (shown to it, and counted by the benchmark). */
  dropped(viewer: Viewer): number {
    return this.viewers.get(viewer)?.dropped ?? 0;
  }

  /** The screen as a joining viewer sees it, once the mirror has taken in all that was written. */
  screen(): Promise<string> {
    return new Promise((resolve) => this.mirror.write('', () => resolve(this.serializer.serialize({ scrollback: MIRROR_SCROLLBACK }))));
  }

  close(): void {
    this.closed = true;
    this.viewers.clear();
    this.mirror.dispose();
  }

  private async resync(state: ViewerState): Promise<void> {
    if (state.held) return; // a screen is already on its way
    // The mirror's write callback runs once everything written before it is on its screen and
    // nothing written after: that screen, then what was held meanwhile, is the stream in order.
    state.held = [];
    const data = await this.screen();
    const held = state.held;
    state.held = null;
    if (this.closed || !this.viewers.has(state.viewer)) return;
    state.skipping = false;
    state.unacked = Buffer.byteLength(data);
    state.viewer.send({ kind: 'screen', cols: this.cols, rows: this.rows, data });
    for (const chunk of held) {
      if (state.unacked + chunk.length > VIEWER_LAG_BYTES) {
        state.skipping = true;
        state.dropped += chunk.length;
        continue;
      }
      state.unacked += chunk.length;
      state.viewer.send({ kind: 'output', data: chunk });
    }
  }
}
