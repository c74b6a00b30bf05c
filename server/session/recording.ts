// A recording of one session's terminal (the Record button): asciicast v2 with a marker at every
// new shell, lesson change and demo step, and the keystrokes when the speaker asks. Bounded: past
// the bound it stops and tells the page, and the shell goes on untouched.
import type { Recording, RecordingStarted, RecordingStatus } from '../../common/present.js';
import { AsciicastRecorder } from '../base/asciicast.js';
import type { Disposer } from '../base/disposable.js';
import type { Session } from './session.js';

/** A talk's worth of terminal (an hour of typing and output is a few MiB); a `yes` flood stops here. */
export const MAX_RECORDING_BYTES = 8 * 1024 * 1024;

export class SessionRecording {
  private readonly recorder: AsciicastRecorder;
  private readonly untap: Disposer;
  private warned = false;

  private constructor(
    session: Session,
    readonly input: boolean,
    readonly maxBytes: number,
    private readonly status: (status: RecordingStatus) => void,
  ) {
    const { cols, rows } = session.termSize;
    this.recorder = new AsciicastRecorder({ cols, rows, maxBytes, input, title: 'isolab' });
    this.untap = session.tap({
      output: (data) => {
        this.recorder.output(data);
        this.checkBound();
      },
      resize: (c, r) => this.recorder.resize(c, r),
      marker: (label) => this.recorder.marker(label),
      typed: (data) => {
        this.recorder.typed(data);
        this.checkBound();
      },
    });
  }

  static start(session: Session, opts: { input: boolean; maxBytes?: number; status: (status: RecordingStatus) => void }): SessionRecording {
    return new SessionRecording(session, opts.input, opts.maxBytes ?? MAX_RECORDING_BYTES, opts.status);
  }

  get started(): RecordingStarted {
    return { maxBytes: this.maxBytes, input: this.input };
  }

  marker(label: string): void {
    this.recorder.marker(label);
  }

  /** Ends the recording: it sees nothing more, and this is the file. */
  stop(): Recording {
    this.untap();
    return { cast: this.recorder.text(), bytes: this.recorder.size, truncated: this.recorder.truncated };
  }

  private checkBound(): void {
    const truncated = this.recorder.truncated;
    if (truncated && !this.warned) {
      this.warned = true;
      this.status({ recording: true, bytes: this.recorder.size, truncated });
    }
  }
}
