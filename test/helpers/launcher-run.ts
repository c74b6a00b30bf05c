// Running isolab-launcher from an integration test: its status lines (fd 3), stdout, stderr and
// exit code, plus the host-side facts tests compare with (namespace inodes, /proc/PID/status).
// Needs root and `npm run setup` (native/build/Release, build/rootfs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ProbeReport } from '../../common/probe.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import { LineReader, StatusLine, type ReadyLine } from '../../server/runtime/status-lines.js';

/** Where setup builds the native binaries (the launcher, the probe, the test tools, the addon). */
export const RELEASE = join(REPO_ROOT, 'native', 'build', 'Release');
export const LAUNCHER = join(RELEASE, 'isolab-launcher');
export const PROBE = join(RELEASE, 'isolab-probe');
/** The busybox image setup builds (read-only; every container gets an overlay of it). */
export const IMAGE = join(REPO_ROOT, 'build', 'rootfs');
/** The probe as the image carries it (scripts/rootfs.mjs copies it there). */
export const PROBE_IN_IMAGE = '/usr/local/bin/isolab-probe';
/** busybox is static: --join can run it in any container by its host path. */
export const BUSYBOX = join(IMAGE, 'bin', 'busybox');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  status: StatusLine[];
}

/** A started launcher: its status lines as they come, its output so far, and its end. */
export interface Started {
  pid: number;
  ready: Promise<ReadyLine>;
  done: Promise<Run>;
  stdout(): string;
  /** Writes to PROGRAM's stdin (only when started with `{ stdin: 'pipe' }`). */
  write(text: string): void;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs the launcher with the status on fd 3; `env` is PROGRAM's environment (passed unchanged).
 * PROGRAM's stdin is /dev/null, or a pipe for `write()` with `{ stdin: 'pipe' }`.
 */
export function start(
  args: string[],
  program: string[],
  env: Record<string, string> = {},
  opts: {
    stdin?: 'ignore' | 'pipe';
    /** become the launcher's fds 4, 5, … */
    extraFds?: number[];
    /** a command that runs the launcher (it must exec it), e.g. isolab-seccomp-deny clone3:ENOSYS */
    wrapper?: string[];
  } = {},
): Started {
  const [command, ...prefix] = [...(opts.wrapper ?? []), LAUNCHER];
  const child = spawn(command!, [...prefix, '--status-fd', '3', ...args, '--', ...program], {
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
  });
  child.stdin?.on('error', () => {}); // the program may not read it
  const status: StatusLine[] = [];
  let stdout = '';
  let stderr = '';
  let onReady: (r: ReadyLine) => void = () => {};
  let onNotReady: (e: Error) => void = () => {};
  const ready = new Promise<ReadyLine>((resolve, reject) => {
    onReady = resolve;
    onNotReady = reject;
  });
  ready.catch(() => {}); // a test may only look at `done`
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // Strict on purpose: a line the launcher writes that is not a status line fails the test.
  const reader = new LineReader((raw) => {
    const line = StatusLine.parse(JSON.parse(raw));
    status.push(line);
    if (line.type === 'ready') onReady(line);
    else if (line.type === 'error') onNotReady(new Error(`launcher error at ${line.step}: ${line.message}`));
  });
  (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => reader.push(d));
  const done = new Promise<Run>((resolve) => {
    child.on('close', (code) => {
      onNotReady(new Error(`launcher exited (${code}) before ready: ${stderr}`));
      resolve({ code, stdout, stderr, status });
    });
  });
  return {
    pid: child.pid!,
    ready,
    done,
    stdout: () => stdout,
    write: (text) => {
      if (!child.stdin) throw new Error('start(…, { stdin: "pipe" }) to write to the program');
      child.stdin.write(text);
    },
    kill: (sig) => child.kill(sig),
  };
}

export const run = (args: string[], program: string[], env?: Record<string, string>) => start(args, program, env).done;

/** Runs PROGRAM and expects it to succeed: its stdout. */
export async function output(args: string[], program: string[]): Promise<string> {
  const result = await run(args, program);
  expect(result.status.at(-1), `${result.stderr} ${JSON.stringify(result.status)}`).toEqual({ type: 'exit', code: 0 });
  return result.stdout;
}

/** The probe as PROGRAM: its report and the launcher's ready line. */
export async function probeWith(args: string[], probe = PROBE): Promise<{ report: ProbeReport; ready: ReadyLine }> {
  const result = await run(args, [probe]);
  expect(result.status.at(-1), result.stderr).toEqual({ type: 'exit', code: 0 });
  const ready = result.status.find((l): l is ReadyLine => l.type === 'ready')!;
  return { report: ProbeReport.parse(JSON.parse(result.stdout)), ready };
}

/** Runs PROGRAM in every namespace of a running container (isolab-launcher --join). */
export function join_(pid: number, program: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(LAUNCHER, ['--join', String(pid), '--', ...program], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const hostInode = (procName: string) => statSync(`/proc/self/ns/${procName}`).ino;

/** A field of /proc/PID/status, e.g. "Uid" → ["100000", "100000", "100000", "100000"]. */
export function procStatus(pid: number, field: string): string[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  expect(line, `${field} in /proc/${pid}/status`).toBeDefined();
  return line!.slice(field.length + 1).trim().split(/\s+/).filter(Boolean);
}

/** A short random tag: device names have 15 characters at most, and parallel runs must not meet. */
export const tag = () => randomBytes(3).toString('hex');

/** Polls CHECK until it returns a value that is not undefined, or gives up after TIMEOUT_MS. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A refused command line: exit 125 and a single error line at step "args"; returns its message. */
export async function refusal(args: string[]): Promise<string> {
  const result = await run(args, ['/bin/true']);
  expect(result.code, JSON.stringify(result.status)).toBe(125);
  expect(result.status).toHaveLength(1);
  expect(result.status[0]).toMatchObject({ type: 'error', step: 'args', errno: 0 });
  return (result.status[0] as { message: string }).message;
}

/** One refused command line: exit 125 and a single error line at step "args" matching MESSAGE. */
export async function expectRefused(args: string[], message: RegExp): Promise<void> {
  expect(await refusal(args)).toMatch(message);
}

/** Runs `sleep 300` (or PROGRAM) in a container, hands its host PID to CHECK, then stops it. */
export async function whileRunning(
  args: string[],
  check: (pid: number, started: Started) => Promise<void> | void,
  program = ['sleep', '300'],
): Promise<void> {
  const started = start(args, program);
  try {
    const ready = await started.ready;
    await check(ready.pid, started);
  } finally {
    started.kill('SIGTERM');
    await started.done;
  }
}

/**
 * Fails the file at once, saying what to do, unless it runs as root and setup has built BINARIES.
 * CREATES names what the tests make that needs root (namespaces, cgroups).
 */
export function expectRootAndBuilt(binaries: string[], creates = 'namespaces'): void {
  expect(process.getuid?.(), `the integration tests create ${creates}: run them as root`).toBe(0);
  for (const bin of binaries) expect(existsSync(bin), `${bin} missing: run npm run setup`).toBe(true);
}

/**
 * Builds a busybox image of a test's own into OUT_DIR, as setup builds build/rootfs
 * (scripts/rootfs.mjs), with the probe and TOOLS in /usr/local/bin. False when it was there already.
 */
export async function buildImage(outDir: string, opts: { probe?: string; tools?: string[] } = { probe: PROBE }): Promise<boolean> {
  const rootfsModule = new URL('../../scripts/rootfs.mjs', import.meta.url).href;
  const { ensureRootfs } = (await import(rootfsModule)) as {
    ensureRootfs(o: { outDir: string; probe?: string; tools?: string[] }): Promise<{ built: boolean }>;
  };
  return (await ensureRootfs({ outDir, ...opts })).built;
}

/** PIDs of every process whose environment carries MARK: what a launcher run may have left behind. */
export function processesMarked(mark: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(mark)) found.push(Number(name));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return found;
}

/** Zombies whose parent is this test process (every launcher is our child). */
export function ourZombies(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return state === 'Z' && Number(ppid) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
