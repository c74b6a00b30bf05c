import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProbeReport } from '../../common/probe.js';
import { sampleProbeReport } from '../../common/probe-sample.js';
import { PLAIN_PROCESS, type ContainerSpec } from '../../common/spec.js';
import { REPO_ROOT } from '../paths.js';
import { evaluateLesson, holds } from './checks.js';
import type { CheckFacts, ShellView, SysvIpc } from './facts.js';
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
const proc = (pid: number, ppid: number, comm: string, ns: { nsPid?: number; nsPpid?: number } = {}): Descendant => ({ pid, ppid, comm, nsPid: ns.nsPid ?? pid, nsPpid: ns.nsPpid ?? ppid });

const NO_IPC: SysvIpc = { shm: [], sem: [], msg: [] };

/** The host's view of a shell with nothing of its own: host numbers, host /proc. */
function shellView(over: Partial<ShellView> = {}): ShellView {
  return { nsPids: [SHELL_PID], nsPid: SHELL_PID, procPidNs: HOST_NS.pid, mounts: [], mqueues: null, ...over };
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
  } = {},
): CheckFacts {
  const container = opts.container === null ? null : probe(opts.container);
  return {
    container,
    host: probe(opts.host),
    shell: container ? shellView(opts.shell) : null,
    sysvipc: { host: opts.sysvipc?.host ?? NO_IPC, container: container ? (opts.sysvipc?.container ?? NO_IPC) : null },
    session: {
      shellPid: container ? SHELL_PID : null,
      spec: opts.spec ?? PLAIN_PROCESS,
      hostHostnameAtStart: HOST_NAME,
      descendants: opts.descendants ?? [],
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

describe('the real lessons', () => {
  let lessons: Map<string, Lesson>;
  beforeAll(async () => {
    lessons = new Map((await loadLessons(join(REPO_ROOT, 'lessons'))).lessons.map((l) => [l.id, l]));
  });
  const status = (id: string, f: CheckFacts) => evaluateLesson(lessons.get(id)!, f, new Date('2025-01-01T00:00:00Z'));
  const byId = (s: ReturnType<typeof status>) => Object.fromEntries(s.checks.map((c) => [c.id, c]));

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
});
