// What the host reads about a shell and its processes without entering them (/proc/PID/…, the
// overlay's upper layer, the shell's cgroup, SysV IPC): the types the observe/ readers return.
// Lessons name these as facts (lessons/facts.ts builds its CheckFacts from them), but the readers
// know nothing of lessons.
import { z } from 'zod';
import { ProbeCgroup, ProbeProcess } from '../../common/probe.js';
const Int = z.number().int();

/** A process below the shell, as the host's /proc shows it, with the numbers it has in its own PID namespace. */
export const HostProcessNumbers = ProbeProcess.extend({
  /** Its PID in its own (innermost) PID namespace: the last number of NSpid. */
  nsPid: Int,
  /** Its parent's PID in that namespace (what getppid() returns): 0 when the parent is outside it. */
  nsPpid: Int,
});
export type HostProcessNumbers = z.infer<typeof HostProcessNumbers>;

// ---- Who a process is and how it is confined, as the host reads /proc/PID (server/observe/process-view.ts) ----

/** A process's identity and confinement from its /proc/PID/status. */
export const PROCESS_IDENTITY = {
  /** Its effective uid as the host numbers it (a container's root is 100000 or more with a user namespace). */
  uid: Int,
  /** The same uid as the shell's user namespace numbers it (0 for the container's root); null when not mapped there. */
  nsUid: Int.nullable(),
  /** no_new_privs: no execve of it gains privileges (setuid bits, file capabilities). */
  noNewPrivs: z.boolean(),
  /** seccomp filters stacked on it (0: none). */
  seccompFilters: Int,
};

/** A process below the shell: its numbers and its identity. */
export const HostProcess = HostProcessNumbers.extend(PROCESS_IDENTITY);
export type HostProcess = z.infer<typeof HostProcess>;

/** One line of /proc/PID/cgroup as the host reads it (full paths: the host is in no cgroup namespace of the shell's). */
export const ProcCgroup = z.object({ hierarchy: Int, controllers: z.array(z.string()), path: z.string() });
export type ProcCgroup = z.infer<typeof ProcCgroup>;

/** A file a process below the shell holds open (/proc/PID/fd, read from the host). */
export const OpenFile = z.object({
  pid: Int,
  comm: z.string(),
  fd: Int,
  /** The path as the kernel prints it: for a file in the container's root, its path there. */
  path: z.string(),
  /** Opened for writing (write-only or read-write). */
  writable: z.boolean(),
});
export type OpenFile = z.infer<typeof OpenFile>;

/**
 * The host's view of the shell's identity and its real cgroup paths. (Its cgroup's limits and
 * counters are `shellCgroup`, its listening ports `tree.listeners`: lessons 4–8's facts.)
 */
export const ShellIdentity = z.object({
  /** Effective uid and gid, as the host numbers them. */
  uid: Int,
  gid: Int,
  /** /proc/SHELL/cgroup: the real paths, which a cgroup namespace hides from the shell. */
  cgroups: z.array(ProcCgroup),
});
export type ShellIdentity = z.infer<typeof ShellIdentity>;

/** One line of /proc/PID/mountinfo. */
export const ShellMount = z.object({
  source: z.string(),
  target: z.string(),
  fstype: z.string(),
  readOnly: z.boolean(),
  /** As findmnt writes it: "shared", "private", "slave", "shared,slave", "private,unbindable". */
  propagation: z.string(),
});
export type ShellMount = z.infer<typeof ShellMount>;

/** The host's view of the shell process, from /proc/SHELL/… (no namespace entered). */
export const ShellViewBase = z.object({
  /** NSpid: the shell's PID in each PID namespace it is in, from the host's inwards. */
  nsPids: z.array(Int),
  /** Its PID in its own PID namespace (the last of nsPids): 1 with the PID namespace on. */
  nsPid: Int,
  /** Inode of the PID namespace that the /proc in the shell's mount namespace shows; null without a /proc. */
  procPidNs: Int.nullable(),
  /** The shell's mount table (/proc/SHELL/mountinfo), with each mount's propagation. */
  mounts: z.array(ShellMount),
});
export type ShellViewBase = z.infer<typeof ShellViewBase>;
export const ShellView = ShellViewBase.extend(ShellIdentity.shape);
export type ShellView = z.infer<typeof ShellView>;

/** System V IPC objects of one IPC namespace, from /proc/sysvipc/* read inside it. Keys are unsigned (write them in hex: 0x414e4547). */
export const SysvIpc = z.object({
  shm: z.array(z.object({ key: Int, id: Int, bytes: Int, attached: Int, creatorPid: Int })),
  sem: z.array(z.object({ key: Int, id: Int, semaphores: Int })),
  msg: z.array(z.object({ key: Int, id: Int, messages: Int, bytes: Int })),
});
export type SysvIpc = z.infer<typeof SysvIpc>;


// ---- Lessons 4–8 (root filesystem, overlay, read-only root, cgroups, network): what the host reads
// about the container's processes, layers, cgroup and sockets (server/observe/container-view.ts). ----

/** Where a process's root directory or network namespace is, compared with the host's and the shell's. */
export const Place = z.enum(['host', 'shell', 'other']);

/** A process below the shell, as the host sees its root, CPUs and network namespace in /proc/PID. */
export const TreeProcess = z.object({
  pid: Int,
  ppid: Int,
  comm: z.string(),
  /** Its root directory (/proc/PID/root): the host's "/", the shell's root, or another (a chroot or pivot_root of its own). */
  root: Place,
  /** Its root is the top of its mount namespace: ".." there leads nowhere (pivot_root); false in a chroot, whose ".." climbs on. */
  rootTop: z.boolean(),
  /** The same for its parent. rootTop with parentRootTop false: it climbed out of the root it was started in. */
  parentRootTop: z.boolean(),
  /** Cpus_allowed_list: the CPUs it may run on (taskset, cpuset). */
  cpus: z.string(),
  /** Its network namespace: the host's, the shell's, or another. */
  netns: Place,
});
export type TreeProcess = z.infer<typeof TreeProcess>;

export const TreeView = z.object({
  shell: z.object({
    /** "host" without an own root filesystem, else "own". */
    root: z.enum(['host', 'own']),
    /** The shell's root is the top of its mount namespace (pivot_root), not a directory inside it (chroot). */
    rootTop: z.boolean(),
    cpus: z.string(),
  }),
  processes: z.array(TreeProcess),
  /** TCP sockets in LISTEN state in the network namespaces of the shell and of every process below it (/proc/PID/net/tcp, tcp6). */
  listeners: z.array(z.object({ port: Int, netns: Place })),
  /** IPv4 neighbours the shell's network namespace has resolved (complete entries of /proc/SHELL/net/arp). */
  neighbors: z.array(z.string()),
  /** The network interfaces of the shell's namespace by name (`tree.interfaces.eth0.txBytes`), with the bytes each received and sent (/proc/SHELL/net/dev). */
  interfaces: z.record(z.string(), z.object({ rxBytes: Int, txBytes: Int })),
});
export type TreeView = z.infer<typeof TreeView>;

/** One entry of the container's upper layer on the host. */
export const UpperEntry = z.object({
  /** Relative to the upper directory, "/"-separated: "etc/passwd". */
  path: z.string(),
  /** A whiteout is overlayfs's mark for a deleted lower file: a character device 0:0. */
  type: z.enum(['file', 'directory', 'whiteout', 'symlink', 'other']),
  /** The image (the lower layer) has this path too: a copied-up or deleted image file, not a new one. */
  inImage: z.boolean(),
});
export type UpperEntry = z.infer<typeof UpperEntry>;

export const OverlayView = z.object({
  /** The upper directory on the host, walked by the host (capped); null when there is none on the host (no own root filesystem, or a user namespace: its upper layer lives on a tmpfs inside the container). */
  upper: z.array(UpperEntry).nullable(),
  /** Overlay mounts in the shell's mount table with their layers, as their options say. */
  mounts: z.array(z.object({ target: z.string(), lower: z.string(), upper: z.string().nullable(), work: z.string().nullable() })),
});
export type OverlayView = z.infer<typeof OverlayView>;

/** The shell's cgroup, read on the host (null without an own cgroup). */
export const ShellCgroup = z.object({
  /** The probe's cgroup section, run on the host about the shell (limits and counters: memory.oomKills, pids.maxEvents, …). */
  limits: ProbeCgroup,
  /** cpu.stat: CFS periods, and how many of them ended with the group throttled (its quota used up). */
  cpu: z.object({ periods: Int, throttled: Int, throttledUs: Int }).nullable(),
  /** Bytes read from and written to block devices by the group (v1 blkio.throttle.io_service_bytes, v2 io.stat). */
  io: z.object({ readBytes: Int, writeBytes: Int }).nullable(),
});
export type ShellCgroup = z.infer<typeof ShellCgroup>;

/** Names in directories of the container, listed from inside it (null: no such directory, or no image). */
export const ContainerFiles = z.object({ tmp: z.array(z.string()).nullable() });
export type ContainerFiles = z.infer<typeof ContainerFiles>;

/** Facts for lessons 4–8, gathered by gatherContainerView (server/observe/container-view.ts). */
export interface ContainerViewFacts {
  /** The shell and the processes below it: roots, CPUs, network namespaces, listening ports (null: no shell running). */
  tree: TreeView | null;
  overlay: OverlayView;
  shellCgroup: ShellCgroup | null;
  files: ContainerFiles;
}
export const ContainerViewFactsSchema = {
  tree: TreeView.nullable(),
  overlay: OverlayView,
  shellCgroup: ShellCgroup.nullable(),
  files: ContainerFiles,
};
// ---- end of lessons 4–8 ----
