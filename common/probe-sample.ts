// A complete probe report as a root process on a cgroup-v2 host sees itself, for unit tests of
// whatever reads reports (lesson checks, the inspector model). Numbers are a real machine's.
import { CAP_NAMES, PROBE_SECTIONS, type ProbeReport } from './probe.js';

/** A capability set as the probe reports it. */
export function capSet(names: readonly string[]): { hex: string; names: string[] } {
  let bits = 0n;
  for (const name of names) bits |= 1n << BigInt(CAP_NAMES.indexOf(name as (typeof CAP_NAMES)[number]));
  return { hex: bits.toString(16).padStart(16, '0'), names: CAP_NAMES.filter((n) => names.includes(n)) };
}

const ALL_CAPS = capSet(CAP_NAMES);
const NO_CAPS = capSet([]);
const unlimited = { soft: null, hard: null };

export function sampleProbeReport(over: Partial<ProbeReport> = {}): ProbeReport {
  return {
    probe: 2,
    sections: [...PROBE_SECTIONS],
    subject: null,
    pid: 5000,
    ppid: 1,
    uid: 0,
    gid: 0,
    user: {
      uid: { real: 0, effective: 0, saved: 0, fs: 0 },
      gid: { real: 0, effective: 0, saved: 0, fs: 0 },
      groups: [0],
      uidMap: [{ inside: 0, outside: 0, count: 4294967295 }],
      gidMap: [{ inside: 0, outside: 0, count: 4294967295 }],
      setgroups: 'allow',
      nsPids: [5000],
    },
    hostname: 'lab-host',
    domainname: '(none)',
    kernel: { release: '6.1.0-28-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1', machine: 'x86_64' },
    namespaces: { cgroup: 4026531835, ipc: 4026531839, mnt: 4026531841, net: 4026531840, pid: 4026531836, time: 4026531834, user: 4026531837, uts: 4026531838 },
    processes: [
      { pid: 1, ppid: 0, comm: 'systemd' },
      { pid: 5000, ppid: 1, comm: 'isolab-probe' },
    ],
    processCount: 120,
    pid1Comm: 'systemd',
    root: { dev: 2049, ino: 2 },
    mounts: [
      { source: '/dev/sda1', target: '/', fstype: 'ext4', readOnly: false, options: 'rw,relatime', superOptions: 'rw,errors=remount-ro', fsRoot: '/', overlay: null },
      { source: 'proc', target: '/proc', fstype: 'proc', readOnly: false, options: 'rw,nosuid,nodev,noexec,relatime', superOptions: 'rw', fsRoot: '/', overlay: null },
      { source: 'sysfs', target: '/sys', fstype: 'sysfs', readOnly: false, options: 'rw,nosuid,nodev,noexec,relatime', superOptions: 'rw', fsRoot: '/', overlay: null },
      { source: 'cgroup2', target: '/sys/fs/cgroup', fstype: 'cgroup2', readOnly: false, options: 'rw,nosuid,nodev,noexec,relatime', superOptions: 'rw,nsdelegate,memory_recursiveprot', fsRoot: '/', overlay: null },
    ],
    mountCount: 4,
    rootfs: { fstype: 'ext4', source: '/dev/sda1', readOnly: false, overlay: null },
    netInterfaces: ['lo', 'eth0'],
    interfaces: [
      { name: 'lo', index: 1, up: true, loopback: true, mac: null, addresses: [{ family: 'inet', address: '127.0.0.1', prefix: 8 }] },
      { name: 'eth0', index: 2, up: true, loopback: false, mac: '52:54:00:12:34:56', addresses: [{ family: 'inet', address: '192.0.2.2', prefix: 24 }] },
    ],
    defaultRoute: { interface: 'eth0', gateway: '192.0.2.1' },
    ipc: { msg: 0, shm: 0, sem: 0 },
    caps: { inheritable: NO_CAPS, permitted: ALL_CAPS, effective: ALL_CAPS, bounding: ALL_CAPS, ambient: NO_CAPS, lastCap: 40 },
    noNewPrivs: false,
    seccomp: { mode: 0, filters: 0 },
    cgroup: {
      version: 'v2',
      paths: [{ hierarchy: 0, controllers: [], path: '/user.slice/user-0.slice/session-1.scope' }],
      mounted: true,
      reason: null,
      memory: { version: 'v2', dir: '/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope', max: null, high: null, current: 52428800, swapMax: null, swapCurrent: 0, oomKills: 0 },
      pids: { version: 'v2', dir: '/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope', max: null, current: 12, maxEvents: 0 },
      cpu: { version: 'v2', dir: '/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope', quotaUs: null, periodUs: 100000, weight: 100, shares: null },
      cpuset: { version: 'v2', dir: '/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope', cpus: '0-3', mems: '0' },
      io: { version: 'v2', dir: '/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope', throttle: [] },
      devices: null,
      notes: ['devices: cgroup v2 has no file for it (an eBPF program does the job)'],
    },
    paths: {
      masked: [
        { path: '/proc/acpi', state: 'visible', how: null },
        { path: '/proc/kcore', state: 'visible', how: null },
        { path: '/proc/keys', state: 'visible', how: null },
        { path: '/sys/firmware', state: 'visible', how: null },
      ],
      readOnly: [
        { path: '/proc/sys', exists: true, writable: true, error: null, readOnlyMount: false },
        { path: '/proc/sysrq-trigger', exists: true, writable: true, error: null, readOnlyMount: false },
      ],
    },
    devices: {
      entries: [
        { name: 'kmsg', type: 'c', major: 1, minor: 11 },
        { name: 'null', type: 'c', major: 1, minor: 3 },
        { name: 'pts', type: 'd', major: null, minor: null },
        { name: 'sda', type: 'b', major: 8, minor: 0 },
      ],
      count: 4,
      open: [
        { path: '/dev/null', error: null },
        { path: '/dev/kmsg', error: null },
        { path: '/dev/mem', error: null },
      ],
    },
    rlimits: {
      cpu: unlimited, fsize: unlimited, data: unlimited, stack: { soft: 8388608, hard: null }, core: { soft: 0, hard: null },
      rss: unlimited, nproc: { soft: 63432, hard: 63432 }, nofile: { soft: 1024, hard: 524288 },
      memlock: { soft: 8388608, hard: 8388608 }, as: unlimited, locks: unlimited, sigpending: { soft: 63432, hard: 63432 },
      msgqueue: { soft: 819200, hard: 819200 }, nice: { soft: 0, hard: 0 }, rtprio: { soft: 0, hard: 0 }, rttime: unlimited,
    },
    lsm: {
      active: ['lockdown', 'capability', 'landlock', 'yama', 'apparmor', 'bpf'],
      activeSource: 'securityfs',
      current: 'unconfined',
      apparmor: 'unconfined',
      landlock: { abi: 6, error: null, restricted: 'unknown' },
    },
    system: { cpusOnline: 4, cpusAllowed: 4, memTotalKiB: 16318412 },
    ...over,
  };
}
