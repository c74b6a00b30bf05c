// Runs the C probe (native/probe) and parses its report: on the host directly, and inside a
// running container through `isolab-launcher --join PID` (the launcher enters the namespaces; Node never does).
import { readdirSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { PartialProbeReport, ProbeReport } from '../../common/probe.js';
import { SYSVIPC_FILES } from '../base/sysvipc.js';
import { MQUEUE_DIR, parseSysvipc, splitHeadOutput } from './host-view.js';
import type { ShellCgroup, SysvIpc } from './views.js';
import type { LabPaths } from '../base/paths.js';

/** A probe answers in a few milliseconds; five seconds means something is wrong (e.g. a frozen cgroup). */
const PROBE_TIMEOUT_MS = 5_000;
/** A full report is ~25 KB on a busy host (lists are capped at 200 entries); 1 MiB is a runaway. */
const PROBE_MAX_OUTPUT = 1024 * 1024;
/** The host's own view changes rarely; one probe per second serves every session. */
const HOST_PROBE_TTL_MS = 1_000;

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: PROBE_TIMEOUT_MS, maxBuffer: PROBE_MAX_OUTPUT, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`probe failed: ${err.message}${stderr ? ` (${stderr.trim().slice(0, 300)})` : ''}`));
        resolve(stdout);
      },
    );
  });
}

async function runProbe<S extends z.ZodType>(file: string, args: string[], schema: S): Promise<z.infer<S>> {
  const stdout = await run(file, args);
  try {
    return schema.parse(JSON.parse(stdout));
  } catch (parseErr) {
    throw new Error(`probe printed an unexpected report: ${(parseErr as Error).message.slice(0, 300)}`);
  }
}

/**
 * The number by which a process inside its container's /proc is known, given its host PID.
 *
 * The launcher mounts a fresh /proc only in a container with both a mount and a PID namespace;
 * that /proc numbers processes as the container's PID namespace does (NSpid's last field).
 * Otherwise the container's /proc is the host's, or one mounted from the host's PID namespace,
 * and the host PID is the right number.
 */
export async function pidInsideContainer(hostPid: number): Promise<number> {
  const [status, pidNs, mntNs, ownPidNs, ownMntNs] = await Promise.all([
    readFile(`/proc/${hostPid}/status`, 'utf8'),
    stat(`/proc/${hostPid}/ns/pid`),
    stat(`/proc/${hostPid}/ns/mnt`),
    stat('/proc/self/ns/pid'),
    stat('/proc/self/ns/mnt'),
  ]);
  if (pidNs.ino === ownPidNs.ino || mntNs.ino === ownMntNs.ino) return hostPid;
  const nsPids = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  const inner = nsPids.at(-1);
  return inner !== undefined && Number.isSafeInteger(inner) && inner > 0 ? inner : hostPid;
}

export class Prober {
  private hostCache: { at: number; report: Promise<ProbeReport> } | undefined;
  /** The same for each workshop learner's machine, by its PID. */
  private readonly machineCache = new Map<number, { at: number; report: Promise<ProbeReport> }>();

  /** `rootfs` (the image, for its static busybox) is needed only for the System V and mqueue readers. */
  constructor(private readonly paths: Pick<LabPaths, 'launcher' | 'probe'> & Partial<Pick<LabPaths, 'rootfs'>>) {}

  /** What the host sees (a full report, cached briefly, shared by all sessions). */
  host(): Promise<ProbeReport> {
    const now = Date.now();
    if (!this.hostCache || now - this.hostCache.at > HOST_PROBE_TTL_MS) {
      const report = runProbe(this.paths.probe, [], ProbeReport);
      report.catch(() => (this.hostCache = undefined));
      this.hostCache = { at: now, report };
    }
    return this.hostCache.report;
  }

  /**
   * What stands for the host beside a shell: the host itself, or on a workshop server the learner's
   * machine (runtime/learner-machine.ts), whose network, IPC and UTS namespaces a shell shares
   * when a lesson switches its own off. The probe runs joined to the machine (--join enters the
   * namespaces that differ from the host's) and reports itself, as on the host.
   */
  hostFor(machinePid: number | undefined): Promise<ProbeReport> {
    if (machinePid === undefined) return this.host();
    if (!Number.isSafeInteger(machinePid) || machinePid <= 0) return Promise.reject(new Error(`bad pid ${machinePid}`));
    const now = Date.now();
    let cached = this.machineCache.get(machinePid);
    if (!cached || now - cached.at > HOST_PROBE_TTL_MS) {
      // Machines come and go with learners: entries older than the TTL go as the next one is made.
      for (const [pid, entry] of this.machineCache) if (now - entry.at > HOST_PROBE_TTL_MS) this.machineCache.delete(pid);
      const report = runProbe(this.paths.launcher, ['--join', String(machinePid), '--', this.paths.probe], ProbeReport);
      report.catch(() => this.machineCache.delete(machinePid));
      cached = { at: now, report };
      this.machineCache.set(machinePid, cached);
    }
    return cached.report;
  }

  /**
   * What the shell with host PID `pid` sees and is: the probe runs inside every namespace of the
   * shell (--join) and reports the shell's own process attributes — credentials, capabilities,
   * seccomp, no_new_privs, cgroup, limits, LSM label (--pid) — rather than its own, which are the
   * launcher's. What the probe *tries* from in there (opening devices, writing read-only paths)
   * it tries with the credentials it is given: `joinOptions` (launcher.ts joinArgs) confine it as
   * the container is (its cgroup, capabilities, user, seccomp filter...), as docker exec would;
   * without them it runs with the joining launcher's full privileges.
   */
  async container(pid: number, joinOptions: readonly string[] = []): Promise<ProbeReport> {
    const report = await runProbe(this.paths.launcher, await this.containerArgs(pid, joinOptions), ProbeReport);
    // Under Landlock the confined probe may not follow /proc/self/ns/* (magic links into nsfs,
    // which no path rule can name). A namespace's inode is the same whoever reads it, so the host
    // reads the shell's own /proc/PID/ns instead — the same numbers, from outside.
    if (Object.keys(report.namespaces).length === 0) report.namespaces = hostNamespaceInodes(pid);
    return report;
  }

  private async containerArgs(pid: number, joinOptions: readonly string[]): Promise<string[]> {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`bad pid ${pid}`);
    const inside = await pidInsideContainer(pid);
    return ['--join', String(pid), ...joinOptions, '--', this.paths.probe, '--pid', String(inside)];
  }

  /**
   * The System V IPC objects of the IPC namespace of `pid`. /proc/sysvipc/* lists the objects of
   * the *reader's* IPC namespace, so the files are read by a program joined to it.
   */
  async containerSysvIpc(pid: number): Promise<SysvIpc> {
    const out = splitHeadOutput(await this.busyboxIn(pid, ['head', '-n', '100000', ...SYSVIPC_FILES]));
    const file = (f: string) => {
      const text = out.get(f);
      if (text === undefined) throw new Error(`no ${f} in the container's /proc`);
      return text;
    };
    return parseSysvipc({ shm: file(SYSVIPC_FILES[0]), sem: file(SYSVIPC_FILES[1]), msg: file(SYSVIPC_FILES[2]) });
  }

  /**
   * The names in /dev/mqueue as the process `pid` sees them. Listed from inside, so that paths
   * resolve in the container's root: a symbolic link planted there cannot point the server at the
   * host's files.
   */
  async containerMqueues(pid: number): Promise<string[]> {
    const out = await this.busyboxIn(pid, ['ls', '-1', MQUEUE_DIR]);
    return out.split('\n').filter(Boolean).sort();
  }

  // ---- Lessons 4–8 (server/observe/container-view.ts) ----

  /**
   * The cgroup of the process with host PID `pid`, read on the host: the probe runs here (where the
   * whole cgroup filesystem is mounted) and follows the process's membership (--pid). Inside a
   * container no cgroup filesystem is mounted, so the container's own report has no limits.
   */
  async hostCgroupOf(pid: number): Promise<ShellCgroup['limits']> {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`bad pid ${pid}`);
    const report = await runProbe(this.paths.probe, ['--sections', 'cgroup', '--pid', String(pid)], PartialProbeReport);
    if (!report.cgroup) throw new Error('the probe reported no cgroup section');
    return report.cgroup;
  }

  /**
   * The names in directory `dir` as the process `pid` sees it (hidden ones too), listed from inside
   * its namespaces and root, so that a symbolic link planted there resolves in the container.
   */
  async containerFiles(pid: number, dir: string): Promise<string[]> {
    const out = await this.busyboxIn(pid, ['ls', '-1A', dir]);
    return out.split('\n').filter(Boolean).sort();
  }

  // ---- end of lessons 4–8 ----

  /** Runs a busybox applet in every namespace of `pid`: the image's busybox, static, run by file descriptor. */
  private busyboxIn(pid: number, args: string[]): Promise<string> {
    if (!Number.isSafeInteger(pid) || pid <= 0) return Promise.reject(new Error(`bad pid ${pid}`));
    if (!this.paths.rootfs) return Promise.reject(new Error('no image: the prober was made without a rootfs path'));
    return run(this.paths.launcher, ['--join', String(pid), '--', join(this.paths.rootfs, 'bin', 'busybox'), ...args]);
  }
}

/** The inode of each /proc/PID/ns entry, read by the host (a process that exited has none). */
function hostNamespaceInodes(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of readdirSync(`/proc/${pid}/ns`)) {
    try {
      out[name] = statSync(`/proc/${pid}/ns/${name}`).ino;
    } catch {
      /* the process ended meanwhile: report what was read */
    }
  }
  return out;
}
