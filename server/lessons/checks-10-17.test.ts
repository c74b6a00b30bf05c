// The checks of lessons 10–17 against synthetic facts: each lesson passes in the state its solution
// leaves, fails at the start with the hint that says what to do, and diagnoses a switch that is off.
// (The same lessons are walked in real shells by test/integration/lessons-verify.test.ts.)
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProbeReport } from '../../common/probe.js';
import { capSet, sampleProbeReport } from '../../common/probe-sample.js';
import type { ContainerSpec } from '../../common/spec.js';
import { REPO_ROOT } from '../base/paths.js';
import { evaluateLesson } from './checks.js';
import type { ContainerViewFacts, HostProcess, OpenFile, ShellView } from '../observe/views.js';
import type { CheckFacts } from './facts.js';
import { loadLessons, type Lesson } from './load.js';

const HOST_NS = { cgroup: 4026531835, ipc: 4026531839, mnt: 4026531841, net: 4026531840, pid: 4026531836, time: 4026531834, user: 4026531837, uts: 4026531838 };
const OWN_NS = { cgroup: 4026532200, ipc: 4026532201, mnt: 4026532202, net: 4026532203, pid: 4026532204, time: 4026531834, user: 4026532205, uts: 4026532206 };
const SHELL_PID = 4242;
/** Container N=1's range: root inside is 165536 on the host. */
const ROOT_OUTSIDE = 165536;
const CAPS_ALL = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN'];

const caps = (effective: string[], bounding = effective) => ({
  inheritable: capSet([]),
  permitted: capSet(effective),
  effective: capSet(effective),
  bounding: capSet(bounding),
  ambient: capSet([]),
  lastCap: 40,
});

function probe(over: Partial<ProbeReport> = {}): ProbeReport {
  return sampleProbeReport({ hostname: 'lab-host', namespaces: { ...HOST_NS }, processes: [], processCount: 120, mounts: [], ...over });
}

const proc = (pid: number, comm: string, id: Partial<HostProcess> = {}): HostProcess => ({
  pid,
  ppid: SHELL_PID,
  comm,
  nsPid: pid - 4200,
  nsPpid: 1,
  uid: ROOT_OUTSIDE,
  nsUid: 0,
  noNewPrivs: false,
  seccompFilters: 0,
  ...id,
});

/** A probe cgroup section with the given pids and memory counters. */
function cgroup(over: { pidsMaxEvents?: number; memoryCurrent?: number } = {}): ProbeReport['cgroup'] {
  const base = probe().cgroup;
  return {
    ...base,
    pids: { version: 'v1', dir: '/sys/fs/cgroup/pids/isolab/x', max: 64, current: 3, maxEvents: over.pidsMaxEvents ?? 0 },
    memory: { version: 'v1', dir: '/sys/fs/cgroup/memory/isolab/x', max: 268435456, high: null, current: over.memoryCurrent ?? 400_000, swapMax: null, swapCurrent: 0, oomKills: 0 },
  };
}

function shellView(over: Partial<ShellView> = {}): ShellView {
  return { nsPids: [SHELL_PID, 1], nsPid: 1, procPidNs: OWN_NS.pid, mounts: [], uid: ROOT_OUTSIDE, gid: ROOT_OUTSIDE, cgroups: [], ...over };
}

/** Lessons 4–8's facts: the container's own cgroup read on the host, ports listening below the shell. */
function view(over: { cgroup?: ProbeReport['cgroup'] | null; listeners?: { port: number; netns: 'host' | 'shell' | 'other' }[] } = {}): ContainerViewFacts {
  const limits = over.cgroup === undefined ? cgroup() : over.cgroup;
  return {
    tree: { shell: { root: 'own', rootTop: true, cpus: '0-1' }, processes: [], listeners: over.listeners ?? [], neighbors: [], interfaces: {} },
    overlay: { upper: null, mounts: [] },
    shellCgroup: limits ? { limits, cpu: null, io: null } : null,
    files: { tmp: [] },
  };
}

function facts(
  spec: ContainerSpec,
  opts: { container?: Partial<ProbeReport> | null; shell?: Partial<ShellView>; descendants?: HostProcess[]; openFiles?: OpenFile[]; view?: Parameters<typeof view>[0] } = {},
): CheckFacts {
  const container = opts.container === null ? null : probe({ namespaces: { ...OWN_NS }, uid: 0, ...opts.container });
  return {
    ...view(opts.view),
    container,
    host: probe(),
    shell: container ? shellView(opts.shell) : null,
    sysvipc: { host: { shm: [], sem: [], msg: [] }, container: container ? { shm: [], sem: [], msg: [] } : null },
    mqueue: { host: null, container: null },
    session: {
      shellPid: container ? SHELL_PID : null,
      spec,
      hostHostnameAtStart: 'lab-host',
      descendants: opts.descendants ?? [],
      openFiles: opts.openFiles ?? [],
    },
  };
}

describe('lessons 10–17', () => {
  let lessons: Map<string, Lesson>;
  beforeAll(async () => {
    lessons = new Map((await loadLessons(join(REPO_ROOT, 'lessons'))).lessons.map((l) => [l.id, l]));
  });
  const lesson = (id: string) => lessons.get(id)!;
  const status = (id: string, f: CheckFacts) => evaluateLesson(lesson(id), f, new Date('2025-01-01T00:00:00Z'));
  const passed = (s: ReturnType<typeof status>) => s.checks.map((c) => [c.id, c.passed]);
  const hint = (s: ReturnType<typeof status>, id: string) => s.checks.find((c) => c.id === id)!.hint;

  describe('10-user-namespace', () => {
    const spec = () => lesson('10-user-namespace').settings;

    it('passes with a sleep as root inside and one as uid 1000, both strangers to the host', () => {
      const s = status('10-user-namespace', facts(spec(), { descendants: [proc(4300, 'sleep'), proc(4301, 'sleep', { uid: ROOT_OUTSIDE + 1000, nsUid: 1000 })] }));
      expect(s.allPassed).toBe(true);
    });

    it('at the start the namespace checks pass and the hint names the host uid the sleep will get', () => {
      const s = status('10-user-namespace', facts(spec()));
      expect(passed(s)).toEqual([
        ['own-userns', true],
        ['root-unprivileged', true],
        ['sleep-as-root', false],
        ['sleep-as-learner', false],
      ]);
      expect(hint(s, 'sleep-as-root')).toBe(`No sleep runs under your shell. Start one in the background with \`sleep 1000 &\`: the host will see it as uid ${ROOT_OUTSIDE}.`);
      expect(hint(s, 'sleep-as-learner')).toMatch(/`su learner -c 'sleep 2000' &`/);
    });

    it('without a user namespace, root inside is the host\'s root: nothing passes', () => {
      const off = { ...spec(), namespaces: { ...spec().namespaces, user: false } };
      const s = status('10-user-namespace', facts(off, { container: { namespaces: { ...OWN_NS, user: HOST_NS.user } }, shell: { uid: 0 }, descendants: [proc(4300, 'sleep', { uid: 0, nsUid: 0 })] }));
      expect(passed(s)).toEqual([
        ['own-userns', false],
        ['root-unprivileged', false],
        ['sleep-as-root', false],
        ['sleep-as-learner', false],
      ]);
      expect(hint(s, 'own-userns')).toMatch(/^The user switch is off/);
      expect(hint(s, 'root-unprivileged')).toMatch(/reads uid 0/);
    });
  });

  describe('11-cgroup-namespace', () => {
    const spec = () => lesson('11-cgroup-namespace').settings;
    const cgroupMount = { source: 'cgroup', target: '/mnt', fstype: 'cgroup', readOnly: false, options: 'rw,relatime', superOptions: 'rw,pids', fsRoot: '/', overlay: null };

    it('passes with a cgroup filesystem on /mnt rooted at the namespace\'s root', () => {
      expect(status('11-cgroup-namespace', facts(spec(), { container: { mounts: [cgroupMount] } })).allPassed).toBe(true);
      // cgroup v2: another type, the same name the lesson gives it.
      expect(status('11-cgroup-namespace', facts(spec(), { container: { mounts: [{ ...cgroupMount, fstype: 'cgroup2' }] } })).allPassed).toBe(true);
    });

    it('a tmpfs on /mnt, or a cgroup mount carried in from above the root, is not it', () => {
      const tmpfs = status('11-cgroup-namespace', facts(spec(), { container: { mounts: [{ ...cgroupMount, source: 'scratch', fstype: 'tmpfs' }] } }));
      expect(hint(tmpfs, 'cgroupfs-mounted')).toMatch(/^Something is mounted on `\/mnt`, but not a cgroup filesystem/);
      const above = status('11-cgroup-namespace', facts(spec(), { container: { mounts: [{ ...cgroupMount, fsRoot: '/../..' }] } }));
      expect(above.allPassed).toBe(false);
    });

    it('without a cgroup namespace, the hint says why the mount is refused', () => {
      const s = status('11-cgroup-namespace', facts(spec(), { container: { namespaces: { ...OWN_NS, cgroup: HOST_NS.cgroup } } }));
      expect(hint(s, 'cgroupfs-mounted')).toMatch(/^Without a cgroup namespace of its own/);
    });
  });

  describe('12-capabilities', () => {
    const spec = () => lesson('12-capabilities').settings;
    const one = { caps: caps(['CAP_NET_BIND_SERVICE']) };

    it('passes with one capability and a server on port 80 in the container\'s network namespace', () => {
      const s = status('12-capabilities', facts(spec(), { container: one, view: { listeners: [{ port: 80, netns: 'shell' }] }, descendants: [proc(4300, 'httpd')] }));
      expect(s.allPassed).toBe(true);
    });

    it('at the start: the capability check passes, the port check says how to start httpd', () => {
      const s = status('12-capabilities', facts(spec(), { container: one }));
      expect(passed(s)).toEqual([
        ['one-capability', true],
        ['listening-80', false],
      ]);
      expect(hint(s, 'listening-80')).toMatch(/httpd -p 80 -h \/tmp\/www/);
    });

    it('an httpd that could not bind, and a shell with every capability, are told apart', () => {
      const s = status('12-capabilities', facts(spec(), { container: { caps: caps(CAPS_ALL) }, descendants: [proc(4300, 'httpd')] }));
      expect(hint(s, 'one-capability')).toMatch(/^Your shell holds more than CAP_NET_BIND_SERVICE/);
      expect(hint(s, 'listening-80')).toMatch(/^httpd runs, but nothing listens on port 80/);
    });

    it('port 80 of the host\'s network namespace does not count', () => {
      const s = status('12-capabilities', facts(spec(), { container: { ...one, namespaces: { ...OWN_NS, net: HOST_NS.net } }, view: { listeners: [{ port: 80, netns: 'host' }] } }));
      expect(hint(s, 'listening-80')).toMatch(/^Your shell uses the host's network namespace/);
    });
  });

  describe('13-no-new-privs', () => {
    const spec = () => lesson('13-no-new-privs').settings;
    const learner = { uid: 1000, noNewPrivs: false };
    const escalated = proc(4300, 'sleep');
    const held = proc(4301, 'sleep', { uid: ROOT_OUTSIDE + 1000, nsUid: 1000, noNewPrivs: true });

    it('runs as 1000:1000 with Docker\'s 14 capabilities and no_new_privs off', () => {
      expect(spec().user).toEqual({ uid: 1000, gid: 1000 });
      expect(spec().capabilities).toHaveLength(14);
      expect(spec().noNewPrivs).toBe(false);
    });

    it('passes with a root sleep raised by the set-user-ID bit and a uid-1000 sleep under no_new_privs', () => {
      expect(status('13-no-new-privs', facts(spec(), { container: learner, descendants: [escalated, held] })).allPassed).toBe(true);
    });

    it('a shell with no_new_privs on cannot escalate, and the hint says to switch it off; the no_new_privs task still passes', () => {
      const s = status('13-no-new-privs', facts(spec(), { container: { uid: 1000, noNewPrivs: true }, descendants: [{ ...held, comm: 'sleep' }] }));
      expect(passed(s)).toEqual([
        ['shell-is-learner', false],
        ['sleep-as-root', false],
        ['root-is-contained', true],
        ['sleep-stays-user', true],
      ]);
      expect(hint(s, 'shell-is-learner')).toMatch(/Turn the no_new_privs switch off\.$/);
    });

    it('a sleep that became the host\'s root (user namespace off) fails the containment check', () => {
      const off = { ...spec(), namespaces: { ...spec().namespaces, user: false } };
      const s = status('13-no-new-privs', facts(off, { container: learner, descendants: [proc(4300, 'sleep', { uid: 0, nsUid: 0 })] }));
      expect(hint(s, 'root-is-contained')).toMatch(/made it the host's root/);
    });
  });

  describe('14-seccomp', () => {
    const spec = () => lesson('14-seccomp').settings;
    const docker = { seccomp: { mode: 2, filters: 1 } };

    it('passes with a shell below the learner\'s under Docker\'s filter and one more', () => {
      const s = status('14-seccomp', facts(spec(), { container: docker, descendants: [proc(4300, 'sh', { seccompFilters: 2, noNewPrivs: true })] }));
      expect(s.allPassed).toBe(true);
    });

    it('an inner shell with only the inherited filter is told to leave and start one under isolab-seccomp-deny', () => {
      const s = status('14-seccomp', facts(spec(), { container: docker, descendants: [proc(4300, 'sh', { seccompFilters: 1 })] }));
      expect(hint(s, 'stacked-shell')).toMatch(/^A shell runs below yours with one filter only/);
    });

    it('with seccomp off the first check says so', () => {
      const off = { ...spec(), seccomp: 'unconfined' as const };
      const s = status('14-seccomp', facts(off, { container: { seccomp: { mode: 0, filters: 0 } } }));
      expect(hint(s, 'docker-filter')).toMatch(/^The seccomp switch is off/);
    });
  });

  describe('15-lsm', () => {
    const spec = () => lesson('15-lsm').settings;
    const clock: OpenFile = { pid: 4300, comm: 'sh', fd: 1, path: '/tmp/clock.log', writable: true };

    it('writes are allowed below /tmp and /dev only, on a writable root', () => {
      expect(spec().landlock).toEqual({ enabled: true, readOnly: ['/'], readWrite: ['/tmp', '/dev'] });
      expect(spec().filesystem.readOnly).toBe(false);
    });

    it('passes with a process writing /tmp/clock.log', () => {
      expect(status('15-lsm', facts(spec(), { openFiles: [clock] })).allPassed).toBe(true);
    });

    it('the same file open for reading does not count; a clock in /root means Landlock is not on', () => {
      expect(status('15-lsm', facts(spec(), { openFiles: [{ ...clock, writable: false }] })).allPassed).toBe(false);
      const s = status('15-lsm', facts(spec(), { openFiles: [{ ...clock, path: '/root/clock.log' }] }));
      expect(hint(s, 'log-in-tmp')).toMatch(/Landlock is not restricting your shell/);
    });
  });

  describe('16-containers-vs-vms', () => {
    const spec = () => lesson('16-containers-vs-vms').settings;

    it('passes once the host counts more than 50 MB in the container\'s cgroup', () => {
      expect(status('16-containers-vs-vms', facts(spec(), { view: { cgroup: cgroup({ memoryCurrent: 53_000_000 }) } })).allPassed).toBe(true);
    });

    it('at the start the hint shows what the host counts', () => {
      const s = status('16-containers-vs-vms', facts(spec()));
      expect(passed(s)).toEqual([
        ['shared-kernel', true],
        ['memory-counted', false],
      ]);
      expect(hint(s, 'memory-counted')).toMatch(/^The host counts 400000 bytes/);
    });

    it('without a cgroup of its own there is nothing of the container\'s to count, and the hint says which switch', () => {
      const s = status('16-containers-vs-vms', facts(spec(), { view: { cgroup: null } }));
      expect(hint(s, 'memory-counted')).toMatch(/the cgroup limits\s+switch is off/);
    });
  });

  describe('17-capstone-blast-radius', () => {
    const spec = () => lesson('17-capstone-blast-radius').settings;
    const hardened: Partial<ProbeReport> = {
      uid: 1000,
      caps: caps([], []),
      noNewPrivs: true,
      seccomp: { mode: 2, filters: 1 },
      rootfs: { fstype: 'overlay', source: 'overlay', readOnly: true, overlay: null },
    };

    it('the settings restate every switch', () => {
      const s = spec();
      expect(s.namespaces).toMatchObject({ mount: true, uts: true, ipc: true, pid: true, net: true, user: true, cgroup: true });
      expect(s).toMatchObject({ capabilities: [], noNewPrivs: true, seccomp: 'docker-default', user: { uid: 1000, gid: 1000 } });
      expect(s.filesystem).toMatchObject({ readOnly: true, maskedPaths: true, readonlyPaths: true });
      expect(s.resources).toMatchObject({ cgroup: true, pidsLimit: 64 });
      expect(s.landlock.enabled).toBe(true);
    });

    it('passes once the host has seen the process limit refuse a fork, with no sleep left', () => {
      expect(status('17-capstone-blast-radius', facts(spec(), { container: hardened, shell: { uid: ROOT_OUTSIDE + 1000 }, view: { cgroup: cgroup({ pidsMaxEvents: 3 }) } })).allPassed).toBe(true);
    });

    it('without a user namespace the host numbers the shell as the shell does, and the check says so', () => {
      const s = status('17-capstone-blast-radius', facts(spec(), { container: hardened, shell: { uid: 1000 }, view: { cgroup: cgroup({ pidsMaxEvents: 3 }) } }));
      expect(hint(s, 'hardened')).toMatch(/^The host numbers your shell's user as your shell does \(1000\)/);
    });

    it('before blast-radius runs the counter is 0; a capability left in the bounding set is named', () => {
      const start = status('17-capstone-blast-radius', facts(spec(), { container: hardened, shell: { uid: ROOT_OUTSIDE + 1000 } }));
      expect(passed(start)).toEqual([
        ['hardened', true],
        ['bomb-stopped', false],
        ['nothing-left', true],
      ]);
      expect(hint(start, 'bomb-stopped')).toMatch(/`blast-radius`/);
      const weak = status('17-capstone-blast-radius', facts(spec(), { container: { ...hardened, caps: caps(CAPS_ALL) }, shell: { uid: ROOT_OUTSIDE + 1000 } }));
      expect(hint(weak, 'hardened')).toMatch(/bounding set is not empty/);
    });
  });
});
