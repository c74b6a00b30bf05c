// What keeping a detached learner's screen costs, per session: the two ways a re-attached browser
// can get its screen back (issue #11, "Sessions that survive").
//
//   log       the bounded log every session already keeps (TerminalOutput.recent(), 32 KiB), replayed
//   headless  a headless xterm mirror per session (base/terminal-broadcast.ts), serialized on re-attach
//
// Each is measured for an idle session (a login, a few commands, a prompt) and a busy one (its
// scrollback full), over SESSIONS instances in a process of its own with --expose-gc, so the heap
// delta divided by the count is what one session holds. Also: what serializing one screen takes.
//
//   node --expose-gc --import tsx bench/resume-memory.ts        (npm run bench runs it)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { TerminalBroadcast } from '../server/base/terminal-broadcast.js';
import { TerminalOutput } from '../server/session/terminal-output.js';

const SESSIONS = Number(process.env.BENCH_RESUME_SESSIONS ?? 200);
const COLS = 120;
const ROWS = 40;

export interface ResumeMemoryResult {
  sessions: number;
  /** Bytes held per session (heap + array buffers), by way and load. */
  perSessionBytes: Record<'logIdle' | 'logBusy' | 'headlessIdle' | 'headlessBusy', number>;
  /** Making one busy screen for a re-attaching browser, ms. */
  serializeMs: number;
}

/** An idle learner's terminal: a few commands and their output, then a prompt. */
function idleTranscript(): Buffer {
  const prompt = '\x1b[1;32mroot@isolab\x1b[0m:\x1b[1;34m/\x1b[0m# ';
  let s = `${prompt}ls -la /\r\n`;
  for (const d of ['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sys', 'tmp', 'usr', 'var']) s += `drwxr-xr-x    2 root     root          4096 Dec  8 03:00 ${d}\r\n`;
  s += `${prompt}cat /proc/self/status | head -5\r\nName:\tcat\r\nUmask:\t0022\r\nState:\tR (running)\r\nTgid:\t7\r\nNgid:\t0\r\n`;
  s += `${prompt}echo $$\r\n1\r\n${prompt}`;
  return Buffer.from(s);
}

/** A busy one: enough output to fill the mirror's scrollback several times over. */
function busyTranscript(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(`line ${i} \x1b[33m${'x'.repeat(60 + (i % 50))}\x1b[0m`);
  return Buffer.from(lines.join('\r\n') + '\r\n# ');
}

function held(): number {
  global.gc!();
  global.gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A buffer of its own, as each read of a pty is (Buffer.from would slice a shared 8 KiB pool). */
function ownCopy(data: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}

/** A pty's output side only: TerminalOutput wires to onData. */
function fakePty() {
  let listener: ((d: Buffer) => void) | undefined;
  const pty = { onData: (l: (d: Buffer) => void) => ((listener = l), { dispose: () => {} }), pause() {}, resume() {} };
  return { pty, write: (d: Buffer) => listener?.(d) };
}

async function measure(kind: 'log' | 'headless', transcript: Buffer): Promise<number> {
  const keep: unknown[] = [];
  const before = held();
  for (let i = 0; i < SESSIONS; i++) {
    if (kind === 'log') {
      const out = new TerminalOutput(() => {}, () => undefined);
      const { pty, write } = fakePty();
      out.attach(pty as never).show();
      // In keystroke-sized chunks, as a shell writes: the log joins them.
      for (let at = 0; at < transcript.length; at += 512) write(ownCopy(transcript.subarray(at, at + 512)));
      out.ack(1 << 30);
      keep.push(out);
    } else {
      const mirror = new TerminalBroadcast(COLS, ROWS);
      mirror.write(Buffer.from(transcript));
      await mirror.screen();
      keep.push(mirror);
    }
  }
  // The pump's coalescing window lets go of its pending frame a few milliseconds later.
  await new Promise((r) => setTimeout(r, 50));
  const perSession = (held() - before) / SESSIONS;
  for (const k of keep) (k as { close(): void }).close();
  return Math.round(perSession);
}

async function run(): Promise<ResumeMemoryResult> {
  const idle = idleTranscript();
  const busy = busyTranscript();
  const perSessionBytes = {
    logIdle: await measure('log', idle),
    logBusy: await measure('log', busy),
    headlessIdle: await measure('headless', idle),
    headlessBusy: await measure('headless', busy),
  };
  const mirror = new TerminalBroadcast(COLS, ROWS);
  mirror.write(busy);
  await mirror.screen();
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) await mirror.screen();
  const serializeMs = (performance.now() - t0) / 20;
  mirror.close();
  return { sessions: SESSIONS, perSessionBytes, serializeMs };
}

/** Runs the measurement in a child with --expose-gc (the bench's own process has no gc()). */
export function benchResumeMemory(): Promise<ResumeMemoryResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as ResumeMemoryResult));
    child.once('exit', (code) => reject(new Error(`bench/resume-memory.ts exited (${code}) without a result`)));
  });
}

if (process.send && typeof global.gc === 'function') {
  const result = await run();
  process.send(result, () => process.exit(0));
}
