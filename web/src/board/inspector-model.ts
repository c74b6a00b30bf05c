// What the inspector shows, decided without the DOM: the probe's report about the shell next to
// its report about the host, as grouped rows (namespaces, identity, capabilities, ...), each
// marked as differing (≠) or the same (=), and flagged when it changed since the previous view —
// a switch was flipped — so the page can point at it.
import type { PartialProbeReport } from '../../../common/probe.js';
import type { InspectorView } from '../../../common/protocol.js';
import { CAP_NAMES } from '../../../common/probe.js';
import { PROC_NS_NAMES, formatBytes } from '../../../common/spec.js';

export const INSPECTOR_GROUPS = [
  { id: 'namespaces', title: 'Namespaces' },
  { id: 'identity', title: 'Identity & user namespace' },
  { id: 'caps', title: 'Capabilities' },
  { id: 'seccomp', title: 'Seccomp & no_new_privs' },
  { id: 'cgroup', title: 'cgroup limits' },
  { id: 'mounts', title: 'Mounts & root filesystem' },
  { id: 'paths', title: 'Masked & read-only paths' },
  { id: 'devices', title: 'Devices' },
  { id: 'rlimits', title: 'Resource limits' },
  { id: 'lsm', title: 'Security modules' },
  { id: 'network', title: 'Network' },
  { id: 'kernel', title: 'Kernel & system' },
] as const;
export type InspectorGroupId = (typeof INSPECTOR_GROUPS)[number]['id'];

/** One fact as one report shows it. */
interface Cell {
  group: InspectorGroupId;
  label: string;
  /** Formatted for the page; null: not available in this report. */
  value: string | null;
  /** The full value, for a tooltip, when `value` is shortened. */
  detail?: string;
  /** "verdict": only whether it differs matters (a namespace inode is new with every shell);
   * "none": shown, not compared (a PID or a usage figure differs by nature). */
  compare?: 'verdict' | 'none';
}

export interface InspectorLine {
  /** Stable key: "uts", "caps.effective", "masked:/proc/kcore" (data-testid="inspector-row-KEY"). */
  key: string;
  label: string;
  container: string;
  host: string;
  /** Tooltip text: the full values. */
  detail: string;
  differs: boolean;
  /** Visible marker: never colour alone. */
  symbol: '≠' | '=' | '?' | '·';
  /** The marker in words, for screen readers and the tooltip. */
  meaning: string;
  /** The row changed since the previous view (its values, or for namespaces its verdict). */
  changed: boolean;
  /** What the shell's column said before, when it changed. */
  before: string | null;
}

export interface InspectorGroup {
  id: InspectorGroupId;
  title: string;
  lines: InspectorLine[];
  /** How many of its lines differ. */
  differing: number;
  changed: number;
}

const DASH = '—';

// ---- formatting ----

const limit = (n: number | null): string => (n === null ? 'unlimited' : String(n));
const yesNo = (b: boolean | null | undefined): string | null => (b === null || b === undefined ? null : b ? 'yes' : 'no');

/** Lists longer than this read as a count in the narrow table (the tooltip has the names). */
const MAX_LISTED_CAPS = 6;
/** "all but sys_resource" reads better than 40 names. */
const MAX_MISSING_CAPS = 3;

const capName = (n: string) => n.replace(/^CAP_/, '').toLowerCase();

/** "none", "all 41", "all but sys_resource", a few names, or "14 of 41". */
export function formatCaps(set: { hex: string; names: string[] }, lastCap: number | null, allNames: readonly string[] = []): string {
  const n = set.names.length;
  if (n === 0) return 'none';
  const total = lastCap === null ? null : lastCap + 1;
  if (total !== null && n === total) return `all ${n}`;
  const missing = allNames.filter((name) => !set.names.includes(name));
  if (total !== null && total - n <= MAX_MISSING_CAPS && missing.length === total - n) return `all but ${missing.map(capName).join(', ')}`;
  if (n <= MAX_LISTED_CAPS) return set.names.map(capName).join(', ');
  return total === null ? `${n} capabilities` : `${n} of ${total}`;
}

/** "0→0 ×4294967295" per line; the initial namespace's identity map reads "identity (all IDs)". */
export function formatIdMap(map: { inside: number; outside: number; count: number }[] | null): string | null {
  if (map === null) return null;
  if (map.length === 0) return 'none (unmapped)';
  if (map.length === 1 && map[0]!.inside === 0 && map[0]!.outside === 0 && map[0]!.count === 4294967295) return 'identity (all IDs)';
  return map.map((m) => `${m.inside}→${m.outside} ×${m.count}`).join(', ');
}

function seccompMode(mode: number | null): string | null {
  if (mode === null) return null;
  return mode === 0 ? 'off' : mode === 1 ? 'strict' : mode === 2 ? 'filter' : `mode ${mode}`;
}

function cpuQuota(quotaUs: number | null, periodUs: number | null): string {
  if (quotaUs === null || !periodUs) return 'unlimited';
  return `${quotaUs / 1000} ms per ${periodUs / 1000} ms (${+(quotaUs / periodUs).toFixed(2)} CPU)`;
}

/** Shortens a long list for the table; the tooltip has all of it. */
function shortList(items: string[], max = 6): { value: string; detail?: string } {
  if (items.length === 0) return { value: 'none' };
  if (items.length <= max) return { value: items.join(', ') };
  return { value: `${items.slice(0, max).join(', ')} … (${items.length})`, detail: items.join(', ') };
}

// ---- one report → cells ----

/** Every fact of one report as cells keyed by row, in display order. Sections missing from the report give no cells. */
export function reportCells(r: PartialProbeReport | null): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  if (r === null) return cells;
  const add = (key: string, group: InspectorGroupId, label: string, value: string | null, extra: Partial<Cell> = {}) => {
    // Two facts under one key would hide one of them: a bug here, caught by the unit tests.
    if (cells.has(key)) throw new Error(`inspector: two rows named "${key}"`);
    cells.set(key, { group, label, value, ...extra });
  };

  if (r.namespaces) {
    // The namespaces a process is in (not pid_for_children/time_for_children: its children's).
    for (const name of PROC_NS_NAMES.filter((n) => n in r.namespaces!)) add(name, 'namespaces', name, String(r.namespaces[name]), { compare: 'verdict' });
  }

  if (r.user) {
    add('id.pid', 'identity', 'PID', r.pid === undefined ? null : String(r.pid), {
      compare: 'none',
      ...(r.user.nsPids ? { detail: `PID in each PID namespace, outermost first: ${r.user.nsPids.join(' → ')}` } : {}),
    });
    add('id.uid', 'identity', 'uid / gid', `${r.uid} / ${r.gid}`, {
      detail: `uid real ${r.user.uid.real}, effective ${r.user.uid.effective}, saved ${r.user.uid.saved}, fs ${r.user.uid.fs}; gid real ${r.user.gid.real}, effective ${r.user.gid.effective}`,
    });
    add('id.groups', 'identity', 'groups', r.user.groups.length ? r.user.groups.join(' ') : 'none');
    add('id.uidMap', 'identity', 'uid map', formatIdMap(r.user.uidMap));
    add('id.gidMap', 'identity', 'gid map', formatIdMap(r.user.gidMap));
    add('id.setgroups', 'identity', 'setgroups', r.user.setgroups);
  }

  if (r.caps !== undefined) {
    for (const set of ['effective', 'permitted', 'inheritable', 'bounding', 'ambient'] as const) {
      const caps = r.caps;
      const known = caps ? CAP_NAMES.slice(0, (caps.lastCap ?? CAP_NAMES.length - 1) + 1) : [];
      add(`caps.${set}`, 'caps', set, caps ? formatCaps(caps[set], caps.lastCap, known) : null, caps ? { detail: `${caps[set].hex}: ${caps[set].names.map(capName).join(' ') || 'none'}` } : {});
    }
  }

  if (r.seccomp) {
    add('seccomp.mode', 'seccomp', 'seccomp', seccompMode(r.seccomp.mode));
    add('seccomp.filters', 'seccomp', 'filters', r.seccomp.filters === null ? null : String(r.seccomp.filters));
    add('nnp', 'seccomp', 'no_new_privs', yesNo(r.noNewPrivs));
  }

  if (r.cgroup) {
    const cg = r.cgroup;
    add('cgroup.version', 'cgroup', 'version', cg.version ?? 'none');
    const where = cg.paths.find((p) => p.controllers.includes('memory')) ?? cg.paths.find((p) => p.hierarchy === 0);
    add('cgroup.path', 'cgroup', 'cgroup', where ? where.path : null, { detail: cg.paths.map((p) => `${p.hierarchy}:${p.controllers.join(',')}:${p.path}`).join('\n') });
    add('cgroup.readable', 'cgroup', 'limits readable here', cg.reason ?? 'yes', cg.notes.length ? { detail: cg.notes.join('\n') } : {});
    const m = cg.memory;
    add('cgroup.memory.max', 'cgroup', 'memory limit', m ? formatBytes(m.max) : null);
    add('cgroup.memory.current', 'cgroup', 'memory used', m && m.current !== null ? formatBytes(m.current) : null, { compare: 'none' });
    add('cgroup.memory.swapMax', 'cgroup', 'swap limit', m ? formatBytes(m.swapMax) : null);
    add('cgroup.memory.oomKills', 'cgroup', 'OOM kills', m && m.oomKills !== null ? String(m.oomKills) : null);
    add('cgroup.pids.max', 'cgroup', 'process limit', cg.pids ? limit(cg.pids.max) : null);
    add('cgroup.pids.current', 'cgroup', 'processes in cgroup', cg.pids && cg.pids.current !== null ? String(cg.pids.current) : null, { compare: 'none' });
    add('cgroup.cpu.quota', 'cgroup', 'CPU quota', cg.cpu ? cpuQuota(cg.cpu.quotaUs, cg.cpu.periodUs) : null);
    add('cgroup.cpu.weight', 'cgroup', cg.cpu?.version === 'v1' ? 'CPU shares' : 'CPU weight', cg.cpu ? String(cg.cpu.weight ?? cg.cpu.shares ?? DASH) : null);
    add('cgroup.cpuset', 'cgroup', 'cpuset', cg.cpuset ? `cpus ${cg.cpuset.cpus ?? DASH}, mems ${cg.cpuset.mems ?? DASH}` : null);
    add('cgroup.io', 'cgroup', 'I/O throttle', cg.io ? (cg.io.throttle.length ? cg.io.throttle.map((t) => `${t.device} ${(['rbps', 'wbps', 'riops', 'wiops'] as const).filter((k) => t[k] !== null).map((k) => `${k}=${t[k]}`).join(' ')}`).join('; ') : 'none') : null);
    add('cgroup.devices', 'cgroup', 'device rules (v1)', cg.devices ? shortList(cg.devices.list, 4).value : null, cg.devices ? { detail: cg.devices.list.join('\n') } : {});
  }

  if (r.mounts) {
    const rootfs = r.rootfs ?? null;
    add('rootfs', 'mounts', 'root filesystem', rootfs ? `${rootfs.fstype} (${rootfs.source})` : null);
    add('rootfs.readOnly', 'mounts', '/ read-only', rootfs ? yesNo(rootfs.readOnly) : null);
    if (rootfs?.overlay) {
      add('rootfs.layers', 'mounts', 'overlay layers', `lower ${rootfs.overlay.lower.join(':')} · upper ${rootfs.overlay.upper ?? DASH}`);
    }
    add('root.identity', 'mounts', '/ (device:inode)', r.root ? `${r.root.dev}:${r.root.ino}` : null);
    const list = r.mounts.map((m) => `${m.target} ${m.fstype}${m.readOnly ? ' ro' : ''}`);
    add('mounts.count', 'mounts', 'mounts', String(r.mountCount ?? r.mounts.length), { detail: list.join('\n') });
  }

  if (r.paths) {
    for (const p of r.paths.masked) add(`masked:${p.path}`, 'paths', p.path, p.state === 'masked' ? `masked (${p.how})` : p.state);
    for (const p of r.paths.readOnly) {
      const value = !p.exists ? 'absent' : p.writable ? 'writable' : p.readOnlyMount ? 'read-only mount' : `not writable (${p.error})`;
      add(`readonly:${p.path}`, 'paths', p.path, value);
    }
  }

  if (r.devices) {
    const nodes = r.devices.entries.filter((e) => e.type === 'c' || e.type === 'b');
    const listed = shortList(nodes.map((e) => `${e.name} ${e.major}:${e.minor}`));
    add('devices.nodes', 'devices', 'device nodes in /dev', `${nodes.length}${r.devices.count > r.devices.entries.length ? '+' : ''}`, { detail: listed.detail ?? listed.value });
    for (const o of r.devices.open) add(`open:${o.path}`, 'devices', `open ${o.path}`, o.error === null ? 'opens' : o.error);
  }

  if (r.rlimits) {
    for (const [name, l] of Object.entries(r.rlimits)) add(`rlimit.${name}`, 'rlimits', name, l ? `${limit(l.soft)} / ${limit(l.hard)}` : null);
  }

  if (r.lsm) {
    add('lsm.active', 'lsm', 'active LSMs', r.lsm.active ? r.lsm.active.join(', ') : null);
    add('lsm.current', 'lsm', 'label', r.lsm.current ?? 'none');
    add('lsm.landlock', 'lsm', 'Landlock ABI', r.lsm.landlock.abi !== null ? String(r.lsm.landlock.abi) : `unavailable (${r.lsm.landlock.error})`);
    add('lsm.landlocked', 'lsm', 'in a Landlock domain', r.lsm.landlock.restricted);
  }

  if (r.interfaces) {
    add('net.interfaces', 'network', 'interfaces', r.interfaces.map((i) => `${i.name}${i.up ? '' : ' (down)'}`).join(', ') || 'none');
    const addresses = r.interfaces.flatMap((i) => i.addresses.filter((a) => a.family === 'inet').map((a) => `${i.name} ${a.address}/${a.prefix}`));
    add('net.addresses', 'network', 'IPv4 addresses', addresses.join(', ') || 'none');
    add('net.route', 'network', 'default route', r.defaultRoute ? `via ${r.defaultRoute.gateway ?? 'link'} dev ${r.defaultRoute.interface}` : 'none');
  }

  if (r.hostname !== undefined) add('uts.hostname', 'kernel', 'hostname', r.hostname);
  if (r.kernel) add('kernel.release', 'kernel', 'kernel', r.kernel.release);
  if (r.processCount !== undefined) {
    add('proc.count', 'kernel', 'processes visible', String(r.processCount));
    add('proc.pid1', 'kernel', 'PID 1', r.pid1Comm ?? null);
  }
  if (r.ipc) add('ipc.objects', 'kernel', 'System V IPC objects', `msg ${r.ipc.msg} · shm ${r.ipc.shm} · sem ${r.ipc.sem}`);
  if (r.system) {
    add('sys.cpus', 'kernel', 'CPUs allowed / online', `${r.system.cpusAllowed ?? DASH} / ${r.system.cpusOnline ?? DASH}`);
    add('sys.memory', 'kernel', 'MemTotal', r.system.memTotalKiB === null ? null : formatBytes(r.system.memTotalKiB * 1024));
  }
  return cells;
}

/** A hex id this long (a container's or a cgroup's 32 or 64 hex digits) is not read, only told apart. */
const LONG_ID = /[0-9a-f]{20,}/g;
const ID_SHOWN = 8;

/** Long hex ids shortened to their first 8 digits and "…" (a narrow column tells them apart by that); the tooltip keeps them whole. */
export function abbreviateIds(value: string): string {
  return value.replace(LONG_ID, (id) => `${id.slice(0, ID_SHOWN)}…`);
}

// ---- two reports → lines ----

function marker(container: string | null, host: string | null, differs: boolean, cell: Cell): Pick<InspectorLine, 'symbol' | 'meaning'> {
  if (cell.compare === 'none') return { symbol: '·', meaning: 'not compared: differs by nature' };
  if (container === null || host === null) return { symbol: '?', meaning: container === null ? 'unknown: not available from the shell' : 'unknown: not available on the host' };
  if (cell.group === 'namespaces') {
    return differs ? { symbol: '≠', meaning: 'own namespace (differs from the host)' } : { symbol: '=', meaning: 'same namespace as the host' };
  }
  return differs ? { symbol: '≠', meaning: 'differs from the host' } : { symbol: '=', meaning: 'same as the host' };
}

interface Row {
  key: string;
  cell: Cell;
  container: string | null;
  host: string | null;
  differs: boolean;
}

function rowsOf(view: InspectorView): Row[] {
  const container = reportCells(view.container);
  const host = reportCells(view.host);
  // Every key either report has, the shell's order first.
  const keys = [...container.keys(), ...[...host.keys()].filter((k) => !container.has(k))];
  const rows = keys.map((key) => {
    const cell = (container.get(key) ?? host.get(key))!;
    const c = container.get(key)?.value ?? null;
    const h = host.get(key)?.value ?? null;
    return { key, cell, container: c, host: h, differs: cell.compare !== 'none' && c !== null && h !== null && c !== h };
  });
  const order = new Map<string, number>(INSPECTOR_GROUPS.map((g, i) => [g.id, i]));
  return rows.sort((a, b) => order.get(a.cell.group)! - order.get(b.cell.group)!); // stable: keeps the order within a group
}

export function inspectorGroups(view: InspectorView, previous: InspectorView | null): InspectorGroup[] {
  const before = new Map(previous ? rowsOf(previous).map((r) => [r.key, r]) : []);
  const lines = rowsOf(view).map((row): InspectorLine & { group: InspectorGroupId } => {
    const old = before.get(row.key);
    const changed =
      old !== undefined &&
      row.cell.compare !== 'none' &&
      (row.cell.compare === 'verdict' ? old.differs !== row.differs : old.container !== row.container || old.host !== row.host);
    const container = row.container === null ? DASH : abbreviateIds(row.container);
    const host = row.host === null ? DASH : abbreviateIds(row.host);
    const details = [
      row.cell.detail,
      row.container !== null && container !== row.container ? `shell: ${row.container}` : undefined,
      row.container !== null && row.host !== null && (row.container !== row.host || host !== row.host) ? `host: ${row.host}` : undefined,
    ];
    return {
      group: row.cell.group,
      key: row.key,
      label: row.cell.label,
      container,
      host,
      detail: details.filter(Boolean).join('\n'),
      differs: row.differs,
      ...marker(row.container, row.host, row.differs, row.cell),
      changed,
      before: changed && old ? (old.container ?? DASH) : null,
    };
  });
  return INSPECTOR_GROUPS.map(({ id, title }) => {
    const mine = lines.filter((l) => l.group === id).map(({ group: _group, ...line }) => line);
    return { id, title, lines: mine, differing: mine.filter((l) => l.differs).length, changed: mine.filter((l) => l.changed).length };
  }).filter((g) => g.lines.length > 0);
}

/** "3 of 8 namespaces are the shell's own; 41 other rows differ from the host." */
export function inspectorSummary(view: InspectorView): string {
  if (view.containerPid === null) return 'No shell is running.';
  if (view.container === null) return `The shell could not be inspected${view.error ? `: ${view.error}` : '.'}`;
  const groups = inspectorGroups(view, null);
  const ns = groups.find((g) => g.id === 'namespaces');
  const nsCount = ns?.lines.length ?? 0;
  const own = ns?.differing ?? 0;
  const others = groups.filter((g) => g.id !== 'namespaces').reduce((n, g) => n + g.differing, 0);
  if (own === 0 && others === 0) return `None of ${nsCount} namespaces are the shell's own, and nothing else differs: it is a plain host process.`;
  const first = own === 0 ? `None of ${nsCount} namespaces are the shell's own` : `${own} of ${nsCount} namespaces are the shell's own`;
  const rest = others === 0 ? '' : `; ${others} other ${others === 1 ? 'row differs' : 'rows differ'} from the host`;
  return `${first}${rest}.`;
}
