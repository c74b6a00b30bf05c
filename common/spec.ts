// The container settings: one typed model used by lessons, the toggle board, `isolab run`, the
// docker/OCI exporters and the launcher's command line. Imported by both server and web, so it
// imports neither. Invalid settings are refused before anything starts, naming the field.
import { z } from 'zod';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, type Capability } from './capabilities.js';

/** Namespaces the launcher can create, in the order the kernel documentation lists them. */
export const NAMESPACE_KINDS = ['mount', 'uts', 'ipc', 'pid', 'net', 'user', 'cgroup', 'time'] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

/** Names of the entries in /proc/PID/ns, which is what the inspector compares. */
export const PROC_NS_NAMES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'] as const;
export type ProcNsName = (typeof PROC_NS_NAMES)[number];

// RFC 1123 host label: what sethostname accepts and what every tool can print back.
const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
/** A path inside the container: absolute, no "..", no odd characters (it ends up on a command line). */
const ContainerPath = z
  .string()
  .max(255)
  .regex(/^\/[A-Za-z0-9._\-/]*$/, 'must be an absolute path of letters, digits, ".", "_", "-" and "/"')
  .refine((p) => p === '/' || p.slice(1).split('/').every((part) => part !== '' && part !== '.' && part !== '..'), 'must be normalised: no "..", ".", "//" or trailing "/"');
/** Where a tmpfs may go: not over the root itself, and not into the kernel's /proc or /sys. */
const TmpfsPath = ContainerPath.refine((p) => p !== '/' && !/^\/(proc|sys)(\/|$)/.test(p), 'a tmpfs cannot cover "/", /proc or /sys');

/** The resource limits the kernel's cgroup controllers enforce (cgroup v1 or v2, detected at run time). */
export const DEVICE_RULE_RE = /^[abc] (\*|\d+):(\*|\d+) [rwm]{1,3}$/;
export const Resources = z
  .object({
    /** Own cgroup for the container. The limits below apply only while this is on. */
    cgroup: z.boolean(),
    memoryBytes: z.number().int().min(6 * 1024 * 1024, 'at least 6 MiB (docker\'s floor): less cannot even start a shell').nullable(),
    /** Memory plus swap, as docker's --memory-swap; -1 = unlimited swap. */
    memorySwapBytes: z.union([z.literal(-1), z.number().int().positive()]).nullable(),
    /** CPUs' worth of time per period, as docker's --cpus (0.01 = 1 % of one CPU). */
    cpus: z.number().min(0.01).max(1024).nullable(),
    cpuShares: z.number().int().min(2).max(262144).nullable(),
    cpusetCpus: z.string().regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'a CPU list like "0" or "0-1,3"').nullable(),
    pidsLimit: z.number().int().positive().nullable(),
    /** Block I/O throttling on the device that backs the root filesystem image. */
    rootfsReadBps: z.number().int().positive().nullable(),
    rootfsWriteBps: z.number().int().positive().nullable(),
    /** Device access: docker's default allow list, or every device. */
    devices: z.enum(['docker-default', 'allow-all']),
    /** Extra rules in docker's --device-cgroup-rule syntax, e.g. "c 1:3 rwm". */
    deviceRules: z
      .array(
        z
          .string()
          .regex(DEVICE_RULE_RE, 'a rule like "c 1:3 rwm" (type a|b|c, major:minor or *, access r/w/m)')
          .refine((rule) => {
            const [major, minor] = rule.split(' ')[1]!.split(':').map((n) => (n === '*' ? 0 : Number(n)));
            return major! <= 4095 && minor! <= 1048575;
          }, 'major must be at most 4095 and minor at most 1048575 (the kernel\'s dev_t)'),
      )
      .max(32),
  })
  .strict();
export type Resources = z.infer<typeof Resources>;

export const RLIMIT_NAMES = ['nofile', 'nproc', 'fsize', 'core', 'cpu', 'data', 'stack', 'memlock', 'as', 'locks', 'sigpending', 'msgqueue', 'nice', 'rtprio'] as const;
export type RlimitName = (typeof RLIMIT_NAMES)[number];
const RlimitValue = z.union([z.literal(-1), z.number().int().min(0)]);
export const Rlimit = z
  .object({ soft: RlimitValue, hard: RlimitValue })
  .strict()
  .refine((r) => r.hard === -1 || (r.soft !== -1 && r.soft <= r.hard), 'soft must not exceed hard');

export const SECCOMP_PROFILES = ['unconfined', 'docker-default', 'custom'] as const;

export const ContainerSpec = z
  .object({
    namespaces: z.object(Object.fromEntries(NAMESPACE_KINDS.map((ns) => [ns, z.boolean()])) as Record<NamespaceKind, z.ZodBoolean>).strict(),
    hostname: z.string().regex(HOSTNAME_RE, 'hostname must be 1–63 letters, digits or "-", not starting or ending with "-"'),
    /** Own root filesystem: a copy-on-write overlay of the busybox image (shared read-only lower layer). */
    rootfs: z.boolean(),
    filesystem: z
      .object({
        /** pivot_root with the old root detached, or plain chroot (escapable: lesson 4 shows how). */
        rootMode: z.enum(['pivot', 'chroot']),
        readOnly: z.boolean(),
        /** Writable, size-limited tmpfs mounts (docker's --tmpfs), mostly for a read-only root. */
        tmpfs: z.array(z.object({ path: TmpfsPath, sizeBytes: z.number().int().min(4096).max(1024 ** 3) }).strict()).max(8),
        /** Docker's masked paths (/proc/kcore, /proc/keys, …) hidden. */
        maskedPaths: z.boolean(),
        /** Docker's read-only paths (/proc/sys, /proc/bus, …) read-only. */
        readonlyPaths: z.boolean(),
      })
      .strict(),
    /** Map of root inside the user namespace: host uid/gid `hostId` … hostId+65535. */
    userns: z.object({ hostId: z.number().int().min(1).max(2 ** 31 - 65536) }).strict(),
    /** Run as this user inside (docker's --user UID:GID); null = root. */
    user: z.object({ uid: z.number().int().min(0).max(65535), gid: z.number().int().min(0).max(65535) }).strict().nullable(),
    resources: Resources,
    network: z
      .object({
        /** With a network namespace: loopback only, or a veth pair onto the isolab bridge. */
        mode: z.enum(['loopback', 'bridge']),
        /** tc tbf bandwidth limit on the veth, e.g. "1mbit"; null = none. */
        rate: z.string().regex(/^\d+(kbit|mbit|gbit)$/, 'a rate like "512kbit", "1mbit" or "1gbit"').nullable(),
      })
      .strict(),
    /** The capability sets' contents: everything root has, or exactly these names. */
    // Checked in superRefine below: a union's error would say only "Invalid input", not which name is wrong.
    capabilities: z.custom<'all' | Capability[]>(() => true),
    noNewPrivs: z.boolean(),
    /** Docker-format profile: none, docker's default, or the learner's own (kept by the server). */
    seccomp: z.enum(SECCOMP_PROFILES),
    landlock: z.object({ enabled: z.boolean(), readOnly: z.array(ContainerPath).max(16), readWrite: z.array(ContainerPath).max(16) }).strict(),
    /** AppArmor profile and SELinux label for the shell; null = none. The host may lack either. */
    apparmor: z.string().regex(/^[A-Za-z0-9_.\-/]{1,128}$/, 'an AppArmor profile name').nullable(),
    selinuxLabel: z.string().regex(/^[a-z0-9_]+:[a-z0-9_]+:[a-z0-9_]+(:[a-z0-9_.,:-]+)?$/, 'a label like "system_u:system_r:container_t:s0"').nullable(),
    rlimits: z.partialRecord(z.enum(RLIMIT_NAMES), Rlimit),
    /** With a time namespace: how far its monotonic and boot-time clocks are ahead of the host's. */
    timeOffsetSeconds: z.number().int().min(-(10 ** 9)).max(10 ** 9),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const ns = spec.namespaces;
    if (spec.rootfs && !ns.mount) problem(['rootfs'], 'an own root filesystem needs the mount namespace (pivot_root only works on a private mount tree)');
    const fs = spec.filesystem;
    if (!spec.rootfs) {
      if (fs.rootMode === 'chroot') problem(['filesystem', 'rootMode'], 'chroot needs an own root filesystem (rootfs) to change into');
      if (fs.readOnly) problem(['filesystem', 'readOnly'], 'a read-only root needs an own root filesystem: isolab never remounts the host\'s / read-only');
      if (fs.maskedPaths) problem(['filesystem', 'maskedPaths'], 'masked paths need an own root filesystem (they are mounts over its /proc and /sys)');
      if (fs.readonlyPaths) problem(['filesystem', 'readonlyPaths'], 'read-only paths need an own root filesystem (they are mounts over its /proc and /sys)');
      if (fs.tmpfs.length) problem(['filesystem', 'tmpfs'], 'tmpfs mounts need an own root filesystem');
    }
    if (ns.user && !ns.pid) problem(['namespaces', 'user'], 'a user namespace needs the PID namespace too (root of a user namespace may mount /proc only for a PID namespace it owns)');
    if (spec.network.mode === 'bridge' && !ns.net) problem(['network', 'mode'], 'a bridge network needs the network namespace (the veth\'s far end goes into it)');
    if (spec.network.rate !== null && spec.network.mode !== 'bridge') problem(['network', 'rate'], 'a bandwidth limit applies to the veth: it needs network mode "bridge"');
    if (spec.timeOffsetSeconds !== 0 && !ns.time) problem(['timeOffsetSeconds'], 'clock offsets need the time namespace');
    if (spec.landlock.enabled && spec.landlock.readOnly.length + spec.landlock.readWrite.length === 0) {
      problem(['landlock'], 'Landlock with no allowed path would forbid even running the shell: list readOnly/readWrite paths');
    }
    if (spec.capabilities !== 'all') {
      if (!Array.isArray(spec.capabilities)) problem(['capabilities'], 'expected "all" or a list of capability names');
      else {
        spec.capabilities.forEach((cap, i) => {
          if (!(CAPABILITIES as readonly unknown[]).includes(cap)) problem(['capabilities', i], `unknown capability ${JSON.stringify(cap)} (names as docker spells them, e.g. NET_BIND_SERVICE)`);
        });
        if (new Set(spec.capabilities).size !== spec.capabilities.length) problem(['capabilities'], 'lists a capability twice');
      }
    }
    const r = spec.resources;
    if (r.memorySwapBytes !== null && r.memorySwapBytes !== -1) {
      if (r.memoryBytes === null) problem(['resources', 'memorySwapBytes'], 'memory+swap needs a memory limit too (as docker)');
      else if (r.memorySwapBytes < r.memoryBytes) problem(['resources', 'memorySwapBytes'], 'memory+swap must be at least the memory limit (as docker)');
    }
  });
export type ContainerSpec = z.infer<typeof ContainerSpec>;

const NO_LIMITS: Resources = {
  cgroup: false,
  memoryBytes: null,
  memorySwapBytes: null,
  cpus: null,
  cpuShares: null,
  cpusetCpus: null,
  pidsLimit: null,
  rootfsReadBps: null,
  rootfsWriteBps: null,
  devices: 'docker-default',
  deviceRules: [],
};

/** Everything off: a plain process on the host. Lesson 0 starts here. */
export const PLAIN_PROCESS: ContainerSpec = {
  namespaces: { mount: false, uts: false, ipc: false, pid: false, net: false, user: false, cgroup: false, time: false },
  hostname: 'isolab',
  rootfs: false,
  filesystem: { rootMode: 'pivot', readOnly: false, tmpfs: [], maskedPaths: false, readonlyPaths: false },
  userns: { hostId: 100000 },
  user: null,
  resources: NO_LIMITS,
  network: { mode: 'loopback', rate: null },
  capabilities: 'all',
  noNewPrivs: false,
  seccomp: 'unconfined',
  landlock: { enabled: false, readOnly: [], readWrite: [] },
  apparmor: null,
  selinuxLabel: null,
  rlimits: {},
  timeOffsetSeconds: 0,
};

/** Every namespace the toggle board has had since lesson 1, and an own root filesystem. */
export const FULL_ISOLATION: ContainerSpec = {
  ...PLAIN_PROCESS,
  namespaces: { mount: true, uts: true, ipc: true, pid: true, net: true, user: false, cgroup: false, time: false },
  rootfs: true,
};

/**
 * What `docker run IMAGE` gives by default, so `isolab run` compares one to one: mount, UTS, IPC,
 * PID and network namespaces (bridge), a cgroup namespace (docker's default on cgroup v2; on v1
 * hosts docker shares the host's — see toDockerRun), no user namespace, a writable root with
 * masked and read-only paths, the 14 capabilities, docker's seccomp profile, docker's device list.
 * (Docker also applies its AppArmor profile where AppArmor runs; no_new_privs is off by default.)
 */
export const DOCKER_RUN_DEFAULT: ContainerSpec = {
  ...PLAIN_PROCESS,
  namespaces: { mount: true, uts: true, ipc: true, pid: true, net: true, user: false, cgroup: true, time: false },
  rootfs: true,
  filesystem: { rootMode: 'pivot', readOnly: false, tmpfs: [], maskedPaths: true, readonlyPaths: true },
  resources: { ...NO_LIMITS, cgroup: true },
  network: { mode: 'bridge', rate: null },
  capabilities: [...DOCKER_DEFAULT_CAPABILITIES],
  seccomp: 'docker-default',
};

/** Limits the "cgroup limits" switch turns on when a lesson has not chosen its own. */
export const TEACHING_LIMITS: Pick<Resources, 'memoryBytes' | 'pidsLimit' | 'cpus'> = {
  memoryBytes: 256 * 1024 * 1024,
  pidsLimit: 64,
  cpus: 0.5,
};

/** The switches on the toggle board, in teaching order. */
export const TOGGLE_IDS = [
  'uts', 'pid', 'mount', 'rootfs', 'readonly', 'masked', 'limits', 'net', 'bridge', 'ipc', 'user', 'cgroupns',
  'caps', 'nnp', 'seccomp', 'landlock',
] as const;
export type ToggleId = (typeof TOGGLE_IDS)[number];

export const TOGGLES: Record<ToggleId, { label: string; summary: string }> = {
  uts: { label: 'UTS namespace', summary: 'own hostname' },
  pid: { label: 'PID namespace', summary: 'own process numbers; the shell is PID 1' },
  mount: { label: 'Mount namespace', summary: 'own mount table; fresh /proc' },
  rootfs: { label: 'Own root filesystem', summary: 'pivot_root into a copy-on-write busybox image' },
  readonly: { label: 'Read-only root', summary: '/ mounted read-only; /tmp a small tmpfs' },
  masked: { label: 'Masked paths', summary: "docker's hidden and read-only parts of /proc and /sys" },
  limits: { label: 'cgroup limits', summary: 'own cgroup: memory, CPU, pids, devices' },
  net: { label: 'Network namespace', summary: 'own network stack: only a loopback device' },
  bridge: { label: 'veth + bridge', summary: 'an eth0 on the isolab bridge, no route off the machine' },
  ipc: { label: 'IPC namespace', summary: 'own System V IPC and POSIX message queues' },
  user: { label: 'User namespace', summary: 'root inside is an unprivileged uid outside' },
  cgroupns: { label: 'cgroup namespace', summary: 'own view of /proc/self/cgroup' },
  caps: { label: "Docker's 14 capabilities", summary: 'drop CAP_SYS_ADMIN and 26 others' },
  nnp: { label: 'no_new_privs', summary: 'setuid binaries cannot raise privileges' },
  seccomp: { label: 'seccomp (docker default)', summary: 'about 50 dangerous syscalls refused' },
  landlock: { label: 'Landlock', summary: 'writes allowed only under /tmp' },
};

/** Bytes for people: "256 MiB", "1.5 GiB", "512 B"; null is no limit at all. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

/** docker's units.RAMInBytes: 512, 512b, 512k, 1.5g, 64MiB, "64 m" — powers of 1024. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  const bytes = Math.floor(Number(m[1]) * 1024 ** power);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const sameNames = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((n) => b.includes(n));

/**
 * A switch's label and summary for the settings as they are, not as the switch would set them: a
 * lesson or the settings editor may leave root one capability, or give seccomp the learner's own
 * profile, and "Docker's 14 capabilities: on" would then be untrue. A switch that is off is
 * described by what turning it on gives (a lesson's own limits, Landlock's paths).
 */
export function describeToggle(spec: ContainerSpec, id: ToggleId): { label: string; summary: string } {
  const base = TOGGLES[id];
  const s = isToggleOn(spec, id) ? spec : toggled(spec, id, true);
  switch (id) {
    case 'uts':
      return { label: base.label, summary: `own hostname, named ${s.hostname} at the start` };
    case 'user':
      return { label: base.label, summary: `root inside is uid ${s.userns.hostId} outside, without privileges there` };
    case 'readonly': {
      const tmpfs = s.filesystem.tmpfs.map((t) => `${t.path} a ${formatBytes(t.sizeBytes)} tmpfs`);
      return { label: base.label, summary: `/ mounted read-only; ${tmpfs.length ? tmpfs.join(', ') : 'nowhere to write'}` };
    }
    case 'limits': {
      const r = s.resources;
      const parts = [
        r.memoryBytes !== null ? `memory ${formatBytes(r.memoryBytes)}` : '',
        r.cpus !== null ? `${r.cpus} CPU` : '',
        r.pidsLimit !== null ? `${r.pidsLimit} processes` : '',
      ].filter(Boolean);
      return { label: base.label, summary: `own cgroup: ${parts.length ? parts.join(', ') : 'no limits set'}; docker's devices` };
    }
    case 'bridge':
      return s.network.rate ? { label: base.label, summary: `${base.summary}; shaped to ${s.network.rate}/s` } : base;
    case 'caps': {
      const caps = s.capabilities;
      if (caps === 'all' || sameNames(caps, DOCKER_DEFAULT_CAPABILITIES)) return base;
      const dropped = CAPABILITIES.length - caps.length;
      if (caps.length === 0) return { label: 'Capabilities: none', summary: `root keeps none of the ${CAPABILITIES.length}` };
      const names = caps.length <= 3 ? caps.join(', ') : `${caps.length} chosen`;
      return { label: `Capabilities: ${caps.length <= 3 ? 'only ' : ''}${names}`, summary: `root keeps ${caps.length <= 3 ? 'only these' : 'these'}; the other ${dropped} are dropped` };
    }
    case 'seccomp':
      return s.seccomp === 'custom' ? { label: 'seccomp (your profile)', summary: 'the profile applied in the Seccomp editor' } : base;
    case 'landlock': {
      const { readOnly, readWrite } = s.landlock;
      const reads = readOnly.length ? `; reads under ${readOnly.join(', ')}` : '';
      return { label: base.label, summary: `${readWrite.length ? `writes allowed only under ${readWrite.join(', ')}` : 'no writes anywhere'}${reads}` };
    }
    default:
      return base;
  }
}

/** The board's sections, each switch in exactly one (unit-tested). */
export const TOGGLE_GROUPS: readonly { title: string; ids: readonly ToggleId[] }[] = [
  { title: 'Namespaces', ids: ['uts', 'pid', 'mount', 'ipc', 'net', 'user', 'cgroupns'] },
  { title: 'Filesystem', ids: ['rootfs', 'readonly', 'masked'] },
  { title: 'Resources and network', ids: ['limits', 'bridge'] },
  { title: 'Privileges', ids: ['caps', 'nnp', 'seccomp', 'landlock'] },
];

/** Whether the toggle's primitive needs an own root filesystem / a network namespace to mean anything. */
const NEEDS: Partial<Record<ToggleId, ToggleId[]>> = {
  rootfs: ['mount'],
  readonly: ['rootfs', 'mount'],
  masked: ['rootfs', 'mount'],
  bridge: ['net'],
  // The launcher mounts the image's /proc for a user namespace only from a PID namespace it owns.
  user: ['pid'],
};

export function isToggleOn(spec: ContainerSpec, id: ToggleId): boolean {
  switch (id) {
    case 'rootfs':
      return spec.rootfs;
    case 'readonly':
      return spec.filesystem.readOnly;
    case 'masked':
      return spec.filesystem.maskedPaths && spec.filesystem.readonlyPaths;
    case 'limits':
      return spec.resources.cgroup;
    case 'bridge':
      return spec.network.mode === 'bridge';
    case 'cgroupns':
      return spec.namespaces.cgroup;
    case 'caps':
      return spec.capabilities !== 'all';
    case 'nnp':
      return spec.noNewPrivs;
    case 'seccomp':
      return spec.seccomp !== 'unconfined';
    case 'landlock':
      return spec.landlock.enabled;
    default:
      return spec.namespaces[id];
  }
}

/** Settings are plain JSON data: a JSON round trip is a faithful deep copy. */
function cloneSpec<T>(spec: T): T {
  return JSON.parse(JSON.stringify(spec)) as T;
}

function setToggle(spec: ContainerSpec, id: ToggleId, on: boolean): ContainerSpec {
  const next: ContainerSpec = cloneSpec(spec);
  switch (id) {
    case 'rootfs':
      next.rootfs = on;
      if (!on) next.filesystem = { ...PLAIN_PROCESS.filesystem };
      break;
    case 'readonly':
      next.filesystem.readOnly = on;
      // A read-only root still needs somewhere to write: docker users add --tmpfs /tmp.
      next.filesystem.tmpfs = on ? [{ path: '/tmp', sizeBytes: 64 * 1024 * 1024 }] : [];
      break;
    case 'masked':
      next.filesystem.maskedPaths = on;
      next.filesystem.readonlyPaths = on;
      break;
    case 'limits':
      next.resources.cgroup = on;
      if (on && next.resources.memoryBytes === null && next.resources.pidsLimit === null && next.resources.cpus === null) {
        Object.assign(next.resources, TEACHING_LIMITS);
      }
      break;
    case 'bridge':
      next.network.mode = on ? 'bridge' : 'loopback';
      if (!on) next.network.rate = null;
      break;
    case 'cgroupns':
      next.namespaces.cgroup = on;
      break;
    case 'caps':
      next.capabilities = on ? [...DOCKER_DEFAULT_CAPABILITIES] : 'all';
      break;
    case 'nnp':
      next.noNewPrivs = on;
      break;
    case 'seccomp':
      next.seccomp = on ? (spec.seccomp === 'unconfined' ? 'docker-default' : spec.seccomp) : 'unconfined';
      break;
    case 'landlock':
      next.landlock = on
        ? { enabled: true, readOnly: spec.landlock.readOnly.length ? spec.landlock.readOnly : ['/'], readWrite: spec.landlock.readWrite.length ? spec.landlock.readWrite : ['/tmp', '/dev'] }
        : { ...spec.landlock, enabled: false };
      break;
    default:
      next.namespaces[id] = on;
  }
  return next;
}

/**
 * Flip one switch and keep the settings valid: a switch that needs another turns it on, and turning
 * one off turns off what needs it (mount off → rootfs off → read-only root off).
 * Returns the new settings and the human-readable list of what changed (for the terminal banner).
 */
export function applyToggle(spec: ContainerSpec, id: ToggleId, on: boolean): { spec: ContainerSpec; changes: string[] } {
  const next = toggled(spec, id, on);
  return { spec: next, changes: describeChanges(spec, next) };
}

/** applyToggle's settings, without the words. */
function toggled(spec: ContainerSpec, id: ToggleId, on: boolean): ContainerSpec {
  let next = setToggle(spec, id, on);
  if (on) {
    for (const needed of NEEDS[id] ?? []) if (!isToggleOn(next, needed)) next = setToggle(next, needed, true);
  } else {
    // Everything that (transitively) needs this switch goes off with it.
    let changed = true;
    while (changed) {
      changed = false;
      for (const [dependent, needs] of Object.entries(NEEDS) as [ToggleId, ToggleId[]][]) {
        if (isToggleOn(next, dependent) && needs.some((n) => !isToggleOn(next, n))) {
          next = setToggle(next, dependent, false);
          changed = true;
        }
      }
    }
  }
  if (!next.namespaces.net && next.network.mode === 'bridge') next = setToggle(next, 'bridge', false);
  return next;
}

/** "UTS namespace on", "Own root filesystem off", … for every switch that differs. */
export function describeChanges(before: ContainerSpec, after: ContainerSpec): string[] {
  const changes: string[] = [];
  for (const id of TOGGLE_IDS) {
    const was = isToggleOn(before, id);
    const now = isToggleOn(after, id);
    // The new settings' own words: turning capabilities on with one name left is not "Docker's 14".
    if (was !== now) changes.push(`${describeToggle(after, id).label} ${now ? 'on' : 'off'}`);
  }
  for (const ns of ['time'] as const) {
    if (before.namespaces[ns] !== after.namespaces[ns]) changes.push(`${ns} namespace ${after.namespaces[ns] ? 'on' : 'off'}`);
  }
  if (before.hostname !== after.hostname) changes.push(`hostname ${after.hostname}`);
  if (JSON.stringify(before.user) !== JSON.stringify(after.user)) changes.push(after.user ? `user ${after.user.uid}:${after.user.gid}` : 'user root');
  if (isToggleOn(before, 'limits') && isToggleOn(after, 'limits') && JSON.stringify(before.resources) !== JSON.stringify(after.resources)) changes.push('limits changed');
  if (before.seccomp !== after.seccomp && isToggleOn(before, 'seccomp') && isToggleOn(after, 'seccomp')) changes.push(`seccomp ${after.seccomp}`);
  if (JSON.stringify(before.capabilities) !== JSON.stringify(after.capabilities) && isToggleOn(before, 'caps') && isToggleOn(after, 'caps')) {
    changes.push(`capabilities ${(after.capabilities as Capability[]).join(',') || 'none'}`);
  }
  return changes;
}

/** A deep-partial change to settings (lessons, the settings editor): objects merge, arrays and values replace. */
export type SpecChange = { [K in keyof ContainerSpec]?: ContainerSpec[K] extends unknown[] | string | number | boolean | null ? ContainerSpec[K] : Partial<ContainerSpec[K]> };

export function applySpecChange(spec: ContainerSpec, change: SpecChange): ContainerSpec {
  const next = cloneSpec(spec) as Record<string, unknown>;
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) continue;
    const current = next[key];
    next[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object' && !Array.isArray(current)
        ? { ...(current as object), ...Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) }
        : value;
  }
  return next as ContainerSpec;
}
