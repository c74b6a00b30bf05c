// The launcher's status lines (contract in native/README.md): one JSON object per line — ready,
// error, exit, updated, seccomp-notify — on a pipe (--status-fd), on stdout (--cgroup-update), or on
// the server's status socket for launchers on a pty. Everything that reads them reads them here:
// LineReader joins lines that arrive in pieces, parseStatusLine knows the shapes, failedStep says
// what a failed step was in words.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';

export const ReadyLine = z.object({
  type: z.literal('ready'),
  pid: z.number().int().positive(),
  namespaces: z.record(z.string(), z.number()),
  /** With --cgroup: how the first process got into its cgroup (clone3 into it, or moved in after clone). */
  cgroup_via: z.enum(['clone3', 'self', 'attach']).optional(),
  timings_us: z.record(z.string(), z.number()),
});
export const ErrorLine = z.object({
  type: z.literal('error'),
  step: z.string(),
  errno: z.number().int(),
  message: z.string(),
});
export const ExitLine = z.object({ type: z.literal('exit'), code: z.number().int() });
/** `--cgroup-update`: the limits of a running container were rewritten. */
export const UpdatedLine = z.object({ type: z.literal('updated'), cgroup: z.string(), version: z.union([z.literal(1), z.literal(2)]) });
/**
 * `--seccomp-notify`: the supervisor answered a system call the filter handed over (first time per
 * call): which one, from which process, with its arguments as hex strings.
 */
export const SeccompNotifyLine = z.object({
  type: z.literal('seccomp-notify'),
  syscall: z.string().nullable(),
  nr: z.number().int(),
  arch: z.string(),
  errno: z.number().int(),
  pid: z.number().int(),
  comm: z.string(),
  args: z.array(z.string()).length(6),
});
/** `--machine-hold`: a learner's machine holds its namespaces (their inodes), under this PID. */
export const MachineReadyLine = z.object({
  type: z.literal('machine-ready'),
  pid: z.number().int().positive(),
  namespaces: z.object({ net: z.number(), ipc: z.number(), uts: z.number() }),
});
export const StatusLine = z.discriminatedUnion('type', [ReadyLine, ErrorLine, ExitLine, UpdatedLine, SeccompNotifyLine, MachineReadyLine]);
export type ReadyLine = z.infer<typeof ReadyLine>;
export type ErrorLine = z.infer<typeof ErrorLine>;
export type StatusLine = z.infer<typeof StatusLine>;
export type SeccompNotifyLine = z.infer<typeof SeccompNotifyLine>;
export type MachineReadyLine = z.infer<typeof MachineReadyLine>;

/** What `isolab-launcher --seccomp-compile` prints on success. */
export const SeccompCompiledLine = z.object({
  type: z.literal('seccomp-compiled'),
  out: z.string(),
  instructions: z.number().int().positive(),
  flags: z.array(z.enum(['log', 'spec_allow'])),
  us: z.number().int().nonnegative(),
});


/** What `isolab-launcher --lsm-status` prints (native/README.md, "isolab-launcher --lsm-status"). */
const LsmAvailability = z.object({ available: z.boolean(), reason: z.string().optional() });
export const LsmStatusLine = z.object({
  type: z.literal('lsm-status'),
  active: z.array(z.string()).nullable(),
  activeFrom: z.string().nullable(),
  apparmor: LsmAvailability,
  selinux: LsmAvailability.extend({ mode: z.enum(['enforcing', 'permissive']).optional() }),
  landlock: LsmAvailability.extend({ abi: z.number().int().positive().optional() }),
});
export type LsmStatusLine = z.infer<typeof LsmStatusLine>;


/** A status stream is a handful of short lines; a line this long is not our launcher's. */
export const MAX_STATUS_LINE_BYTES = 64 * 1024;

/**
 * Splits a stream of text into lines, whatever the chunks: a line that arrives in two chunks is one
 * line. What follows the last newline waits for the next chunk; a line longer than the bound is
 * refused rather than buffered without end.
 */
export class LineReader {
  private pending = '';
  private overflowed = false;

  constructor(
    private readonly onLine: (raw: string) => void,
    private readonly maxLineBytes = MAX_STATUS_LINE_BYTES,
  ) {}

  /** Feeds one chunk; false (and nothing more is read) once a line outgrew the bound. */
  push(chunk: string): boolean {
    if (this.overflowed) return false;
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const raw = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      this.onLine(raw);
    }
    if (this.pending.length > this.maxLineBytes) {
      this.pending = '';
      this.overflowed = true;
      return false;
    }
    return true;
  }

  /** Text after the last newline (a writer that ended without one). */
  get rest(): string {
    return this.pending;
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** One status line, or null when RAW is not one (not JSON, or not a shape the launcher writes). */
export function parseStatusLine(raw: string): StatusLine | null {
  const parsed = StatusLine.safeParse(parseJson(raw));
  return parsed.success ? parsed.data : null;
}

/**
 * Calls ON_LINE with each status line the launcher writes on STREAM (its --status-fd pipe), and
 * ON_RAW, when given, with every line as written (`isolab run --json-status` passes them on).
 */
export function readStatusLines(stream: Readable, onLine: (line: StatusLine) => void, onRaw?: (raw: string) => void): void {
  stream.setEncoding('utf8');
  const reader = new LineReader((raw) => {
    onRaw?.(raw);
    const line = parseStatusLine(raw);
    if (line) onLine(line);
  });
  stream.on('data', (chunk: string) => {
    // Past the bound the rest is not our launcher's lines: stop reading them, keep draining the pipe.
    reader.push(chunk);
  });
}

/** The status lines of a whole output (--cgroup-update prints its one line on stdout). */
export function statusLinesOf(text: string): StatusLine[] {
  return text.split('\n').flatMap((raw) => parseStatusLine(raw) ?? []);
}

/** How a failed step reads wherever it is shown as text: `step "pivot_root": Invalid argument`. */
export function failedStep(line: ErrorLine): string {
  return `step "${line.step}": ${line.message}`;
}

interface Pending {
  onLine: (line: StatusLine) => void;
}

/**
 * node-pty cannot hand the launcher an extra file descriptor, so launchers started on a pty report
 * on a unix socket instead: one listener per server in a fresh 0700 directory, each launcher proving
 * which spawn it is with a one-time random token.
 */
export class StatusServer {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: Server;
  private readonly pending = new Map<string, Pending>();

  private constructor(dir: string, server: Server) {
    this.dir = dir;
    this.socketPath = join(dir, 'status.sock');
    this.server = server;
  }

  static async start(): Promise<StatusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'isolab-')); // mode 0700: only root can connect
    let self: StatusServer | undefined;
    const server = createServer((sock) => self!.accept(sock));
    self = new StatusServer(dir, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(self!.socketPath, () => resolve());
    });
    return self;
  }

  /** Registers a spawn; returns its token and a function to forget it. */
  expect(onLine: (line: StatusLine) => void): { token: string; forget: () => void } {
    const token = randomBytes(16).toString('hex');
    this.pending.set(token, { onLine });
    return { token, forget: () => this.pending.delete(token) };
  }

  private accept(sock: Socket): void {
    let owner: Pending | undefined;
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    // The first line proves which spawn this is; anything that is not JSON is not our launcher.
    const reader = new LineReader((raw) => {
      const parsed = parseJson(raw);
      if (parsed === undefined) return sock.destroy();
      if (!owner) {
        const hello = z.object({ type: z.literal('hello'), token: z.string() }).safeParse(parsed);
        owner = hello.success ? this.pending.get(hello.data.token) : undefined;
        if (!owner) sock.destroy();
        return;
      }
      const line = StatusLine.safeParse(parsed);
      if (line.success) owner.onLine(line.data);
    });
    sock.on('data', (chunk: string) => {
      if (!reader.push(chunk)) sock.destroy();
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
