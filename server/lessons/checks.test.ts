import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProbeReport } from '../../common/probe.js';
import { sampleProbeReport } from '../../common/probe-sample.js';
import { PLAIN_PROCESS, type ContainerSpec } from '../../common/spec.js';
import { REPO_ROOT } from '../base/paths.js';
import { evaluateLesson, hintHtml, holds } from './checks.js';
import type { ContainerViewFacts, ShellView, SysvIpc } from '../observe/views.js';
import type { CheckFacts } from './facts.js';
import { loadLessons, type Lesson } from './load.js';
import { Condition } from './schema.js';

/** Namespace numbers as a host shows them (the first UTS namespace is always 4026531838). */
const HOST_NS = { cgroup: 4026531835, ipc: 4026531839, mnt: 4026531841, net: 4026531840, pid: 4026531836, time: 4026531834, user: 4026531837, uts: 4026531838 };
const HOST_NAME = 'lab-host';
const SHELL_PID = 4242;

function probe(over: Partial<ProbeReport> = {}): ProbeReport {
  return sampleProbeReport({ hostname: HOST_NAME, namespaces: { ...HOST_NS }, processes: [], processCount: 120, mounts: [], ...over });
}

type Descendant = CheckFacts['session']['descendants'][number];
/** A process below the shell; without a PID namespace its numbers inside are the host's. */
const proc = (pid: number, ppid: number, comm: string, ns: { nsPid?: number; nsPpid?: number } = {}, id: Partial<Pick<Descendant, 'uid' | 'nsUid' | 'noNewPrivs' | 'seccompFilters'>> = {}): Descendant => ({
  pid,
  ppid,
  comm,
  nsPid: ns.nsPid ?? pid,
  nsPpid: ns.nsPpid ?? ppid,
  uid: 0,
  nsUid: 0,
  noNewPrivs: false,
  seccompFilters: 0,
  ...id,
});

const NO_IPC: SysvIpc = { shm: [], sem: [], msg: [] };

/** The host's view of a shell with nothing of its own: host numbers, host /proc. */
function shellView(over: Partial<ShellView> = {}): ShellView {
  return { nsPids: [SHELL_PID], nsPid: SHELL_PID, procPidNs: HOST_NS.pid, mounts: [], uid: 0, gid: 0, cgroups: [], ...over };
}

/** Facts for a shell with `spec`; `container` is what the probe saw inside it (null: no shell). */
function facts(
  opts: {
    spec?: ContainerSpec;
    container?: Partial<ProbeReport> | null;
    host?: Partial<ProbeReport>;
    descendants?: Descendant[];
    shell?: Partial<ShellView>;
    sysvipc?: { host?: SysvIpc; container?: SysvIpc };
    mqueues?: string[] | null;
    view?: Partial<ContainerViewFacts>;
  } = {},
): CheckFacts {
  const container = opts.container === null ? null : probe(opts.container);
  return {
    tree: null,
    overlay: { upper: null, mounts: [] },
    shellCgroup: null,
    files: { tmp: null },
    ...opts.view,
    container,
    host: probe(opts.host),
    shell: container ? shellView(opts.shell) : null,
    sysvipc: { host: opts.sysvipc?.host ?? NO_IPC, container: container ? (opts.sysvipc?.container ?? NO_IPC) : null },
    mqueue: { host: null, container: container ? (opts.mqueues ?? null) : null },
    session: {
      shellPid: container ? SHELL_PID : null,
      spec: opts.spec ?? PLAIN_PROCESS,
      hostHostnameAtStart: HOST_NAME,
      descendants: opts.descendants ?? [],
      openFiles: [],
    },
  };
}

const cond = (c: unknown) => Condition.parse(c);

describe('conditions', () => {
  const f = facts({
    container: { hostname: 'my-container', namespaces: { ...HOST_NS, uts: 4026532177 }, processCount: 3 },
    descendants: [proc(4300, SHELL_PID, 'sleep')],
  });
  it.each([
    [{ fact: 'container.hostname', op: 'eq', value: 'my-container' }, true],
    [{ fact: 'container.hostname', op: 'eq', ref: 'host.hostname' }, false],
    [{ fact: 'container.hostname', op: 'neq', ref: 'host.hostname' }, true],
    [{ fact: 'container.namespaces.uts', op: 'neq', ref: 'host.namespaces.uts' }, true],
    [{ fact: 'container.namespaces.pid', op: 'neq', ref: 'host.namespaces.pid' }, false],
    [{ fact: 'container.processCount', op: 'lt', ref: 'host.processCount' }, true],
    [{ fact: 'container.processCount', op: 'gt', value: 3 }, false],
    [{ fact: 'session.spec.namespaces.uts', op: 'eq', value: false }, true],
    [{ fact: 'session.shellPid', op: 'exists' }, true],
    [{ fact: 'container', op: 'absent' }, false],
    [{ fact: 'session.descendants', op: 'some', where: { comm: 'sleep' } }, true],
    [{ fact: 'session.descendants', op: 'some', where: { comm: 'sleep', ppid: 1 } }, false],
    [{ fact: 'session.descendants', op: 'none', where: { comm: 'sh' } }, true],
    [{ fact: 'session.descendants', op: 'none' }, false],
    [{ fact: 'container.netInterfaces', op: 'some', value: 'eth0' }, true],
    [{ fact: 'container.netInterfaces', op: 'none', value: 'veth0' }, true],
  ])('%j → %s', (c, expected) => {
    expect(holds(cond(c), f)).toBe(expected);
  });

  describe('with no shell running, every condition on the container is false except "absent"', () => {
    const none = facts({ container: null });
    it.each([
      [{ fact: 'container.hostname', op: 'neq', ref: 'host.hostname' }, false],
      [{ fact: 'container.hostname', op: 'eq', ref: 'host.hostname' }, false],
      [{ fact: 'container.namespaces.uts', op: 'neq', ref: 'host.namespaces.uts' }, false],
      [{ fact: 'container.netInterfaces', op: 'none', value: 'eth0' }, false],
      [{ fact: 'container', op: 'absent' }, true],
      [{ fact: 'session.shellPid', op: 'eq', value: null }, true],
    ])('%j → %s', (c, expected) => {
      expect(holds(cond(c), none)).toBe(expected);
    });
  });
});

type LessonStatus = ReturnType<typeof evaluateLesson>;

/** The repository's lessons, loaded before the enclosing describe's tests: a lesson's status for FACTS. */
function realLessons(): (id: string, facts: CheckFacts) => LessonStatus {
  let lessons: Map<string, Lesson>;
  beforeAll(async () => {
    lessons = new Map((await loadLessons(join(REPO_ROOT, 'lessons'))).lessons.map((l) => [l.id, l]));
  });
  return (id, facts) => evaluateLesson(lessons.get(id)!, facts, new Date('2025-01-01T00:00:00Z'));
}
const byId = (s: LessonStatus) => Object.fromEntries(s.checks.map((c) => [c.id, c]));

describe('the real lessons', () => {
  const status = realLessons();

  describe('00-just-a-process', () => {
    it('passes when the host sees a sleep below the shell', () => {
      const s = status('00-just-a-process', facts({ descendants: [proc(4300, SHELL_PID, 'sleep')] }));
      expect(s).toEqual({
        lessonId: '00-just-a-process',
        checks: [{ id: 'sleep-under-shell', title: 'The host sees a sleep process descended from your shell', passed: true }],
        allPassed: true,
        checkedAt: '2025-01-01T00:00:00.000Z',
      });
    });

    it.each([
      ['nothing runs under the shell', facts(), /^Nothing runs under your shell yet/],
      ['something else runs under the shell', facts({ descendants: [proc(4300, SHELL_PID, 'top')] }), /^Something runs under your shell, but nothing called `sleep`/],
      ['no shell is running', facts({ container: null }), /^No shell is running/],
    ])('fails with the right hint when %s', (_, f, hint) => {
      const s = status('00-just-a-process', f);
      expect(s.allPassed).toBe(false);
      expect(byId(s)['sleep-under-shell']).toMatchObject({ passed: false, hint: expect.stringMatching(hint) });
    });
  });

  describe('01-uts-namespace', () => {
    const UTS_ON: ContainerSpec = { ...PLAIN_PROCESS, namespaces: { ...PLAIN_PROCESS.namespaces, uts: true } };
    const OWN_UTS = { ...HOST_NS, uts: 4026532177 };

    it('passes when the container renamed itself in its own UTS namespace and the host kept its name', () => {
      const s = status('01-uts-namespace', facts({ spec: UTS_ON, container: { hostname: 'my-container', namespaces: OWN_UTS } }));
      expect(s.checks.map((c) => [c.id, c.passed, c.hint])).toEqual([
        ['own-uts', true, undefined],
        ['renamed', true, undefined],
        ['host-unchanged', true, undefined],
      ]);
      expect(s.allPassed).toBe(true);
    });

    it('fails while the container still has the name the launcher gave it', () => {
      const s = status('01-uts-namespace', facts({ spec: UTS_ON, container: { hostname: 'isolab', namespaces: OWN_UTS } }));
      expect(s.allPassed).toBe(false);
      expect(byId(s)['renamed']!.hint).toMatch(/^The container is still called "isolab", the name the launcher gave it/);
    });

    it('renders its hints\' markdown for the page, with the facts escaped after rendering', () => {
      const s = status('01-uts-namespace', facts({ spec: UTS_ON, container: { hostname: 'isolab', namespaces: OWN_UTS } }));
      expect(byId(s)['renamed']!.hintHtml).toBe(
        'The container is still called &quot;isolab&quot;, the name the launcher gave it. Rename it with <code>hostname my-container</code>, then run <code>hostname</code> to read it back.',
      );
      const odd = hintHtml('Called {{container.hostname}}: `hostname {{container.hostname}}`', facts({ container: { hostname: '*x*<b>' } }));
      expect(odd).toBe('Called *x*&lt;b&gt;: <code>hostname *x*&lt;b&gt;</code>');
    });

    it('fails when the container shares the host UTS namespace, even with the "right" hostname', () => {
      // UTS off: `hostname my-container` renamed the host itself, so container and host agree.
      const renamedHost = { hostname: 'my-container' };
      const s = status('01-uts-namespace', facts({ spec: PLAIN_PROCESS, container: renamedHost, host: renamedHost }));
      expect(s.allPassed).toBe(false);
      const checks = byId(s);
      expect(checks['own-uts']).toMatchObject({ passed: false, hint: expect.stringMatching(/^The UTS switch is off/) });
      expect(checks['renamed']).toMatchObject({ passed: false, hint: expect.stringMatching(/^Your hostname is still the host's: is the UTS switch on\?/) });
      expect(checks['host-unchanged']).toMatchObject({
        passed: false,
        hint: 'The host is now called "my-container" instead of "lab-host": a `hostname` command ran in the host\'s UTS namespace, with the UTS switch off. Put the name back: switch UTS off, run `hostname lab-host`, then switch UTS on again.',
      });
    });

    it('fails with UTS off and nothing renamed: the shell simply has the host name', () => {
      const s = status('01-uts-namespace', facts({ spec: PLAIN_PROCESS }));
      expect(s.checks.map((c) => [c.id, c.passed])).toEqual([
        ['own-uts', false],
        ['renamed', false],
        ['host-unchanged', true],
      ]);
    });

    it('says so when no shell is running', () => {
      const s = status('01-uts-namespace', facts({ spec: UTS_ON, container: null }));
      expect(byId(s)['own-uts']!.hint).toMatch(/^No shell is running/);
      expect(byId(s)['renamed']!.hint).toMatch(/^No shell is running/);
    });
  });

  describe('02-pid-namespace', () => {
    const PID_ON: ContainerSpec = { ...PLAIN_PROCESS, namespaces: { ...PLAIN_PROCESS.namespaces, uts: true, pid: true } };
    const OWN_PID = { ...HOST_NS, uts: 4026532177, pid: 4026532180 };
    /** PID namespace on: the shell is 1 inside; its children have two numbers. */
    const inside = (descendants: Descendant[]) =>
      facts({ spec: PID_ON, container: { namespaces: OWN_PID }, shell: { nsPids: [SHELL_PID, 1], nsPid: 1 }, descendants });
    const sleep1000 = proc(4300, SHELL_PID, 'sleep', { nsPid: 9, nsPpid: 1 });
    const unshare = proc(4310, SHELL_PID, 'unshare', { nsPid: 12, nsPpid: 1 });
    const nestedSleep = proc(4311, 4310, 'sleep', { nsPid: 1, nsPpid: 0 });

    it('passes with a sleep under PID 1 and a sleep that is PID 1 of a nested namespace', () => {
      const s = status('02-pid-namespace', inside([sleep1000, unshare, nestedSleep]));
      expect(s.checks.map((c) => [c.id, c.passed])).toEqual([
        ['own-pid', true],
        ['shell-is-init', true],
        ['sleep-child', true],
        ['nested-init', true],
      ]);
    });

    it('right after the start only the namespace checks pass, and the hints say what to start', () => {
      const s = status('02-pid-namespace', inside([]));
      expect(s.checks.map((c) => [c.id, c.passed])).toEqual([
        ['own-pid', true],
        ['shell-is-init', true],
        ['sleep-child', false],
        ['nested-init', false],
      ]);
      expect(byId(s)['sleep-child']!.hint).toMatch(/`sleep 1000 &`/);
      expect(byId(s)['nested-init']!.hint).toMatch(/`unshare -p -f sleep 4000 &`/);
    });

    it('a nested sleep alone does not count as a child of PID 1, and `unshare -p` without -f is explained', () => {
      const s = status('02-pid-namespace', inside([unshare, nestedSleep]));
      expect(byId(s)['sleep-child']).toMatchObject({ passed: false, hint: expect.stringMatching(/its parent is not your shell/) });
      // `unshare -p sleep` (no -f): the sleep stays in the shell's namespace, under PID 1.
      const noFork = status('02-pid-namespace', inside([proc(4320, SHELL_PID, 'sleep', { nsPid: 14, nsPpid: 1 })]));
      expect(byId(noFork)['nested-init']).toMatchObject({ passed: false, hint: expect.stringMatching(/`-f` makes it fork first/) });
    });

    it('with the PID switch off nothing passes, even a namespace made from the host\'s side', () => {
      const s = status('02-pid-namespace', facts({ spec: PLAIN_PROCESS, descendants: [proc(4300, SHELL_PID, 'sleep'), proc(4311, 4310, 'sleep', { nsPid: 1, nsPpid: 0 })] }));
      expect(s.checks.map((c) => [c.id, c.passed])).toEqual([
        ['own-pid', false],
        ['shell-is-init', false],
        ['sleep-child', false],
        ['nested-init', false],
      ]);
      expect(byId(s)['own-pid']!.hint).toMatch(/^The PID switch is off/);
      expect(byId(s)['shell-is-init']!.hint).toContain(`is ${SHELL_PID}.`);
      expect(byId(s)['nested-init']!.hint).toMatch(/^Your shell is in the host's PID namespace/);
    });
  });

  describe('03-mount-namespace', () => {
    const MOUNT_ON: ContainerSpec = { ...PLAIN_PROCESS, namespaces: { ...PLAIN_PROCESS.namespaces, uts: true, pid: true, mount: true } };
    const OWN = { ...HOST_NS, uts: 4026532177, pid: 4026532180, mnt: 4026532181 };
    const tmpfs = (target: string, source: string) => ({ source, target, fstype: 'tmpfs', readOnly: false, options: 'rw,relatime', superOptions: 'rw', fsRoot: '/', overlay: null });
    const shellMount = (target: string, source: string, propagation: string) => ({ source, target, fstype: 'tmpfs', readOnly: false, propagation });
    const inside = (over: { mounts?: ProbeReport['mounts']; shellMounts?: ShellView['mounts']; procPidNs?: number; host?: Partial<ProbeReport> } = {}) =>
      facts({
        spec: MOUNT_ON,
        container: { namespaces: OWN, mounts: over.mounts ?? [] },
        host: over.host,
        shell: { nsPids: [SHELL_PID, 1], nsPid: 1, procPidNs: over.procPidNs ?? OWN.pid, mounts: over.shellMounts ?? [] },
      });

    it('passes once /mnt is shared and the nested namespace\'s mount arrived', () => {
      const s = status(
        '03-mount-namespace',
        inside({
          mounts: [tmpfs('/mnt', 'my-tmpfs'), tmpfs('/mnt/inner', 'from-inner')],
          shellMounts: [shellMount('/mnt', 'my-tmpfs', 'shared'), shellMount('/mnt/inner', 'from-inner', 'shared')],
        }),
      );
      expect(s.allPassed).toBe(true);
    });

    it('at the start: own namespace and a fresh /proc, nothing mounted yet', () => {
      const s = status('03-mount-namespace', inside());
      expect(s.checks.map((c) => [c.id, c.passed])).toEqual([
        ['own-mnt', true],
        ['fresh-proc', true],
        ['tmpfs-inside', false],
        ['host-clean', true],
        ['mnt-shared', false],
        ['inner-arrived', false],
        ['host-clean-inner', true],
      ]);
      expect(byId(s)['mnt-shared']!.hint).toMatch(/Do the first task first/);
    });

    it('a private /mnt gets the make-shared hint', () => {
      const s = status('03-mount-namespace', inside({ mounts: [tmpfs('/mnt', 'my-tmpfs')], shellMounts: [shellMount('/mnt', 'my-tmpfs', 'private')] }));
      expect(byId(s)['tmpfs-inside']!.passed).toBe(true);
      expect(byId(s)['mnt-shared']!.hint).toMatch(/`mount --make-shared \/mnt`/);
    });

    it('the host\'s /proc is not a fresh one, and a tmpfs on the host\'s /mnt is a mount made with the switch off', () => {
      const s = status('03-mount-namespace', inside({ procPidNs: HOST_NS.pid, host: { mounts: [tmpfs('/mnt', 'my-tmpfs')] } }));
      expect(byId(s)['fresh-proc']).toMatchObject({ passed: false, hint: expect.stringMatching(/^Your `\/proc` is still the host's/) });
      expect(byId(s)['host-clean']).toMatchObject({ passed: false, hint: expect.stringMatching(/umount \/mnt/) });
    });
  });

  describe('09-ipc-namespace', () => {
    const IPC_ON: ContainerSpec = { ...PLAIN_PROCESS, namespaces: { ...PLAIN_PROCESS.namespaces, uts: true, pid: true, mount: true, ipc: true }, rootfs: true };
    const OWN = { ...HOST_NS, ipc: 4026532190 };
    const SYSLOG_SHM = { key: 0x414e4547, id: 0, bytes: 16384, attached: 1, creatorPid: 9 };
    const withIpc = (sysvipc: { host?: SysvIpc; container?: SysvIpc }, mqueues: string[] | null = []) =>
      facts({ spec: IPC_ON, container: { namespaces: OWN }, shell: { nsPid: 1, nsPids: [SHELL_PID, 1] }, sysvipc, mqueues });

    it('passes with the segment in the container\'s namespace only and a queue called jobs', () => {
      const s = status('09-ipc-namespace', withIpc({ container: { ...NO_IPC, shm: [SYSLOG_SHM] } }, ['jobs']));
      expect(s.allPassed).toBe(true);
    });

    it('fails while the container has no segment, and says how to start syslogd', () => {
      const s = status('09-ipc-namespace', withIpc({}));
      expect(byId(s)['segment-inside']).toMatchObject({ passed: false, hint: expect.stringMatching(/`syslogd -C16`/) });
      expect(byId(s)['queue-inside']).toMatchObject({ passed: false, hint: expect.stringMatching(/`touch \/dev\/mqueue\/jobs`/) });
    });

    it('a segment with that key on the host is a leak from a syslogd run with the IPC switch off', () => {
      const s = status('09-ipc-namespace', withIpc({ host: { ...NO_IPC, shm: [SYSLOG_SHM] }, container: { ...NO_IPC, shm: [SYSLOG_SHM] } }, ['jobs']));
      expect(byId(s)['segment-inside']!.passed).toBe(true);
      expect(byId(s)['host-clean']).toMatchObject({ passed: false, hint: expect.stringMatching(/ipcrm -M 0x414e4547/) });
    });

    it('without an mqueue mount on /dev/mqueue the queue check says which switches mount it', () => {
      const s = status('09-ipc-namespace', withIpc({}, null));
      expect(byId(s)['queue-inside']!.hint).toMatch(/^No message queue filesystem is mounted/);
    });
  });
});

// ---- Lessons 4–8: checks over the host's view of roots, layers, cgroup counters and sockets ----
describe('the real lessons 4–8', () => {
  const status = realLessons();
  const passed = (s: LessonStatus) => Object.fromEntries(s.checks.map((c) => [c.id, c.passed]));

  type Tree = NonNullable<CheckFacts['tree']>;
  type TreeProc = Tree['processes'][number];
  const tp = (pid: number, ppid: number, comm: string, over: Partial<TreeProc> = {}): TreeProc => ({
    pid, ppid, comm, root: 'shell', rootTop: true, parentRootTop: true, cpus: '0-1', netns: 'shell', ...over,
  });
  const tree = (over: Partial<Tree> = {}, shell: Partial<Tree['shell']> = {}): Tree => ({
    shell: { root: 'own', rootTop: true, cpus: '0-1', ...shell },
    processes: [],
    listeners: [],
    neighbors: [],
    interfaces: {},
    ...over,
  });
  const ROOTFS: ContainerSpec = { ...PLAIN_PROCESS, namespaces: { ...PLAIN_PROCESS.namespaces, uts: true, pid: true, mount: true }, rootfs: true };

  describe('04-root-filesystem', () => {
    const CHROOT: ContainerSpec = { ...ROOTFS, filesystem: { ...ROOTFS.filesystem, rootMode: 'chroot' } };
    const jailed = tp(5001, SHELL_PID, 'sh', { root: 'other', rootTop: false, parentRootTop: false });
    const escapedToHost = tp(5002, 5001, 'sleep', { root: 'host', rootTop: true, parentRootTop: false });

    it('passes with a jailed shell whose child climbed out, to the host under chroot', () => {
      const s = status('04-root-filesystem', facts({ spec: CHROOT, view: { tree: tree({ processes: [jailed, escapedToHost] }, { rootTop: false }) } }));
      expect(s.allPassed).toBe(true);
    });

    it('at the start nothing passes but the chroot itself', () => {
      const s = status('04-root-filesystem', facts({ spec: CHROOT, view: { tree: tree({}, { rootTop: false }) } }));
      expect(passed(s)).toEqual({ 'shell-chrooted': true, 'on-host': false, jailed: false, 'broke-out': false });
      expect(byId(s)['on-host']!.hint).toMatch(/`isolab-chroot-escape \/bin\/sleep 1000 &`/);
      expect(byId(s)['broke-out']!.hint).toMatch(/^Nothing runs in a jail yet/);
    });

    it('under pivot_root (a workshop server) the jail break still counts, and the host task says why it cannot', () => {
      const escapedToOwnRoot = tp(5002, 5001, 'sleep', { root: 'shell', rootTop: true, parentRootTop: false });
      const s = status('04-root-filesystem', facts({ spec: ROOTFS, view: { tree: tree({ processes: [jailed, escapedToOwnRoot] }) } }));
      expect(passed(s)).toEqual({ 'shell-chrooted': false, 'on-host': false, jailed: true, 'broke-out': true });
      expect(byId(s)['shell-chrooted']!.hint).toMatch(/started with pivot_root/);
      expect(byId(s)['on-host']!.hint).toMatch(/climb ends at your container's own root/);
    });

    it('a process with the host\'s root counts only when the shell has a root of its own', () => {
      const s = status('04-root-filesystem', facts({ view: { tree: tree({ processes: [tp(5001, SHELL_PID, 'sleep', { root: 'host' })] }, { root: 'host' }) } }));
      expect(byId(s)['on-host']).toMatchObject({ passed: false, hint: expect.stringMatching(/Turn the root\s+filesystem switch on/) });
    });

    it('a jailed process alone has not broken out', () => {
      const s = status('04-root-filesystem', facts({ spec: CHROOT, view: { tree: tree({ processes: [jailed] }, { rootTop: false }) } }));
      expect(byId(s)['broke-out']).toMatchObject({ passed: false, hint: expect.stringMatching(/^A jailed process runs, but nothing below it climbed out/) });
    });
  });

  describe('05-overlay-filesystem', () => {
    const upper = [
      { path: 'etc', type: 'directory' as const, inImage: true },
      { path: 'hello.txt', type: 'file' as const, inImage: false },
      { path: 'etc/hostname', type: 'whiteout' as const, inImage: true },
      { path: 'etc/passwd', type: 'file' as const, inImage: true },
    ];
    const mount = (target: string, lower: string) => ({ target, lower, upper: `${target.replace(/merged$/, 'upper')}`, work: null });

    it('passes with the three changes in the upper directory and two overlays on /mnt/base', () => {
      const s = status('05-overlay-filesystem', facts({ spec: ROOTFS, view: { tree: tree(), overlay: { upper, mounts: [mount('/mnt/a/merged', '/mnt/base'), mount('/mnt/b/merged', '/mnt/base')] } } }));
      expect(s.allPassed).toBe(true);
    });

    it('without a host-side upper directory (a user namespace) the copy-on-write checks say where to look', () => {
      const s = status('05-overlay-filesystem', facts({ spec: ROOTFS, view: { tree: tree(), overlay: { upper: null, mounts: [] } } }));
      expect(byId(s)['new-file']!.hint).toMatch(/instructor's screen/);
      expect(byId(s)['overlay-a']!.hint).toMatch(/^Nothing is mounted on `\/mnt\/a\/merged` yet/);
    });

    it('a file written over /etc/hostname is not a whiteout; an overlay on another lower is not the shared one', () => {
      const written = upper.map((e) => (e.path === 'etc/hostname' ? { ...e, type: 'file' as const } : e));
      const s = status('05-overlay-filesystem', facts({ spec: ROOTFS, view: { tree: tree(), overlay: { upper: written, mounts: [mount('/mnt/a/merged', '/mnt/other')] } } }));
      expect(byId(s)['whited-out']).toMatchObject({ passed: false, hint: expect.stringMatching(/an ordinary file: you wrote to it/) });
      expect(byId(s)['overlay-a']).toMatchObject({ passed: false, hint: expect.stringMatching(/not with `lowerdir=\/mnt\/base`/) });
    });

    it('a new file the image also has is not new', () => {
      const s = status('05-overlay-filesystem', facts({ spec: ROOTFS, view: { tree: tree(), overlay: { upper: [{ path: 'hello.txt', type: 'file', inImage: true }], mounts: [] } } }));
      expect(byId(s)['new-file']!.passed).toBe(false);
    });
  });

  describe('06-read-only-root', () => {
    const RO: ContainerSpec = { ...ROOTFS, filesystem: { ...ROOTFS.filesystem, readOnly: true, tmpfs: [{ path: '/tmp', sizeBytes: 64 << 20 }], maskedPaths: true, readonlyPaths: true } };
    const rootfs = (readOnly: boolean) => ({ fstype: 'overlay', source: 'overlay', readOnly, overlay: null });
    const masked = (state: 'masked' | 'visible') => ({ masked: [{ path: '/proc/interrupts', state, how: state === 'masked' ? 'devnull' : null }], readOnly: [] });

    it('passes with a note in /tmp, / writable again and /proc/interrupts unmasked', () => {
      const s = status('06-read-only-root', facts({ spec: RO, container: { rootfs: rootfs(false), paths: masked('visible') }, view: { tree: tree(), files: { tmp: ['notes.txt'] } } }));
      expect(s.allPassed).toBe(true);
    });

    it('at the start: everything as the launcher left it', () => {
      const s = status('06-read-only-root', facts({ spec: RO, container: { rootfs: rootfs(true), paths: masked('masked') }, view: { tree: tree(), files: { tmp: [] } } }));
      expect(passed(s)).toEqual({ 'note-in-tmp': false, 'root-writable': false, unmasked: false });
      expect(byId(s)['root-writable']!.hint).toMatch(/`mount -o remount,rw \/`/);
      expect(byId(s)['unmasked']!.hint).toMatch(/`umount \/proc\/interrupts`/);
    });

    it('a writable root without the read-only switch is not an undone protection', () => {
      const s = status('06-read-only-root', facts({ spec: ROOTFS, container: { rootfs: rootfs(false), paths: masked('visible') }, view: { tree: tree(), files: { tmp: ['notes.txt'] } } }));
      expect(byId(s)['root-writable']).toMatchObject({ passed: false, hint: expect.stringMatching(/^The read-only root switch is off/) });
      expect(byId(s)['unmasked']).toMatchObject({ passed: false, hint: expect.stringMatching(/^The masked paths switch is off/) });
    });
  });

  describe('07-cgroups', () => {
    const LIMITS: ContainerSpec = { ...ROOTFS, resources: { ...ROOTFS.resources, cgroup: true, pidsLimit: 64, memoryBytes: 64 << 20, memorySwapBytes: 64 << 20, cpus: 0.5, rootfsReadBps: 1 << 20 } };
    const ctl = { version: 'v1' as const, dir: '/sys/fs/cgroup/x/isolab/n' };
    const cgroup = (n: { maxEvents?: number; oomKills?: number; throttled?: number; readBytes?: number; throttle?: boolean } = {}): NonNullable<CheckFacts['shellCgroup']> => ({
      limits: {
        version: 'v1', paths: [], mounted: true, reason: null, notes: [],
        memory: { ...ctl, max: 64 << 20, high: null, current: 1 << 20, swapMax: 0, swapCurrent: 0, oomKills: n.oomKills ?? 0 },
        pids: { ...ctl, max: 64, current: 1, maxEvents: n.maxEvents ?? 0 },
        cpu: { ...ctl, quotaUs: 50000, periodUs: 100000, weight: null, shares: 1024 },
        cpuset: null,
        io: { ...ctl, throttle: n.throttle === false ? [] : [{ device: '254:0', rbps: 1 << 20, wbps: null, riops: null, wiops: null }] },
        devices: null,
      },
      cpu: { periods: 10, throttled: n.throttled ?? 0, throttledUs: 0 },
      io: { readBytes: n.readBytes ?? 77824, writeBytes: 0 },
    });
    const disk = { name: 'vda', type: 'b' as const, major: 254, minor: 0 };
    const devices = (entries: (typeof disk)[]) => ({ entries, count: entries.length, open: [] });

    it('passes once every limit was reached and a disk node made', () => {
      const s = status('07-cgroups', facts({ spec: LIMITS, container: { devices: devices([disk]) }, view: { tree: tree(), shellCgroup: cgroup({ maxEvents: 51, oomKills: 1, throttled: 6, readBytes: 1982464 }) } }));
      expect(s.allPassed).toBe(true);
    });

    it('at the start nothing has been reached; the disk hint shows what was read so far', () => {
      const s = status('07-cgroups', facts({ spec: LIMITS, container: { devices: devices([]) }, view: { tree: tree(), shellCgroup: cgroup() } }));
      expect(Object.values(passed(s)).every((p) => !p)).toBe(true);
      expect(byId(s)['disk-read']!.hint).toMatch(/^Your container has read 77824 bytes/);
    });

    it('without an own cgroup the checks say so before anything else (and warn about the fork bomb)', () => {
      const s = status('07-cgroups', facts({ spec: ROOTFS, container: { devices: devices([]) }, view: { tree: tree(), shellCgroup: null } }));
      expect(byId(s)['fork-refused']!.hint).toMatch(/do not start a fork bomb without it/);
      expect(byId(s)['oom-killed']!.hint).toMatch(/^Your shell has no cgroup of its own/);
    });

    it('an image on no block device has no throttle to read under', () => {
      const s = status('07-cgroups', facts({ spec: LIMITS, container: { devices: devices([]) }, view: { tree: tree(), shellCgroup: cgroup({ readBytes: 5_000_000, throttle: false }) } }));
      expect(byId(s)['disk-read']).toMatchObject({ passed: false, hint: expect.stringMatching(/not on a disk here/) });
    });
  });

  describe('08-network-namespace', () => {
    const NET: ContainerSpec = { ...ROOTFS, namespaces: { ...ROOTFS.namespaces, net: true }, network: { mode: 'bridge', rate: '1mbit' } };
    const OWN = { ...HOST_NS, net: 4026532300 };
    const httpd = (netns: 'shell' | 'other') => ({ port: 80, netns });

    it('passes with two servers on port 80, the gateway resolved and 100 kB sent', () => {
      const view = { tree: tree({ listeners: [httpd('other'), httpd('shell')], neighbors: ['10.88.0.1'], interfaces: { eth0: { rxBytes: 1, txBytes: 123_000 } } }) };
      const s = status('08-network-namespace', facts({ spec: NET, container: { namespaces: OWN }, view }));
      expect(s.allPassed).toBe(true);
    });

    it('at the start only the own namespace passes', () => {
      const s = status('08-network-namespace', facts({ spec: NET, container: { namespaces: OWN }, view: { tree: tree({ interfaces: { eth0: { rxBytes: 0, txBytes: 848 } } }) } }));
      expect(passed(s)).toEqual({ 'own-netns': true, 'web-outer': false, 'web-inner': false, 'reached-gateway': false, pushed: false });
      expect(byId(s)['pushed']!.hint).toMatch(/^848 bytes have left through eth0/);
    });

    it('a port 80 in the host\'s network namespace is not the container\'s', () => {
      const host = { ...PLAIN_PROCESS, rootfs: false };
      const s = status('08-network-namespace', facts({ spec: host, container: { namespaces: HOST_NS }, view: { tree: tree({ listeners: [httpd('shell')] }) } }));
      expect(byId(s)['web-outer']!.passed).toBe(false);
      expect(byId(s)['own-netns']!.hint).toMatch(/^The network switch is off/);
    });

    it('loopback only: nothing to reach, and no eth0 to count', () => {
      const lo: ContainerSpec = { ...NET, network: { mode: 'loopback', rate: null } };
      const s = status('08-network-namespace', facts({ spec: lo, container: { namespaces: OWN }, view: { tree: tree() } }));
      expect(byId(s)['reached-gateway']!.hint).toMatch(/Turn the "veth \+\s+bridge" switch on/);
      expect(byId(s)['pushed']!.hint).toMatch(/^Your link has no bandwidth limit/);
    });
  });
});
