// What the C probe (native/probe/) prints as one JSON object: "what do I see from here?".
// The same report is produced inside the container (run in its namespaces) and on the host,
// and the lesson checks and the inspector both read it, so what a lesson shows is what tests assert.
//
// Conventions (the C code follows them too):
// - a limit that is not set ("max", RLIM_INFINITY, v1's -1 or page-counter maximum) is null;
// - a file that cannot be read here gives null, and where it helps, a reason next to it;
// - errors are errno names ("EPERM"), null meaning "no error".
// Format 2 added everything but the format-1 fields, which keep their names and meaning.
import { z } from 'zod';

export const PROBE_FORMAT_VERSION = 2;

/** The sections `isolab-probe --sections LIST` accepts, in report order (`--list-sections`). */
export const PROBE_SECTIONS = ['id', 'uts', 'ns', 'proc', 'mounts', 'net', 'ipc', 'caps', 'seccomp', 'cgroup', 'paths', 'devices', 'rlimits', 'lsm', 'sys'] as const;
export type ProbeSection = (typeof PROBE_SECTIONS)[number];

const Int = z.number().int();
/** A limit; null = no limit. */
const Limit = Int.nullable();

// ---- id ----

const IdQuad = z.object({ real: Int, effective: Int, saved: Int, fs: Int });
/** One line of /proc/PID/uid_map: IDs inside..inside+count-1 are outside..outside+count-1 in the reader's user namespace. */
const IdMap = z.object({ inside: Int, outside: Int, count: Int });
export const ProbeUser = z.object({
  uid: IdQuad,
  gid: IdQuad,
  groups: z.array(Int),
  /** null when the file cannot be read (no /proc). The initial namespace maps 0 0 4294967295. */
  uidMap: z.array(IdMap).nullable(),
  gidMap: z.array(IdMap).nullable(),
  /** /proc/PID/setgroups: "allow" or "deny". */
  setgroups: z.string().nullable(),
  /** NSpid: the PID in each PID namespace, from the /proc's namespace down to the innermost. */
  nsPids: z.array(Int).nullable(),
});

// ---- proc ----

export const ProbeProcess = z.object({ pid: Int, ppid: Int, comm: z.string() });

// ---- mounts ----

/** An overlay's layers, from its super options (paths as the mount was given them). */
const OverlayLayers = z.object({ lower: z.array(z.string()), upper: z.string().nullable(), work: z.string().nullable() });

export const ProbeMount = z.object({
  source: z.string(),
  target: z.string(),
  fstype: z.string(),
  /** Writes are refused: the mount or its filesystem is read-only. */
  readOnly: z.boolean(),
  /** Per-mount options (ro/rw, nosuid, nodev, noexec, relatime, ...). */
  options: z.string(),
  /** Per-filesystem options (for overlay: lowerdir=..., upperdir=..., workdir=...). */
  superOptions: z.string(),
  /** The directory of the filesystem that is mounted here ("/" unless a bind mount of a subtree). */
  fsRoot: z.string(),
  overlay: OverlayLayers.nullable(),
});

const Rootfs = z.object({ fstype: z.string(), source: z.string(), readOnly: z.boolean(), overlay: OverlayLayers.nullable() });

// ---- net ----

const Address = z.object({ family: z.enum(['inet', 'inet6']), address: z.string(), prefix: Int });
export const ProbeInterface = z.object({
  name: z.string(),
  index: Int,
  up: z.boolean(),
  loopback: z.boolean(),
  mac: z.string().nullable(),
  addresses: z.array(Address),
});

// ---- caps, seccomp ----

/** Capability names by bit number, as native/probe/security.c (and capabilities(7)) spell them. */
export const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** One capability set: as /proc/PID/status shows it (16 hex digits) and decoded. */
const CapSet = z.object({ hex: z.string().regex(/^[0-9a-f]{16}$/), names: z.array(z.string()) });
export const CAP_SET_NAMES = ['effective', 'permitted', 'inheritable', 'bounding', 'ambient'] as const;
export const ProbeCaps = z.object({
  inheritable: CapSet,
  permitted: CapSet,
  effective: CapSet,
  bounding: CapSet,
  ambient: CapSet,
  /** The highest capability number this kernel knows. */
  lastCap: Int.nullable(),
});

const Seccomp = z.object({
  /** 0 disabled, 1 strict, 2 filter. */
  mode: Int.nullable(),
  /** Filters stacked on the process (Seccomp_filters, Linux 5.9+). */
  filters: Int.nullable(),
});

// ---- cgroup ----

const CgroupController = z.object({ version: z.enum(['v1', 'v2']), dir: z.string() });
const IoThrottle = z.object({ device: z.string(), rbps: Limit, wbps: Limit, riops: Limit, wiops: Limit });
export const ProbeCgroup = z.object({
  /** From /proc/PID/cgroup: "v2" only 0::PATH, "v1" only per-controller lines, "hybrid" both. */
  version: z.enum(['v1', 'v2', 'hybrid']).nullable(),
  paths: z.array(z.object({ hierarchy: Int, controllers: z.array(z.string()), path: z.string() })),
  /** A cgroup filesystem is mounted where the probe runs (inside a container it often is not). */
  mounted: z.boolean(),
  /** Why no limit could be read at all; null when some could. */
  reason: z.string().nullable(),
  memory: CgroupController.extend({
    max: Limit,
    high: Limit,
    current: Int.nullable(),
    /** Swap alone (v1: memsw minus memory). */
    swapMax: Limit,
    swapCurrent: Int.nullable(),
    oomKills: Int.nullable(),
  }).nullable(),
  pids: CgroupController.extend({ max: Limit, current: Int.nullable(), maxEvents: Int.nullable() }).nullable(),
  cpu: CgroupController.extend({ quotaUs: Limit, periodUs: Int.nullable(), weight: Int.nullable(), shares: Int.nullable() }).nullable(),
  cpuset: CgroupController.extend({ cpus: z.string().nullable(), mems: z.string().nullable() }).nullable(),
  io: CgroupController.extend({ throttle: z.array(IoThrottle) }).nullable(),
  /** v1's allow-list ("c 1:3 rwm"); v2 has no file for it. */
  devices: CgroupController.extend({ list: z.array(z.string()) }).nullable(),
  /** Why a controller above is null. */
  notes: z.array(z.string()),
});

// ---- paths, devices ----

export const ProbeMaskedPath = z.object({
  path: z.string(),
  /** masked: hidden (how: "devnull" bind, "tmpfs", or the errno that refuses a look); absent: nothing there. */
  state: z.enum(['masked', 'visible', 'absent']),
  how: z.string().nullable(),
});
export const ProbeReadOnlyPath = z.object({
  path: z.string(),
  exists: z.boolean(),
  /** Directory: its mount accepts writes; file: this process may open it for writing. */
  writable: z.boolean(),
  error: z.string().nullable(),
  readOnlyMount: z.boolean(),
});

const DeviceEntry = z.object({
  name: z.string(),
  /** c char device, b block device, d directory, l symlink, p fifo, s socket, f file. */
  type: z.enum(['c', 'b', 'd', 'l', 'p', 's', 'f']),
  major: Int.nullable(),
  minor: Int.nullable(),
});
const DeviceOpen = z.object({ path: z.string(), error: z.string().nullable() });

// ---- rlimits ----

const Rlimit = z.object({ soft: Limit, hard: Limit });
export const RLIMIT_NAMES = ['cpu', 'fsize', 'data', 'stack', 'core', 'rss', 'nproc', 'nofile', 'memlock', 'as', 'locks', 'sigpending', 'msgqueue', 'nice', 'rtprio', 'rttime'] as const;
const Rlimits = z.object(Object.fromEntries(RLIMIT_NAMES.map((n) => [n, Rlimit.nullable()])) as Record<(typeof RLIMIT_NAMES)[number], z.ZodNullable<typeof Rlimit>>);

// ---- lsm, sys ----

const Lsm = z.object({
  /** Active LSMs in order; null when neither securityfs nor lsm_list_modules(2) answers. */
  active: z.array(z.string()).nullable(),
  activeSource: z.enum(['securityfs', 'syscall']).nullable(),
  /** /proc/PID/attr/current (an AppArmor profile or SELinux context); null when no LSM provides one. */
  current: z.string().nullable(),
  apparmor: z.string().nullable(),
  landlock: z.object({
    abi: Int.nullable(),
    error: z.string().nullable(),
    /** No kernel interface tells whether a process is in a Landlock domain: always "unknown". */
    restricted: z.literal('unknown'),
  }),
});

const System = z.object({ cpusOnline: Int.nullable(), cpusAllowed: Int.nullable(), memTotalKiB: Int.nullable() });

// ---- the report ----

/** The fields each section contributes. */
const SECTION_FIELDS = {
  id: {
    /** PID, PPID, uid and gid as the process sees itself (namespaced numbers). */
    pid: Int,
    ppid: Int,
    uid: Int,
    gid: Int,
    user: ProbeUser,
  },
  uts: { hostname: z.string(), domainname: z.string(), kernel: z.object({ release: z.string(), version: z.string(), machine: z.string() }) },
  /** Inode of each /proc/PID/ns/* link, keyed by its name (mnt, uts, ipc, pid, net, ...). */
  ns: { namespaces: z.record(z.string(), Int.nonnegative()) },
  proc: {
    /** Processes listed in the /proc the probe sees (capped; `processCount` is the true total). */
    processes: z.array(ProbeProcess),
    processCount: Int.nonnegative(),
    pid1Comm: z.string().nullable(),
  },
  mounts: {
    /** Identity of "/" — differs from the host's when the container has its own root filesystem. */
    root: z.object({ dev: Int, ino: Int }),
    /** The mount table (capped; `mountCount` is the true total). */
    mounts: z.array(ProbeMount),
    mountCount: Int.nonnegative(),
    /** The mount on top of "/". */
    rootfs: Rootfs.nullable(),
  },
  net: {
    /** Names of the network interfaces the probe sees, by interface index. */
    netInterfaces: z.array(z.string()),
    interfaces: z.array(ProbeInterface),
    defaultRoute: z.object({ interface: z.string(), gateway: z.string().nullable() }).nullable(),
  },
  /** Counts of System V IPC objects visible (/proc/sysvipc/{msg,shm,sem}). */
  ipc: { ipc: z.object({ msg: Int, shm: Int, sem: Int }) },
  caps: { caps: ProbeCaps.nullable() },
  seccomp: { noNewPrivs: z.boolean().nullable(), seccomp: Seccomp },
  cgroup: { cgroup: ProbeCgroup },
  /** Docker's masked paths and read-only paths, checked from here. */
  paths: { paths: z.object({ masked: z.array(ProbeMaskedPath), readOnly: z.array(ProbeReadOnlyPath) }) },
  devices: { devices: z.object({ entries: z.array(DeviceEntry), count: Int, open: z.array(DeviceOpen) }) },
  rlimits: { rlimits: Rlimits },
  lsm: { lsm: Lsm },
  sys: { system: System },
} as const;

const Header = {
  probe: z.literal(PROBE_FORMAT_VERSION),
  /** The sections present, in report order. */
  sections: z.array(z.enum(PROBE_SECTIONS)),
  /** --pid N: whose process attributes are reported; null = the probe's own. */
  subject: Int.nullable(),
};

const ALL_FIELDS = Object.assign({}, ...Object.values(SECTION_FIELDS)) as UnionToIntersection<(typeof SECTION_FIELDS)[ProbeSection]>;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** A full report (`isolab-probe` with no --sections): what lesson checks and tests read. */
export const ProbeReport = z.object({ ...Header, ...ALL_FIELDS });
export type ProbeReport = z.infer<typeof ProbeReport>;

/** A report of some sections (`--sections LIST`): every section's fields are optional. */
export const PartialProbeReport = z.object({ ...Header, ...ALL_FIELDS }).partial().required({ probe: true, sections: true, subject: true });
export type PartialProbeReport = z.infer<typeof PartialProbeReport>;

/** `isolab-probe try-syscall NAME...`: one entry per call, in the order asked. */
export const TrySyscallResult = z.object({
  name: z.string(),
  /** The syscall number on this architecture; null when it has none (not tried). */
  nr: Int.nullable(),
  /** The call as made (arguments chosen so that it cannot change anything). */
  call: z.string(),
  /** The answer that means the call got through: "success" or an errno name ("EINVAL|ENOSYS": either). */
  expected: z.string(),
  /** "seccomp": refused before any privilege check, so only a filter can deny it; "seccomp+privilege": after. */
  reveals: z.enum(['seccomp', 'seccomp+privilege']),
  result: Int.nullable(),
  error: z.string().nullable(),
  signal: z.string().nullable(),
  verdict: z.enum(['allowed', 'denied', 'unavailable', 'killed', 'skipped', 'other']),
  note: z.string().nullable(),
});
export type TrySyscallResult = z.infer<typeof TrySyscallResult>;
export const TrySyscallReport = z.object({ probe: z.literal(PROBE_FORMAT_VERSION), trySyscall: z.array(TrySyscallResult) });
export type TrySyscallReport = z.infer<typeof TrySyscallReport>;
