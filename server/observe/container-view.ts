// What the host can read about a container for lessons 4–8, without entering it: where each process's
// root is and whether ".." climbs out of it (chroot against pivot_root), the overlay's upper layer on
// the host and the overlay mounts in the shell's table, the shell's cgroup counters, the TCP ports
// listening in each network namespace below the shell and the neighbours it resolved. And, listed
// from inside (busybox through `launcher --join`), the names in the container's /tmp.
// Every read is of /proc/PID/… or of a directory the server made; nothing follows a path the
// container controls (a symbolic link planted in the upper layer is reported, never followed).
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerFiles, ContainerViewFacts, OverlayView, ShellCgroup, TreeProcess, TreeView, UpperEntry } from './views.js';
import { parseMountinfo } from '../base/mountinfo.js';
import type { ProcEntry } from './proc.js';

/** An upper layer can hold anything the learner wrote; the checks need the first few hundred names. */
export const UPPER_MAX_ENTRIES = 2000;
const UPPER_MAX_DEPTH = 32;

interface Identity {
  dev: bigint;
  ino: bigint;
}

const same = (a: Identity | null, b: Identity | null) => a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;

async function identity(path: string): Promise<Identity | null> {
  try {
    const s = await stat(path, { bigint: true });
    return { dev: s.dev, ino: s.ino };
  } catch {
    return null;
  }
}

/**
 * A process's root directory, and whether it is the top of its mount namespace. `/proc/PID/root`
 * is the kernel's link to it; `..` from there climbs as the process's own `chdir("..")` would, up
 * through the mounts of its namespace (the reader's root does not stop it: it is not on the way).
 * In a chroot `..` leads to the directory above; at the root of a namespace after pivot_root (or of
 * a mount that was detached) it leads back to itself.
 */
export async function rootOf(pid: number): Promise<{ root: Identity; top: boolean } | null> {
  const [root, up] = await Promise.all([identity(`/proc/${pid}/root`), identity(`/proc/${pid}/root/..`)]);
  return root && up ? { root, top: same(root, up) } : null;
}

/** Cpus_allowed_list of /proc/PID/status ("0-3,8"), or null. */
export function parseCpusAllowed(status: string): string | null {
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? null;
}

/** Ports in LISTEN state (st 0A) in a /proc/net/tcp or tcp6 table ("sl local_address rem_address st …", addresses "HEX:PORT"). */
export function parseTcpListeners(table: string): number[] {
  const ports = new Set<number>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue;
    const port = parseInt(f[1]!.split(':').at(-1)!, 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** IPv4 addresses of the complete entries (flag 0x2) of /proc/net/arp. */
export function parseArp(table: string): string[] {
  const out: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 3 && (parseInt(f[2]!, 16) & 0x2) !== 0) out.push(f[0]!);
  }
  return out.sort();
}

/** /proc/net/dev: "NAME: rx_bytes rx_packets … (8 receive fields) tx_bytes …", after two header lines. */
export function parseNetDev(table: string): TreeView['interfaces'] {
  const out: [string, TreeView['interfaces'][string]][] = [];
  for (const line of table.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 9 || !f.slice(0, 9).every(Number.isSafeInteger)) continue;
    out.push([line.slice(0, colon).trim(), { rxBytes: f[0]!, txBytes: f[8]! }]);
  }
  // fromEntries defines own properties: an interface called "__proto__" stays a name.
  return Object.fromEntries(out);
}

const nsInode = (link: string) => /\[(\d+)\]$/.exec(link)?.[1] ?? null;

async function netnsOf(pid: number): Promise<string | null> {
  return readlink(`/proc/${pid}/ns/net`).then(nsInode, () => null);
}

async function cpusOf(pid: number): Promise<string | null> {
  return readFile(`/proc/${pid}/status`, 'utf8').then(parseCpusAllowed, () => null);
}

/** The shell and the processes below it as the host sees them (processes that ended meanwhile are left out). */
export async function treeView(shellPid: number, descendants: readonly ProcEntry[]): Promise<TreeView | null> {
  const [hostRoot, hostNet] = await Promise.all([identity('/'), readlink('/proc/self/ns/net').then(nsInode, () => null)]);
  const pids = [shellPid, ...descendants.map((d) => d.pid)];
  const info = new Map<number, { root: { root: Identity; top: boolean } | null; cpus: string | null; netns: string | null }>();
  await Promise.all(pids.map(async (pid) => info.set(pid, { root: await rootOf(pid), cpus: await cpusOf(pid), netns: await netnsOf(pid) })));
  const shell = info.get(shellPid)!;
  if (!shell.root || shell.cpus === null || shell.netns === null) return null;
  const place = (netns: string | null) => (netns === shell.netns ? 'shell' : netns === hostNet ? 'host' : 'other');
  const rootPlace = (root: Identity) => (same(root, shell.root!.root) ? 'shell' : same(root, hostRoot) ? 'host' : 'other');
  const processes: TreeProcess[] = [];
  for (const d of descendants) {
    const own = info.get(d.pid);
    if (!own?.root || own.cpus === null || own.netns === null) continue;
    const parent = info.get(d.ppid)?.root;
    processes.push({
      ...d,
      root: rootPlace(own.root.root),
      rootTop: own.root.top,
      parentRootTop: parent?.top ?? false,
      cpus: own.cpus,
      netns: place(own.netns),
    });
  }
  // One reader per network namespace: /proc/PID/net shows the namespace of PID.
  const readers = new Map<string, number>();
  for (const pid of pids) {
    const ns = info.get(pid)?.netns;
    if (ns && !readers.has(ns)) readers.set(ns, pid);
  }
  const listeners: TreeView['listeners'] = [];
  await Promise.all(
    [...readers].map(async ([ns, pid]) => {
      const tables = await Promise.all(['tcp', 'tcp6'].map((t) => readFile(`/proc/${pid}/net/${t}`, 'utf8').catch(() => '')));
      for (const port of new Set(tables.flatMap(parseTcpListeners))) listeners.push({ port, netns: place(ns) });
    }),
  );
  listeners.sort((a, b) => a.port - b.port || a.netns.localeCompare(b.netns));
  const [arp, dev] = await Promise.all(['arp', 'dev'].map((t) => readFile(`/proc/${shellPid}/net/${t}`, 'utf8').catch(() => '')));
  return {
    shell: { root: same(shell.root.root, hostRoot) ? 'host' : 'own', rootTop: shell.root.top, cpus: shell.cpus },
    processes,
    listeners,
    neighbors: parseArp(arp!),
    interfaces: parseNetDev(dev!),
  };
}

/**
 * Whether the image has `relative` (a path found in the upper layer): each component looked up with
 * lstat, and a symbolic link on the way is not followed (it could point anywhere on the host).
 */
async function inImage(imageDir: string, relative: string): Promise<boolean> {
  let path = imageDir;
  const parts = relative.split('/');
  for (const [i, part] of parts.entries()) {
    path = join(path, part);
    try {
      const s = await lstat(path);
      if (i < parts.length - 1 && !s.isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The container's upper layer on the host, breadth first, capped at UPPER_MAX_ENTRIES: each entry's
 * type (a whiteout is a character device 0:0) and whether the image has the same path. Directory
 * entries are typed by readdir, never by following them; the walk descends into directories only.
 */
export async function upperEntries(upperDir: string, imageDir: string): Promise<UpperEntry[] | null> {
  const entries: UpperEntry[] = [];
  let level: string[] = [''];
  for (let depth = 0; depth < UPPER_MAX_DEPTH && level.length && entries.length < UPPER_MAX_ENTRIES; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      let listed: Dirent[];
      try {
        listed = await readdir(join(upperDir, dir), { withFileTypes: true });
      } catch {
        if (dir === '') return null; // the upper directory itself is gone
        continue; // removed meanwhile
      }
      listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const d of listed) {
        if (entries.length >= UPPER_MAX_ENTRIES) break;
        const path = dir ? `${dir}/${d.name}` : d.name;
        let type: UpperEntry['type'] = 'other';
        if (d.isFile()) type = 'file';
        else if (d.isDirectory()) type = 'directory';
        else if (d.isSymbolicLink()) type = 'symlink';
        else if (d.isCharacterDevice()) {
          const s = await lstat(join(upperDir, path)).catch(() => null);
          type = s && s.isCharacterDevice() && s.rdev === 0 ? 'whiteout' : 'other';
        }
        entries.push({ path, type, inImage: await inImage(imageDir, path) });
        if (type === 'directory') next.push(path);
      }
    }
    level = next;
  }
  return entries;
}

/** The overlay mounts of a mountinfo text, with lowerdir/upperdir/workdir from their superblock options. */
export function overlayMounts(mountinfo: string): OverlayView['mounts'] {
  return parseMountinfo(mountinfo)
    .filter((m) => m.fstype === 'overlay')
    .map((m) => {
      const option = (name: string) => m.superOptions.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1) ?? null;
      return { target: m.target, lower: option('lowerdir') ?? '', upper: option('upperdir'), work: option('workdir') };
    });
}

/** cpu.stat, v1 ("nr_periods", "nr_throttled", "throttled_time" in ns) or v2 ("throttled_usec"). */
export function parseCpuStat(text: string): ShellCgroup['cpu'] {
  const v = new Map(text.split('\n').map((l) => l.trim().split(/\s+/) as [string, string]).filter((f) => f.length === 2).map(([k, n]) => [k, Number(n)]));
  const periods = v.get('nr_periods');
  const throttled = v.get('nr_throttled');
  const us = v.get('throttled_usec') ?? (v.has('throttled_time') ? Math.floor(v.get('throttled_time')! / 1000) : undefined);
  if (periods === undefined || throttled === undefined || us === undefined) return null;
  return { periods, throttled, throttledUs: us };
}

/** Bytes read and written, summed over devices: v1 blkio.throttle.io_service_bytes ("MAJ:MIN Read N"), v2 io.stat ("MAJ:MIN rbytes=N wbytes=N …"). */
export function parseIoBytes(text: string, version: 'v1' | 'v2'): ShellCgroup['io'] {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (version === 'v1') {
      if (f.length === 3 && f[1] === 'Read') readBytes += Number(f[2]);
      if (f.length === 3 && f[1] === 'Write') writeBytes += Number(f[2]);
    } else {
      for (const kv of f.slice(1)) {
        const [k, n] = kv.split('=');
        if (k === 'rbytes') readBytes += Number(n);
        if (k === 'wbytes') writeBytes += Number(n);
      }
    }
  }
  return Number.isSafeInteger(readBytes) && Number.isSafeInteger(writeBytes) ? { readBytes, writeBytes } : null;
}

/** The counters the probe does not report, read from the directories it found. */
export async function cgroupCounters(limits: ShellCgroup['limits']): Promise<Pick<ShellCgroup, 'cpu' | 'io'>> {
  const [cpu, io] = await Promise.all([
    limits.cpu ? readFile(join(limits.cpu.dir, 'cpu.stat'), 'utf8').then(parseCpuStat, () => null) : null,
    limits.io
      ? readFile(join(limits.io.dir, limits.io.version === 'v1' ? 'blkio.throttle.io_service_bytes' : 'io.stat'), 'utf8').then(
          (t) => parseIoBytes(t, limits.io!.version),
          () => null,
        )
      : null,
  ]);
  return { cpu, io };
}

/** What gatherContainerView needs from the session and the prober. */
export interface ContainerViewSources {
  shellPid: number | null;
  descendants: readonly ProcEntry[];
  /** The container's upper directory on the host (`--overlay-upper`), or null. */
  upperDir: string | null;
  imageDir: string;
  /** The shell runs in an own cgroup (resources.cgroup). */
  ownCgroup: boolean;
  /** The shell runs in the busybox image (the /tmp listing uses its busybox). */
  rootfs: boolean;
  hostCgroupOf(pid: number): Promise<ShellCgroup['limits']>;
  containerFiles(pid: number, dir: string): Promise<string[]>;
}

export async function gatherContainerView(s: ContainerViewSources): Promise<ContainerViewFacts> {
  const pid = s.shellPid;
  const noFiles: ContainerFiles = { tmp: null };
  if (!pid) return { tree: null, overlay: { upper: null, mounts: [] }, shellCgroup: null, files: noFiles };
  const [tree, upper, mountinfo, limits, tmp] = await Promise.all([
    treeView(pid, s.descendants).catch(() => null),
    s.upperDir ? upperEntries(s.upperDir, s.imageDir).catch(() => null) : null,
    readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => ''),
    s.ownCgroup ? s.hostCgroupOf(pid).catch(() => null) : null,
    s.rootfs ? s.containerFiles(pid, '/tmp').catch(() => null) : null,
  ]);
  const shellCgroup = limits ? { limits, ...(await cgroupCounters(limits)) } : null;
  return { tree, overlay: { upper, mounts: overlayMounts(mountinfo) }, shellCgroup, files: { tmp } };
}
