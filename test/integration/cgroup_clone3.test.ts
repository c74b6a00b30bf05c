// How the container's first process gets into its cgroup. cgroup v2: clone3(CLONE_INTO_CGROUP)
// creates it there (the ready line says "cgroup_via":"clone3" and there is no cgroup_attach step);
// v1: the child moves itself in, writing "0" to `tasks` in every hierarchy ("cgroup_via":"self",
// step cgroup_enter), which the kernel does without its global lock; --cgroup-attach-after-clone:
// clone(), then its PID written into cgroup.procs ("cgroup_via":"attach", step cgroup_attach). The v2 backend runs on the host's cgroup2 mount
// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host via --cgroup-root); it needs no
// controller for this. Contract: native/README.md.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadyLine } from '../../server/runtime/status-lines.js';
import { IMAGE, LAUNCHER, expectRootAndBuilt, start as startLauncher, processesMarked } from '../helpers/launcher-run.js';

const BOX = ['--unshare', 'mount,pid', '--rootfs', IMAGE];

const MOUNTS = readFileSync('/proc/self/mountinfo', 'utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const [before, after] = line.split(' - ');
    return { target: before!.split(' ')[4]!, fstype: after!.split(' ')[0]! };
  });
const HOST_IS_V2 = MOUNTS.some((m) => m.fstype === 'cgroup2' && m.target === '/sys/fs/cgroup');
const UNIFIED = HOST_IS_V2 ? '/sys/fs/cgroup' : MOUNTS.find((m) => m.fstype === 'cgroup2' && m.target === '/sys/fs/cgroup/unified')?.target;
const V2_ARGS = HOST_IS_V2 ? [] : ['--cgroup-root', UNIFIED ?? '/nonexistent'];
const V1_ROOTS = [...new Set(MOUNTS.filter((m) => m.fstype === 'cgroup' && dirname(m.target) === '/sys/fs/cgroup').map((m) => m.target))];
const NO_V2 = UNIFIED === undefined ? 'no cgroup2 filesystem is mounted (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)' : '';

const RUN = `c3${randomBytes(4).toString('hex')}`;
let counter = 0;
const names: string[] = [];
const newName = () => {
  names.push(`${RUN}-${++counter}`);
  return names.at(-1)!;
};
const cgroupDirs = (name: string) => [...V1_ROOTS, ...(UNIFIED ? [UNIFIED] : [])].map((root) => join(root, 'isolab', name));
const leftovers = (name: string) => cgroupDirs(name).filter((d) => existsSync(d));
const read = (path: string) => readFileSync(path, 'utf8').trim();

// Programs here wait on their stdin for the test to let them end: a pipe, written with write().
const start = (args: string[], program: string[], env: Record<string, string> = {}) => startLauncher(args, program, env, { stdin: 'pipe' });
const run = (args: string[], program: string[]) => start(args, program).done;


/** Starts a container in cgroup NAME that waits on stdin; checks it from outside, then lets it end. */
async function startInCgroup(args: string[], name: string, v2 = true) {
  const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
  const started = start([...args, '--cgroup', name, ...BOX], ['/bin/sh', '-c', 'cat /proc/self/cgroup; read line'], { [mark]: '1' });
  const ready = await started.ready;
  const hostView = readFileSync(`/proc/${ready.pid}/cgroup`, 'utf8');
  const launcherView = readFileSync(`/proc/${started.pid}/cgroup`, 'utf8');
  const procs = v2 && UNIFIED ? read(join(UNIFIED, 'isolab', name, 'cgroup.procs')).split('\n').map(Number) : [];
  started.write('\n');
  const result = await started.done;
  expect(result.code, result.stderr).toBe(0);
  expect(result.status.at(-1)).toEqual({ type: 'exit', code: 0 });
  expect(leftovers(name)).toEqual([]);
  expect(processesMarked(mark)).toEqual([]);
  return { ready, hostView, launcherView, procs, inside: result.stdout.trim().split('\n') };
}

beforeAll(() => {
  expectRootAndBuilt([LAUNCHER], 'cgroups');
});

afterAll(() => {
  for (const name of names) for (const dir of leftovers(name)) rmdirSync(dir);
});

describe('cgroup v2: clone3(CLONE_INTO_CGROUP)', () => {
  it.skipIf(NO_V2)('the child is created in isolab/NAME: cgroup_via "clone3", no cgroup_attach step, in cgroup.procs', async () => {
    const name = newName();
    const { ready, hostView, procs, inside } = await startInCgroup(V2_ARGS, name);
    expect(ready.cgroup_via).toBe('clone3');
    expect(Object.keys(ready.timings_us)).toContain('clone');
    expect(Object.keys(ready.timings_us)).not.toContain('cgroup_attach');
    expect(hostView).toContain(`0::/isolab/${name}\n`);
    expect(procs).toContain(ready.pid);
    expect(inside).toContain(`0::/isolab/${name}`);
  });

  it.skipIf(NO_V2)('no attach ever runs: --fail-at cgroup_attach does not fail, yet the program is in its cgroup', async () => {
    // The step that would move the child is never reached, so the child can only have been born there.
    const name = newName();
    const { ready, hostView } = await startInCgroup([...V2_ARGS, '--fail-at', 'cgroup_attach'], name);
    expect(ready.cgroup_via).toBe('clone3');
    expect(hostView).toContain(`0::/isolab/${name}\n`);
  });

  it.skipIf(NO_V2)('with --unshare cgroup the cgroup namespace is rooted at isolab/NAME: "0::/" inside', async () => {
    const name = newName();
    const result = await run([...V2_ARGS, '--cgroup', name, '--unshare', 'mount,pid,cgroup', '--rootfs', IMAGE], ['/bin/cat', '/proc/self/cgroup']);
    expect(result.code, result.stderr).toBe(0);
    const ready = result.status.find((l) => l.type === 'ready') as ReadyLine;
    expect(ready.cgroup_via).toBe('clone3');
    expect(result.stdout.trim().split('\n')).toContain('0::/');
    expect(leftovers(name)).toEqual([]);
  });

  it.skipIf(NO_V2)('--cgroup-attach-after-clone: clone(), then the PID into cgroup.procs (cgroup_via "attach", step cgroup_attach)', async () => {
    const name = newName();
    const { ready, hostView, procs, inside } = await startInCgroup([...V2_ARGS, '--cgroup-attach-after-clone'], name);
    expect(ready.cgroup_via).toBe('attach');
    expect(Object.keys(ready.timings_us)).toContain('cgroup_attach');
    expect(hostView).toContain(`0::/isolab/${name}\n`);
    expect(procs).toContain(ready.pid);
    expect(inside).toContain(`0::/isolab/${name}`);
  });

  it.skipIf(NO_V2)('--cgroup-attach-after-clone --fail-at cgroup_attach fails there (125) and leaves nothing', async () => {
    const name = newName();
    const result = await run([...V2_ARGS, '--cgroup', name, '--cgroup-attach-after-clone', ...BOX, '--fail-at', 'cgroup_attach'], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status[0]).toMatchObject({ type: 'error', step: 'cgroup_attach', errno: 22 });
    expect(leftovers(name)).toEqual([]);
  });
});

// ---- --join on the v2 backend: a container to join, and the programs to run in it ----

const USERNS = ['--unshare', 'mount,pid,user,cgroup', '--userns-map', '0:100000:65536', '--rootfs', IMAGE];
/** A container on the v2 backend, with a user namespace and a cgroup namespace, that waits on stdin. */
/** Runs a container that waits for a line on stdin in cgroup NAME, hands its PID to LOOK, then ends it. */
async function whileWaiting(name: string, look: (pid: number) => Promise<void>): Promise<void> {
  const started = start([...V2_ARGS, '--cgroup', name, ...USERNS], ['/bin/sh', '-c', 'read line']);
  const { pid } = await started.ready;
  try {
    await look(pid);
  } finally {
    started.write('\n');
    await started.done;
  }
}
// --join opens PROGRAM on the host and runs it inside: the image's own (static) busybox applets.
const inImage = (applet: string) => join(IMAGE, 'bin', applet);
const joinContainer = (pid: number, args: string[], program: string[]) =>
  spawnSync(LAUNCHER, ['--status-fd', '3', '--join', String(pid), ...args, '--', ...program], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });

describe('cgroup v2: --join creates the joined process in the container\'s cgroup (clone3)', () => {
  it.skipIf(NO_V2)('joins cgroup, user and cgroup namespaces: "0::/" and root inside, isolab/NAME and the mapped uid outside; never moved', async () => {
    const name = newName();
    await whileWaiting(name, async (pid) => {
      // --fail-at join_cgroup_attach would fail if the child were moved: clone3 made it inside.
      const out = joinContainer(pid, [...V2_ARGS, '--cgroup', name, '--fail-at', 'join_cgroup_attach'], [inImage('sh'), '-c', 'grep ^0:: /proc/self/cgroup; id -u; cat /proc/self/uid_map']);
      expect(out.status, out.stderr + out.output[3]).toBe(0);
      const lines = out.stdout.trim().split('\n');
      expect(lines[0]).toBe('0::/');
      expect(lines[1]).toBe('0');
      expect(lines[2]!.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    });
    expect(leftovers(name)).toEqual([]);
  });

  it.skipIf(NO_V2)('the joined process counts in the container\'s cgroup while it runs, inside and outside', async () => {
    const name = newName();
    await whileWaiting(name, async (pid) => {
      const out = joinContainer(pid, [...V2_ARGS, '--cgroup', name], [inImage('cat'), '/sys/fs/cgroup/cgroup.procs']);
      expect(out.status, out.stderr).toBe(0);
      // Inside its cgroup namespace the container's cgroup.procs lists the shell and the cat itself.
      expect(out.stdout.trim().split('\n')).toHaveLength(2);
      // Outside: while a joined sleep runs, the host sees it in isolab/NAME, as the mapped uid.
      const procsFile = join(UNIFIED!, 'isolab', name, 'cgroup.procs');
      const joined = startLauncher(['--join', String(pid), ...V2_ARGS, '--cgroup', name], [inImage('sleep'), '2']);
      // It is listed from the moment clone3 creates it, while still the launcher's code with the
      // host's ids; it takes the container's root (host uid 100000) before it runs the program.
      const uidOf = (p: string) => {
        try {
          return /^Uid:\s+(\d+)\s/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
        } catch {
          return undefined;
        }
      };
      let others: string[] = [];
      for (let i = 0; i < 200 && !(others.length === 1 && uidOf(others[0]!) === '100000'); i++) {
        others = read(procsFile).split('\n').filter((p) => p !== String(pid));
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(others).toHaveLength(1);
      expect(uidOf(others[0]!)).toBe('100000');
      expect(readFileSync(`/proc/${others[0]}/cgroup`, 'utf8')).toContain(`0::/isolab/${name}\n`);
      expect((await joined.done).code).toBe(0);
      expect(read(procsFile).split('\n')).toEqual([String(pid)]);
    });
  });

  it.skipIf(NO_V2)('the joined process dies with its launcher (its parent-death signal survives joining the user namespace)', async () => {
    const name = newName();
    const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
    await whileWaiting(name, async (pid) => {
      const joined = startLauncher(['--join', String(pid), ...V2_ARGS, '--cgroup', name], [inImage('sleep'), '30'], { [mark]: '1' });
      for (let i = 0; i < 200 && processesMarked(mark).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(processesMarked(mark)).toHaveLength(2); // the launcher and the joined sleep
      process.kill(joined.pid, 'SIGKILL');
      await joined.done;
      for (let i = 0; i < 200 && processesMarked(mark).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(processesMarked(mark)).toEqual([]);
    });
  });

  it.skipIf(NO_V2)('--fail-at join_userns: 125 naming the step, and the container is as it was', async () => {
    const name = newName();
    await whileWaiting(name, async (pid) => {
      const out = joinContainer(pid, [...V2_ARGS, '--cgroup', name, '--fail-at', 'join_userns'], [inImage('true')]);
      expect(out.status).toBe(125);
      expect(JSON.parse((out.output[3] as string).trim())).toMatchObject({ type: 'error', step: 'join_userns', errno: 22 });
      expect(read(join(UNIFIED!, 'isolab', name, 'cgroup.procs')).split('\n')).toEqual([String(pid)]);
    });
    expect(leftovers(name)).toEqual([]);
  });
});

// clone3 hidden (ENOSYS, as before Linux 5.3 or under a filter that hides it): the launcher falls
// back to clone() and a move, for a new container and for --join alike.
// ENOSYS: before Linux 5.3, or hidden; EPERM: how older container profiles (Docker's before 2021) refuse it.
describe.each(['ENOSYS', 'EPERM'])('cgroup v2 when clone3 says %s: the fallback', (answer) => {
  const DENY = join(dirname(LAUNCHER), 'isolab-seccomp-deny');
  const NO_CLONE3 = { wrapper: [DENY, `clone3:${answer}`] };

  it.skipIf(NO_V2)('a new container: clone(), then its PID into cgroup.procs (cgroup_via "attach", step cgroup_attach)', async () => {
    const name = newName();
    const started = startLauncher([...V2_ARGS, '--cgroup', name, ...BOX], ['/bin/sh', '-c', 'read line'], {}, { stdin: 'pipe', ...NO_CLONE3 });
    const ready = await started.ready;
    expect(ready.cgroup_via).toBe('attach');
    expect(Object.keys(ready.timings_us)).toContain('cgroup_attach');
    expect(readFileSync(`/proc/${ready.pid}/cgroup`, 'utf8')).toContain(`0::/isolab/${name}\n`);
    started.write('\n');
    expect((await started.done).code).toBe(0);
    expect(leftovers(name)).toEqual([]);
  });

  it.skipIf(NO_V2)('--join: fork(), then the child moves itself in (join_cgroup_attach is taken)', async () => {
    const name = newName();
    await whileWaiting(name, async (pid) => {
      const joined = await startLauncher(['--join', String(pid), ...V2_ARGS, '--cgroup', name], [inImage('sh'), '-c', 'grep ^0:: /proc/self/cgroup; id -u'], {}, NO_CLONE3).done;
      expect(joined.code, joined.stderr).toBe(0);
      expect(joined.stdout.trim().split('\n')).toEqual(['0::/', '0']);
      // The move is what happens now: failing it fails the join.
      const failed = await startLauncher(['--join', String(pid), ...V2_ARGS, '--cgroup', name, '--fail-at', 'join_cgroup_attach'], [inImage('true')], {}, NO_CLONE3).done;
      expect(failed.code).toBe(125);
      expect(failed.status).toMatchObject([{ type: 'error', step: 'join_cgroup_attach', errno: 22 }]);
    });
    expect(leftovers(name)).toEqual([]);
  });
});

describe('cgroup v1 and the option', () => {
  const NO_V1 = HOST_IS_V2 || V1_ROOTS.length === 0 ? 'no cgroup v1 hierarchy is mounted under /sys/fs/cgroup' : '';
  /** The lines of a /proc/PID/cgroup that name a v1 hierarchy (not "0::" nor name=systemd). */
  const v1Lines = (view: string) => view.trim().split('\n').filter((l) => !l.startsWith('0::') && !l.includes(':name='));

  it.skipIf(NO_V1)('v1: the child moves itself in ("0" to tasks): cgroup_via "self", step cgroup_enter, no cgroup_attach', async () => {
    const name = newName();
    const { ready, hostView, launcherView } = await startInCgroup([], name, false);
    expect(ready.cgroup_via).toBe('self');
    expect(Object.keys(ready.timings_us)).toContain('cgroup_enter');
    expect(Object.keys(ready.timings_us)).not.toContain('cgroup_attach');
    // In isolab/NAME in every v1 hierarchy, seen from the host; the launcher itself never was.
    expect(v1Lines(hostView).length).toBeGreaterThan(0);
    for (const line of v1Lines(hostView)) expect(line).toMatch(new RegExp(`:/isolab/${name}$`));
    for (const line of v1Lines(launcherView)) expect(line).not.toContain(`/isolab/${name}`);
  });

  it.skipIf(NO_V1)('v1: the whole process moved, not one thread: cgroup.procs lists it, and its children are born inside', async () => {
    const name = newName();
    const started = start(['--cgroup', name, '--pids-limit', '8', ...BOX], ['/bin/sh', '-c', 'sleep 30 & read line; kill %1']);
    const ready = await started.ready;
    const pids = join(V1_ROOTS.find((r) => r.endsWith('/pids'))!, 'isolab', name);
    const procs = () => read(join(pids, 'cgroup.procs')).split('\n').map(Number);
    for (let i = 0; i < 100 && procs().length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(procs()).toContain(ready.pid);
    expect(procs().length).toBe(2); // the shell and its sleep
    expect(read(join(pids, 'pids.current'))).toBe('2');
    started.write('\n');
    const result = await started.done;
    expect(result.code, result.stderr).toBe(0);
    expect(leftovers(name)).toEqual([]);
  });

  it.skipIf(NO_V1)('v1 with --cgroup-attach-after-clone: the PID into cgroup.procs (cgroup_via "attach", step cgroup_attach)', async () => {
    const name = newName();
    const { ready, hostView } = await startInCgroup(['--cgroup-attach-after-clone'], name, false);
    expect(ready.cgroup_via).toBe('attach');
    expect(Object.keys(ready.timings_us)).toContain('cgroup_attach');
    expect(Object.keys(ready.timings_us)).not.toContain('cgroup_enter');
    for (const line of v1Lines(hostView)) expect(line).toMatch(new RegExp(`:/isolab/${name}$`));
  });

  it.skipIf(NO_V1)('v1: --fail-at cgroup_enter fails in the child there (125) and leaves no cgroup and no process', async () => {
    const name = newName();
    const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
    const result = await startLauncher(['--cgroup', name, ...BOX, '--fail-at', 'cgroup_enter'], ['/bin/true'], { [mark]: '1' }).done;
    expect(result.code).toBe(125);
    expect(result.status[0]).toMatchObject({ type: 'error', step: 'cgroup_enter', errno: 22 });
    expect(leftovers(name)).toEqual([]);
    expect(processesMarked(mark)).toEqual([]);
  });

  it('no --cgroup: no cgroup_via in the ready line', async () => {
    const result = await run(BOX, ['/bin/true']);
    expect(result.code, result.stderr).toBe(0);
    const ready = result.status.find((l) => l.type === 'ready') as ReadyLine;
    expect(ready).toBeDefined();
    expect(ready.cgroup_via).toBeUndefined();
  });

  it('--cgroup-attach-after-clone without --cgroup is refused at args (125)', async () => {
    const result = await run(['--cgroup-attach-after-clone', ...BOX], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status[0]).toMatchObject({ type: 'error', step: 'args' });
    expect((result.status[0] as { message: string }).message).toMatch(/--cgroup-attach-after-clone needs --cgroup NAME/);
  });
});
