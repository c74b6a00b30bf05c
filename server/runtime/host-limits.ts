// Settings the schema accepts everywhere but the launcher refuses on *this* host: more CPUs than
// are online, a cpuset naming CPUs it does not have. The launcher's own checks (native/launcher/
// cgroup_args.c, "Exact syntax" in native/README.md) stay the authority; these run first, in the
// server, so the learner's running shell is never replaced by one that cannot start, and the
// refusal names the field the settings editor underlines.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpus as osCpus } from 'node:os';
import type { FieldIssue } from '../../common/protocol.js';
import type { Resources } from '../../common/spec.js';
import { LabError } from '../base/errors.js';

/** The launcher's bound on a CPU list's numbers (LAB_CG_MAX_CPUS in cgroup_args.c). */
export const MAX_CPU_NUMBER = 4095;

const ONLINE_CPUS_FILE = '/sys/devices/system/cpu/online';

/** The CPUs the kernel has online, as the launcher reads them. */
export interface OnlineCpus {
  /** The kernel's list, "0-1" (shown to the learner as what is available). */
  list: string;
  members: ReadonlySet<number>;
}

/** A CPU list as the kernel writes it ("0-3,8"): its members, or null when it is not one (or out of order, "3-1"). */
export function parseCpuList(text: string): Set<number> | null {
  const members = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first > last || last > MAX_CPU_NUMBER) return null;
    for (let cpu = first; cpu <= last; cpu++) members.add(cpu);
  }
  return members;
}

/** Read at each check: CPUs go on and off line (a VM resized, a CPU hot-unplugged). */
export function onlineCpus(file = ONLINE_CPUS_FILE): OnlineCpus {
  try {
    const list = readFileSync(file, 'utf8').trim();
    const members = parseCpuList(list);
    if (members) return { list, members };
  } catch {
    // No sysfs (an unusual container): fall back to what Node counts, numbered from 0.
  }
  const count = Math.max(1, osCpus().length);
  return { list: count === 1 ? '0' : `0-${count - 1}`, members: new Set(Array.from({ length: count }, (_, i) => i)) };
}

/**
 * What in R this host's launcher would refuse, with paths relative to R (["cpus"]). Limits apply only with an own cgroup; without one nothing is refused.
 */
export function hostLimitIssues(r: Resources, online: OnlineCpus = onlineCpus()): FieldIssue[] {
  if (!r.cgroup) return [];
  const issues: FieldIssue[] = [];
  const count = online.members.size;
  if (r.cpus !== null && r.cpus > count) {
    issues.push({ path: ['cpus'], message: `this host has ${count} CPU${count === 1 ? '' : 's'} online (${online.list}): at most ${count}` });
  }
  if (r.cpusetCpus !== null) {
    const wanted = parseCpuList(r.cpusetCpus);
    if (!wanted) {
      issues.push({ path: ['cpusetCpus'], message: `a CPU list counts upwards ("0-3", not "3-0") with numbers up to ${MAX_CPU_NUMBER}` });
    } else {
      const missing = [...wanted].filter((cpu) => !online.members.has(cpu));
      if (missing.length) {
        const named = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : '');
        issues.push({ path: ['cpusetCpus'], message: `this host has no CPU ${named}: the CPUs online are ${online.list}` });
      }
    }
  }
  return issues;
}

/**
 * Throws bad_request when this host's launcher would refuse R. Each issue's path is PREFIX, then
 * the field: ["spec", "resources", "cpus"] for the settings editor, ["cpus"] for the limits form.
 */
export function refuseBeyondHost(r: Resources, prefix: (string | number)[], online?: OnlineCpus): void {
  const issues = hostLimitIssues(r, online).map((i) => ({ path: [...prefix, ...i.path], message: i.message }));
  if (issues.length === 0) return;
  const described = issues.map((i) => `${i.path.filter((p) => p !== 'spec').join('.')}: ${i.message}`).join('; ');
  throw new LabError('bad_request', `not on this host: ${described}`, undefined, issues);
}

/**
 * Whether this host's kernel accounts swap per cgroup, as the launcher will find it (cgroup_v1.c,
 * cgroup_v2.c): v1's memory.memsw.* (swapaccount=1), v2's memory.swap.max (only below the root,
 * so looked for in this process's own cgroup or a top-level one). Without it no memory+swap limit
 * can be set, and the launcher refuses one.
 */
export function hostAccountsSwap(cgroupRoot = '/sys/fs/cgroup', selfCgroup = '/proc/self/cgroup'): boolean {
  if (existsSync(join(cgroupRoot, 'memory', 'memory.limit_in_bytes'))) return existsSync(join(cgroupRoot, 'memory', 'memory.memsw.limit_in_bytes'));
  if (!existsSync(join(cgroupRoot, 'cgroup.controllers'))) return false;
  try {
    const own = /^0::(\/.*)$/m.exec(readFileSync(selfCgroup, 'utf8'))?.[1];
    if (own && own !== '/' && existsSync(join(cgroupRoot, own, 'memory.swap.max'))) return true;
    return readdirSync(cgroupRoot, { withFileTypes: true }).some((e) => e.isDirectory() && existsSync(join(cgroupRoot, e.name, 'memory.swap.max')));
  } catch {
    return false;
  }
}

/** The host's swap space in bytes (/proc/meminfo's SwapTotal). */
export function hostSwapBytes(meminfo = '/proc/meminfo'): number {
  try {
    return Number(/^SwapTotal:\s+(\d+) kB$/m.exec(readFileSync(meminfo, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
