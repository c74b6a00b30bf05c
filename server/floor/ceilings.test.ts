import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_DEFAULT, FULL_ISOLATION, PLAIN_PROCESS, applySpecChange, applyToggle, type ContainerSpec } from '../../common/spec.js';
import { LabError } from '../base/errors.js';
import {
  CEILING_FLAGS,
  DEFAULT_CEILINGS,
  capToCeilings,
  ceilingIssues,
  describeCeilings,
  liveLimitsUnderCeilings,
  parseCeilings,
  refuseAboveCeilings,
  usernsLimits,
  weighCeilings,
  type Ceilings,
} from './ceilings.js';
import { raiseToFloor, refuseBelowFloor } from './floor.js';

const MiB = 1024 * 1024;
const C: Ceilings = { ...DEFAULT_CEILINGS, memoryBytes: 256 * MiB, swapBytes: 0, pids: 128, cpus: 0.5, tmpfsBytes: 32 * MiB, openFiles: 1024 };

/** A workshop shell's settings as the floor leaves them: every floor switch on, limits at the ceilings. */
const floored = raiseToFloor(FULL_ISOLATION, C);

function refusal(run: () => unknown): LabError {
  try {
    run();
  } catch (err) {
    if (err instanceof LabError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const withResources = (spec: ContainerSpec, r: Partial<ContainerSpec['resources']>): ContainerSpec => ({ ...spec, resources: { ...spec.resources, ...r } });

describe('parseCeilings: the operator\'s --learner-… flags', () => {
  it('gives the defaults for no flags, and reads sizes, counts and CPUs', () => {
    expect(parseCeilings({}, 2)).toEqual(DEFAULT_CEILINGS);
    const c = parseCeilings({ 'learner-memory': '512m', 'learner-swap': '1g', 'learner-pids': '200', 'learner-cpu': '1.5', 'learner-tmpfs': '16m', 'learner-open-files': '4096', 'learner-inotify-instances': '8', 'learner-inotify-watches': '1000' }, 2);
    expect(c).toEqual({ memoryBytes: 512 * MiB, swapBytes: 1024 * MiB, pids: 200, cpus: 1.5, tmpfsBytes: 16 * MiB, openFiles: 4096, inotifyInstances: 8, inotifyWatches: 1000 });
  });

  it.each([
    [{ 'learner-memory': 'lots' }, /--learner-memory must be a size/],
    [{ 'learner-memory': '1m' }, /--learner-memory must be from 6 MiB/],
    [{ 'learner-pids': '12.5' }, /--learner-pids must be a whole number/],
    [{ 'learner-pids': '4' }, /--learner-pids must be from 16/],
    [{ 'learner-cpu': '3' }, /--learner-cpu must be from 0.01 CPU to 2 CPU \(this host has 2 online\)/],
    [{ 'learner-tmpfs': '2g' }, /--learner-tmpfs must be from 4 KiB to 1 GiB/],
    [{ 'learner-open-files': '-1' }, /--learner-open-files must be a whole number/],
  ])('refuses %j, naming the flag', (values, message) => {
    expect(() => parseCeilings(values, 2)).toThrow(message);
  });

  it('has a flag for every ceiling, each once', () => {
    expect(CEILING_FLAGS.map((f) => f.key).sort()).toEqual(Object.keys(DEFAULT_CEILINGS).sort());
    expect(describeCeilings(DEFAULT_CEILINGS)).toContain('memory 256 MiB');
  });

  it('gives the launcher the inotify ceilings by their /proc/sys/user names', () => {
    expect(usernsLimits(C)).toEqual({ max_inotify_instances: C.inotifyInstances, max_inotify_watches: C.inotifyWatches });
  });
});

describe('capToCeilings: a missing limit is the ceiling, a higher one is lowered', () => {
  it('fills every null limit, memory+swap and open files with the ceilings', () => {
    const capped = capToCeilings(applyToggle(FULL_ISOLATION, 'limits', true).spec, C);
    expect(capped.resources).toMatchObject({ memoryBytes: 256 * MiB, memorySwapBytes: 256 * MiB, pidsLimit: 64, cpus: 0.5 });
    const none = capToCeilings(withResources(DOCKER_RUN_DEFAULT, { memoryBytes: null, pidsLimit: null, cpus: null, memorySwapBytes: -1 }), C);
    expect(none.resources).toMatchObject({ memoryBytes: C.memoryBytes, memorySwapBytes: C.memoryBytes, pidsLimit: C.pids, cpus: C.cpus });
    expect(none.rlimits.nofile).toEqual({ soft: C.openFiles, hard: C.openFiles });
    expect(ceilingIssues(none, C)).toEqual([]);
  });

  it('lowers what is above (a lesson written for a bigger server) and keeps what is below', () => {
    const big = applySpecChange(withResources(DOCKER_RUN_DEFAULT, { memoryBytes: 2048 * MiB, memorySwapBytes: 4096 * MiB, pidsLimit: 10_000, cpus: 2, cpuShares: 4096 }), {
      filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, tmpfs: [{ path: '/tmp', sizeBytes: 512 * MiB }, { path: '/run', sizeBytes: MiB }] },
      rlimits: { nofile: { soft: 65536, hard: -1 } },
    });
    const capped = capToCeilings(big, C);
    expect(capped.resources).toMatchObject({ memoryBytes: C.memoryBytes, memorySwapBytes: C.memoryBytes, pidsLimit: C.pids, cpus: C.cpus, cpuShares: 1024 });
    expect(capped.filesystem.tmpfs).toEqual([{ path: '/tmp', sizeBytes: C.tmpfsBytes }, { path: '/run', sizeBytes: MiB }]);
    expect(capped.rlimits.nofile).toEqual({ soft: 1024, hard: 1024 });
    const small = withResources(floored, { memoryBytes: 64 * MiB, memorySwapBytes: 64 * MiB, pidsLimit: 10, cpus: 0.1 });
    expect(capToCeilings(small, C)).toBe(small);
  });

  it('allows swap up to its ceiling, on top of the memory limit', () => {
    const swap = { ...C, swapBytes: 64 * MiB };
    expect(capToCeilings(withResources(floored, { memoryBytes: 100 * MiB, memorySwapBytes: -1 }), swap).resources.memorySwapBytes).toBe(164 * MiB);
    expect(capToCeilings(withResources(floored, { memoryBytes: 100 * MiB, memorySwapBytes: 120 * MiB }), swap).resources.memorySwapBytes).toBe(120 * MiB);
  });
});

describe('raiseToFloor: lessons, switches and demo steps land under the ceilings', () => {
  it('caps a lesson with no limits, and the switches\' own defaults', () => {
    const lesson = raiseToFloor(PLAIN_PROCESS, { ...C, memoryBytes: 128 * MiB, pids: 32, cpus: 0.25 });
    expect(lesson.resources).toMatchObject({ cgroup: true, memoryBytes: 128 * MiB, memorySwapBytes: 128 * MiB, pidsLimit: 32, cpus: 0.25 });
    // The read-only switch's /tmp is 64 MiB: above a 32 MiB tmpfs ceiling.
    const readOnly = raiseToFloor(applyToggle(floored, 'readonly', true).spec, C);
    expect(readOnly.filesystem.tmpfs).toEqual([{ path: '/tmp', sizeBytes: C.tmpfsBytes }]);
  });

  it('keeps a limit the learner left out at the ceiling, not at the teaching limits', () => {
    const nulls = withResources(floored, { memoryBytes: null, pidsLimit: null, cpus: null, memorySwapBytes: null });
    expect(raiseToFloor(nulls, { ...C, memoryBytes: 512 * MiB }).resources).toMatchObject({ memoryBytes: 512 * MiB, pidsLimit: C.pids });
  });
});

describe('a whole Settings apply above a ceiling is refused, naming the ceiling and the field', () => {
  it.each([
    ['memory', { memoryBytes: 2 ** 50 }, ['spec', 'resources', 'memoryBytes'], 'this workshop server caps memory at 256 MiB'],
    ['swap', { memoryBytes: 128 * MiB, memorySwapBytes: 1024 * MiB }, ['spec', 'resources', 'memorySwapBytes'], 'this workshop server caps memory+swap at 256 MiB (no swap)'],
    ['pids', { pidsLimit: 100_000 }, ['spec', 'resources', 'pidsLimit'], 'this workshop server caps processes at 128'],
    ['cpu', { cpus: 2 }, ['spec', 'resources', 'cpus'], 'this workshop server caps CPU time at 0.5 CPU'],
    ['cpu weight', { cpuShares: 262144 }, ['spec', 'resources', 'cpuShares'], 'this workshop server caps CPU weight at 1024 shares (the default)'],
  ] as const)('%s', (_what, r, path, message) => {
    const err = refusal(() => refuseBelowFloor(withResources(floored, r), C));
    expect(err.code).toBe('forbidden');
    expect(err.message).toBe(message);
    expect(err.issues).toEqual([{ path, message }]);
  });

  it('a tmpfs and open files', () => {
    const spec = applySpecChange(floored, {
      filesystem: { ...floored.filesystem, tmpfs: [{ path: '/tmp', sizeBytes: 512 * MiB }] },
      rlimits: { nofile: { soft: 1024, hard: -1 } },
    });
    const err = refusal(() => refuseBelowFloor(spec, C));
    expect(err.code).toBe('forbidden');
    expect(err.issues).toEqual([
      { path: ['spec', 'filesystem', 'tmpfs', 0, 'sizeBytes'], message: 'this workshop server caps each tmpfs at 32 MiB' },
      { path: ['spec', 'rlimits', 'nofile', 'hard'], message: 'this workshop server caps open files at 1024 per process' },
    ]);
  });

  it('accepts no limits at all (they become the ceilings) and anything below', () => {
    expect(() => refuseAboveCeilings(withResources(floored, { memoryBytes: null, pidsLimit: null, cpus: null, memorySwapBytes: -1 }), C)).not.toThrow();
    const lowered = withResources(floored, { memoryBytes: 8 * MiB, pidsLimit: 16, cpus: 0.01 });
    expect(() => refuseAboveCeilings(lowered, C)).not.toThrow();
    // Memory lowered in the editor, memory+swap left as it was: the swap comes down with it.
    expect(capToCeilings(lowered, C).resources).toMatchObject({ memoryBytes: 8 * MiB, memorySwapBytes: 8 * MiB });
  });
});

describe('liveLimitsUnderCeilings: sandbox:limits under the ceilings', () => {
  it('takes a limit taken away (null) as the ceiling', () => {
    const spec = withResources(floored, { memoryBytes: 64 * MiB, memorySwapBytes: 64 * MiB, pidsLimit: 16, cpus: 0.1 });
    expect(liveLimitsUnderCeilings(spec, { pidsLimit: null, cpus: null, memoryBytes: null }, C)).toEqual({ pidsLimit: C.pids, cpus: C.cpus, memoryBytes: C.memoryBytes, memorySwapBytes: C.memoryBytes });
    expect(liveLimitsUnderCeilings(spec, { memorySwapBytes: -1 }, C)).toEqual({ memorySwapBytes: 64 * MiB });
  });

  it('brings memory+swap along with a new memory limit, so no swap appears', () => {
    expect(liveLimitsUnderCeilings(floored, { memoryBytes: 32 * MiB }, C)).toEqual({ memoryBytes: 32 * MiB, memorySwapBytes: 32 * MiB });
    expect(liveLimitsUnderCeilings(floored, { memoryBytes: 32 * MiB, memorySwapBytes: 200 * MiB }, C)).toEqual({ memoryBytes: 32 * MiB, memorySwapBytes: 32 * MiB });
    const swap = { ...C, swapBytes: 16 * MiB };
    expect(liveLimitsUnderCeilings(raiseToFloor(FULL_ISOLATION, swap), { memoryBytes: 32 * MiB }, swap)).toEqual({ memoryBytes: 32 * MiB, memorySwapBytes: 48 * MiB });
  });

});

describe('weighCeilings: serve weighs the ceilings against the host', () => {
  // This machine: 2 cores, 24 GiB, and the kernel's own pid_max default (systemd raises it to 4194304).
  const host = { memoryBytes: 24 * 1024 * MiB, pidMax: 32768, tasks: 300, cpus: 2 };

  it('says how many learners can be at their memory ceiling at once', () => {
    const { lines, warnings } = weighCeilings(DEFAULT_CEILINGS, 500, { ...host, pidMax: 4_194_304 });
    expect(lines[0]).toBe("500 learners at their memory ceiling would need 125 GiB of this host's 24 GiB: about 96 can be at it at once");
    expect(warnings).toEqual([]);
  });

  it('warns when the learners\' PIDs would not fit in the host\'s', () => {
    const { warnings } = weighCeilings(DEFAULT_CEILINGS, 500, host);
    expect(warnings).toEqual([expect.stringMatching(/^500 learners at 64 processes each \(and their launchers\) need 32500 PIDs, but kernel.pid_max leaves 32468 /)]);
  });
});
