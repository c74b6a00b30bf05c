// Asking the same questions in each place: run the probe and the sysview there, measure what it
// cost to start and what it weighs, and turn the answers into one column of the comparison.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { CompareFacts, Place } from '../../common/compare.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../common/capabilities.js';
import { ProbeReport } from '../../common/probe.js';
import { PLAIN_PROCESS, type ContainerSpec, NAMESPACE_KINDS } from '../../common/spec.js';
import { SysviewReport, answered, refusedComparedTo } from '../../common/sysview.js';
import type { ContainerContexts } from '../runtime/container-context.js';
import { launcherArgs } from '../runtime/launcher.js';
import { failedStep, readStatusLines } from '../runtime/status-lines.js';
import type { LabPaths } from '../base/paths.js';
import { GVISOR_CPUS, GVISOR_MEMORY_BYTES, destroySandbox, makeBundle, runscFlags, type GvisorRuntime } from './gvisor.js';
import { msSince, treePssKiB } from './measure.js';
import { VM_CPUS, VM_MEMORY_MIB, type Vm } from './vm.js';

/** A probe and a sysview answer in milliseconds (the sweep: a few); inside gVisor or a TCG guest, far more. */
const PROBE_TIMEOUT_MS = 20_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

/** What one place answered, before it becomes a column. */
export interface PlaceAnswers {
  probe: ProbeReport;
  sysview: SysviewReport;
  startMs: number | null;
  startWhat: string;
  pssKiB: number | null;
  pssWhat: string;
  memLimitBytes: number | null;
  cpuLimit: number | null;
  isolation: string;
  boundary: string;
}

const ANSWERED_BY: Record<Place, string> = { container: 'host kernel', host: 'host kernel', gvisor: 'gVisor Sentry', vm: 'guest kernel' };

/** One column's facts from a place's answers and the host's (the reference for "refused"). */
export function toFacts(place: Place, a: PlaceAnswers, host: SysviewReport | null): CompareFacts {
  const ownKernel = place === 'gvisor' || place === 'vm';
  const answeredCount = answered(a.sysview);
  const root = a.probe.mounts.filter((m) => m.target === '/').at(-1);
  return {
    kernelRelease: a.probe.kernel.release,
    kernel: ownKernel ? 'own' : 'host',
    isolation: a.isolation,
    boundary: a.boundary,
    pid1: a.probe.processes.find((p) => p.pid === 1)?.comm ?? null,
    processCount: a.probe.processCount,
    memTotalKiB: a.sysview.memory.totalKiB,
    memLimitBytes: a.memLimitBytes,
    nproc: a.sysview.cpus.affinity,
    cpuLimit: a.cpuLimit,
    devices: { count: a.sysview.devices.count, sample: a.sysview.devices.names.slice(0, 12) },
    modules: { readable: a.sysview.modulesReadable, count: a.sysview.modules.count },
    netInterfaces: a.probe.netInterfaces,
    dmesg: { readable: a.sysview.dmesg.readable, errno: a.sysview.dmesg.errno, lines: a.sysview.dmesg.lines, first: a.sysview.dmesg.first },
    mounts: { count: a.probe.mounts.length, rootFstype: root?.fstype ?? '' },
    hypervisor: { flag: a.sysview.hypervisor.cpuidBit || a.sysview.hypervisor.cpuinfoFlag, vendor: a.sysview.hypervisor.vendor },
    syscalls:
      answeredCount === null || a.sysview.syscalls.tried === undefined
        ? null
        : {
            tried: a.sysview.syscalls.tried,
            answered: answeredCount,
            refused: (host && refusedComparedTo(a.sysview, host)) ?? 0,
            // A container's calls run in the host's kernel; gVisor's are trapped (ptrace) and answered
            // by the Sentry, a VM's by its own kernel: none of them reaches the host's kernel as such.
            reachHost: ownKernel ? 0 : answeredCount,
            answeredBy: ANSWERED_BY[place],
          },
    startMs: a.startMs,
    startWhat: a.startWhat,
    pssKiB: a.pssKiB,
    pssWhat: a.pssWhat,
  };
}

/** "probe JSON" RS "sysview JSON": both parsed, with errors that say which one failed. */
export function parseAnswers(text: string): { probe: ProbeReport; sysview: SysviewReport } {
  const [probeText, sysviewText] = text.split('\x1eSEP');
  if (sysviewText === undefined) throw new Error(`no sysview output (got: ${text.slice(0, 200)})`);
  const json = (s: string, what: string) => {
    const start = s.indexOf('{');
    const end = s.lastIndexOf('}');
    if (start < 0 || end < start) throw new Error(`${what} printed no JSON: ${s.slice(0, 200)}`);
    return JSON.parse(s.slice(start, end + 1)) as unknown;
  };
  const probe = json(probeText!, 'the probe');
  const sysview = json(sysviewText, 'the sysview');
  return { probe: ProbeReport.parse(probe), sysview: SysviewReport.parse(sysview) };
}

/** The shell line every sandbox runs: a first line (its "prompt"), both reports, then it waits to be measured. */
export function sandboxScript(probe = 'isolab-probe', sysview = 'isolab-sysview'): string {
  return `printf '\\036UP\\n'; ${probe}; printf '\\036SEP\\n'; ${sysview}; printf '\\036END\\n'; read -r _`;
}

function runFile(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out = out.length < MAX_OUTPUT ? out + d : out));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
    child.on('error', reject);
    // 'close', not 'exit': the output pipes may still hold the last bytes when the process has exited.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${file} ${args.slice(0, 3).join(' ')} failed (${signal ?? code}): ${err.trim().slice(-300)}`));
    });
  });
}

// ---- the host ----

export async function hostAnswers(paths: Pick<LabPaths, 'probe' | 'sysview'>): Promise<PlaceAnswers> {
  const [probeText, sysviewText] = await Promise.all([runFile(paths.probe, []), runFile(paths.sysview, [])]);
  const { probe, sysview } = parseAnswers(`${probeText}\x1eSEP${sysviewText}`);
  return {
    probe,
    sysview,
    startMs: null,
    startWhat: 'always running',
    pssKiB: null,
    pssWhat: '',
    memLimitBytes: null,
    cpuLimit: null,
    isolation: 'none: this is the host',
    boundary: '—',
  };
}

// ---- containers ----

/** The container's isolation in words, from its settings. */
export function describeContainer(spec: ContainerSpec): { isolation: string; boundary: string } {
  const ns = NAMESPACE_KINDS.filter((k) => spec.namespaces[k]);
  const parts: string[] = [];
  if (ns.length) parts.push(`${ns.length} namespace${ns.length > 1 ? 's' : ''}`);
  if (spec.rootfs) parts.push('own rootfs');
  if (spec.resources.cgroup) parts.push('cgroup');
  if (spec.capabilities !== 'all') parts.push('caps');
  if (spec.seccomp !== 'unconfined') parts.push('seccomp');
  if (spec.landlock.enabled) parts.push('Landlock');
  return {
    isolation: parts.length ? `${parts.join(' + ')} on the host's kernel` : 'none: a plain process on the host',
    boundary: parts.length ? "the host's kernel itself (one kernel bug away)" : 'none',
  };
}

/** The limits the host's cgroups really enforce on `pid` (v1 or v2, whichever holds the controller). */
export function cgroupLimits(pid: number): { memoryBytes: number | null; cpus: number | null } {
  let memoryBytes: number | null = null;
  let cpus: number | null = null;
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  } catch {
    return { memoryBytes, cpus };
  }
  const read = (file: string): string | null => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return null;
    }
  };
  for (const line of lines) {
    const [, controllers, path] = line.split(':', 3) as [string, string, string];
    const rel = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    const list = controllers.split(',');
    if (list.includes('memory')) {
      const v = read(`/sys/fs/cgroup/memory${rel}/memory.limit_in_bytes`);
      // v1 says "no limit" with a huge page-rounded number.
      if (v && Number(v) < 2 ** 62) memoryBytes = Number(v);
    }
    if (list.includes('cpu')) {
      const base = `/sys/fs/cgroup/${controllers}${rel}`;
      const quota = Number(read(`${base}/cpu.cfs_quota_us`) ?? -1);
      const period = Number(read(`${base}/cpu.cfs_period_us`) ?? 100000);
      if (quota > 0 && period > 0) cpus = quota / period;
    }
    if (controllers === '' && path !== undefined) {
      const max = read(`/sys/fs/cgroup${rel}/memory.max`);
      if (max && max !== 'max') memoryBytes = Number(max);
      const cpu = read(`/sys/fs/cgroup${rel}/cpu.max`);
      if (cpu) {
        const [q, p] = cpu.split(' ');
        if (q !== 'max' && Number(p) > 0) cpus = Number(q) / Number(p);
      }
    }
  }
  return { memoryBytes, cpus };
}

export interface LaunchDeps {
  paths: Pick<LabPaths, 'launcher' | 'sysview' | 'probe'>;
  containers: ContainerContexts;
}

/**
 * Starts a container with `spec` running SANDBOX_SCRIPT, and measures it: spawn → its first line
 * (the start time), both reports, then the PSS of the launcher and everything below it.
 */
export async function containerAnswers(deps: LaunchDeps, spec: ContainerSpec, owner: string): Promise<PlaceAnswers> {
  // In the image the tools are on PATH; a container without its own root runs the host's copies.
  const program = ['/bin/sh', '-c', spec.rootfs ? sandboxScript() : sandboxScript(deps.paths.probe, deps.paths.sysview)];
  const { text, startMs, pssKiB, pid } = await runMeasured(deps, spec, owner, program);
  const { probe, sysview } = parseAnswers(text);
  const limits = pid ? cgroupLimits(pid) : { memoryBytes: null, cpus: null };
  return {
    probe,
    sysview,
    startMs,
    startWhat: 'spawn → first line',
    pssKiB,
    pssWhat: 'launcher + shell',
    memLimitBytes: limits.memoryBytes ?? (spec.resources.cgroup ? spec.resources.memoryBytes : null),
    cpuLimit: limits.cpus ?? (spec.resources.cgroup ? spec.resources.cpus : null),
    ...describeContainer(spec),
  };
}

/** Launches `program` in a container and collects its output up to the END marker, measuring it on the way. */
async function runMeasured(deps: LaunchDeps, spec: ContainerSpec, owner: string, program: string[]): Promise<{ text: string; startMs: number; pssKiB: number; pid: number | null }> {
  const context = deps.containers.acquire(spec, owner);
  const args = ['--status-fd', '3', ...launcherArgs(spec, context.ctx), '--', ...program];
  const started = process.hrtime.bigint();
  const child = spawn(deps.paths.launcher, args, {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' },
  });
  // The launcher tears down what it made before it exits; the context's host-side rest goes then.
  child.on('exit', () => context.release());
  child.on('error', () => context.release());
  let containerPid: number | null = null;
  let launchError = '';
  readStatusLines(child.stdio[3] as Readable, (line) => {
    if (line.type === 'ready') containerPid = line.pid;
    if (line.type === 'error') launchError = failedStep(line);
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  return new Promise((resolve, reject) => {
    let out = '';
    let startMs = -1;
    let measuring = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the container did not answer in time'));
    }, PROBE_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!measuring) reject(new Error(`the container exited (${code}) before answering${launchError ? `: ${launchError}` : ''} ${stderr.trim().slice(-300)}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (startMs < 0 && d.includes('\x1eUP')) startMs = msSince(started);
      out += d;
      if (!measuring && out.includes('\x1eEND')) {
        measuring = true;
        // Measured while the shell waits at its prompt (read), then let go.
        void treePssKiB(child.pid!).then((pss) => {
          (child.stdin as Writable).end('\n');
          clearTimeout(timer);
          resolve({ text: out.slice(out.indexOf('\x1eUP') + 3, out.indexOf('\x1eEND')), startMs, pssKiB: pss, pid: containerPid });
        });
      }
    });
  });
}

/** One more start of a container with `spec`: spawn → its first line, in milliseconds. */
export async function containerStartMs(deps: LaunchDeps, spec: ContainerSpec, owner: string): Promise<number> {
  const { startMs } = await runMeasured(deps, spec, owner, ['/bin/sh', '-c', "printf '\\036UP\\n'; printf '\\036END\\n'; read -r _"]);
  return startMs;
}

/** One more start of a gVisor sandbox: `runsc run` → its first line, in milliseconds. */
export async function gvisorStartMs(rt: GvisorRuntime): Promise<number> {
  const { id, dir } = makeBundle(rt, { args: ['/bin/sh', '-c', "printf '\\036UP\\n'"], terminal: false });
  try {
    const started = process.hrtime.bigint();
    const child = spawn(rt.runsc, [...runscFlags(rt), 'run', '--bundle', dir, id], { stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    return await new Promise<number>((resolve, reject) => {
      let ms = -1;
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (ms < 0 && d.includes('\x1eUP')) ms = msSince(started);
      });
      child.on('error', reject);
      child.on('close', (code) => (ms > 0 ? resolve(ms) : reject(new Error(`runsc exited (${code}) without its first line`))));
    });
  } finally {
    await destroySandbox(rt, id, dir);
  }
}

/** The middle value (start times of a loaded machine have outliers; the median of three is steadier). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/**
 * The sysview inside a learner's running container: `--join` with the shell's own confinement
 * (its cgroup, capabilities, user, no_new_privs and seccomp filter, as docker exec applies them),
 * so the system call sweep and dmesg answer exactly as they would for the learner's shell.
 */
export async function joinedSysview(paths: Pick<LabPaths, 'launcher' | 'sysview'>, pid: number, joinOptions: readonly string[]): Promise<SysviewReport> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`bad pid ${pid}`);
  const out = await runFile(paths.launcher, ['--join', String(pid), ...joinOptions, '--', paths.sysview]);
  return SysviewReport.parse(JSON.parse(out));
}

// ---- gVisor ----

export async function gvisorAnswers(rt: GvisorRuntime): Promise<PlaceAnswers> {
  const { id, dir } = makeBundle(rt, { args: ['/bin/sh', '-c', sandboxScript()], terminal: false });
  try {
    const started = process.hrtime.bigint();
    const child = spawn(rt.runsc, [...runscFlags(rt), 'run', '--bundle', dir, id], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    const { text, startMs, pssKiB } = await new Promise<{ text: string; startMs: number; pssKiB: number }>((resolve, reject) => {
      let out = '';
      let startMs = -1;
      let done = false;
      const timer = setTimeout(() => reject(new Error('the gVisor sandbox did not answer in time')), PROBE_TIMEOUT_MS);
      child.on('error', (err) => reject(new Error(`runsc could not be started: ${err.message}`)));
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (!done) reject(new Error(`runsc exited (${code}) before the sandbox answered: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      });
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (startMs < 0 && d.includes('\x1eUP')) startMs = msSince(started);
        out += d;
        if (!done && out.includes('\x1eEND')) {
          done = true;
          clearTimeout(timer);
          // runsc run, its gofer, the sandbox (the Sentry) and the ptrace stubs: all below the run process.
          void treePssKiB(child.pid!).then((pss) => resolve({ text: out.slice(out.indexOf('\x1eUP') + 3, out.indexOf('\x1eEND')), startMs, pssKiB: pss }));
        }
      });
    });
    child.stdin.end('\n');
    const { probe, sysview } = parseAnswers(text);
    return {
      probe,
      sysview,
      startMs,
      startWhat: 'runsc run → first line',
      pssKiB,
      pssWhat: 'runsc, gofer, Sentry, stubs',
      memLimitBytes: rt.limits.memoryBytes,
      cpuLimit: rt.limits.cpus,
      isolation: 'user-space kernel (Sentry, ptrace) + namespaces',
      boundary: "gVisor's Sentry, itself seccomp-confined",
    };
  } finally {
    await destroySandbox(rt, id, dir);
  }
}

// ---- the VM ----

export async function vmAnswers(vm: Vm, accelNote: string): Promise<PlaceAnswers> {
  const { output, code } = await vm.run("isolab-probe; printf '\\036SEP\\n'; isolab-sysview", PROBE_TIMEOUT_MS);
  if (code !== 0) throw new Error(`the probe failed in the VM (exit ${code}): ${output.slice(0, 300)}`);
  const { probe, sysview } = parseAnswers(output);
  return {
    probe,
    sysview,
    startMs: vm.bootMs,
    startWhat: `boot → prompt, ${vm.accel.toUpperCase()}`,
    pssKiB: await vm.pssKiB(),
    pssWhat: 'QEMU with guest RAM',
    memLimitBytes: VM_MEMORY_MIB * 1024 * 1024,
    cpuLimit: VM_CPUS,
    isolation: vm.accel === 'kvm' ? 'hardware virtualisation (KVM) + own kernel' : `CPU emulation (${accelNote.includes('KVM did not') ? 'TCG: KVM fails here' : 'TCG'}) + own kernel`,
    boundary: 'the hypervisor (QEMU)',
  };
}

/** The settings `isolab compare` gives its own container: docker's defaults with its teaching limits, no bridge. */
export const COMPARE_CONTAINER_SPEC: ContainerSpec = {
  ...PLAIN_PROCESS,
  namespaces: { mount: true, uts: true, ipc: true, pid: true, net: true, user: false, cgroup: true, time: false },
  rootfs: true,
  filesystem: { rootMode: 'pivot', readOnly: false, tmpfs: [], maskedPaths: true, readonlyPaths: true },
  resources: { ...PLAIN_PROCESS.resources, cgroup: true, memoryBytes: GVISOR_MEMORY_BYTES, cpus: GVISOR_CPUS, pidsLimit: 64 },
  capabilities: [...DOCKER_DEFAULT_CAPABILITIES],
  noNewPrivs: true,
  seccomp: 'docker-default',
};
