// One short launcher run, start to end: its status lines (fd 3), what its program printed, and how
// it ended. For the checks that learn what the host can do by trying it (`isolab doctor` creates a
// namespace, loads a filter, sets a limit): the launcher does the trying, the Node process never
// enters a namespace itself.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { readStatusLines, type StatusLine } from './status-lines.js';

/** A trial runs /bin/true or a probe: milliseconds. A launcher still running after this is stuck. */
const LAUNCH_ONCE_TIMEOUT_MS = 10_000;
/** A probe's report is tens of KB; more is not a short trial's output. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface LaunchOnceOptions {
  /** Run the launcher as this host uid (and gid), with no supplementary groups: an unprivileged start. */
  uid?: number;
  gid?: number;
  /** Text written to the launcher's file descriptor 4 (for --seccomp-fd 4), then closed. */
  fd4?: string;
  timeoutMs?: number;
}

export interface LaunchOnceResult {
  /** The exit code, or null when killed by a signal or never started. */
  code: number | null;
  status: StatusLine[];
  stdout: string;
  stderr: string;
  /** Why the launcher could not be started (spawn failed) or was stopped (timeout); null otherwise. */
  problem: string | null;
}

/** Runs `launcher --status-fd 3 ARGS...` to its end. Never rejects: every failure is in the result. */
export function launchOnce(launcher: string, args: readonly string[], opts: LaunchOnceOptions = {}): Promise<LaunchOnceResult> {
  return new Promise((resolve) => {
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe', 'pipe'];
    if (opts.fd4 !== undefined) stdio.push('pipe');
    const child = spawn(launcher, ['--status-fd', '3', ...args], {
      stdio,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      cwd: '/',
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    });
    const status: StatusLine[] = [];
    let stdout = '';
    let stderr = '';
    let problem: string | null = null;
    const timer = setTimeout(() => {
      problem = `the launcher did not finish within ${opts.timeoutMs ?? LAUNCH_ONCE_TIMEOUT_MS} ms`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? LAUNCH_ONCE_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT_BYTES) stderr += d;
    });
    readStatusLines(child.stdio[3] as Readable, (line) => status.push(line));
    if (opts.fd4 !== undefined) {
      const input = child.stdio[4] as Writable;
      input.on('error', () => {}); // a launcher that fails early closes it unread
      input.end(opts.fd4);
    }
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, status, stdout, stderr, problem });
    };
    child.on('error', (err) => {
      problem = `the launcher could not be started: ${err.message}`;
      finish(null);
    });
    child.on('close', (code) => finish(code));
  });
}
