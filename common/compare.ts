// The comparison panel's data: the same questions answered at the same moment by the learner's
// container, the host, a gVisor sandbox and a virtual machine. Built by server/compare, shown by the
// page's panel and printed by `isolab compare [--json]`; the rows (label + one cell per place) are
// made here once, so the page and the command line show the same table.
import { z } from 'zod';
import { errnoName } from './errno.js';

export const PLACES = ['container', 'host', 'gvisor', 'vm'] as const;
export type Place = (typeof PLACES)[number];

export const PLACE_TITLES: Record<Place, string> = {
  container: 'Container',
  host: 'Host',
  gvisor: 'gVisor',
  vm: 'Virtual machine',
};

export const CompareFacts = z.object({
  kernelRelease: z.string(),
  /** Whose kernel answers this place's system calls. */
  kernel: z.enum(['host', 'own']),
  /** The mechanism that separates this place from the host, in a few words. */
  isolation: z.string(),
  /** What an attacker inside has to break to reach the host. */
  boundary: z.string(),
  pid1: z.string().nullable(),
  processCount: z.number().int(),
  /** What /proc/meminfo says, and the limit the host really enforces (null = none). */
  memTotalKiB: z.number().int(),
  memLimitBytes: z.number().int().nullable(),
  /** What nproc says, and the CPU limit really enforced in CPUs (null = none). */
  nproc: z.number().int(),
  cpuLimit: z.number().nullable(),
  devices: z.object({ count: z.number().int(), sample: z.array(z.string()) }),
  modules: z.object({ readable: z.boolean(), count: z.number().int() }),
  netInterfaces: z.array(z.string()),
  dmesg: z.object({ readable: z.boolean(), errno: z.number().int(), lines: z.number().int(), first: z.string() }),
  mounts: z.object({ count: z.number().int(), rootFstype: z.string() }),
  hypervisor: z.object({ flag: z.boolean(), vendor: z.string() }),
  syscalls: z.object({
    tried: z.number().int(),
    /** Got a real answer (neither ENOSYS nor EPERM). */
    answered: z.number().int(),
    /** Implemented by the host's kernel but refused here (ENOSYS/EPERM). */
    refused: z.number().int(),
    /** How many of the answered calls the host's kernel itself executes for this place. */
    reachHost: z.number().int(),
    /** Who answers them ("host kernel", "gVisor Sentry", "guest kernel"). */
    answeredBy: z.string(),
  }).nullable(),
  /** Start (spawn → first prompt or ready), in milliseconds; null for the host. */
  startMs: z.number().nullable(),
  startWhat: z.string(),
  /** Proportional set size of every host process that makes up this place, in KiB. */
  pssKiB: z.number().int().nullable(),
  pssWhat: z.string(),
});
export type CompareFacts = z.infer<typeof CompareFacts>;

export const CompareColumn = z.object({
  place: z.enum(PLACES),
  title: z.string(),
  /** ready: facts are there; pending: being gathered (facts may be an older result); unavailable: something is missing. */
  state: z.enum(['ready', 'pending', 'unavailable', 'error']),
  /** Why unavailable or failed: names exactly what to install or do. */
  message: z.string().optional(),
  facts: CompareFacts.optional(),
  /** When the facts were read (ISO 8601), and whether they come from a cache. */
  takenAt: z.string().optional(),
  cached: z.boolean(),
  /** Extra detail: "TCG (no working KVM)", "runsc --platform=ptrace". */
  detail: z.string().optional(),
});
export type CompareColumn = z.infer<typeof CompareColumn>;

export const CompareView = z.object({
  columns: z.array(CompareColumn).length(PLACES.length),
  generatedAt: z.string(),
  /** Why "Measure again" did not measure something again yet, and when it will. */
  notice: z.string().optional(),
});
export type CompareView = z.infer<typeof CompareView>;

export interface CompareRow {
  key: string;
  label: string;
  cells: string[];
  /** Cells that differ from the host's (index into cells). */
  differs: boolean[];
}

const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
const fmtBytes = (b: number) => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(b / 1024 ** 2)} MiB`);
export const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`);

/** One row per question, cells in PLACES order ("…" while pending, "—" when not applicable). */
export function compareRows(view: CompareView): CompareRow[] {
  const cols = PLACES.map((p) => view.columns.find((c) => c.place === p));
  const hostAt = PLACES.indexOf('host');
  const row = (key: string, label: string, cell: (f: CompareFacts, c: CompareColumn) => string, same?: (a: CompareFacts, b: CompareFacts) => boolean): CompareRow => {
    const cells = cols.map((c) => (!c ? '—' : c.facts ? cell(c.facts, c) : c.state === 'pending' ? '…' : '—'));
    const host = cols[hostAt]?.facts;
    const differs = cells.map((v, i) => {
      const f = cols[i]?.facts;
      if (i === hostAt || !f || !host || v === '…' || v === '—') return false;
      return same ? !same(f, host) : v !== cells[hostAt];
    });
    return { key, label, cells, differs };
  };
  return [
    row('kernel', 'Kernel release', (f) => `${f.kernelRelease} (${f.kernel === 'host' ? "host's kernel" : 'own kernel'})`),
    row('isolation', 'Isolation', (f) => f.isolation),
    row('boundary', 'Security boundary', (f) => f.boundary),
    row('pid1', 'PID 1', (f) => f.pid1 ?? '(not visible)'),
    // Two readings a moment apart see a few processes come and go: only a real difference counts.
    row('processes', 'Processes visible', (f) => String(f.processCount), (a, b) => Math.abs(a.processCount - b.processCount) <= Math.max(5, b.processCount * 0.05)),
    row('memory', '/proc/meminfo MemTotal', (f) => (f.memTotalKiB >= 0 ? mib(f.memTotalKiB) : '(none)')),
    row('memlimit', 'Memory limit enforced', (f) => (f.memLimitBytes === null ? 'none' : fmtBytes(f.memLimitBytes))),
    row('nproc', 'nproc', (f) => String(f.nproc)),
    row('cpulimit', 'CPU limit enforced', (f) => (f.cpuLimit === null ? 'none' : `${Number(f.cpuLimit.toFixed(2))} CPU`)),
    row('devices', 'Devices in /dev', (f) => String(f.devices.count)),
    row('modules', 'Kernel modules (/proc/modules)', (f) => (f.modules.readable ? String(f.modules.count) : 'none (no /proc/modules)')),
    row('net', 'Network interfaces', (f) => f.netInterfaces.join(', ') || '(none)'),
    row('dmesg', 'Kernel log (dmesg)', (f) => (f.dmesg.readable ? `${f.dmesg.lines} lines: ${stripLevel(f.dmesg.first).slice(0, 48)}` : `refused (${errnoName(f.dmesg.errno)})`)),
    row('mounts', 'Mounts (root fs)', (f) => `${f.mounts.count} (/ is ${f.mounts.rootFstype || '?'})`),
    row('hypervisor', 'Hypervisor flag (CPUID)', (f) => (f.hypervisor.flag ? `yes${f.hypervisor.vendor ? ` (${f.hypervisor.vendor})` : ''}` : 'no')),
    row('syscalls', 'Syscalls answered / refused', (f) => (f.syscalls ? `${f.syscalls.answered} by ${f.syscalls.answeredBy} / ${f.syscalls.refused} refused` : '—')),
    row('reachhost', 'Syscalls reaching the host kernel', (f) => (f.syscalls ? String(f.syscalls.reachHost) : '—')),
    row('start', 'Start time', (f) => (f.startMs === null ? '—' : `${fmtMs(f.startMs)} (${f.startWhat})`)),
    row('pss', 'Memory cost (PSS)', (f) => (f.pssKiB === null ? '—' : `${mib(f.pssKiB)} (${f.pssWhat})`)),
  ];
}

function stripLevel(line: string): string {
  return line.replace(/^<\d+>/, '').replace(/^\[\s*[\d.]+\]\s*/, '');
}


/** The terminals a learner can switch between: their container's shell, a gVisor shell, a shell on the VM. */
/** The comparison's terminals, a tab each beside the container's shell. */
export const COMPARE_TARGETS = ['gvisor', 'vm'] as const;
/** Every other terminal: 'host' is a shell on the host beside the container's, for presenter mode on a solo lab only. */
export const TERMINAL_TARGETS = [...COMPARE_TARGETS, 'host'] as const;
export type SideTarget = (typeof TERMINAL_TARGETS)[number];
