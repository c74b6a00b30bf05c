import { describe, expect, it } from 'vitest';
import { DIAGNOSE_LAYERS, type DiagnoseLayer, type DiagnoseRun } from '../../common/protocol.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../common/capabilities.js';
import { ContainerSpec, DOCKER_RUN_DEFAULT, FULL_ISOLATION, PLAIN_PROCESS } from '../../common/spec.js';
import {
  EXCERPT_CHARS,
  NO_ROOTFS_REFUSAL,
  THROWAWAY_LIMITS,
  FLOOR_KEEPS_ON,
  classifyRun,
  conclusionFor,
  describeNotice,
  effectOf,
  excerptOf,
  liftsFor,
  CEILINGS_KEEP,
  throwawaySpec,
  type RawRun,
  type VerdictFacts,
} from './diagnose.js';
import type { SeccompNotifyLine } from '../runtime/status-lines.js';
import { DEFAULT_CEILINGS } from '../floor/ceilings.js';
import { FLOOR_TOGGLES, raiseToFloor } from '../floor/floor.js';

const throwaway = (spec: ContainerSpec) => {
  const result = throwawaySpec(spec);
  if ('refused' in result) throw new Error(result.refused);
  return result;
};

/** Every layer on at once (a valid spec). */
const EVERYTHING: ContainerSpec = ContainerSpec.parse({
  ...DOCKER_RUN_DEFAULT,
  namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, user: true },
  filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, readOnly: true, tmpfs: [{ path: '/tmp', sizeBytes: 1 << 20 }] },
  landlock: { enabled: true, readOnly: ['/'], readWrite: ['/tmp'] },
  noNewPrivs: true,
  apparmor: 'docker-default',
  selinuxLabel: null,
  rlimits: { nofile: { soft: 64, hard: 64 } },
  user: { uid: 1000, gid: 1000 },
});

describe('throwawaySpec', () => {
  it('refuses settings without an own root filesystem, saying why', () => {
    expect(throwawaySpec(PLAIN_PROCESS)).toEqual({ refused: NO_ROOTFS_REFUSAL });
    expect(NO_ROOTFS_REFUSAL).toMatch(/real files/);
  });

  it('adds namespaces, a cgroup with limits, and says so; devices stay as open as in the shell', () => {
    const spec: ContainerSpec = { ...FULL_ISOLATION, namespaces: { ...FULL_ISOLATION.namespaces, ipc: false, uts: false, net: false } };
    const { spec: safe, adjustments } = throwaway(spec);
    expect(safe.namespaces).toMatchObject({ mount: true, pid: true, ipc: true, uts: true, net: true, user: false });
    expect(safe.resources).toMatchObject({ cgroup: true, ...THROWAWAY_LIMITS, devices: 'allow-all', deviceRules: [] });
    expect(adjustments[0]).toBe('its own IPC, UTS, network namespaces (your shell has none)');
    expect(adjustments.some((a) => a.startsWith('a cgroup of its own: 256 MiB of memory, 64 processes, 1 CPU'))).toBe(true);
    expect(adjustments.at(-1)).toMatch(/killed after 3 s/);
  });

  it('keeps the learner\'s isolation layers exactly; bridge becomes loopback, chroot becomes pivot, limits are capped', () => {
    const spec: ContainerSpec = {
      ...EVERYTHING,
      filesystem: { ...EVERYTHING.filesystem, rootMode: 'chroot' },
      resources: { ...EVERYTHING.resources, memoryBytes: 1024 ** 3, pidsLimit: 10, cpus: null, deviceRules: ['c 1:11 r'] },
    };
    const { spec: safe, adjustments } = throwaway(spec);
    expect(safe.network).toEqual({ mode: 'loopback', rate: null });
    expect(safe.filesystem).toEqual({ ...spec.filesystem, rootMode: 'pivot' });
    expect(safe.resources).toMatchObject({ memoryBytes: THROWAWAY_LIMITS.memoryBytes, pidsLimit: 10, cpus: 1, devices: 'docker-default', deviceRules: ['c 1:11 r'] });
    for (const key of ['seccomp', 'capabilities', 'landlock', 'noNewPrivs', 'apparmor', 'rlimits', 'user', 'namespaces'] as const) expect(safe[key], key).toEqual(spec[key]);
    expect(adjustments).toEqual([
      'network: loopback only (your shell is on the isolab bridge)',
      'root switch: pivot_root instead of your chroot (a chroot leaves this machine\'s files within reach)',
      'your cgroup limits, at most 256 MiB of memory, 1 CPU',
      expect.stringMatching(/^killed after/),
    ]);
  });
});

describe('liftsFor', () => {
  it('lifts only the layers that are on: Docker\'s defaults have four', () => {
    const { lifts, notLifted } = liftsFor(throwaway(DOCKER_RUN_DEFAULT).spec, []);
    expect(lifts.map((l) => l.layer)).toEqual(['seccomp', 'capabilities', 'masked-paths', 'device-cgroup']);
    expect(notLifted).toEqual([]);
    expect(liftsFor(throwaway(FULL_ISOLATION).spec, []).lifts).toEqual([]);
  });

  it('knows every layer, in the protocol\'s order, and each lift turns off its own layer only', () => {
    const spec = throwaway(EVERYTHING).spec;
    const { lifts } = liftsFor(spec, []);
    expect(lifts.map((l) => l.layer)).toEqual([...DIAGNOSE_LAYERS].filter((l) => l !== 'lsm' || spec.apparmor));
    for (const lift of lifts) {
      const lifted = ContainerSpec.parse(lift.apply(spec));
      expect(liftsFor(lifted, []).lifts.map((l) => l.layer), lift.layer).toEqual(lifts.map((l) => l.layer).filter((l) => l !== lift.layer));
    }
  });

  it('says what each lift changes', () => {
    const by = Object.fromEntries(liftsFor(throwaway(EVERYTHING).spec, []).lifts.map((l) => [l.layer, l.lifted]));
    expect(by['seccomp']).toBe('seccomp: unconfined (was Docker\'s default profile)');
    expect(by['capabilities']).toMatch(/^capabilities: all 41 \(was 14: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, …\); Docker's seccomp profile/);
    expect(by['read-only-root']).toBe('root filesystem: writable (was read-only)');
    expect(by['user']).toBe('user: root (was uid 1000, gid 1000)');
    expect(by['lsm']).toBe('LSM labels: none (was AppArmor profile docker-default)');
    expect(by['rlimits']).toBe('resource limits (ulimit): none (was nofile)');
  });

  it('never lifts what a workshop server keeps on, and says why', () => {
    const { lifts, notLifted } = liftsFor(throwaway(EVERYTHING).spec, FLOOR_TOGGLES);
    expect(notLifted.map((n) => n.layer)).toEqual(['seccomp', 'masked-paths', 'device-cgroup', 'user-namespace']);
    expect(notLifted.every((n) => n.reason === FLOOR_KEEPS_ON)).toBe(true);
    expect(lifts.map((l) => l.layer)).toEqual(['capabilities', 'read-only-root', 'landlock', 'no-new-privs', 'lsm', 'rlimits', 'user']);
  });

  it('lifts no higher than a workshop\'s ceilings: open files stay at theirs', () => {
    const C = { ...DEFAULT_CEILINGS, openFiles: 256 };
    const atCeiling = raiseToFloor({ ...EVERYTHING, rlimits: {} }, C);
    const { lifts, notLifted } = liftsFor(throwaway(atCeiling).spec, FLOOR_TOGGLES, C);
    expect(notLifted.find((n) => n.layer === 'rlimits')).toMatchObject({ reason: CEILINGS_KEEP });
    expect(lifts.map((l) => l.layer)).not.toContain('rlimits');
    // A limit of the learner's own besides the ceiling is lifted, down to the ceiling.
    const more = { ...atCeiling, rlimits: { ...atCeiling.rlimits, nproc: { soft: 10, hard: 10 } } };
    const rlimits = liftsFor(throwaway(more).spec, FLOOR_TOGGLES, C).lifts.find((l) => l.layer === 'rlimits')!;
    expect(rlimits.apply(throwaway(more).spec).rlimits).toEqual({ nofile: { soft: 256, hard: 256 } });
  });
});

const raw = (over: Partial<RawRun>): RawRun => ({ exitCode: 1, output: '', timedOut: false, launchError: null, notices: [], ...over });
const notice = (syscall: string, args: string[] = [], errno = 1, comm = 'prog'): SeccompNotifyLine => ({
  type: 'seccomp-notify', syscall, nr: 1, arch: 'x86_64', errno, pid: 42, comm, args: [...args, '0x0', '0x0', '0x0', '0x0', '0x0', '0x0'].slice(0, 6),
});

describe('classifyRun', () => {
  it.each([
    ['touch: /x: Read-only file system', 1, 'refused', ['EROFS']],
    ['mount: permission denied (are you root?)', 1, 'refused', ['EACCES']],
    ['unshare: unshare(0x10000000): Operation not permitted', 1, 'refused', ['EPERM']],
    ["/bin/sh: can't open /dev/xx: Operation not permitted", 0, 'refused', ['EPERM']], // a refusal with exit 0 is still one
    ['', 159, 'refused', ['SIGSYS']],
    ["cat: can't open '/nonexistent': No such file or directory", 1, 'failed', []],
    ['hello', 0, 'succeeded', []],
  ] as const)('%j, exit %d → %s %j', (output, exitCode, outcome, refusals) => {
    expect(classifyRun(raw({ output, exitCode }))).toMatchObject({ outcome, refusals, exitCode });
  });

  it('tells a timeout and a container that never started from a failure', () => {
    expect(classifyRun(raw({ timedOut: true, exitCode: 143, output: 'Permission denied' }))).toMatchObject({ outcome: 'timeout', exitCode: null });
    expect(classifyRun(raw({ launchError: 'step "pivot_root": Invalid argument', exitCode: 125 }))).toMatchObject({
      outcome: 'not-started',
      note: 'step "pivot_root": Invalid argument',
    });
  });

  it('carries the filter\'s refusals', () => {
    expect(classifyRun(raw({ notices: [notice('unshare', ['0x10000000'], 1, 'unshare')] })).seccompRefused).toEqual([
      { syscall: 'unshare', call: 'unshare(CLONE_NEWUSER)', errno: 'EPERM', program: 'unshare' },
    ]);
  });
});

describe('excerptOf', () => {
  it('removes escape sequences and control characters, keeps the last lines', () => {
    expect(excerptOf('\x1b[31mred\x1b[0m\r\nbell\x07\n\n')).toBe('red\nbell');
    const long = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const excerpt = excerptOf(long);
    expect(excerpt.length).toBeLessThanOrEqual(EXCERPT_CHARS + 1);
    expect(excerpt.startsWith('…\nline ')).toBe(true);
    expect(excerpt.endsWith('line 199')).toBe(true);
  });
});

describe('describeNotice', () => {
  it.each([
    [notice('unshare', ['0x50000000']), 'unshare(CLONE_NEWUSER|CLONE_NEWNET)', 'EPERM'],
    [notice('clone', ['0x20000011']), 'clone(CLONE_NEWPID)', 'EPERM'],
    [notice('setns', ['0x3', '0x4000000']), 'setns(CLONE_NEWUTS)', 'EPERM'],
    [notice('socket', ['0x28']), 'socket(AF_VSOCK)', 'EPERM'],
    [notice('mount'), 'mount(2)', 'EPERM'],
    [notice('clone3', [], 38), 'clone3(2)', 'ENOSYS'],
    [{ ...notice('x'), syscall: null, nr: 999, errno: 77 }, 'syscall 999(2)', 'errno 77'],
  ])('%#: %s', (n, call, errno) => {
    expect(describeNotice(n)).toMatchObject({ call, errno });
  });
});

const run = (over: Partial<DiagnoseRun>): DiagnoseRun => ({ outcome: 'refused', exitCode: 1, refusals: ['EPERM'], excerpt: 'x: Operation not permitted', seccompRefused: [], ...over });

describe('effectOf', () => {
  const refused = run({});
  it.each([
    [refused, run({ outcome: 'succeeded', exitCode: 0, refusals: [], excerpt: '' }), 'works'],
    [refused, run({ outcome: 'failed', refusals: [], excerpt: 'x: Invalid argument' }), 'gets-past'],
    [refused, run({ excerpt: 'x: Operation not permitted' }), 'no-change'],
    [run({ excerpt: 'pid 12: Operation not permitted' }), run({ excerpt: 'pid 13: Operation not permitted' }), 'no-change'],
    [refused, run({ refusals: ['EACCES'], excerpt: 'x: Permission denied' }), 'changed'],
    [run({ outcome: 'failed', refusals: [], excerpt: 'no such file' }), run({ outcome: 'failed', refusals: [], excerpt: 'no such file' }), 'no-change'],
    [run({ outcome: 'failed', refusals: [], excerpt: 'no such file' }), run({ outcome: 'failed', refusals: [], excerpt: 'other' }), 'changed'],
    [refused, run({ outcome: 'timeout', exitCode: null }), 'timeout'],
    [refused, run({ outcome: 'not-run' }), 'not-run'],
  ] as const)('%#: %s', (baseline, lifted, effect) => {
    expect(effectOf(baseline, lifted)).toBe(effect);
  });
});

const layer = (id: DiagnoseLayer['layer'], title: string, effect: DiagnoseLayer['effect'], over: Partial<DiagnoseLayer> = {}): DiagnoseLayer => ({
  ...run(effect === 'works' ? { outcome: 'succeeded', exitCode: 0, refusals: [], excerpt: '' } : {}),
  layer: id,
  title,
  lifted: '',
  succeeded: effect === 'works',
  effect,
  ...over,
});
const facts = (over: Partial<VerdictFacts>): VerdictFacts => ({
  command: 'mount -t tmpfs none /mnt',
  reproduced: true,
  baseline: run({}),
  layers: [],
  notLifted: [],
  combination: null,
  culprits: [],
  adjustments: [],
  runs: 1,
  elapsedMs: 1,
  ...over,
});
const mountRefused = { syscall: 'mount', call: 'mount(2)', errno: 'EPERM', program: 'mount' };

describe('conclusionFor', () => {
  it('says when it did not fail, timed out, or could not start', () => {
    expect(conclusionFor(facts({ reproduced: false, baseline: run({ outcome: 'succeeded', exitCode: 0, refusals: [] }) }))).toMatch(/^It did not fail here: .* `mount -t tmpfs none \/mnt` exited 0/);
    expect(conclusionFor(facts({ reproduced: false, baseline: run({ outcome: 'timeout' }) }))).toMatch(/still running after 3 seconds/);
    expect(conclusionFor(facts({ reproduced: false, baseline: run({ outcome: 'not-started', note: 'no such image' }) }))).toBe(
      'The throwaway container did not start, so nothing could be tried: no such image.',
    );
  });

  it('names the one layer, and how lifting it went', () => {
    expect(conclusionFor(facts({ layers: [layer('read-only-root', 'read-only root', 'works'), layer('seccomp', 'seccomp filter', 'no-change')] }))).toBe(
      'The read-only root filesystem refused it: with the read-only root lifted, it worked.',
    );
    expect(conclusionFor(facts({ layers: [layer('seccomp', 'seccomp filter', 'gets-past')], baseline: run({ seccompRefused: [{ ...mountRefused, syscall: 'swapon', call: 'swapon(2)', program: 'swapon' }] }) }))).toBe(
      'The seccomp filter refused it: with the seccomp filter lifted, it got past the refusal (and then failed for another reason). The seccomp filter refused swapon(2) (EPERM, from swapon).',
    );
  });

  it('ties capabilities to the filter when the profile follows them (mount: the kernel wants CAP_SYS_ADMIN too)', () => {
    const text = conclusionFor(
      facts({
        baseline: run({ seccompRefused: [mountRefused] }),
        layers: [layer('seccomp', 'seccomp filter', 'no-change', { seccompRefused: [] }), layer('capabilities', 'capabilities', 'works')],
        capability: 'SYS_ADMIN',
      }),
    );
    expect(text).toBe(
      'A missing capability refused it: with the capabilities lifted, it worked. The seccomp filter refused mount(2) (EPERM, from mount). ' +
        'The capability it needs is CAP_SYS_ADMIN: with only that one added, it went through. ' +
        'The profile allows that call only to a container holding CAP_SYS_ADMIN, so lifting capabilities lifted the filter\'s refusal too.',
    );
  });

  it('says when the capabilities count only through the filter (unshare -U: the kernel asks for none)', () => {
    const unshare = { syscall: 'unshare', call: 'unshare(CLONE_NEWUSER)', errno: 'EPERM', program: 'unshare' };
    const text = conclusionFor(
      facts({
        baseline: run({ seccompRefused: [unshare] }),
        layers: [layer('seccomp', 'seccomp filter', 'works'), layer('capabilities', 'capabilities', 'works')],
        capability: 'SYS_ADMIN',
      }),
    );
    expect(text).toMatch(/^Lifting any one of these lets it through: the seccomp filter \(it worked\) and the capabilities \(it worked\)\./);
    expect(text).toMatch(/The capabilities count only through the filter: its profile allows that call only to a container holding CAP_SYS_ADMIN, while the kernel asked for none/);
    expect(text).not.toMatch(/The capability it needs/);
  });

  it('leaves ENOSYS answers out of the sentence (a cue to fall back, not a failure)', () => {
    const text = conclusionFor(facts({ layers: [layer('read-only-root', 'read-only root', 'works')], baseline: run({ seccompRefused: [{ ...mountRefused, syscall: 'clone3', call: 'clone3(2)', errno: 'ENOSYS' }] }) }));
    expect(text).not.toMatch(/clone3/);
  });

  it('names a combination when no single layer was enough', () => {
    expect(conclusionFor(facts({ layers: [layer('capabilities', 'capabilities', 'no-change'), layer('device-cgroup', 'device cgroup', 'no-change')], combination: { layers: ['capabilities', 'device-cgroup'], run: run({ outcome: 'succeeded' }) } }))).toBe(
      'No single layer is to blame: it took the capabilities and device cgroup lifted together (then it worked).',
    );
  });

  it('says when no layer is to blame, and what that leaves', () => {
    const refused = conclusionFor(facts({ layers: [layer('seccomp', 'seccomp filter', 'no-change'), layer('capabilities', 'capabilities', 'no-change')], allLiftedTried: true }));
    expect(refused).toBe(
      'No isolation layer you can switch refused it: with each of the 2 layers that are on lifted in turn, and with all of them at once, it still failed ("x: Operation not permitted"). ' +
        'The refusal comes from something the switches do not control: the file\'s own owner and mode, the kernel itself, or the namespaces the re-run adds for safety.',
    );
    const failed = conclusionFor(facts({ baseline: run({ outcome: 'failed', refusals: [], excerpt: "cat: can't open '/x': No such file or directory" }), layers: [layer('seccomp', 'seccomp filter', 'no-change')] }));
    expect(failed).toMatch(/It fails for another reason than isolation/);
    expect(conclusionFor(facts({}))).toMatch(/^None of the layers that could refuse it is switched on/);
  });

  it("on a workshop server, names the guard filter among what the switches do not control (its refusals are never handed over)", () => {
    const layers = [layer('capabilities', 'capabilities', 'no-change')];
    expect(conclusionFor(facts({ layers, guarded: true }))).toMatch(/or this workshop server's guard filter, which refuses io_uring, the keyrings, bpf, .* under every profile\.$/);
    expect(conclusionFor(facts({ layers }))).not.toMatch(/guard/);
  });

  it('says what a workshop server kept on, and that the filter\'s refusal is still real', () => {
    const text = conclusionFor(
      facts({
        baseline: run({ seccompRefused: [mountRefused] }),
        layers: [layer('capabilities', 'capabilities', 'no-change')],
        notLifted: [{ layer: 'seccomp', title: 'seccomp filter', reason: FLOOR_KEEPS_ON }, { layer: 'user-namespace', title: 'user namespace', reason: FLOOR_KEEPS_ON }],
      }),
    );
    expect(text).toMatch(/The seccomp filter refused mount\(2\) \(EPERM, from mount\)\./);
    expect(text).toMatch(/Not lifted, because this workshop server keeps them on: the seccomp filter and the user namespace \(the filter's refusal above is still real: it is what you would have to allow\)\.$/);
  });
});

describe('Docker\'s capability preset in the lifts', () => {
  it('counts the kept capabilities', () => {
    const caps = liftsFor(throwaway(DOCKER_RUN_DEFAULT).spec, []).lifts.find((l) => l.layer === 'capabilities')!;
    expect(caps.lifted).toContain(`was ${DOCKER_DEFAULT_CAPABILITIES.length}:`);
  });
});
