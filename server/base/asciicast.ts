// asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), the format Debian's asciinema 2.2
// plays: a JSON header line, then one JSON array per event, [seconds, code, data]. Codes: "o"
// output, "i" input, "r" resize ("COLSxROWS"), "m" marker (a chapter in asciinema-player).
//
// A recording is bounded: a shell can print gigabytes (`yes`), and a recording lives in the
// server's memory until it is downloaded. Past the bound it stops, says so in a last marker, and
// the session goes on untouched.
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';

export const AsciicastHeader = z.object({
  version: z.literal(2),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  timestamp: z.number().int().nonnegative().optional(),
  title: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
});
export type AsciicastHeader = z.infer<typeof AsciicastHeader>;

export const AsciicastEvent = z.tuple([z.number().nonnegative(), z.enum(['o', 'i', 'r', 'm']), z.string()]);
export type AsciicastEvent = z.infer<typeof AsciicastEvent>;

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

/** A .cast file read back: its header and events, or an error naming the first bad line. */
export function parseAsciicast(text: string): { ok: true; header: AsciicastHeader; events: AsciicastEvent[] } | { ok: false; error: string } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (!lines.length) return { ok: false, error: 'the file is empty' };
  const parse = (line: string, n: number) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new Error(`line ${n}: not JSON`);
    }
  };
  try {
    const header = AsciicastHeader.safeParse(parse(lines[0]!, 1));
    if (!header.success) return { ok: false, error: `line 1: not an asciicast v2 header (${header.error.issues[0]?.message ?? 'bad shape'})` };
    const events: AsciicastEvent[] = [];
    for (let i = 1; i < lines.length; i++) {
      const event = AsciicastEvent.safeParse(parse(lines[i]!, i + 1));
      if (!event.success) return { ok: false, error: `line ${i + 1}: not an event [seconds, "o"|"i"|"r"|"m", text]` };
      events.push(event.data);
    }
    return { ok: true, header: header.data, events };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
