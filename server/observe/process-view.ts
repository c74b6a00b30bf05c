// Who a process is and how it is confined, as the host reads it from /proc/PID without entering
// anything: its effective uid and gid (in the host's numbering, and in the shell's user namespace),
// no_new_privs and how many seccomp filters it carries (/proc/PID/status), the cgroups it is in
// (/proc/PID/cgroup, full paths: no cgroup namespace applies to the host's reading), and the files
// its processes hold open (/proc/PID/fd: links only read, never followed). (The cgroup's limits and
// the listening ports are lessons 4–8's facts: server/observe/container-view.ts.)
// The lessons on user namespaces, capabilities, no_new_privs, seccomp and the capstone check these.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { HostProcess, HostProcessNumbers, OpenFile, ProcCgroup, ShellIdentity } from './views.js';

/** One line of /proc/PID/uid_map: ids inside..inside+count-1 are outside..outside+count-1 for the reader. */
export interface IdMapLine {
  inside: number;
  outside: number;
  count: number;
}

/** The fields of /proc/PID/status a check needs. */
export interface StatusFields {
  /** Effective uid and gid, as the reader's user namespace numbers them. */
  uid: number;
  gid: number;
  noNewPrivs: boolean;
  /** 0 off, 1 strict, 2 filter. */
  seccomp: number;
  /** Filters stacked on the process (Seccomp_filters, Linux 5.9+; 0 when the line is missing). */
  seccompFilters: number;
}

/** "Uid:\treal\teffective\tsaved\tfs" and friends; null when a needed line is missing. */
export function parseStatusFields(status: string): StatusFields | null {
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim().split(/\s+/);
  const uid = Number(field('Uid')?.[1]);
  const gid = Number(field('Gid')?.[1]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
  const num = (name: string) => {
    const n = Number(field(name)?.[0]);
    return Number.isInteger(n) ? n : 0;
  };
  return { uid, gid, noNewPrivs: num('NoNewPrivs') === 1, seccomp: num('Seccomp'), seccompFilters: num('Seccomp_filters') };
}

/** /proc/PID/uid_map (user_namespaces(7)): "inside outside count" a line. */
export function parseIdMap(text: string): IdMapLine[] {
  const lines: IdMapLine[] = [];
  for (const line of text.split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (Number.isInteger(inside) && Number.isInteger(outside) && Number.isInteger(count)) lines.push({ inside: inside!, outside: outside!, count: count! });
  }
  return lines;
}

/**
 * The number a user namespace gives a host id, through that namespace's map as the host reads it;
 * null when the id is not mapped there (a process inside sees it as the overflow id, 65534).
 */
export function idInside(hostId: number, map: readonly IdMapLine[]): number | null {
  for (const line of map) {
    if (hostId >= line.outside && hostId - line.outside < line.count) return line.inside + (hostId - line.outside);
  }
  return null;
}

/** /proc/PID/cgroup: "hierarchy-ID:controller-list:path" a line (cgroups(7)); v2's line is "0::PATH". */
export function parseProcCgroup(text: string): ProcCgroup[] {
  const out: ProcCgroup[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (m) out.push({ hierarchy: Number(m[1]), controllers: m[2] ? m[2].split(',') : [], path: m[3]! });
  }
  return out;
}

async function readOrNull(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch(() => null);
}

/** The shell's user namespace map (host ids), or null when it is gone. */
export async function readUidMap(pid: number): Promise<IdMapLine[] | null> {
  const text = await readOrNull(`/proc/${pid}/uid_map`);
  return text === null ? null : parseIdMap(text);
}

/**
 * `descendants` with each one's effective uid (host and inside the shell's user namespace),
 * no_new_privs and seccomp filter count; processes that ended meanwhile are left out.
 */
export async function withIdentity(shellPid: number, descendants: readonly HostProcessNumbers[]): Promise<HostProcess[]> {
  const map = (await readUidMap(shellPid)) ?? [];
  const out = await Promise.all(
    descendants.map(async (d): Promise<HostProcess | null> => {
      const status = await readOrNull(`/proc/${d.pid}/status`);
      const f = status === null ? null : parseStatusFields(status);
      if (!f) return null;
      return { ...d, uid: f.uid, nsUid: idInside(f.uid, map), noNewPrivs: f.noNewPrivs, seccompFilters: f.seccompFilters };
    }),
  );
  return out.filter((p): p is HostProcess => p !== null);
}

/** The host's view of the shell's identity and real cgroup paths; null when it is gone. */
export async function shellIdentity(pid: number): Promise<ShellIdentity | null> {
  const [status, cgroup] = await Promise.all([readOrNull(`/proc/${pid}/status`), readOrNull(`/proc/${pid}/cgroup`)]);
  const f = status === null ? null : parseStatusFields(status);
  if (!f || cgroup === null) return null;
  return { uid: f.uid, gid: f.gid, cgroups: parseProcCgroup(cgroup) };
}

/** How many open files the facts list at most: a process with thousands would only slow the checks. */
const MAX_OPEN_FILES = 256;

/** O_ACCMODE of the "flags:" line of /proc/PID/fdinfo/N (octal): 1 write-only, 2 read-write. */
export function fdinfoWritable(fdinfo: string): boolean {
  const flags = /^flags:\s*([0-7]+)$/m.exec(fdinfo)?.[1];
  return flags !== undefined && (parseInt(flags, 8) & 3) !== 0;
}

/**
 * The files the processes below the shell hold open: each /proc/PID/fd link that names a path (not
 * a socket, pipe or anonymous inode), as the kernel prints it for the host. A file inside the
 * container's own root shows as its path there (`/tmp/log`): that root is the top of the
 * container's mount tree. Only the links are read; nothing is opened through them.
 */
export async function openFiles(descendants: readonly HostProcessNumbers[]): Promise<OpenFile[]> {
  const out: OpenFile[] = [];
  for (const p of descendants) {
    const fds = await readdir(`/proc/${p.pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if (out.length >= MAX_OPEN_FILES) return out;
      const path = await readlink(`/proc/${p.pid}/fd/${fd}`).catch(() => null);
      if (path === null || !path.startsWith('/')) continue;
      const info = await readOrNull(`/proc/${p.pid}/fdinfo/${fd}`);
      out.push({ pid: p.pid, comm: p.comm, fd: Number(fd), path, writable: info !== null && fdinfoWritable(info) });
    }
  }
  return out;
}
