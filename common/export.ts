// The same ContainerSpec as docker and runc would be told it: a `docker run` command line and an
// OCI runtime-spec config.json. A learner sees what each switch means outside isolab, and can run
// it there. Pure (no Node, no DOM): the page renders both live as the toggles change; the server
// passes in what only it can read (the seccomp profile, the machine, the image's disk).
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, type Capability } from './capabilities.js';
import { archOfMachine, dockerSeccompToOci, type OciSeccomp } from './seccomp.js';
import type { SeccompProfile } from './seccomp-profile.js';
import { DOCKER_RUN_DEFAULT, type ContainerSpec, type NamespaceKind, type RlimitName } from './spec.js';

// ---- docker's defaults that isolab's switches refer to --------------------------------------

/**
 * What docker hides under /proc and /sys (moby's oci/defaults.go, docker 28): files get /dev/null
 * bound over them, directories an empty read-only tmpfs. (Docker 28 also masks each CPU's
 * thermal_throttle directory, a list that depends on the machine; isolab leaves those out.)
 */
export const DOCKER_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
] as const;

/** What docker leaves visible but read-only (moby's oci/defaults.go). */
export const DOCKER_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] as const;

/** One entry of a device cgroup allow list, as the OCI runtime-spec writes it (absent = any). */
export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access: string;
}

/**
 * Docker's device cgroup rules (moby's oci/defaults.go): deny everything, then allow null, zero,
 * full, random, urandom, tty, console — and deny /dev/fuse. runc appends its own defaults (mknod of
 * any device, the pty devices, /dev/net/tun) after these.
 */
export const DOCKER_DEVICE_RULES: readonly OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
];

/** The label docker gives a container on an SELinux host; `--security-opt label=type:…` replaces one part. */
export const DOCKER_SELINUX_LABEL = { user: 'system_u', role: 'system_r', type: 'container_t', level: 's0' } as const;
export type SelinuxLabelPart = keyof typeof DOCKER_SELINUX_LABEL;

/** "user:role:type:level" → its parts (the level may itself contain ":", e.g. "s0:c1,c2"). */
export function selinuxLabelParts(label: string): Record<SelinuxLabelPart, string> {
  const [user = '', role = '', type = '', ...level] = label.split(':');
  return { user, role, type, level: level.join(':') };
}

/** "-1" means unlimited wherever docker takes a number. */
const UNLIMITED = -1;

/** Bytes as docker and the kernel write sizes: the largest unit that divides exactly (64m, 1g, 65536). */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** docker's --privileged, as far as isolab's settings model it (see toDockerRun). */
export function isPrivileged(spec: ContainerSpec): boolean {
  return (
    spec.capabilities === 'all' &&
    spec.seccomp === 'unconfined' &&
    !spec.filesystem.maskedPaths &&
    !spec.filesystem.readonlyPaths &&
    spec.resources.devices === 'allow-all'
  );
}

// ---- docker run -------------------------------------------------------------------------------

export interface DockerRunOptions {
  /** The image to name (isolab's is a busybox image). */
  image?: string;
  /** The program and its arguments, after the image; empty = the image's shell. */
  command?: string[];
  /** Environment passed with -e. */
  env?: Record<string, string>;
  /** Add `-it` (isolab's shell is interactive; a one-off command needs no terminal). Default true. */
  interactive?: boolean;
  /** Where the learner keeps a custom (Docker-format) seccomp profile. */
  seccompProfilePath?: string;
  /** The disk behind the image, which docker names by path (isolab throttles that one). */
  blockDevicePath?: string;
  /**
   * The cgroup version of the docker host: docker gives a container its own cgroup namespace on
   * v2 and shares the host's on v1 unless told otherwise. Default 2 (what most hosts run).
   */
  hostCgroupVersion?: 1 | 2;
}

export interface DockerRunExport {
  /** The whole command: "docker", "run", flags…, image, command… */
  argv: string[];
  /** Only the flags (what `isolab run` accepts too). */
  flags: string[];
  /** argv as one shell line. */
  commandLine: string;
  /**
   * The same command laid out to be read: "docker run --rm -it", then each option with its value on
   * a line of its own, then the image and command (join with " \\\n" for a shell). A narrow
   * column breaks between options, never inside one.
   */
  lines: string[];
  /** What the settings ask for that docker cannot express, one sentence each. */
  unsupported: string[];
}

/**
 * The `docker run` command that builds the same container, with only the flags that differ from
 * docker's defaults (`docker run IMAGE` is DOCKER_RUN_DEFAULT). What docker cannot express — no
 * mount namespace, the host's root filesystem, chroot instead of pivot_root, a per-container user
 * namespace, the time namespace, Landlock, a bandwidth limit, staying in the server's cgroup,
 * masked paths without read-only paths — is left out of the command and listed in `unsupported`.
 *
 * The hostname: docker names a container's host after its ID; isolab's stand-in for that default
 * is "isolab", so only another name is passed. AppArmor: with `apparmor: null` docker applies its
 * own docker-default profile where AppArmor runs; isolab applies none.
 */
export function toDockerRun(spec: ContainerSpec, opts: DockerRunOptions = {}): DockerRunExport {
  const flags: string[] = [];
  const unsupported: string[] = [];
  const ns = spec.namespaces;

  if (!ns.mount) unsupported.push('no mount namespace: every docker container has its own mount table');
  if (!spec.rootfs) unsupported.push("the host's root filesystem: a docker container always starts from an image");
  if (spec.filesystem.rootMode === 'chroot') unsupported.push('chroot instead of pivot_root: docker (runc) always uses pivot_root');
  if (ns.user) unsupported.push('a user namespace for one container: docker turns it on for the whole daemon (dockerd --userns-remap)');
  if (ns.time) unsupported.push(`the time namespace${spec.timeOffsetSeconds ? ` (clocks ${spec.timeOffsetSeconds} s ahead)` : ''}: docker has no option for it`);
  if (spec.landlock.enabled) unsupported.push('Landlock rules: docker has no Landlock option');
  if (spec.network.rate) unsupported.push(`the ${spec.network.rate} bandwidth limit: docker has none (tc on the veth by hand)`);

  if (ns.uts && spec.hostname !== DOCKER_RUN_DEFAULT.hostname) flags.push('--hostname', spec.hostname);
  if (!ns.uts) flags.push('--uts', 'host');
  if (!ns.pid) flags.push('--pid', 'host');
  if (!ns.ipc) flags.push('--ipc', 'host');
  if (!ns.net) flags.push('--network', 'host');
  else if (spec.network.mode === 'loopback') flags.push('--network', 'none');
  const privateCgroupnsByDefault = (opts.hostCgroupVersion ?? 2) === 2;
  if (ns.cgroup !== privateCgroupnsByDefault) flags.push('--cgroupns', ns.cgroup ? 'private' : 'host');
  if (spec.user) flags.push('--user', `${spec.user.uid}:${spec.user.gid}`);

  const privileged = isPrivileged(spec);
  if (privileged) flags.push('--privileged');
  else {
    flags.push(...capabilityFlags(spec.capabilities));
    if (spec.seccomp === 'unconfined') flags.push('--security-opt', 'seccomp=unconfined');
    const fs = spec.filesystem;
    if (!fs.maskedPaths && !fs.readonlyPaths) flags.push('--security-opt', 'systempaths=unconfined');
    else if (!fs.maskedPaths) unsupported.push('read-only paths without masked paths: docker turns both off together (systempaths=unconfined)');
    else if (!fs.readonlyPaths) unsupported.push('masked paths without read-only paths: docker turns both off together (systempaths=unconfined)');
    if (spec.resources.devices === 'allow-all') flags.push('--device-cgroup-rule', 'a *:* rwm');
  }
  if (spec.seccomp === 'custom') flags.push('--security-opt', `seccomp=${opts.seccompProfilePath ?? 'seccomp.json'}`);
  if (spec.noNewPrivs) flags.push('--security-opt', 'no-new-privileges');
  if (spec.apparmor) flags.push('--security-opt', `apparmor=${spec.apparmor}`);
  if (spec.selinuxLabel) {
    const parts = selinuxLabelParts(spec.selinuxLabel);
    for (const part of Object.keys(DOCKER_SELINUX_LABEL) as SelinuxLabelPart[]) {
      if (parts[part] !== DOCKER_SELINUX_LABEL[part]) flags.push('--security-opt', `label=${part}:${parts[part]}`);
    }
  }

  if (spec.filesystem.readOnly) flags.push('--read-only');
  for (const t of spec.filesystem.tmpfs) flags.push('--tmpfs', `${t.path}:size=${formatSize(t.sizeBytes)}`);

  const r = spec.resources;
  if (!r.cgroup) {
    unsupported.push("staying in the server's cgroup: docker always gives a container its own");
  } else {
    if (r.memoryBytes !== null) flags.push('--memory', formatSize(r.memoryBytes));
    if (r.memorySwapBytes !== null) flags.push('--memory-swap', r.memorySwapBytes === UNLIMITED ? '-1' : formatSize(r.memorySwapBytes));
    if (r.cpus !== null) flags.push('--cpus', String(r.cpus));
    if (r.cpuShares !== null) flags.push('--cpu-shares', String(r.cpuShares));
    if (r.cpusetCpus !== null) flags.push('--cpuset-cpus', r.cpusetCpus);
    if (r.pidsLimit !== null) flags.push('--pids-limit', String(r.pidsLimit));
    const disk = opts.blockDevicePath ?? '/dev/sda';
    if (r.rootfsReadBps !== null) flags.push('--device-read-bps', `${disk}:${formatSize(r.rootfsReadBps)}`);
    if (r.rootfsWriteBps !== null) flags.push('--device-write-bps', `${disk}:${formatSize(r.rootfsWriteBps)}`);
    for (const rule of r.deviceRules) flags.push('--device-cgroup-rule', rule);
  }

  for (const [name, limit] of Object.entries(spec.rlimits) as [RlimitName, { soft: number; hard: number }][]) {
    // go-units' ulimit table has no "as" (docker disabled it: it breaks the container's init).
    if (name === 'as') {
      unsupported.push('the "as" (address space) ulimit: docker does not accept it');
      continue;
    }
    flags.push('--ulimit', limit.soft === limit.hard ? `${name}=${limit.soft}` : `${name}=${limit.soft}:${limit.hard}`);
  }
  for (const [key, value] of Object.entries(opts.env ?? {})) flags.push('-e', `${key}=${value}`);

  const session = opts.interactive === false ? ['--rm'] : ['--rm', '-it'];
  const image = opts.image ?? 'busybox';
  const argv = ['docker', 'run', ...session, ...flags, image, ...(opts.command ?? [])];
  return { argv, flags, commandLine: argv.map(shellQuote).join(' '), lines: dockerRunLines(session, flags, [image, ...(opts.command ?? [])]), unsupported };
}

function dockerRunLines(session: string[], flags: string[], tail: string[]): string[] {
  const lines = [['docker', 'run', ...session].join(' ')];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    const value = i + 1 < flags.length && !flags[i + 1]!.startsWith('-') ? ` ${shellQuote(flags[++i]!)}` : '';
    lines.push(`  ${flag}${value}`);
  }
  lines.push(`  ${tail.map(shellQuote).join(' ')}`);
  return lines;
}

/**
 * The fewest --cap-add/--cap-drop flags that turn docker's 14 into `caps`: either drop and add
 * against the 14, or drop ALL and add each one (docker takes one capability per flag).
 */
function capabilityFlags(caps: 'all' | Capability[]): string[] {
  if (caps === 'all') return ['--cap-add', 'ALL'];
  const drops = DOCKER_DEFAULT_CAPABILITIES.filter((c) => !caps.includes(c));
  const adds = caps.filter((c) => !DOCKER_DEFAULT_CAPABILITIES.includes(c));
  const against14 = [...drops.flatMap((c) => ['--cap-drop', c]), ...adds.flatMap((c) => ['--cap-add', c])];
  const fromNothing = ['--cap-drop', 'ALL', ...caps.flatMap((c) => ['--cap-add', c])];
  return fromNothing.length < against14.length ? fromNothing : against14;
}

// ---- OCI runtime-spec config.json --------------------------------------------------------------

/** RLIM_INFINITY: an OCI rlimit is a uint64, and "unlimited" is its largest value (beyond a JS number). */
export const RLIM_INFINITY = 2n ** 64n - 1n;

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<'bounding' | 'effective' | 'inheritable' | 'permitted' | 'ambient', string[]>;
    rlimits?: { type: string; soft: number | bigint; hard: number | bigint }[];
    noNewPrivileges: boolean;
    apparmorProfile?: string;
    selinuxLabel?: string;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string }[];
    uidMappings?: { containerID: number; hostID: number; size: number }[];
    gidMappings?: { containerID: number; hostID: number; size: number }[];
    timeOffsets?: Record<'monotonic' | 'boottime', { secs: number }>;
    resources: {
      devices: OciDeviceRule[];
      memory?: { limit?: number; swap?: number };
      cpu?: { shares?: number; quota?: number; period?: number; cpus?: string };
      pids?: { limit: number };
      blockIO?: { throttleReadBpsDevice?: OciThrottle[]; throttleWriteBpsDevice?: OciThrottle[] };
    };
    cgroupsPath?: string;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    seccomp?: OciSeccomp;
  };
}
export interface OciThrottle {
  major: number;
  minor: number;
  rate: number;
}

export interface OciOptions {
  /** The program and its arguments. */
  args: string[];
  /** Its environment, "KEY=value" (default: PATH only). */
  env?: string[];
  /** Give it a terminal (runc then needs --console-socket or an interactive `runc run`). Default false. */
  terminal?: boolean;
  /** The root filesystem, relative to the bundle. Default "rootfs". */
  rootfsPath?: string;
  /** linux.cgroupsPath; runc picks "/ID" when absent. */
  cgroupsPath?: string;
  /** "MAJ:MIN" of the disk behind the image (ContainerContexts.rootfsDevice()), for block I/O limits. */
  rootfsDevice?: string;
  /** The Docker-format profile behind spec.seccomp ("docker-default" or "custom"); the server reads it. */
  seccompProfile?: SeccompProfile;
  /** `uname -m` and `uname -r` of the machine that will run it: the profile is resolved for them. */
  machine: string;
  kernelRelease: string;
  /**
   * What "all capabilities" means there: the runtime cannot grant one its caller lacks (runc fails
   * with EPERM), so docker takes its own bounding set (moby's caps.initCaps). Default: every
   * capability the kernel knows.
   */
  allCapabilities?: readonly Capability[];
}

/** OCI namespace type names, for each namespace isolab has (the runtime-spec says "network", "mount"). */
const OCI_NAMESPACE: Record<NamespaceKind, string> = {
  pid: 'pid', net: 'network', ipc: 'ipc', uts: 'uts', mount: 'mount', user: 'user', cgroup: 'cgroup', time: 'time',
};
const OCI_NAMESPACE_ORDER: NamespaceKind[] = ['pid', 'net', 'ipc', 'uts', 'mount', 'user', 'cgroup', 'time'];

/** Docker's cpu.period: --cpus N becomes a quota of N periods of 100 ms. */
const CPU_PERIOD_US = 100_000;

/** The env a program gets when the caller gives none (runc's `runc spec` default, without TERM). */
const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

/** A rule "c 1:3 rwm" (docker's --device-cgroup-rule syntax, checked by the spec) as an OCI entry. */
function deviceRule(rule: string): OciDeviceRule {
  const [type, numbers = '', access = ''] = rule.split(' ');
  const [major, minor] = numbers.split(':');
  const entry: OciDeviceRule = { allow: true, type: type as 'a' | 'b' | 'c', access };
  if (major !== undefined && major !== '*') entry.major = Number(major);
  if (minor !== undefined && minor !== '*') entry.minor = Number(minor);
  return entry;
}

/**
 * The OCI runtime-spec config.json (version 1.0.2, what Debian's runc 1.1 writes with `runc spec`)
 * for the spec: a bundle with this file and the image in `rootfsPath` runs under runc/crun with
 * the same namespaces, capabilities, no_new_privs, seccomp filter, LSM labels, rlimits, mounts,
 * masked paths and cgroup limits as isolab gives it. Mounts follow docker's (moby's defaults).
 * What OCI cannot say is listed in `unsupported`: the host's root filesystem (root.path "/", and
 * the runtime still pivots), chroot, staying out of a cgroup, the veth onto isolab's bridge (a
 * runtime sets up no network: a CNI plugin or hook does), its bandwidth limit, Landlock.
 */
export function toOciConfig(spec: ContainerSpec, opts: OciOptions): { config: OciConfig; unsupported: string[] } {
  const unsupported: string[] = [];
  const ns = spec.namespaces;
  const caps = (spec.capabilities === 'all' ? [...(opts.allCapabilities ?? CAPABILITIES)] : spec.capabilities).map((c) => `CAP_${c}`);

  if (!ns.mount) unsupported.push('no mount namespace: runc always gives the container its own (and requires one)');
  if (!spec.rootfs) unsupported.push("the host's root filesystem: root.path is \"/\" here, but runc still pivots into it and mounts over /proc, /dev and /sys");
  if (spec.filesystem.rootMode === 'chroot') unsupported.push('chroot instead of pivot_root: runc chroots only when the root is on a ramfs (or with --no-pivot)');
  if (ns.net && spec.network.mode === 'bridge') unsupported.push("the veth onto isolab's bridge: a runtime configures no network (loopback only); a CNI plugin or a hook adds interfaces");
  if (spec.network.rate) unsupported.push(`the ${spec.network.rate} bandwidth limit: OCI has no network shaping`);
  if (spec.landlock.enabled) unsupported.push('Landlock rules: the runtime-spec has no Landlock section');
  if (ns.time) unsupported.push('the time namespace needs runtime-spec 1.1 (runc 1.2 or later)');

  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  ];
  // A message queue filesystem belongs to an IPC namespace: only a private one gets its own.
  if (ns.ipc) mounts.push({ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] });
  // A fresh sysfs shows the network namespace it is mounted in; without one, the host's is bound in.
  mounts.push(
    ns.net
      ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] },
  );
  mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
  for (const t of spec.filesystem.tmpfs) {
    // Docker's options for --tmpfs: no devices, no setuid, nothing executable.
    mounts.push({ destination: t.path, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', `size=${t.sizeBytes}`] });
  }

  const process: OciConfig['process'] = {
    terminal: opts.terminal ?? false,
    user: { uid: spec.user?.uid ?? 0, gid: spec.user?.gid ?? 0 },
    args: [...opts.args],
    env: [...(opts.env ?? DEFAULT_ENV)],
    cwd: '/',
    // Docker's sets since 20.10.14 (CVE-2022-24769): nothing inheritable, nothing ambient.
    capabilities: { bounding: caps, effective: [...caps], inheritable: [], permitted: [...caps], ambient: [] },
    noNewPrivileges: spec.noNewPrivs,
  };
  const rlimits = Object.entries(spec.rlimits) as [RlimitName, { soft: number; hard: number }][];
  if (rlimits.length) {
    const v = (n: number) => (n === UNLIMITED ? RLIM_INFINITY : n);
    process.rlimits = rlimits.map(([name, l]) => ({ type: `RLIMIT_${name.toUpperCase()}`, soft: v(l.soft), hard: v(l.hard) }));
  }
  if (spec.apparmor) process.apparmorProfile = spec.apparmor;
  if (spec.selinuxLabel) process.selinuxLabel = spec.selinuxLabel;

  const linux: OciConfig['linux'] = {
    namespaces: OCI_NAMESPACE_ORDER.filter((k) => ns[k]).map((k) => ({ type: OCI_NAMESPACE[k] })),
    resources: { devices: [] },
  };
  if (ns.user) {
    const map = [{ containerID: 0, hostID: spec.userns.hostId, size: 65536 }];
    linux.uidMappings = map;
    linux.gidMappings = map.map((m) => ({ ...m }));
  }
  if (ns.time && spec.timeOffsetSeconds !== 0) {
    linux.timeOffsets = { monotonic: { secs: spec.timeOffsetSeconds }, boottime: { secs: spec.timeOffsetSeconds } };
  }

  const r = spec.resources;
  if (!r.cgroup) {
    unsupported.push("staying in the caller's cgroup: runc always creates one for the container (here with no limits and every device allowed)");
    linux.resources.devices = [{ allow: true, access: 'rwm' }];
  } else {
    linux.resources.devices = r.devices === 'allow-all' ? [{ allow: true, access: 'rwm' }] : DOCKER_DEVICE_RULES.map((d) => ({ ...d }));
    linux.resources.devices.push(...r.deviceRules.map(deviceRule));
    if (r.memoryBytes !== null || r.memorySwapBytes !== null) {
      linux.resources.memory = {};
      if (r.memoryBytes !== null) linux.resources.memory.limit = r.memoryBytes;
      if (r.memorySwapBytes !== null) linux.resources.memory.swap = r.memorySwapBytes;
    }
    if (r.cpus !== null || r.cpuShares !== null || r.cpusetCpus !== null) {
      const cpu: NonNullable<OciConfig['linux']['resources']['cpu']> = {};
      if (r.cpuShares !== null) cpu.shares = r.cpuShares;
      if (r.cpus !== null) {
        cpu.quota = Math.round(r.cpus * CPU_PERIOD_US);
        cpu.period = CPU_PERIOD_US;
      }
      if (r.cpusetCpus !== null) cpu.cpus = r.cpusetCpus;
      linux.resources.cpu = cpu;
    }
    if (r.pidsLimit !== null) linux.resources.pids = { limit: r.pidsLimit };
    if (r.rootfsReadBps !== null || r.rootfsWriteBps !== null) {
      const dev = /^(\d+):(\d+)$/.exec(opts.rootfsDevice ?? '');
      if (!dev) unsupported.push('block I/O limits: no block device behind the image (or none given) to throttle');
      else {
        const at = (rate: number): OciThrottle[] => [{ major: Number(dev[1]), minor: Number(dev[2]), rate }];
        linux.resources.blockIO = {};
        if (r.rootfsReadBps !== null) linux.resources.blockIO.throttleReadBpsDevice = at(r.rootfsReadBps);
        if (r.rootfsWriteBps !== null) linux.resources.blockIO.throttleWriteBpsDevice = at(r.rootfsWriteBps);
      }
    }
    if (opts.cgroupsPath) linux.cgroupsPath = opts.cgroupsPath;
  }

  if (spec.filesystem.maskedPaths) linux.maskedPaths = [...DOCKER_MASKED_PATHS];
  if (spec.filesystem.readonlyPaths) linux.readonlyPaths = [...DOCKER_READONLY_PATHS];
  if (spec.seccomp !== 'unconfined') {
    if (!opts.seccompProfile) throw new Error(`toOciConfig: seccomp "${spec.seccomp}" needs its Docker-format profile (opts.seccompProfile)`);
    const seccomp = dockerSeccompToOci(opts.seccompProfile, { arch: archOfMachine(opts.machine), capabilities: caps, kernelRelease: opts.kernelRelease });
    if (seccomp) linux.seccomp = seccomp;
  }

  const config: OciConfig = {
    ociVersion: ns.time ? '1.1.0' : '1.0.2',
    process,
    root: { path: spec.rootfs ? (opts.rootfsPath ?? 'rootfs') : '/', readonly: spec.rootfs && spec.filesystem.readOnly },
    // runc refuses a hostname without a UTS namespace of the container's own.
    ...(ns.uts ? { hostname: spec.hostname } : {}),
    mounts,
    linux,
  };
  return { config, unsupported };
}

/** config.json text: JSON, with the uint64 RLIM_INFINITY written as the exact number it is. */
export function ociConfigJson(config: OciConfig): string {
  const BIG = 'bigint\u0000';
  const text = JSON.stringify(config, (_key, value: unknown) => (typeof value === 'bigint' ? `${BIG}${value}` : value), '\t');
  return text.replace(/"bigint\\u0000(\d+)"/g, '$1');
}
