// What `isolab doctor` learns about this host, from the host: a few files the kernel writes
// (sysctls, mountinfo, meminfo), the launcher's own reports (--lsm-status) and, where reading a
// file proves nothing, trials: short launcher runs that create a user namespace as an unprivileged
// uid, mount an overlay in one, put a process under each cgroup limit and under a seccomp filter,
// and start the floor's own shell. The Node process never enters a namespace: the launcher does
// the trying, and the probe (native/probe) reports from inside what it got. checks.ts judges.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Capability } from '../../common/capabilities.js';
import type { z } from 'zod';
import { PartialProbeReport, TrySyscallReport, type TrySyscallResult } from '../../common/probe.js';
import { PLAIN_PROCESS } from '../../common/spec.js';
import { parseMountinfo } from '../base/mountinfo.js';
import type { LabPaths } from '../base/paths.js';
import { ContainerContexts } from '../runtime/container-context.js';
import { isContainersTmpfs } from '../runtime/containers-tmpfs.js';
import { ownCapabilities } from '../runtime/host-capabilities.js';
import { launchOnce, type LaunchOnceResult } from '../runtime/launch-once.js';
import { launcherArgs } from '../runtime/launcher.js';
import { LsmStatusLine, failedStep } from '../runtime/status-lines.js';
import { DEFAULT_CEILINGS } from '../floor/ceilings.js';
import { MACHINE_HOSTNAME, machineUsernsLimits, raiseToFloor } from '../floor/floor.js';
import { startMachine, type LearnerMachine } from '../runtime/learner-machine.js';

/** The kernel switches the checks read, by their sysctl(8) names. */
export const SYSCTLS = [
  'user.max_user_namespaces',
  'kernel.unprivileged_userns_clone',
  'kernel.apparmor_restrict_unprivileged_userns',
  'kernel.io_uring_disabled',
  'kernel.unprivileged_bpf_disabled',
  'kernel.perf_event_paranoid',
  'kernel.seccomp.actions_avail',
] as const;
export type Sysctl = (typeof SYSCTLS)[number];

/**
 * The unprivileged uid the user-namespace trial runs as: the kernel's overflow uid ("nobody"),
 * which owns nothing and which no learner's range includes. The trial maps only this one uid.
 */
export const TRIAL_UID = 65534;

/** The system calls tried from the unprivileged uid's own user namespace: what a learner's root would reach. */
export const KERNEL_SURFACE_CALLS = ['io_uring_setup', 'bpf', 'perf_event_open'] as const;

/**
 * The seccomp trial's filter (the launcher's line format, native/README.md): one call per action
 * the floor and "Why did that fail?" use — an errno, a hand-over to the supervisor (user
 * notification), killing the process — each a harmless call the probe's try-syscall makes.
 */
export const SECCOMP_TRIAL = {
  profile: ['isolab-seccomp 1', 'default allow', 'syscall kcmp errno:1', 'syscall personality notify', 'syscall ustat kill_process', ''].join('\n'),
  errno: 'kcmp',
  notify: 'personality',
  kill: 'ustat',
} as const;

/** The limits the cgroup trials set, and what the probe must then read in the trial's cgroup. */
export const CGROUP_TRIALS = {
  memory: { args: ['--memory', '64m'], expect: (c: ProbeCgroup) => c.memory?.max === 64 * 1024 * 1024 },
  swap: { args: ['--memory', '64m', '--memory-swap', '64m'], expect: (c: ProbeCgroup) => c.memory?.swapMax === 0 },
  pids: { args: ['--pids-limit', '64'], expect: (c: ProbeCgroup) => c.pids?.max === 64 },
  cpu: { args: ['--cpus', '0.5'], expect: (c: ProbeCgroup) => c.cpu?.quotaUs === 50_000 && c.cpu.periodUs === 100_000 },
} as const;
export type CgroupTrialName = keyof typeof CGROUP_TRIALS;
type ProbeCgroup = NonNullable<PartialProbeReport['cgroup']>;

/** A trial's outcome: what it showed, or where and why it failed (the launcher's step and errno). */
export type Trial<T> = { ok: true; value: T } | { ok: false; step: string | null; errno: number | null; message: string };

export interface CgroupLayout {
  /** What is mounted at /sys/fs/cgroup: cgroup2 (v2), v1 hierarchies with a cgroup2 beside them (hybrid), v1 only, or nothing. */
  kind: 'v2' | 'hybrid' | 'v1' | 'none';
  /** Where cgroup2 is mounted (/sys/fs/cgroup, or …/unified on a hybrid host); null without it. */
  unified: string | null;
  /** Its cgroup.controllers; null without a cgroup2 mount. */
  unifiedControllers: string[] | null;
  /** The v1 hierarchies' controllers (cpu, memory, …), mounted below /sys/fs/cgroup. */
  v1Controllers: string[];
}

export interface HostFacts {
  kernelRelease: string;
  /** Each switch's text, or null when this kernel has no such file. */
  sysctls: Record<Sysctl, string | null>;
  launcher: { path: string; built: boolean };
  /** `--lsm-status`, or why the launcher could not say. */
  lsm: Trial<LsmStatusLine>;
  /** This process's bounding set: a container can be given no capability outside it. */
  capabilities: Capability[];
  cgroup: CgroupLayout;
  /** /proc/meminfo's SwapTotal; null when it cannot be read. */
  swapTotalKiB: number | null;
  containersDir: { path: string; ownTmpfs: boolean; entries: number | null };
  trials: {
    /** Owned by TRIAL_UID (--userns-owner): a user namespace (and a UTS namespace it owns, with a hostname set), then KERNEL_SURFACE_CALLS from in there. */
    unprivilegedUserns: Trial<TrySyscallResult[]>;
    /** An overlay of the image as the root of a user namespace (idmapped lower layer), as every workshop shell has. */
    overlayInUserns: Trial<null>;
    cgroup: Record<CgroupTrialName, Trial<{ version: 'v1' | 'v2'; dir: string }>>;
    /** Under SECCOMP_TRIAL's filter: each try-syscall's result, and the calls the supervisor was handed. */
    seccomp: Trial<{ calls: TrySyscallResult[]; notified: string[] }>;
    /** The weakest shell a workshop server hands out (every floor switch on), as serve builds it. */
    floorShell: Trial<null>;
  };
  /** How long gathering took. */
  elapsedMs: number;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** One sysctl by its sysctl(8) name ("kernel.io_uring_disabled"), or null when the kernel has none. */
export function readSysctl(name: string): string | null {
  return readOrNull(join('/proc/sys', ...name.split('.')));
}

/** The cgroup filesystems as the launcher finds them (cgroup_args.c choose_backend looks at the same places). */
export function cgroupLayout(mountinfo: string, readControllers: (dir: string) => string | null): CgroupLayout {
  const mounts = parseMountinfo(mountinfo);
  const root = mounts.filter((m) => m.target === '/sys/fs/cgroup').at(-1);
  // Only what is mounted on the top /sys/fs/cgroup is reachable (a tmpfs over it hides the rest).
  const below = mounts.filter((m) => root !== undefined && m.parent === root.id);
  const v1Controllers = below
    .filter((m) => m.fstype === 'cgroup')
    .flatMap((m) => m.superOptions.filter((o) => !o.includes('=') && !V1_MOUNT_OPTIONS.has(o)))
    .filter((c, i, all) => all.indexOf(c) === i)
    .sort();
  let unified: string | null = null;
  let kind: CgroupLayout['kind'] = 'none';
  if (root?.fstype === 'cgroup2') {
    unified = '/sys/fs/cgroup';
    kind = 'v2';
  } else if (v1Controllers.length > 0) {
    unified = below.some((m) => m.fstype === 'cgroup2' && m.target === '/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : null;
    kind = unified ? 'hybrid' : 'v1';
  }
  const controllers = unified === null ? null : readControllers(unified);
  return { kind, unified, unifiedControllers: controllers === null ? null : controllers.split(/\s+/).filter(Boolean), v1Controllers };
}

/** A v1 hierarchy's super options that are not controller names (cgroups(7)). */
const V1_MOUNT_OPTIONS = new Set(['rw', 'ro', 'clone_children', 'noprefix', 'xattr', 'cpuset_v2_mode', 'favordynmods', 'none']);

function swapTotalKiB(): number | null {
  const m = /^SwapTotal:\s+(\d+) kB$/m.exec(readOrNull('/proc/meminfo') ?? '');
  return m ? Number(m[1]) : null;
}

/** A launcher run that did not go as planned, as a failed trial: its error line, else its exit and stderr. */
function failure(run: LaunchOnceResult, what: string): Trial<never> {
  const error = run.status.find((l) => l.type === 'error');
  if (error?.type === 'error') return { ok: false, step: error.step, errno: error.errno, message: failedStep(error) };
  const said = run.stderr.trim().split('\n').at(-1) ?? '';
  return { ok: false, step: null, errno: null, message: run.problem ?? `${what} exited with ${run.code}${said ? `: ${said.slice(0, 300)}` : ''}` };
}

function parsed<T>(text: string, schema: z.ZodType<T>): T | null {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

async function lsmStatus(launcher: string): Promise<Trial<LsmStatusLine>> {
  return new Promise((resolve) => {
    execFile(launcher, ['--lsm-status'], { timeout: 5_000, env: {} }, (err, stdout) => {
      const line = parsed(stdout, LsmStatusLine);
      if (line) resolve({ ok: true, value: line });
      else resolve({ ok: false, step: null, errno: null, message: `isolab-launcher --lsm-status did not answer: ${err?.message ?? stdout.slice(0, 200)}` });
    });
  });
}

async function unprivilegedUserns(paths: LabPaths): Promise<Trial<TrySyscallResult[]>> {
  const run = await launchOnce(
    paths.launcher,
    // As the server makes each learner's: by root's launcher, as the unprivileged uid (--userns-owner).
    ['--unshare', 'user,uts', '--userns-map', `0:${TRIAL_UID}:1`, '--userns-owner', String(TRIAL_UID), '--setgroups', 'deny', '--hostname', 'isolab-doctor', '--', paths.probe, 'try-syscall', ...KERNEL_SURFACE_CALLS],
  );
  const report = run.code === 0 ? parsed(run.stdout, TrySyscallReport) : null;
  return report ? { ok: true, value: report.trySyscall } : failure(run, 'the unprivileged launcher');
}

async function overlayInUserns(paths: LabPaths): Promise<Trial<null>> {
  const run = await launchOnce(paths.launcher, ['--unshare', 'user,mount,pid', '--userns-map', `0:${TRIAL_UID}:1`, '--rootfs', paths.rootfs, '--', '/bin/true']);
  return run.code === 0 ? { ok: true, value: null } : failure(run, 'the container');
}

async function cgroupTrial(paths: LabPaths, name: CgroupTrialName): Promise<Trial<{ version: 'v1' | 'v2'; dir: string }>> {
  const trial = CGROUP_TRIALS[name];
  // Unique on the host, ending in our pid as the server's names do; the launcher removes it as it exits.
  const run = await launchOnce(paths.launcher, ['--cgroup', `doctor-${name}-${process.pid}`, ...trial.args, '--', paths.probe, '--sections', 'cgroup']);
  if (run.code !== 0) return failure(run, 'the container');
  const cgroup = parsed(run.stdout, PartialProbeReport)?.cgroup;
  const controller = name === 'swap' ? 'memory' : name;
  const seen = cgroup?.[controller];
  if (!cgroup || !seen) return { ok: false, step: null, errno: null, message: `the launcher set ${trial.args.join(' ')}, but the probe in its cgroup found no ${controller} controller (${cgroup?.notes.join('; ') || 'no cgroup report'})` };
  if (!trial.expect(cgroup)) return { ok: false, step: null, errno: null, message: `the launcher set ${trial.args.join(' ')}, but the probe in ${seen.dir} reads ${JSON.stringify(seen)}` };
  return { ok: true, value: { version: seen.version, dir: seen.dir } };
}

async function seccompTrial(paths: LabPaths): Promise<Trial<{ calls: TrySyscallResult[]; notified: string[] }>> {
  const run = await launchOnce(
    paths.launcher,
    ['--seccomp-fd', '4', '--seccomp-notify', '1', '--no-new-privs', '--', paths.probe, 'try-syscall', SECCOMP_TRIAL.errno, SECCOMP_TRIAL.notify, SECCOMP_TRIAL.kill],
    { fd4: SECCOMP_TRIAL.profile },
  );
  const report = run.code === 0 ? parsed(run.stdout, TrySyscallReport) : null;
  if (!report) return failure(run, 'the container');
  const notified = run.status.flatMap((l) => (l.type === 'seccomp-notify' && l.syscall ? [l.syscall] : []));
  return { ok: true, value: { calls: report.trySyscall, notified } };
}

/**
 * The floor's shell as `isolab serve --mode workshop` builds it (launcherArgs of the floor's spec),
 * in a learner's machine of its own (runtime/learner-machine.ts), running /bin/true.
 */
async function floorShell(paths: LabPaths): Promise<Trial<null>> {
  const contexts = new ContainerContexts(paths.rootfs, paths.containers, paths.dockerSeccompProfile, paths.launcher);
  const spec = raiseToFloor(PLAIN_PROCESS, DEFAULT_CEILINGS);
  let context: ReturnType<ContainerContexts['acquire']> | undefined;
  let machine: LearnerMachine | undefined;
  try {
    machine = await startMachine({
      launcher: paths.launcher,
      uidRanges: contexts.uidRanges,
      hostname: MACHINE_HOSTNAME,
      usernsLimits: machineUsernsLimits(DEFAULT_CEILINGS),
    });
    context = contexts.acquire(spec, 'doctor', undefined, { throwaway: true, machine });
    const run = await launchOnce(paths.launcher, [...launcherArgs(spec, context.ctx), '--', '/bin/true']);
    return run.code === 0 ? { ok: true, value: null } : failure(run, 'the floor shell');
  } catch (err) {
    return { ok: false, step: null, errno: null, message: (err as Error).message };
  } finally {
    context?.release();
    contexts.dispose();
    await machine?.stop();
  }
}

export async function gatherHostFacts(paths: LabPaths): Promise<HostFacts> {
  const started = performance.now();
  const sysctls = Object.fromEntries(SYSCTLS.map((name) => [name, readSysctl(name)])) as Record<Sysctl, string | null>;
  // Before any trial: the floor shell's context creates the directory.
  const entries = existsSync(paths.containers) ? readdirSync(paths.containers).length : null;
  const containersDir = { path: paths.containers, ownTmpfs: entries !== null && isContainersTmpfs(paths.containers), entries };
  const built = existsSync(paths.launcher) && existsSync(paths.probe) && existsSync(paths.rootfs);
  const notBuilt: Trial<never> = { ok: false, step: null, errno: null, message: `${paths.launcher}, ${paths.probe} or ${paths.rootfs} is missing` };
  const cgroupNames = Object.keys(CGROUP_TRIALS) as CgroupTrialName[];
  const tryIt = <T>(trial: (p: LabPaths) => Promise<Trial<T>>): Promise<Trial<T>> => (built ? trial(paths) : Promise.resolve(notBuilt));
  // Independent of each other (distinct cgroups, namespaces of their own): all at once.
  const [lsm, unprivileged, overlay, seccomp, floor, cgroups] = await Promise.all([
    tryIt((p) => lsmStatus(p.launcher)),
    tryIt(unprivilegedUserns),
    tryIt(overlayInUserns),
    tryIt(seccompTrial),
    tryIt(floorShell),
    Promise.all(cgroupNames.map((name) => tryIt((p) => cgroupTrial(p, name)))),
  ]);
  return {
    kernelRelease: release(),
    sysctls,
    launcher: { path: paths.launcher, built },
    lsm,
    capabilities: ownCapabilities('CapBnd'),
    cgroup: cgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8'), (dir) => readOrNull(join(dir, 'cgroup.controllers'))),
    swapTotalKiB: swapTotalKiB(),
    containersDir,
    trials: {
      unprivilegedUserns: unprivileged,
      overlayInUserns: overlay,
      cgroup: Object.fromEntries(cgroupNames.map((name, i) => [name, cgroups[i]!])) as HostFacts['trials']['cgroup'],
      seccomp,
      floorShell: floor,
    },
    elapsedMs: Math.round(performance.now() - started),
  };
}
