// Presenter mode's Record button: the session's terminal output as asciicast v2 (record:start, a
// marker at every step, toggle and lesson change, keystrokes only when asked), Stop to get the file
// (record:stop): it downloads, is kept as the demo's last recording for Plan B, and can be
// replayed in the page. The server's bound on its size is said out loud when reached.
import type { RecordingStatus } from '../../../common/present.js';
import { h } from '../app/dom.js';
import * as api from '../app/socket.js';
import type { LabSocket } from '../app/socket.js';
import { saveRecording } from './rehearsal-store.js';

export interface RecorderDeps {
  socket: LabSocket;
  /** Whose recording it is: the open demo's id, or '' outside a demo. */
  key(): string;
  /** A file name for the download, without ".cast". */
  name(): string;
  replay(cast: string): void;
  /** A recording was kept (Plan B can use it now). */
  saved(key: string, cast: string): void;
}

export class Recorder {
  readonly root: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly keystrokes: HTMLInputElement;
  private readonly status: HTMLElement;
  private readonly download: HTMLAnchorElement;
  private readonly replayButton: HTMLButtonElement;
  private recording = false;
  private url: string | null = null;
  private last: string | null = null;

  constructor(private readonly deps: RecorderDeps) {
    this.button = h('button', { type: 'button', class: 'step-button record-button', 'aria-pressed': 'false', 'data-testid': 'record' }, '● Record');
    this.keystrokes = h('input', { type: 'checkbox', id: 'record-keystrokes', 'data-testid': 'record-keystrokes' });
    this.status = h('span', { class: 'record-status', role: 'status', 'data-testid': 'record-status' });
    this.download = h('a', { class: 'step-button', 'data-testid': 'record-download', hidden: true }, 'Download .cast');
    this.replayButton = h('button', { type: 'button', class: 'step-button', 'data-testid': 'record-replay', hidden: true }, 'Replay');
    this.button.addEventListener('click', () => void (this.recording ? this.stop() : this.start()));
    this.replayButton.addEventListener('click', () => this.last && deps.replay(this.last));
    this.root = h(
      'span',
      { class: 'recorder' },
      this.button,
      h('label', { class: 'record-keys', for: 'record-keystrokes' }, this.keystrokes, ' keystrokes'),
      this.download,
      this.replayButton,
      this.status,
    );
    deps.socket.on('record:status', (status) => this.show(status));
    deps.socket.on('disconnect', () => {
      if (this.recording) this.stopped('the connection was lost: the recording ended with it');
    });
  }

  private async start(): Promise<void> {
    const reply = await api.startRecording(this.deps.socket, this.keystrokes.checked);
    if (!reply.ok) return void (this.status.textContent = `Could not record: ${reply.message}`);
    this.recording = true;
    this.button.textContent = '■ Stop recording';
    this.button.setAttribute('aria-pressed', 'true');
    this.keystrokes.disabled = true;
    this.status.textContent = `Recording${reply.data.input ? ' with keystrokes' : ''} (up to ${Math.round(reply.data.maxBytes / 1024 / 1024)} MiB)`;
  }

  private async stop(): Promise<void> {
    const reply = await api.stopRecording(this.deps.socket);
    if (!reply.ok) return this.stopped(`Could not stop the recording: ${reply.message}`);
    const { cast, bytes, truncated } = reply.data;
    this.stopped(truncated ? `Recorded ${kib(bytes)}; ${truncated}` : `Recorded ${kib(bytes)}`);
    this.last = cast;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(new Blob([cast], { type: 'application/x-asciicast' }));
    this.download.href = this.url;
    this.download.download = `${this.deps.name()}.cast`;
    this.download.hidden = false;
    this.replayButton.hidden = false;
    const key = this.deps.key();
    try {
      await saveRecording(key, cast);
      this.deps.saved(key, cast);
    } catch (err) {
      this.status.textContent += ` (not kept in this browser: ${(err as Error).message})`;
    }
    // The file, now: a speaker saves it before anything else can go wrong.
    this.download.click();
  }

  private stopped(message: string): void {
    this.recording = false;
    this.button.textContent = '● Record';
    this.button.setAttribute('aria-pressed', 'false');
    this.keystrokes.disabled = false;
    this.status.textContent = message;
  }

  private show(status: RecordingStatus): void {
    if (status.truncated) this.status.textContent = `${status.truncated}. Press Stop to keep what was recorded.`;
  }
}

const kib = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.max(1, Math.round(bytes / 1024))} KiB`);
