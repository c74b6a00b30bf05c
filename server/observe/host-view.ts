// What the host can tell about a container's shell without entering any of its namespaces, read from
// /proc/PID/…: the PID it has in each PID namespace, its mount table with propagation, the PID
// namespace its /proc shows. And the host's own System V IPC objects (/proc/sysvipc/* shows the IPC
// namespace of the reader: here, the host's) and POSIX message queues.
// Lesson checks compare these with what the probe sees from inside.
import { SYSVIPC_FILES, sysvipcRows } from '../base/sysvipc.js';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { HostProcessNumbers, ShellMount, ShellViewBase, SysvIpc } from './views.js';
import { parseMountinfo } from '../base/mountinfo.js';
import type { ProcEntry } from './proc.js';

/** The NSpid line of /proc/PID/status: the PID in each PID namespace, from the reader's inwards. */
export function parseNsPids(status: string): number[] | null {
  const line = /^NSpid:[ \t]*(.*)$/m.exec(status);
  if (!line) return null;
  const pids = line[1]!.trim().split(/\s+/).map(Number);
  return pids.length && pids.every((n) => Number.isSafeInteger(n) && n > 0) ? pids : null;
}

/**
 * A process's parent as the process itself numbers it (getppid()): the parent's PID in the child's
 * innermost PID namespace, or 0 when the parent is outside that namespace (the child is its PID 1,
 * or was started into it by `setns`). A parent is always in the child's namespace or an ancestor
 * of it, so "same depth" means "same namespace".
 */
export function nsPpidOf(child: readonly number[], parent: readonly number[] | null): number {
  if (!parent || parent.length !== child.length) return 0;
  return parent[parent.length - 1]!;
}

export async function readNsPids(pid: number): Promise<number[] | null> {
  try {
    return parseNsPids(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null; // gone meanwhile
  }
}

/** `descendants` with the numbers each process has in its own PID namespace (processes that ended meanwhile are left out). */
export async function withNsPids(root: number, descendants: readonly ProcEntry[]): Promise<HostProcessNumbers[]> {
  const nsPids = new Map<number, number[] | null>();
  await Promise.all([root, ...descendants.map((d) => d.pid)].map(async (pid) => nsPids.set(pid, await readNsPids(pid))));
  const out: HostProcessNumbers[] = [];
  for (const d of descendants) {
    const own = nsPids.get(d.pid);
    if (!own) continue;
    out.push({ ...d, nsPid: own[own.length - 1]!, nsPpid: nsPpidOf(own, nsPids.get(d.ppid) ?? null) });
  }
  return out;
}

/**
 * The shell's mounts as the host sees them. Propagation is written as findmnt does: `shared:N` (a
 * member of peer group N) is "shared", `master:N` (receives from group N) "slave", `unbindable`
 * stays, and none of them means "private": "shared", "private", "slave", "shared,slave",
 * "private,unbindable".
 */
export function shellMounts(text: string): ShellMount[] {
  return parseMountinfo(text).map((m) => {
    const shared = m.optional.some((f) => f.startsWith('shared:'));
    const slave = m.optional.some((f) => f.startsWith('master:'));
    const parts = [shared ? 'shared' : slave ? '' : 'private', slave ? 'slave' : '', m.optional.includes('unbindable') ? 'unbindable' : ''].filter(Boolean);
    return { target: m.target, source: m.source, fstype: m.fstype, readOnly: m.options.includes('ro'), propagation: parts.join(',') };
  });
}

/** Inode number of a namespace link such as "pid:[4026531836]". */
function nsInode(link: string): number | null {
  const m = /\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/**
 * The PID namespace shown by the /proc in the shell's mount namespace. Its process 1 is the init of
 * that namespace (always a member of it), so that process's `ns/pid` names it. When process 1 is
 * not readable (the host's init can be out of reach even for root), `self` works instead if the
 * reader is in that namespace, i.e. the /proc is the host's.
 */
async function procPidNs(pid: number): Promise<number | null> {
  for (const entry of ['1', 'self']) {
    try {
      return nsInode(await readlink(`/proc/${pid}/root/proc/${entry}/ns/pid`));
    } catch {
      /* try the next, or there is no /proc at all */
    }
  }
  return null;
}

/** The host's view of the shell, or null when it is gone. */
export async function shellView(pid: number): Promise<ShellViewBase | null> {
  const [status, mountinfo] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8').catch(() => null),
    readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => null),
  ]);
  const nsPids = status === null ? null : parseNsPids(status);
  if (!nsPids || mountinfo === null) return null;
  return { nsPids, nsPid: nsPids[nsPids.length - 1]!, procPidNs: await procPidNs(pid), mounts: shellMounts(mountinfo) };
}

/** Whether a mount table has the message queue filesystem on /dev/mqueue (the top mount there). */
export function hasMqueueMount(mounts: readonly ShellMount[]): boolean {
  const top = mounts.filter((m) => m.target === MQUEUE_DIR).at(-1);
  return top?.fstype === 'mqueue';
}

export const MQUEUE_DIR = '/dev/mqueue';

/**
 * The queues in the host's /dev/mqueue, or null when no mqueue filesystem is mounted there. A
 * mqueue mount shows the IPC namespace of whoever mounted it: on the host, at boot, the host's.
 */
export async function hostMqueues(): Promise<string[] | null> {
  const mounts = shellMounts(await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
  if (!hasMqueueMount(mounts)) return null;
  return readdir(MQUEUE_DIR).then((names) => names.sort(), () => null);
}

/**
 * /proc/sysvipc/{shm,sem,msg} (proc(5)): a header line naming the columns, then one object a line.
 * Keys are printed as signed 32-bit numbers; they are reported unsigned, as `ipcs` shows them in hex.
 */
export function parseSysvipc(files: { shm: string; sem: string; msg: string }): SysvIpc {
  const rows = sysvipcRows;
  const key = (row: Record<string, number>) => (row.key ?? 0) >>> 0;
  return {
    shm: rows(files.shm).map((r) => ({ key: key(r), id: r.shmid ?? -1, bytes: r.size ?? 0, attached: r.nattch ?? 0, creatorPid: r.cpid ?? 0 })),
    sem: rows(files.sem).map((r) => ({ key: key(r), id: r.semid ?? -1, semaphores: r.nsems ?? 0 })),
    msg: rows(files.msg).map((r) => ({ key: key(r), id: r.msqid ?? -1, messages: r.qnum ?? 0, bytes: r.cbytes ?? 0 })),
  };
}

/** `busybox head` output for several files: "==> FILE <==" before each file's lines. */
export function splitHeadOutput(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  const flush = () => current !== undefined && files.set(current, lines.join('\n'));
  for (const line of text.split('\n')) {
    const m = /^==> (.*) <==$/.exec(line);
    if (m) {
      flush();
      current = m[1]!;
      lines = [];
    } else lines.push(line);
  }
  flush();
  return files;
}


/** The host's System V IPC objects: the reader's IPC namespace is the server's, the host's. */
export async function hostSysvIpc(): Promise<SysvIpc> {
  const [shm, sem, msg] = await Promise.all(SYSVIPC_FILES.map((f) => readFile(f, 'utf8').catch(() => '')));
  return parseSysvipc({ shm: shm!, sem: sem!, msg: msg! });
}

