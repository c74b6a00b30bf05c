// What a session tells its browser goes through this relay, so that the session outlives the
// browser's connection: a dropped connection detaches it (what the session says meanwhile is
// dropped; the terminal's log still keeps the screen), and a re-attaching one gets the screen
// first, then everything after it in order (session/resumable.ts, transport/handlers/session.ts).
import type { SandboxReady } from '../../common/protocol.js';
import type { SessionOutput } from './session.js';

/** Output while a re-attaching browser's screen is being made: a busy shell's few milliseconds. */
const HELD_FRAMES_MAX = 256;

export class OutputRelay implements SessionOutput {
  private target: SessionOutput | undefined;
  /** Terminal frames held back until the screen they follow is sent; null when not holding. */
  private held: Buffer[] | null = null;
  private lastReady: SandboxReady | null = null;
  private lastExitCode: number | null = null;

  constructor(target?: SessionOutput) {
    this.target = target;
  }

  get attached(): boolean {
    return this.target !== undefined;
  }

  /** The running shell's ready report, for a page that re-attaches (null once it exited). */
  get shellReady(): SandboxReady | null {
    return this.lastReady;
  }

  /** How the last shell ended, while no other runs. */
  get shellExitCode(): number | null {
    return this.lastExitCode;
  }

  /** Nobody listens any more: everything is dropped until attach. */
  detach(): void {
    this.target = undefined;
    this.held = null;
  }

  /**
   * TARGET is the session's browser from now on; its terminal frames are held until `open(screen)`
   * sends the screen they follow (a frame sent before the screen would be wiped by it).
   */
  attach(target: SessionOutput): void {
    this.target = target;
    this.held = [];
  }

  /** Sends SCREEN, then the frames held since attach, then goes live. */
  open(screen: Buffer): void {
    const held = this.held ?? [];
    this.held = null;
    this.target?.output(screen);
    for (const frame of held) this.target?.output(frame);
  }

  output(frame: Buffer): void {
    if (this.held) {
      // Past the bound the screen is made again by the browser's next re-attach, never by a pause here.
      if (this.held.length < HELD_FRAMES_MAX) this.held.push(frame);
      return;
    }
    this.target?.output(frame);
  }

  ready: SessionOutput['ready'] = (r) => {
    this.lastReady = r;
    this.lastExitCode = null;
    this.target?.ready(r);
  };
  exit: SessionOutput['exit'] = (e) => {
    this.lastReady = null;
    this.lastExitCode = e.code;
    this.target?.exit(e);
  };
  error: SessionOutput['error'] = (e) => this.target?.error(e);
  inspector: SessionOutput['inspector'] = (v) => this.target?.inspector(v);
  lessonStatus: SessionOutput['lessonStatus'] = (s) => this.target?.lessonStatus(s);
  limits: SessionOutput['limits'] = (u) => this.target?.limits(u);
  progress: SessionOutput['progress'] = (p) => this.target?.progress(p);
}
