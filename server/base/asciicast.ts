// Records a session as asciicast v2 (the format and its reader: common/asciicast.ts).
//
// A recording is bounded: a shell can print gigabytes (`yes`), and a recording lives in the
// server's memory until it is downloaded. Past the bound it stops, says so in a last marker, and
// the session goes on untouched.
import { StringDecoder } from 'node:string_decoder';
import { type AsciicastEvent, type AsciicastHeader } from '../../common/asciicast.js';

export interface RecorderOptions {
  cols: number;
  rows: number;
  title?: string;
  /** The whole file's bound, header included. */
  maxBytes: number;
  /** Record keystrokes too ("i" events): off unless the learner asks, they may type secrets. */
  input?: boolean;
  /** Milliseconds since some origin: injectable for tests. */
  now?: () => number;
  /** Unix seconds for the header's timestamp. */
  wallClock?: () => number;
}

export class AsciicastRecorder {
  private readonly lines: string[] = [];
  private bytes = 0;
  private readonly start: number;
  private readonly now: () => number;
  private readonly outputText = new StringDecoder('utf8');
  private readonly inputText = new StringDecoder('utf8');
  private stoppedBy: string | null = null;

  constructor(private readonly opts: RecorderOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
    const header: AsciicastHeader = {
      version: 2,
      width: opts.cols,
      height: opts.rows,
      timestamp: Math.floor(opts.wallClock?.() ?? Date.now() / 1000),
      ...(opts.title ? { title: opts.title } : {}),
      env: { TERM: 'xterm-256color', SHELL: '/bin/sh' },
    };
    this.append(JSON.stringify(header));
  }

  /** Why recording stopped early (the size bound), or null while it records everything. */
  get truncated(): string | null {
    return this.stoppedBy;
  }

  get size(): number {
    return this.bytes;
  }

  /** Bytes the terminal received. A UTF-8 sequence cut between two chunks is held for the next. */
  output(data: Buffer | string): void {
    const text = typeof data === 'string' ? data : this.outputText.write(data);
    if (text) this.event('o', text);
  }

  /** Bytes the learner typed, when input is recorded. */
  typed(data: Buffer | string): void {
    if (!this.opts.input) return;
    const text = typeof data === 'string' ? data : this.inputText.write(data);
    if (text) this.event('i', text);
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  /** A chapter: a demo step, a toggle, a lesson change. */
  marker(label: string): void {
    this.event('m', label);
  }

  /** The recording as an asciicast v2 file. */
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }

  private event(code: AsciicastEvent[1], data: string): void {
    if (this.stoppedBy) return;
    const line = JSON.stringify([this.elapsed(), code, data]);
    const notice = JSON.stringify([this.elapsed(), 'm', `recording stopped: it reached ${this.opts.maxBytes} bytes`]);
    // Keep room for the notice, so a full recording still says why it ends where it does.
    if (this.bytes + line.length + 1 + notice.length + 1 > this.opts.maxBytes) {
      this.stoppedBy = `the recording reached its size limit (${Math.round(this.opts.maxBytes / 1024)} KiB) and stopped; the shell goes on`;
      this.append(notice);
      return;
    }
    this.append(line);
  }

  private elapsed(): number {
    return Math.round(this.now() - this.start) / 1000;
  }

  private append(line: string): void {
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line) + 1;
  }
}
