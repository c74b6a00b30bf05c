// What a server that died (SIGKILL, a crash, the OOM killer) left on the host, removed by the next
// server before it serves anyone. A dead server's launchers lose their terminal and mostly tear
// their containers down themselves, but not all of it goes: a launcher killed with SIGKILL leaves
// its cgroup (with whatever still runs in it), the containers directory keeps every container's
// directory and the compiled seccomp filters, and SysV IPC objects made in the host's IPC namespace
// outlive their container. The dead instance's ledger (runtime/instance-ledger.ts) says which are
// its, so that on a host with several servers each reaps only what belongs to one that is gone:
//
//   1. its launchers still running (their command line names its status socket or a cgroup of its own): SIGKILL
//   2. its cgroups, in every hierarchy: every process in them killed, then removed, deepest first
//   3. its containers' directories, and its seccomp filters in the containers directory
//   4. SysV IPC objects owned by uids of its user namespaces (none a live server's ranges share)
//   5. its ledger
// and then cgroups no ledger names, of servers whose pid no longer runs (from before the ledger).
// Network namespaces, veths and the containers' mounts live only as long as the containers' processes: 2 ends them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stillRunning } from '../base/process-identity.js';
import { sysvipcRows } from '../base/sysvipc.js';
import { BRIDGE_ADDRESS_TABLE } from './bridge-addresses.js';
import { HostLeases } from './host-leases.js';
import { readInstances, type InstanceOwner, type InstanceRecords, type LaunchRecord } from './instance-ledger.js';
import { UidRanges } from './uid-ranges.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
/** The launcher's cgroups live under this, in every hierarchy (native/launcher/cgroup.c). */
const CGROUP_PARENT = 'isolab';
/** A SIGKILLed process leaves its cgroup within milliseconds; one still there after this is stuck in the kernel (D state). */
const CGROUP_EMPTY_TIMEOUT_MS = 3_000;
/** util-linux: Node has no shmctl/msgctl/semctl of its own. */
const IPCRM = '/usr/bin/ipcrm';
const LAUNCHER_NAME = 'isolab-launcher';

export interface ReapReport {
  instances: number;
  launchers: number;
  cgroups: number;
  containerEntries: number;
  ipcObjects: number;
  /** Leases (uid ranges, bridge addresses) a dead server held (host-leases.ts). */
  leases: number;
  /** What could not be removed, and why (logged; the server still starts). */
  problems: string[];
}

const emptyReport = (): ReapReport => ({ instances: 0, launchers: 0, cgroups: 0, containerEntries: 0, ipcObjects: 0, leases: 0, problems: [] });

/** Reaps every dead instance recorded under INSTANCES_DIR; live ones (this server's included) are left alone. */
export async function reapDeadInstances(instancesDir: string): Promise<ReapReport> {
  const all = readInstances(instancesDir);
  const isLive = (i: InstanceRecords) => i.owner !== null && stillRunning(i.owner);
  const live = all.filter(isLive);
  const report = emptyReport();
  for (const dead of all.filter((i) => !isLive(i))) {
    await reapLaunches(dead.owner, dead.launches, { uids: dead.uidsEverUsed, live, report });
    // A filter is named after its server's pid: not one a live server got since.
    if (dead.owner && !live.some((l) => l.owner!.pid === dead.owner!.pid)) report.containerEntries += removeFiltersOf(dead.owner);
    rmSync(dead.dir, { recursive: true, force: true });
    report.instances++;
  }
  await reapUnrecordedCgroups(report);
  // Last: a uid range is taken back only once no process of it runs, and the launchers just went.
  report.leases += new UidRanges().sweep() + new HostLeases(BRIDGE_ADDRESS_TABLE).sweep();
  return report;
}

/**
 * A server's cgroup names end in its pid (runtime/container-context.ts: OWNER-N-PID, OWNER-why-N-PID
 * for a diagnosis). Servers from before the ledger, or whose ledger was lost, left cgroups no ledger
 * names: one whose server's pid no longer runs is an orphan. (A pid some other process got since
 * keeps it: the conservative mistake.)
 */
const SERVER_CGROUP_NAME = /^isolab-[0-9a-f]{8}(?:-why)?-\d+-(\d+)$/;

async function reapUnrecordedCgroups(report: ReapReport): Promise<void> {
  const names = new Set<string>();
  for (const root of cgroupHierarchies()) {
    try {
      for (const name of readdirSync(join(root, CGROUP_PARENT))) names.add(name);
    } catch {
      /* no isolab cgroups in this hierarchy */
    }
  }
  for (const name of names) {
    const pid = SERVER_CGROUP_NAME.exec(name)?.[1];
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    const removed = await removeCgroup(name);
    if (removed.problem) report.problems.push(removed.problem);
    report.cgroups += removed.count;
  }
}

/**
 * Removes what LAUNCHES made (OWNER's, when known): their launchers, cgroups, directories and IPC
 * objects. Also how a server that stops cleanly removes what a launcher that would not exit left.
 */
export async function reapLaunches(
  owner: InstanceOwner | null,
  launches: LaunchRecord[],
  opts: {
    /** The uid ranges whose SysV IPC objects go (every range the instance used). */
    uids: [number, number][];
    /** The live servers: nothing in a uid range one of them uses now is touched. */
    live: InstanceRecords[];
    report?: ReapReport;
  },
): Promise<ReapReport> {
  const report = opts.report ?? emptyReport();
  const cgroups = new Set(launches.map((l) => l.cgroup).filter((c): c is string => c !== null));
  report.launchers += killLaunchers(owner?.statusSocket, cgroups);
  for (const name of cgroups) {
    const removed = await removeCgroup(name);
    if (removed.problem) report.problems.push(removed.problem);
    report.cgroups += removed.count;
  }
  for (const launch of launches) {
    if (!launch.containerDir || !existsSync(launch.containerDir)) continue;
    rmSync(launch.containerDir, { recursive: true, force: true });
    report.containerEntries++;
  }
  const liveUids = opts.live.flatMap((i) => i.launches.map((l) => l.uids).filter((u): u is [number, number] => u !== null));
  const deadUids = opts.uids;
  const owned = (uid: number) => deadUids.some(([first, n]) => uid >= first && uid < first + n) && !liveUids.some(([first, n]) => uid >= first && uid < first + n);
  const ipc = removeIpcObjects(owned);
  report.ipcObjects += ipc.count;
  report.problems.push(...ipc.problems);
  return report;
}

/** SIGKILLs every launcher whose command line names STATUS_SOCKET or one of CGROUPS; returns how many. */
function killLaunchers(statusSocket: string | undefined, cgroups: Set<string>): number {
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (basename(argv[0] ?? '') !== LAUNCHER_NAME) continue;
    const after = (flag: string) => {
      const i = argv.indexOf(flag);
      return i >= 0 ? argv[i + 1] : undefined;
    };
    const ours = (statusSocket !== undefined && after('--status-socket') === statusSocket) || cgroups.has(after('--cgroup') ?? '');
    if (!ours) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch {
      /* exited meanwhile */
    }
  }
  return killed;
}

/** The hierarchies the launcher may have made cgroups in: the unified root, or every v1 one (and the hybrid's unified). */
export function cgroupHierarchies(): string[] {
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return [CGROUP_ROOT];
  const roots = new Set<string>();
  for (const entry of readdirSync(CGROUP_ROOT)) {
    try {
      // cpu and cpuacct are links to cpu,cpuacct: one hierarchy, once.
      const real = realpathSync(join(CGROUP_ROOT, entry));
      if (statSync(real).isDirectory()) roots.add(real);
    } catch {
      /* not a hierarchy */
    }
  }
  return [...roots];
}

/** Directories below (and including) DIR, deepest first. */
function cgroupTree(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) out.push(...cgroupTree(join(dir, entry.name)));
  out.push(dir);
  return out;
}

const procsOf = (dir: string): number[] => {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** Whether cgroup isolab/NAME is still there in some hierarchy (its launcher was killed before it could remove it). */
export function cgroupLeftBehind(name: string): boolean {
  return cgroupHierarchies().some((root) => existsSync(join(root, CGROUP_PARENT, name)));
}

/** Kills everything in cgroup isolab/NAME of every hierarchy, then removes it there; count is 1 when it is gone. */
export async function removeCgroup(name: string): Promise<{ count: number; problem?: string }> {
  const dirs = cgroupHierarchies().map((root) => join(root, CGROUP_PARENT, name)).filter((d) => existsSync(d));
  if (dirs.length === 0) return { count: 0 };
  const tree = dirs.flatMap(cgroupTree);
  for (const dir of tree) {
    // cgroup.kill (Linux 5.14, v2) takes forks in flight too; elsewhere each process is killed by PID.
    if (existsSync(join(dir, 'cgroup.kill'))) {
      try {
        writeFileSync(join(dir, 'cgroup.kill'), '1');
      } catch {
        /* the cgroup went meanwhile */
      }
    }
    for (const pid of procsOf(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited meanwhile */
      }
    }
  }
  const deadline = Date.now() + CGROUP_EMPTY_TIMEOUT_MS;
  while (tree.some((d) => procsOf(d).length > 0) && Date.now() < deadline) {
    // A fork that was in flight shows up once it lands: kill what is there again.
    for (const dir of tree) for (const pid of procsOf(dir)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  const failed: string[] = [];
  for (const dir of tree) {
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(`${dir}: ${(err as Error).message}`);
    }
  }
  return failed.length ? { count: 0, problem: `cgroup ${name} could not be removed: ${failed.join('; ')}` } : { count: 1 };
}

/** The compiled seccomp filters OWNER left in its containers directory (seccomp-HASH-PID.bpf/.txt). */
function removeFiltersOf(owner: InstanceOwner): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(owner.containersDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!new RegExp(`^seccomp-[0-9a-f]+-${owner.pid}\\.(bpf|txt)$`).test(name)) continue;
    rmSync(join(owner.containersDir, name), { force: true });
    removed++;
  }
  return removed;
}

/** The SysV IPC tables: /proc/sysvipc/FILE, its id column, and ipcrm's option for it. */
const IPC_TABLES = [
  { file: 'shm', id: 'shmid', option: '-m' },
  { file: 'msg', id: 'msqid', option: '-q' },
  { file: 'sem', id: 'semid', option: '-s' },
] as const;

/** Every SysV IPC object of the host's IPC namespace whose owner or creator OWNED says is a dead server's. */
function removeIpcObjects(owned: (uid: number) => boolean): { count: number; problems: string[] } {
  let count = 0;
  const problems: string[] = [];
  for (const table of IPC_TABLES) {
    let text: string;
    try {
      text = readFileSync(`/proc/sysvipc/${table.file}`, 'utf8');
    } catch {
      continue; // no SysV IPC in this kernel
    }
    for (const row of sysvipcRows(text)) {
      if (!owned(row.uid ?? -1) && !owned(row.cuid ?? -1)) continue;
      const id = row[table.id];
      try {
        execFileSync(IPCRM, [table.option, String(id)], { stdio: 'pipe', env: {} });
        count++;
      } catch (err) {
        problems.push(`${table.file} ${id}: ${((err as { stderr?: Buffer }).stderr?.toString() || (err as Error).message).trim()}`);
      }
    }
  }
  return { count, problems };
}

export function describeReap(report: ReapReport): string | null {
  const reaped = report.launchers + report.cgroups + report.containerEntries + report.ipcObjects + report.leases;
  if (report.instances === 0 && reaped === 0) return null;
  const parts = [
    `${report.launchers} launcher${report.launchers === 1 ? '' : 's'}`,
    `${report.cgroups} cgroup${report.cgroups === 1 ? '' : 's'}`,
    `${report.containerEntries} entr${report.containerEntries === 1 ? 'y' : 'ies'} of the containers directory`,
    `${report.ipcObjects} IPC object${report.ipcObjects === 1 ? '' : 's'}`,
    `${report.leases} lease${report.leases === 1 ? '' : 's'} (uid ranges, bridge addresses)`,
  ];
  const who = report.instances > 0 ? `${report.instances} stopped server${report.instances === 1 ? '' : 's'}` : 'stopped servers';
  return `reaped what ${who} left: ${parts.join(', ')}`;
}
