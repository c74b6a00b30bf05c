// The workshop's ceilings: the most of each resource one learner's shell may have, set by the
// operator (`isolab serve --learner-memory 256m …`). A learner may ask for less, never for more:
// a limit left out (or null) is the ceiling, and a higher one is refused with a `forbidden` that
// names the ceiling and the field, whatever path the change takes (a Settings apply, a live limit,
// a lesson, a switch, a demo step). The session applies them where the change runs; the page only
// shows them.
import type { FieldIssue, LimitsRequest } from '../../common/protocol.js';
import { formatBytes, parseSize, type ContainerSpec, type Resources } from '../../common/spec.js';
import { LabError } from '../base/errors.js';

export interface Ceilings {
  /** RAM: memory.limit_in_bytes (v1) or memory.max (v2). */
  memoryBytes: number;
  /** Swap on top of the RAM: memory+swap is at most the memory limit plus this (v1 memory.memsw, v2 memory.swap.max). */
  swapBytes: number;
  /** Processes and threads at once: pids.max. */
  pids: number;
  /** CPUs' worth of time per period: cpu.cfs_quota_us (v1) or cpu.max (v2). */
  cpus: number;
  /** The size of each tmpfs (its pages are charged to the learner's memory cgroup as well). */
  tmpfsBytes: number;
  /** RLIMIT_NOFILE, soft and hard: a process in a user namespace cannot raise its hard limit. */
  openFiles: number;
  /** /proc/sys/user/max_inotify_instances in the container's user namespace. */
  inotifyInstances: number;
  /** /proc/sys/user/max_inotify_watches in the container's user namespace. */
  inotifyWatches: number;
}

/**
 * A CPU weight above the default would let one learner's busy loop take a larger share of a full
 * machine than its neighbours get; below it is theirs to choose. (Docker's and the kernel's default.)
 */
export const CPU_SHARES_CEILING = 1024;

const MiB = 1024 * 1024;

/**
 * Sized for 500 learners on one 2-core, 24 GiB machine (docs in README, "Workshop ceilings"):
 * memory and pids are what the largest lesson asks for (17: 256 MiB, no swap, 64 processes) —
 * memory is not reserved, so 500 × 256 MiB is an overcommit: about 80 learners at their ceiling at
 * once fill the 20 GiB left beside the server, while an idle shell uses about 3 MiB; half a CPU, so
 * that four bombs at once are needed to fill the two cores and equal weights share the rest; a
 * tmpfs as large as the read-only switch's /tmp; docker's 1024 open files; 32 inotify instances
 * and 8192 watches (the kernel gives a whole user 128 instances; no lesson uses inotify).
 */
export const DEFAULT_CEILINGS: Ceilings = {
  memoryBytes: 256 * MiB,
  swapBytes: 0,
  pids: 64,
  cpus: 0.5,
  tmpfsBytes: 64 * MiB,
  openFiles: 1024,
  inotifyInstances: 32,
  inotifyWatches: 8192,
};

type CeilingKind = 'size' | 'count' | 'cpus';

/** `isolab serve`'s flags, one per ceiling, with the bounds a value must keep to (the settings' own, or what a shell needs to start). */
export const CEILING_FLAGS: readonly { flag: string; key: keyof Ceilings; kind: CeilingKind; min: number; max: number; help: string }[] = [
  { flag: 'learner-memory', key: 'memoryBytes', kind: 'size', min: 6 * MiB, max: 2 ** 50, help: 'RAM per learner' },
  { flag: 'learner-swap', key: 'swapBytes', kind: 'size', min: 0, max: 2 ** 50, help: 'swap beyond the RAM, 0 = none' },
  // The probe and the lesson checks join the shell's cgroup: a ceiling must leave them room beside the shell.
  { flag: 'learner-pids', key: 'pids', kind: 'count', min: 16, max: 4_194_304, help: 'processes and threads at once' },
  { flag: 'learner-cpu', key: 'cpus', kind: 'cpus', min: 0.01, max: 1024, help: "CPUs' worth of time" },
  { flag: 'learner-tmpfs', key: 'tmpfsBytes', kind: 'size', min: 4096, max: 1024 ** 3, help: 'size of each tmpfs' },
  { flag: 'learner-open-files', key: 'openFiles', kind: 'count', min: 64, max: 1_048_576, help: 'open files per process, RLIMIT_NOFILE' },
  { flag: 'learner-inotify-instances', key: 'inotifyInstances', kind: 'count', min: 1, max: 2 ** 31 - 1, help: 'inotify instances' },
  { flag: 'learner-inotify-watches', key: 'inotifyWatches', kind: 'count', min: 1, max: 2 ** 31 - 1, help: 'inotify watches' },
];

function formatCeiling(kind: CeilingKind, value: number): string {
  return kind === 'size' ? formatBytes(value) : kind === 'cpus' ? `${value} CPU` : String(value);
}

/**
 * The ceilings from `isolab serve`'s flag values (absent: the default). ONLINE_CPUS bounds
 * --learner-cpu: a limit above the CPUs the host has is one its launcher refuses. Throws Error
 * naming the flag.
 */
export function parseCeilings(values: Readonly<Record<string, unknown>>, onlineCpus: number): Ceilings {
  const ceilings = { ...DEFAULT_CEILINGS };
  for (const { flag, key, kind, min, max } of CEILING_FLAGS) {
    const text = values[flag];
    if (text === undefined) continue;
    const s = String(text);
    const value = kind === 'size' ? parseSize(s) : /^\d+(\.\d+)?$/.test(s) ? Number(s) : undefined;
    const top = kind === 'cpus' ? Math.min(max, onlineCpus) : max;
    if (value === undefined || (kind === 'count' && !Number.isInteger(value))) {
      throw new Error(`--${flag} must be ${kind === 'size' ? 'a size like 256m or 1g' : kind === 'cpus' ? 'a number of CPUs like 0.5' : 'a whole number'}, got "${s}"`);
    }
    if (value < min || value > top) {
      throw new Error(`--${flag} must be from ${formatCeiling(kind, min)} to ${formatCeiling(kind, top)}${kind === 'cpus' ? ' (this host has ' + onlineCpus + ' online)' : ''}, got "${s}"`);
    }
    ceilings[key] = value;
  }
  return ceilings;
}

/** The ceilings the launcher writes into the container's own user namespace (--userns-limit). */
export function usernsLimits(c: Ceilings): Record<string, number> {
  return { max_inotify_instances: c.inotifyInstances, max_inotify_watches: c.inotifyWatches };
}

/** One line per ceiling, for `serve`'s banner and the page: "memory 256 MiB", "swap none", … */
export function describeCeilings(c: Ceilings): string[] {
  return [
    `memory ${formatBytes(c.memoryBytes)}`,
    `swap ${c.swapBytes === 0 ? 'none' : formatBytes(c.swapBytes)}`,
    `${c.pids} processes`,
    `${c.cpus} CPU (weight at most ${CPU_SHARES_CEILING})`,
    `tmpfs ${formatBytes(c.tmpfsBytes)} each`,
    `${c.openFiles} open files per process`,
    `${c.inotifyInstances} inotify instances, ${c.inotifyWatches} watches`,
  ];
}

/** What this host has, against which `serve` weighs the ceilings times its learners. */
export interface HostCapacity {
  memoryBytes: number;
  /** kernel.pid_max: every task takes a PID on the host, whatever PID namespace it is in. */
  pidMax: number;
  /** Tasks the host runs already (/proc/loadavg's fourth field). */
  tasks: number;
  cpus: number;
}

/**
 * `serve`'s words on LEARNERS all at their ceilings at once, against HOST: memory is not reserved
 * (an idle shell uses a few MiB), so more than the host has is an overcommit, said as one; PIDs
 * are a hard end for everyone, the host included, so too many is a warning.
 */
export function weighCeilings(c: Ceilings, learners: number, host: HostCapacity): { lines: string[]; warnings: string[] } {
  const memory = learners * (c.memoryBytes + c.swapBytes);
  // Each learner's launcher is a process of its own beside the cgroup's.
  const pids = learners * (c.pids + 1);
  const atOnce = Math.floor(host.memoryBytes / (c.memoryBytes + c.swapBytes));
  const lines = [
    `${learners} learners at their memory ceiling would need ${formatBytes(memory)} of this host's ${formatBytes(host.memoryBytes)}: about ${atOnce} can be at it at once`,
    `${learners} learners at their CPU ceiling would need ${learners * c.cpus} CPUs of this host's ${host.cpus}: equal weights share them`,
  ];
  const free = host.pidMax - host.tasks;
  const warnings =
    pids > free
      ? [`${learners} learners at ${c.pids} processes each (and their launchers) need ${pids} PIDs, but kernel.pid_max leaves ${free} (${host.pidMax} less the ${host.tasks} running): raise it (sysctl kernel.pid_max=4194304) or lower --learner-pids or --max-sessions`]
      : [];
  return { lines, warnings };
}

/** The limit each field may not exceed, in SPEC's own terms (memory+swap follows the memory limit). */
function limitsOf(r: Pick<Resources, 'memoryBytes'>, c: Ceilings) {
  const memory = Math.min(r.memoryBytes ?? c.memoryBytes, c.memoryBytes);
  return { memory, memorySwap: memory + c.swapBytes };
}

const caps = (what: string) => `this workshop server caps ${what}`;

/**
 * The resources' fields above their ceilings (a null is not: it becomes the ceiling), with paths
 * within Resources. Memory+swap is refused above the two ceilings together; below that, more swap
 * than the ceiling beside a lowered memory limit is brought down with it (capToCeilings), not refused.
 */
function resourceIssues(r: Partial<Resources>, c: Ceilings): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const above = (key: keyof Resources, value: number | null | undefined, ceiling: number, message: string) => {
    if (value !== null && value !== undefined && value > ceiling) issues.push({ path: [key], message });
  };
  above('memoryBytes', r.memoryBytes, c.memoryBytes, caps(`memory at ${formatBytes(c.memoryBytes)}`));
  const swapWords = c.swapBytes === 0 ? 'no swap' : `swap ${formatBytes(c.swapBytes)}`;
  if (r.memorySwapBytes !== -1) above('memorySwapBytes', r.memorySwapBytes, c.memoryBytes + c.swapBytes, caps(`memory+swap at ${formatBytes(c.memoryBytes + c.swapBytes)} (${swapWords})`));
  above('cpus', r.cpus, c.cpus, caps(`CPU time at ${c.cpus} CPU`));
  above('cpuShares', r.cpuShares, CPU_SHARES_CEILING, caps(`CPU weight at ${CPU_SHARES_CEILING} shares (the default)`));
  above('pidsLimit', r.pidsLimit, c.pids, caps(`processes at ${c.pids}`));
  return issues;
}

/** Everything in SPEC above a ceiling, with paths from the settings' root (["resources", "memoryBytes"]). */
export function ceilingIssues(spec: ContainerSpec, c: Ceilings): FieldIssue[] {
  const issues = resourceIssues(spec.resources, c).map((i) => ({ ...i, path: ['resources', ...i.path] }));
  spec.filesystem.tmpfs.forEach((t, i) => {
    if (t.sizeBytes > c.tmpfsBytes) issues.push({ path: ['filesystem', 'tmpfs', i, 'sizeBytes'], message: caps(`each tmpfs at ${formatBytes(c.tmpfsBytes)}`) });
  });
  const nofile = spec.rlimits.nofile;
  for (const end of ['soft', 'hard'] as const) {
    const v = nofile?.[end];
    if (v !== undefined && (v === -1 || v > c.openFiles)) issues.push({ path: ['rlimits', 'nofile', end], message: caps(`open files at ${c.openFiles} per process`) });
  }
  return issues;
}

function refusal(issues: FieldIssue[]): LabError {
  const messages = [...new Set(issues.map((i) => i.message))];
  return new LabError('forbidden', messages.join('; '), undefined, issues);
}

/** Throws `forbidden`, naming each ceiling and field (under "spec", as the settings editor shows them), when SPEC asks for more. */
export function refuseAboveCeilings(spec: ContainerSpec, c: Ceilings): void {
  const issues = ceilingIssues(spec, c);
  if (issues.length) throw refusal(issues.map((i) => ({ ...i, path: ['spec', ...i.path] })));
}

/**
 * SPEC with every limit at most its ceiling: a missing limit is the ceiling, a higher one lowered.
 * For settings nobody wrote for this server (a lesson, a demo step, a switch's defaults); what a
 * learner types is refused first (refuseAboveCeilings). Only the limits change.
 */
export function capToCeilings(spec: ContainerSpec, c: Ceilings): ContainerSpec {
  const r = spec.resources;
  const { memory, memorySwap } = limitsOf(r, c);
  const swapAsked = r.memorySwapBytes === null || r.memorySwapBytes === -1 ? Infinity : r.memorySwapBytes;
  const resources: Resources = {
    ...r,
    memoryBytes: memory,
    // At least the memory limit (the schema's rule), at most the memory limit plus the swap ceiling.
    memorySwapBytes: Math.max(memory, Math.min(swapAsked, memorySwap)),
    cpus: Math.min(r.cpus ?? c.cpus, c.cpus),
    cpuShares: r.cpuShares === null ? null : Math.min(r.cpuShares, CPU_SHARES_CEILING),
    pidsLimit: Math.min(r.pidsLimit ?? c.pids, c.pids),
  };
  const tmpfs = spec.filesystem.tmpfs.map((t) => (t.sizeBytes > c.tmpfsBytes ? { ...t, sizeBytes: c.tmpfsBytes } : t));
  const nofile = spec.rlimits.nofile;
  const files = (v: number | undefined) => (v === undefined || v === -1 ? c.openFiles : Math.min(v, c.openFiles));
  const rlimits = { ...spec.rlimits, nofile: { soft: files(nofile?.soft), hard: files(nofile?.hard) } };
  const capped = { ...spec, resources, filesystem: { ...spec.filesystem, tmpfs }, rlimits };
  // The very same object when nothing changed: callers compare settings by identity.
  return JSON.stringify(capped) === JSON.stringify(spec) ? spec : capped;
}

/**
 * A live-limits request (`sandbox:limits`) under the ceilings, for the shell running under SPEC:
 * null (no limit) becomes the ceiling, a higher limit is refused with the field's path; a new
 * memory limit alone brings memory+swap along, so the swap stays within its ceiling.
 */
export function liveLimitsUnderCeilings(spec: ContainerSpec, change: LimitsRequest, c: Ceilings): LimitsRequest {
  const issues = resourceIssues(change, c);
  if (issues.length) throw refusal(issues);
  const next: LimitsRequest = { ...change };
  if ('memoryBytes' in next && next.memoryBytes === null) next.memoryBytes = c.memoryBytes;
  if ('cpus' in next && next.cpus === null) next.cpus = c.cpus;
  if ('pidsLimit' in next && next.pidsLimit === null) next.pidsLimit = c.pids;
  const memory = next.memoryBytes ?? spec.resources.memoryBytes ?? c.memoryBytes;
  const asked = next.memorySwapBytes;
  if (asked !== undefined && asked !== null && asked !== -1) next.memorySwapBytes = Math.max(memory, Math.min(asked, memory + c.swapBytes));
  else if ('memorySwapBytes' in next || 'memoryBytes' in next) {
    // Unlimited, or a memory limit alone: the swap the shell has now, at most the ceiling.
    const old = spec.resources;
    const swapNow = old.memoryBytes !== null && old.memorySwapBytes !== null && old.memorySwapBytes !== -1 ? old.memorySwapBytes - old.memoryBytes : c.swapBytes;
    next.memorySwapBytes = memory + Math.max(0, Math.min(swapNow, c.swapBytes));
  }
  return next;
}
