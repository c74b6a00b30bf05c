// Shared by the hardening tests (caps, seccomp, landlock, lsm, rlimits): run the real launcher,
// build the try-syscall helper, read a process's /proc/PID/status and /proc/PID/limits.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../common/capabilities.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import { compileSeccompProfile, nativeArch, parseSeccompProfileJson } from '../../server/runtime/seccomp/profile.js';
import { LAUNCHER, refusal, start as startLauncher, type Started } from './launcher-run.js';

export { LAUNCHER };
export const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export type { Run, Started } from './launcher-run.js';

/** The launcher with its status on fd 3 (test/helpers/launcher-run.ts); `extraFds` become fds 4, 5, ... */
export function start(args: string[], program: string[], opts: { extraFds?: number[]; env?: Record<string, string> } = {}): Started {
  return startLauncher(args, program, { PATH, ...opts.env }, { extraFds: opts.extraFds ?? [] });
}

export const run = (args: string[], program: string[], opts?: { extraFds?: number[]; env?: Record<string, string> }) =>
  start(args, program, opts).done;

/** Runs PROGRAM and expects it to have started and exited 0; returns its stdout. */
export async function output(args: string[], program: string[]): Promise<string> {
  const result = await run(args, program);
  expect(result.status.map((l) => l.type), `${JSON.stringify(result.status)} ${result.stderr}`).toEqual(['ready', 'exit']);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** A refused command line: exit 125 and one error line at step "args"; returns its message. */
export const refused = refusal;

/** One test per case, named by its command line: it is refused with exactly that message. */
export function itRefuses(cases: [args: string[], message: string][]): void {
  it.each(cases)('%j', async (args, message) => {
    expect(await refused(args)).toBe(message);
  });
}

/** Starts a long-lived PROGRAM (`sleep`), gives its host PID to `look`, then stops the launcher. */
export async function whileRunning<T>(args: string[], look: (pid: number) => T | Promise<T>): Promise<T> {
  const started = start(args, ['/bin/sleep', '300']);
  const { pid } = await started.ready;
  try {
    return await look(pid);
  } finally {
    started.kill('SIGTERM');
    await started.done;
  }
}

/** "Key:\tvalue" lines of /proc/PID/status (or of its text). */
export function parseStatus(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

export const procStatus = (pid: number | 'self') => parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));

/** The five capability sets of a status, as bigints. */
export function capSets(status: Record<string, string>) {
  const hex = (k: string) => BigInt(`0x${status[k]}`);
  return { inh: hex('CapInh'), prm: hex('CapPrm'), eff: hex('CapEff'), bnd: hex('CapBnd'), amb: hex('CapAmb') };
}

/** Builds test/helpers/try-syscall.c into DIR (dynamically linked: run it without an own rootfs). */
export function buildTrySyscall(dir: string): string {
  const out = join(dir, 'try-syscall');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', out, join(REPO_ROOT, 'test/helpers/try-syscall.c'), '-lseccomp'], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  expect(existsSync(out)).toBe(true);
  return out;
}

/** Docker's default capabilities as the kernel spells them (CAP_CHOWN, …). */
export const DOCKER_CAPS = DOCKER_DEFAULT_CAPABILITIES.map((c) => `CAP_${c}`);
/** What `docker run` does to capabilities, as launcher options. */
export const DOCKER_PRESET = ['--cap-drop', 'ALL', '--cap-add', DOCKER_DEFAULT_CAPABILITIES.join(',')];
/** How a program killed by a seccomp filter's SCMP_ACT_KILL ends: 128 + SIGSYS. */
export const SIGSYS_EXIT = 128 + 31;

/**
 * Docker's default seccomp profile compiled for a container with CAPABILITIES (Docker's default
 * ones unless told; server/runtime/seccomp/profile.ts, as a session does), written to
 * DIR/docker-default.seccomp.
 */
export function compileDockerDefault(dir: string, capabilities: string[] = DOCKER_CAPS): { text: string; file: string } {
  const profile = parseSeccompProfileJson(readFileSync(join(REPO_ROOT, 'profiles/seccomp/docker-default.json'), 'utf8'));
  const text = compileSeccompProfile(profile, { arch: nativeArch(), capabilities, kernelRelease: release() })!;
  const file = join(dir, 'docker-default.seccomp');
  writeFileSync(file, text);
  return { text, file };
}

export interface SyscallResult {
  name: string;
  abi?: string;
  ret: number;
  errno: number;
}

/** One try-syscall run inside a container made with ARGS. */
export async function trySyscall(helper: string, args: string[], call: string[]): Promise<SyscallResult> {
  return JSON.parse(await output(args, [helper, ...call])) as SyscallResult;
}

/** What `isolab-launcher --lsm-status` reports. */
export interface LsmStatus {
  type: 'lsm-status';
  active: string[] | null;
  activeFrom: string | null;
  apparmor: { available: boolean; reason?: string };
  selinux: { available: boolean; reason?: string; mode?: string };
  landlock: { available: boolean; abi?: number; reason?: string };
}

export function lsmStatus(): LsmStatus {
  const out = spawnSync(LAUNCHER, ['--lsm-status'], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as LsmStatus;
}

export { ERRNO } from '../../common/errno.js';
