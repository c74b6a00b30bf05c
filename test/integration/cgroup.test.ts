// cgroups in the launcher against the real kernel: every controller switched on and off, asserted
// from inside (what the program sees: fork failing, an OOM kill, nproc, EPERM on a device) and from
// outside (the cgroup files on the host, /proc/PID/status). Both backends run where the host has
// them: v1 in /sys/fs/cgroup/<controller>, v2 on the cgroup2 mount (/sys/fs/cgroup, or
// /sys/fs/cgroup/unified on a hybrid host through --cgroup-root). A limit test skips only when the
// backend's hierarchy lacks that controller, and says which. Contract: native/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadyLine } from '../../server/runtime/status-lines.js';
import {
  BUSYBOX,
  IMAGE,
  LAUNCHER,
  expectRefused,
  expectRootAndBuilt,
  start as startLauncher,
  processesMarked,
  ourZombies,
} from '../helpers/launcher-run.js';

/** A container with its own root filesystem and PID 1, and a cgroup of its own. */
const BOX = ['--unshare', 'mount,pid', '--rootfs', IMAGE];

// ---- the host's cgroup filesystems, from /proc/self/mountinfo ----

interface CgroupMount {
  target: string;
  fstype: 'cgroup' | 'cgroup2';
  options: string[];
}

const MOUNTS: CgroupMount[] = readFileSync('/proc/self/mountinfo', 'utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const [before, after] = line.split(' - ');
    const fields = before!.split(' ');
    const [fstype, , superOptions] = after!.split(' ');
    return { root: fields[3]!, target: fields[4]!, fstype: fstype!, options: superOptions!.split(',') };
  })
  .filter((m): m is CgroupMount & { root: string } => (m.fstype === 'cgroup' || m.fstype === 'cgroup2') && m.root === '/');

/** v1 hierarchies directly under /sys/fs/cgroup (what the launcher uses). */
const V1 = MOUNTS.filter((m) => m.fstype === 'cgroup' && dirname(m.target) === '/sys/fs/cgroup');
const v1Mount = (controller: string) => V1.find((m) => m.options.includes(controller))?.target;
/** The v1 controllers the launcher puts a container's cgroup in. */
const V1_USED = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'devices', 'freezer'];
const HOST_IS_V2 = MOUNTS.some((m) => m.fstype === 'cgroup2' && m.target === '/sys/fs/cgroup');
const UNIFIED = HOST_IS_V2 ? '/sys/fs/cgroup' : MOUNTS.find((m) => m.fstype === 'cgroup2' && m.target === '/sys/fs/cgroup/unified')?.target;
const UNIFIED_CONTROLLERS = UNIFIED ? readFileSync(join(UNIFIED, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean) : [];

/** Every directory a cgroup NAME could have on this host, in every hierarchy. */
function everyCgroupDir(name: string): string[] {
  const roots = [...new Set(V1.map((m) => m.target))];
  if (UNIFIED) roots.push(UNIFIED);
  return roots.map((root) => join(root, 'isolab', name));
}
const leftovers = (name: string) => everyCgroupDir(name).filter((d) => existsSync(d));

// ---- the two backends, seen from the host ----

type Controller = 'memory' | 'cpu' | 'cpuset' | 'pids' | 'io';

interface Backend {
  name: 'v1' | 'v2';
  /** What the launcher needs to pick this backend here. */
  args: string[];
  available: boolean;
  /** Why a controller cannot be tested with this backend here, or undefined when it can. */
  lacks(controller: Controller): string | undefined;
  /** DIR/FILE of cgroup NAME for CONTROLLER's file. */
  file(name: string, controller: Controller | 'cpuacct' | 'devices', file: string): string;
  /** The cgroup's directories (v1: one per hierarchy). */
  dirs(name: string): string[];
  // file names and formats that differ between the versions
  memoryLimit: string;
  unlimitedMemory(text: string): boolean;
  oomKills(name: string): number;
  cpuQuota(name: string): string;
  cpuUsageUs(name: string): number;
  swapFile: string;
  swapValue(memory: number, memorySwap: number): string;
  sharesFile: string;
  shares512: string;
  throttleLine(major: number, minor: number, rbps: number): RegExp;
}

const read = (path: string) => readFileSync(path, 'utf8').trim();
const field = (text: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

const v1: Backend = {
  name: 'v1',
  args: [],
  available: !HOST_IS_V2 && V1.length > 0,
  lacks: (c) => (v1Mount(c === 'io' ? 'blkio' : c) ? undefined : `no cgroup v1 hierarchy carries the ${c} controller`),
  file: (name, c, file) => join(v1Mount(c === 'io' ? 'blkio' : c)!, 'isolab', name, file),
  // the hierarchies of the controllers the launcher uses (not name=systemd, net_cls, ...)
  dirs: (name) =>
    [...new Set(V1.filter((m) => m.options.some((o) => V1_USED.includes(o))).map((m) => m.target))].map((t) => join(t, 'isolab', name)),
  memoryLimit: 'memory.limit_in_bytes',
  unlimitedMemory: (t) => BigInt(t) > 1n << 60n,
  oomKills: (name) => field(read(v1.file(name, 'memory', 'memory.oom_control')), 'oom_kill'),
  cpuQuota: (name) => read(v1.file(name, 'cpu', 'cpu.cfs_quota_us')),
  cpuUsageUs: (name) => Number(read(v1.file(name, 'cpuacct', 'cpuacct.usage'))) / 1000,
  swapFile: 'memory.memsw.limit_in_bytes',
  swapValue: (_memory, memorySwap) => String(memorySwap),
  sharesFile: 'cpu.shares',
  shares512: '512',
  throttleLine: (major, minor, rbps) => new RegExp(`^${major}:${minor} ${rbps}$`, 'm'),
};

const v2: Backend = {
  name: 'v2',
  args: HOST_IS_V2 ? [] : ['--cgroup-root', UNIFIED ?? '/nonexistent'],
  available: UNIFIED !== undefined,
  lacks: (c) => (UNIFIED_CONTROLLERS.includes(c) ? undefined : `the ${c} controller is not in ${UNIFIED}/cgroup.controllers`),
  file: (name, _c, file) => join(UNIFIED!, 'isolab', name, file),
  dirs: (name) => [join(UNIFIED!, 'isolab', name)],
  memoryLimit: 'memory.max',
  unlimitedMemory: (t) => t === 'max',
  oomKills: (name) => field(read(v2.file(name, 'memory', 'memory.events')), 'oom_kill'),
  cpuQuota: (name) => read(v2.file(name, 'cpu', 'cpu.max')).split(' ')[0]!,
  cpuUsageUs: (name) => field(read(v2.file(name, 'cpu', 'cpu.stat')), 'usage_usec'),
  swapFile: 'memory.swap.max',
  swapValue: (memory, memorySwap) => String(memorySwap - memory),
  sharesFile: 'cpu.weight',
  shares512: '59', // runc/crun's curve: 2 → 1, 512 → 59, 1024 → 100, 262144 → 10000
  throttleLine: (major, minor, rbps) => new RegExp(`^${major}:${minor} rbps=${rbps} `, 'm'),
};

const BACKENDS = [v1, v2];

// ---- running the launcher ----

// Programs here read their stdin (a hog waits for "go"): a pipe, written with write().
const start = (args: string[], program: string[], env: Record<string, string> = {}) => startLauncher(args, program, env, { stdin: 'pipe' });
const run = (args: string[], program: string[], env?: Record<string, string>) => start(args, program, env).done;

/** --cgroup-update: its one line (stdout when there is no status channel) and exit code. */
function update(args: string[]): { code: number | null; line: Record<string, unknown>; stderr: string } {
  const out = spawnSync(LAUNCHER, args, { encoding: 'utf8' });
  const text = out.stdout.trim() || out.stderr.trim();
  let line: Record<string, unknown> = {};
  try {
    line = JSON.parse(out.stdout.trim()) as Record<string, unknown>;
  } catch {
    line = { text };
  }
  return { code: out.status, line, stderr: out.stderr };
}

/** Waits for CONDITION, polling: a deadline for something that must happen, not a speed test. */
async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | false;
    try {
      value = probe();
    } catch {
      value = undefined; // the file may not be there yet
    }
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}



// ---- names: unique per run, so concurrent runs (and other helpers) never collide ----

const RUN = `t${randomBytes(4).toString('hex')}`;
let counter = 0;
const usedNames: string[] = [];
function newName(): string {
  const name = `${RUN}-${++counter}`;
  usedNames.push(name);
  return name;
}

/** The rootfs's block device as MAJ:MIN of the whole disk (a partition cannot be throttled). */
function rootfsDisk(): { major: number; minor: number; path: string } {
  const dev = statSync(IMAGE).dev;
  let sys = realpathSync(`/sys/dev/block/${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`);
  if (existsSync(join(sys, 'partition'))) sys = dirname(sys);
  const [major, minor] = read(join(sys, 'dev')).split(':').map(Number) as [number, number];
  const devname = /^DEVNAME=(.*)$/m.exec(read(join(sys, 'uevent')))![1]!;
  return { major, minor, path: `/dev/${devname}` };
}

beforeAll(() => {
  expectRootAndBuilt([LAUNCHER, BUSYBOX], 'cgroups');
});

afterAll(() => {
  // Nothing should be left (each test asserts it); this only keeps a failed run from littering.
  for (const name of usedNames) for (const dir of leftovers(name)) rmdirSync(dir);
});

// ---- tests ----

describe('command line', () => {
  it.each([
    [['--cgroup', ''], /--cgroup: NAME/],
    [['--cgroup', '..'], /--cgroup: NAME/],
    [['--cgroup', 'a/b'], /--cgroup: NAME/],
    [['--cgroup', 'x'.repeat(65)], /--cgroup: NAME/],
    [['--memory', '64m'], /--memory needs --cgroup NAME/],
    [['--pids-limit', '5'], /--pids-limit needs --cgroup NAME/],
    [['--device-cgroup-rule', 'c 1:3 r'], /need --cgroup NAME/],
    [['--cgroup-root', '/sys/fs/cgroup'], /--cgroup-root needs --cgroup/],
    [['--cgroup', 'x', '--memory', '5m'], /at least 6m/],
    [['--cgroup', 'x', '--memory', '1x'], /--memory: expected a size/],
    [['--cgroup', 'x', '--memory-swap', '1g'], /--memory-swap needs --memory/],
    [['--cgroup', 'x', '--memory', '1g', '--memory-swap', '512m'], /cannot be less than --memory/],
    [['--cgroup', 'x', '--cpus', '0'], /--cpus: expected/],
    [['--cgroup', 'x', '--cpus', '1e3'], /--cpus: expected/],
    [['--cgroup', 'x', '--cpus', '0.5', '--cpu-quota', '5000'], /--cpus is --cpu-quota/],
    [['--cgroup', 'x', '--cpu-quota', '999'], /--cpu-quota/],
    [['--cgroup', 'x', '--cpu-period', '999'], /--cpu-period/],
    [['--cgroup', 'x', '--cpu-shares', '1'], /--cpu-shares/],
    [['--cgroup', 'x', '--cpuset-cpus', '1-0'], /--cpuset-cpus: expected a list/],
    [['--cgroup', 'x', '--cpuset-cpus', '4095'], /does not have/],
    [['--cgroup', 'x', '--pids-limit', '-2'], /--pids-limit/],
    [['--cgroup', 'x', '--device-read-bps', '8:0'], /--device-read-bps: expected MAJOR:MINOR:RATE/],
    [['--cgroup', 'x', '--device-read-iops', '8:0:1m'], /--device-read-iops: expected/],
    [['--cgroup', 'x', '--device-write-bps', '/etc/passwd:1m'], /not a block device/],
    [['--cgroup', 'x', '--device-cgroup-rule', 'c 1:3'], /--device-cgroup-rule: expected/],
    [['--cgroup', 'x', '--device-cgroup-rule', 'c 1:3 rwmr'], /--device-cgroup-rule: expected/],
    [['--cgroup', 'x', '--device-cgroup-rule', 'c 1:3 rx'], /--device-cgroup-rule: expected/],
    [['--cgroup', 'x', '--device-cgroup-rule', 'c 4096:3 r'], /--device-cgroup-rule: expected/],
    [['--cgroup', 'x', '--device-cgroup-rule', 'x 1:3 r'], /--device-cgroup-rule: expected/],
    [['--cgroup', 'x', '--device-policy', 'deny'], /--device-policy: expected default or allow-all/],
    [['--cgroup', 'x', '--device-policy', 'allow-all', '--device-cgroup-rule', 'c 1:3 r'], /allow-all every device/],
    [['--cgroup', 'x', '--cgroup-update', 'x'], /alternatives/],
    [['--cgroup', 'x', '--cgroup-root', '/tmp'], /not a cgroup filesystem/],
    [['--cgroup', 'x', '--cgroup-root', 'relative'], /absolute/],
    // --join takes --cgroup NAME alone (the container's existing cgroup: join.test.ts), never limits
    [['--cgroup', 'x', '--pids-limit', '5', '--join', '1'], /--join: only --cgroup NAME/],
  ])('%j is refused with an error line naming the option (exit 125)', async (args, message) => {
    await expectRefused(args, message);
  });

  it.each([
    [['--cgroup-update', 'x'], /at least one limit/],
    [['--cgroup-update', 'x', '--pids-limit', '5', '--unshare', 'uts'], /starts nothing/],
    [['--cgroup-update', 'x', '--device-cgroup-rule', 'c 1:3 r', '--pids-limit', '5'], /device list/],
  ])('--cgroup-update %j is refused', (args, message) => {
    const out = update(args);
    expect(out.code).toBe(125);
    expect(out.stderr).toMatch(message);
  });

  it('--cgroup-update refuses a PROGRAM', () => {
    const out = spawnSync(LAUNCHER, ['--cgroup-update', 'x', '--pids-limit', '5', '--', '/bin/true'], { encoding: 'utf8' });
    expect(out.status).toBe(125);
    expect(out.stderr).toMatch(/starts nothing/);
  });

  it('--unshare accepts cgroup, and the error message lists it', async () => {
    const result = await run(['--unshare', 'nope'], ['/bin/true']);
    expect((result.status[0] as { message: string }).message).toMatch(/known: [a-z,]*\bcgroup\b/);
    expect((await run(['--unshare', 'cgroup'], ['/bin/true'])).code).toBe(0);
  });
});

describe.each(BACKENDS)('cgroup $name', (backend) => {
  const skip = !backend.available;

  it.skipIf(skip)('creates isolab/NAME, puts the program in it, and removes it when the program exits', async () => {
    const name = newName();
    const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
    const started = start([...backend.args, '--cgroup', name], ['/bin/sh', '-c', 'cat /proc/self/cgroup; read line'], { [mark]: '1' });
    const ready = await started.ready;
    // Outside: the directories exist and list the program's PID.
    for (const dir of backend.dirs(name)) {
      expect(existsSync(dir), dir).toBe(true);
      expect(read(join(dir, 'cgroup.procs')).split('\n').map(Number), dir).toContain(ready.pid);
    }
    // The host's own /proc/PID/cgroup says the same.
    expect(readFileSync(`/proc/${ready.pid}/cgroup`, 'utf8')).toContain(`/isolab/${name}\n`);
    started.write('\n');
    const result = await started.done;
    expect(result.code, result.stderr).toBe(0);
    // Inside: /proc/self/cgroup names it (no cgroup namespace: the full path).
    const lines = result.stdout.trim().split('\n');
    if (backend.name === 'v2') expect(lines).toContain(`0::/isolab/${name}`);
    else expect(lines.filter((l) => l.endsWith(`:/isolab/${name}`)).length).toBe(backend.dirs(name).length);
    expect(result.status.at(-1)).toEqual({ type: 'exit', code: 0 });
    expect(leftovers(name)).toEqual([]);
    expect(processesMarked(mark)).toEqual([]);
    expect(ourZombies()).toEqual([]);
  });

  it.skipIf(skip || backend.lacks('pids') === undefined)('a limit whose controller this hierarchy lacks is refused up front, naming it', async () => {
    const name = newName();
    const result = await run([...backend.args, '--cgroup', name, '--pids-limit', '5'], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toMatchObject([{ type: 'error', step: 'args', errno: 0 }]);
    expect((result.status[0] as { message: string }).message).toMatch(/the pids controller is not available/);
    expect(leftovers(name)).toEqual([]);
  });

  it.skipIf(skip)('reports the cgroup steps in the ready line\'s timings', async () => {
    const name = newName();
    const started = start([...backend.args, '--cgroup', name, '--unshare', 'cgroup'], ['/bin/true']);
    const ready = await started.ready;
    await started.done;
    for (const step of ['cgroup_create', 'cgroup_devices', 'cgroupns']) expect(ready.timings_us, step).toHaveProperty(step);
    // v2 creates the child inside its cgroup (clone3 CLONE_INTO_CGROUP), v1's child moves itself
    // in (cgroup_enter): nothing for the parent to attach either way.
    expect(ready.timings_us).not.toHaveProperty('cgroup_attach');
    if (backend.name === 'v1') expect(ready.timings_us).toHaveProperty('cgroup_enter');
    expect(ready.cgroup_via).toBe(backend.name === 'v2' ? 'clone3' : 'self');
  });

  it.skipIf(skip)('refuses a NAME that exists already, and leaves that cgroup alone', async () => {
    const name = newName();
    const theirs = backend.dirs(name)[0]!;
    mkdirSync(dirname(theirs), { recursive: true });
    mkdirSync(theirs);
    try {
      const result = await run([...backend.args, '--cgroup', name], ['/bin/true']);
      expect(result.code).toBe(125);
      expect(result.status).toMatchObject([{ type: 'error', step: 'cgroup_create', errno: 17 }]);
      expect((result.status[0] as { message: string }).message).toMatch(/not ours/);
      expect(existsSync(theirs)).toBe(true);
      expect(leftovers(name)).toEqual([theirs]);
    } finally {
      rmdirSync(theirs);
    }
  });

  it.skipIf(skip)('cgroup namespace on: /proc/self/cgroup says "/" inside; off: the host\'s path', async () => {
    const inside = async (extra: string[]) => {
      const name = newName();
      const result = await run([...backend.args, '--cgroup', name, ...extra], ['/bin/cat', '/proc/self/cgroup']);
      expect(result.code, result.stderr).toBe(0);
      const ready = result.status.find((l): l is ReadyLine => l.type === 'ready')!;
      return { name, lines: result.stdout.trim().split('\n'), ns: ready.namespaces.cgroup };
    };
    const off = await inside([]);
    const on = await inside(['--unshare', 'cgroup']);
    const hostNs = statSync('/proc/self/ns/cgroup').ino;
    expect(off.ns).toBe(hostNs);
    expect(on.ns).not.toBe(hostNs);
    // v2: the one "0::" line; v1: the lines of the hierarchies the launcher uses.
    const ours = (lines: string[]) =>
      lines.filter((l) => (backend.name === 'v2' ? l.startsWith('0::') : l.split(':')[1]!.split(',').some((c) => V1_USED.includes(c))));
    expect(ours(off.lines).every((l) => l.endsWith(`/isolab/${off.name}`)), off.lines.join('\n')).toBe(true);
    expect(ours(on.lines).every((l) => l.endsWith(':/')), on.lines.join('\n')).toBe(true);
    expect(ours(on.lines).length).toBeGreaterThan(0);
  });

  it.skipIf(skip)('a process moved into the cgroup from outside is killed through the cgroup when the container ends', async () => {
    // Not a descendant of the launcher, so its /proc walk cannot find it: only the cgroup can.
    const name = newName();
    const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
    const stranger = spawn('/bin/sleep', ['300'], { env: { [mark]: '1' }, stdio: 'ignore' });
    const strangerGone = new Promise<NodeJS.Signals | null>((resolve) => stranger.on('exit', (_c, sig) => resolve(sig)));
    const started = start([...backend.args, '--cgroup', name], ['/bin/sh', '-c', 'read line']);
    await started.ready;
    for (const dir of backend.dirs(name)) spawnSync('/bin/sh', ['-c', `echo ${stranger.pid} > ${dir}/cgroup.procs`]);
    expect(read(join(backend.dirs(name)[0]!, 'cgroup.procs')).split('\n').map(Number)).toContain(stranger.pid);
    started.write('\n');
    const result = await started.done;
    expect(result.code, result.stderr).toBe(0);
    expect(await strangerGone).toBe('SIGKILL');
    expect(leftovers(name)).toEqual([]);
    expect(processesMarked(mark)).toEqual([]);
  });

  it.skipIf(skip)('SIGTERM kills the container and its children, and removes the cgroup', async () => {
    const name = newName();
    const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
    const started = start([...backend.args, '--cgroup', name], ['/bin/sh', '-c', 'sleep 300 & setsid sleep 300 & sleep 300'], { [mark]: '1' });
    await started.ready;
    await until('the sleeps to start', () => processesMarked(mark).length >= 4);
    started.kill('SIGTERM');
    const result = await started.done;
    expect(result.status.at(-1)).toEqual({ type: 'exit', code: 137 });
    expect(processesMarked(mark)).toEqual([]);
    expect(ourZombies()).toEqual([]);
    expect(leftovers(name)).toEqual([]);
  });

  describe.skipIf(skip)('devices (Docker\'s default list unless --device-policy allow-all)', () => {
    // In the busybox image, /dev is a tmpfs: mknod works there (mknod is allowed by default). The
    // block device is loop0 (b 7:0): this host's own policy forbids opening its root disk anyway.
    const tryDevices = 'mknod /dev/k c 1 11 && echo made; (exec 3</dev/k) && echo kmsg-read; (exec 3>/dev/k) && echo kmsg-write; ' +
      'mknod /dev/d b 7 0 && (exec 3</dev/d) && echo disk-read; echo x > /dev/null && echo null; head -c 4 /dev/urandom | wc -c';
    const devices = async (extra: string[]) => {
      const name = newName();
      const result = await run([...BOX, ...backend.args, ...extra.map((a) => a.replace('NAME', name))], ['/bin/sh', '-c', tryDevices]);
      return { ...result, said: result.stdout.trim().split('\n'), name };
    };

    it('default: mknod works, opening /dev/kmsg (c 1:11) or a disk fails with EPERM, /dev/null and /dev/urandom work', async () => {
      const result = await devices(['--cgroup', 'NAME']);
      expect(result.said).toEqual(['made', 'null', '4']);
      expect(result.stderr).toMatch(/can't open \/dev\/k: Operation not permitted/);
      expect(result.stderr).toMatch(/can't open \/dev\/d: Operation not permitted/);
    });

    it('--device-cgroup-rule \'c 1:11 r\' allows reading that device, not writing it', async () => {
      const result = await devices(['--cgroup', 'NAME', '--device-cgroup-rule', 'c 1:11 r']);
      expect(result.said).toEqual(['made', 'kmsg-read', 'null', '4']);
      expect(result.stderr).toMatch(/can't create \/dev\/k: Operation not permitted/);
    });

    it('--device-policy allow-all (and no cgroup at all) let every open through', async () => {
      const all = ['made', 'kmsg-read', 'kmsg-write', 'disk-read', 'null', '4'];
      expect((await devices(['--cgroup', 'NAME', '--device-policy', 'allow-all'])).said).toEqual(all);
      expect((await run([...BOX], ['/bin/sh', '-c', tryDevices])).stdout.trim().split('\n')).toEqual(all);
    });

    it.skipIf(backend.name !== 'v1')('v1: the host sees the list in devices.list', async () => {
      const name = newName();
      const started = start([...backend.args, '--cgroup', name, '--device-cgroup-rule', 'b 7:* rw'], ['/bin/sh', '-c', 'read line']);
      await started.ready;
      const list = read(v1.file(name, 'devices', 'devices.list')).split('\n');
      started.write('\n');
      await started.done;
      expect(list).toEqual([
        'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
        'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'b 7:* rw',
      ]);
    });
  });

  describe.skipIf(skip)('--fail-at every cgroup step and its neighbours leaves no cgroup directory in any hierarchy', () => {
    // cgroup_limits runs only with a limit, which needs a controller in this backend's hierarchy;
    // cgroup_attach only with --cgroup-attach-after-clone (else clone3 puts the child in, or on v1
    // the child moves itself in at cgroup_enter).
    const limit = backend.lacks('pids') === undefined ? ['--pids-limit', '64'] : [];
    const steps = ['sync_pipe', 'cgroup_create', 'cgroup_limits', 'cgroup_devices', 'clone', 'cgroup_attach', 'go',
      'pdeathsig', 'wait_go', ...(backend.name === 'v1' ? ['cgroup_enter'] : []), 'cgroupns', 'hostname', 'pivot_root', 'exec'].filter((s) => s !== 'cgroup_limits' || limit.length);
    it.each(steps)('%s', async (step) => {
      const listed = spawnSync(LAUNCHER, ['--list-steps'], { encoding: 'utf8' }).stdout;
      expect(listed).toMatch(new RegExp(`^${step}\t`, 'm'));
      const name = newName();
      const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
      const result = await run(
        ['--unshare', 'mount,uts,ipc,pid,net,cgroup', '--hostname', 'box', '--rootfs', IMAGE, ...backend.args,
          '--cgroup', name, ...limit, ...(step === 'cgroup_attach' ? ['--cgroup-attach-after-clone'] : []), '--fail-at', step],
        ['/bin/sleep', '300'],
        { [mark]: '1' },
      );
      expect(result.code).toBe(125);
      expect(result.status).toMatchObject([{ type: 'error', step, errno: 22 }]);
      expect(leftovers(name)).toEqual([]);
      expect(processesMarked(mark)).toEqual([]);
      expect(ourZombies()).toEqual([]);
    });
  });
});

// ---- limits: each controller on and off, in whichever backend has it ----

describe.each(BACKENDS)('limits, cgroup $name', (backend) => {
  const untestable = (c: Controller) => (!backend.available ? `no cgroup ${backend.name} on this host` : backend.lacks(c));

  describe.skipIf(untestable('pids') !== undefined)(`pids ${untestable('pids') ?? ''}`, () => {
    // A subshell forks sleeps until fork fails; the outer shell then waits, so the host can look.
    const forkLoop = '(i=0; while [ $i -lt 30 ]; do sleep 300 & i=$((i+1)); done); echo loop-ended=$?; exec sleep 300';

    it('on: a fork loop inside hits EAGAIN; the host sees pids.max and pids.current at the limit', async () => {
      const name = newName();
      const started = start([...BOX, ...backend.args, '--cgroup', name, '--pids-limit', '10'], ['/bin/sh', '-c', forkLoop]);
      await started.ready;
      await until('the loop to end', () => started.stdout().includes('loop-ended='));
      expect(read(backend.file(name, 'pids', 'pids.max'))).toBe('10');
      // sh + subshell + 8 sleeps = 10: the 9th sleep's fork failed, the subshell gave up, sh exec'd
      expect(Number(read(backend.file(name, 'pids', 'pids.current')))).toBe(9);
      expect(field(read(backend.file(name, 'pids', 'pids.events')), 'max')).toBeGreaterThan(0);
      started.kill('SIGTERM');
      const result = await started.done;
      expect(result.stdout).toContain('loop-ended=2');
      expect(result.stderr).toMatch(/can't fork: Resource temporarily unavailable/);
      expect(leftovers(name)).toEqual([]);
    });

    it('off: the same loop starts all 30; pids.max is "max"', async () => {
      const name = newName();
      const started = start([...BOX, ...backend.args, '--cgroup', name], ['/bin/sh', '-c', forkLoop]);
      await started.ready;
      await until('the loop to end', () => started.stdout().includes('loop-ended='));
      expect(read(backend.file(name, 'pids', 'pids.max'))).toBe('max');
      expect(Number(read(backend.file(name, 'pids', 'pids.current')))).toBe(31); // 30 sleeps, and sh exec'd into a sleep
      started.kill('SIGTERM');
      const result = await started.done;
      expect(result.stdout).toContain('loop-ended=0');
      expect(result.stderr).not.toMatch(/can't fork/);
    });

    it('live update: --cgroup-update changes pids.max of the running container, which then can fork more', async () => {
      const name = newName();
      // Inside: fork until EAGAIN, then wait for a line on stdin, then try again.
      const program = `${forkLoop.replace('; exec sleep 300', '')}; read line; (sleep 300 & sleep 300 & sleep 300 &) && echo forked-after-update; read line`;
      const started = start([...BOX, ...backend.args, '--cgroup', name, '--pids-limit', '10'], ['/bin/sh', '-c', program]);
      const ready = await started.ready;
      await until('the loop to end', () => started.stdout().includes('loop-ended='));
      const updated = update(['--cgroup-update', name, ...backend.args, '--pids-limit', '20']);
      expect(updated.code, updated.stderr).toBe(0);
      expect(updated.line).toEqual({ type: 'updated', cgroup: name, version: backend.name === 'v1' ? 1 : 2 });
      expect(read(backend.file(name, 'pids', 'pids.max'))).toBe('20');
      // No respawn: the same first process, still in the same cgroup.
      expect(read(backend.file(name, 'pids', 'cgroup.procs'))).toContain(String(ready.pid));
      started.write('\n');
      await until('the fork after the update', () => started.stdout().includes('forked-after-update'));
      started.write('\n');
      const result = await started.done;
      expect(result.status.at(-1)).toEqual({ type: 'exit', code: 0 });
      expect(result.status.filter((l) => l.type === 'ready')).toHaveLength(1);
    });

    it('live update of a cgroup that does not exist fails on the cgroup_limits step (ENOENT)', () => {
        const viaFd = spawnSync('/bin/sh', ['-c', `exec 3>&1; exec "${LAUNCHER}" --status-fd 3 --cgroup-update ${newName()} ${backend.args.join(' ')} --pids-limit 5`], {
        encoding: 'utf8',
      });
      expect(viaFd.status).toBe(125);
      expect(JSON.parse(viaFd.stdout.trim())).toMatchObject({ type: 'error', step: 'cgroup_limits', errno: 2 });
    });
  });

  describe.skipIf(untestable('memory') !== undefined)(`memory ${untestable('memory') ?? ''}`, () => {
    // One process, one 64 MiB buffer, filled: dd with bs=64M. (Not `head | tail`: a writer that
    // holds the pipe's lock while the cgroup is out of memory can keep its OOM-killed reader from
    // ever exiting, and the test from ever ending.)
    const hog = 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo hog=$?; read line';
    const runHog = async (extra: string[]) => {
      const name = newName();
      const started = start([...BOX, ...backend.args, '--cgroup', name, ...extra], ['/bin/sh', '-c', hog]);
      await started.ready;
      await until('the hog to end', () => started.stdout().includes('hog='));
      const seen = {
        limit: read(backend.file(name, 'memory', backend.memoryLimit)),
        oomKills: backend.oomKills(name),
        failcnt: backend.name === 'v1' ? Number(read(v1.file(name, 'memory', 'memory.failcnt'))) : field(read(v2.file(name, 'memory', 'memory.events')), 'max'),
      };
      started.write('\n');
      const result = await started.done;
      return { seen, said: result.stdout.trim(), name };
    };

    it('on (--memory 32m): the hog is OOM-killed inside; the host counts the OOM kill and failures', async () => {
      const { seen, said, name } = await runHog(['--memory', '32m']);
      expect(said).toBe('hog=137'); // dd got SIGKILL
      expect(seen.limit).toBe(String(32 * 1024 * 1024));
      expect(seen.oomKills).toBeGreaterThanOrEqual(1);
      expect(seen.failcnt).toBeGreaterThan(0);
      expect(leftovers(name)).toEqual([]);
    });

    it('off: the same hog completes, no OOM kill, no limit', async () => {
      const { seen, said } = await runHog([]);
      expect(said).toBe('hog=0');
      expect(backend.unlimitedMemory(seen.limit)).toBe(true);
      expect(seen.oomKills).toBe(0);
    });

    it('--memory-swap is written as memory+swap (v1) or swap alone (v2), or says why it cannot be', async () => {
      const name = newName();
      const result = await run([...backend.args, '--cgroup', name, '--memory', '64m', '--memory-swap', '192m'], [
        '/bin/cat', backend.file(name, 'memory', backend.swapFile),
      ]);
      if (result.code === 125) {
        expect((result.status[0] as { message: string }).message).toMatch(/--memory-swap is not available on this host because/);
        return;
      }
      expect(result.stdout.trim()).toBe(backend.swapValue(64 << 20, 192 << 20));
      // -1 (unlimited swap) may stand alone, as in docker.
      for (const extra of [['--memory', '64m', '--memory-swap', '-1'], ['--memory-swap', '-1']]) {
        const swapName = newName();
        const unlimited = await run([...backend.args, '--cgroup', swapName, ...extra], ['/bin/cat', backend.file(swapName, 'memory', backend.swapFile)]);
        expect(unlimited.code, unlimited.stderr).toBe(0);
        expect(backend.unlimitedMemory(unlimited.stdout.trim()), unlimited.stdout).toBe(true);
      }
    });
  });

  describe.skipIf(untestable('cpu') !== undefined)(`cpu ${untestable('cpu') ?? ''}`, () => {
    const spin = async (extra: string[], until_: (name: string) => boolean) => {
      const name = newName();
      const started = start([...backend.args, '--cgroup', name, ...extra], ['/bin/sh', '-c', 'while :; do :; done']);
      await started.ready;
      await until('the busy loop to run', () => until_(name), 20_000);
      const seen = { quota: backend.cpuQuota(name), stat: read(backend.file(name, 'cpu', 'cpu.stat')) };
      started.kill('SIGTERM');
      await started.done;
      expect(leftovers(name)).toEqual([]);
      return seen;
    };

    it('on (--cpus 0.1): quota 10000 per 100000 µs; the busy loop gets throttled', async () => {
      const seen = await spin(['--cpus', '0.1'], (name) => field(read(backend.file(name, 'cpu', 'cpu.stat')), 'nr_throttled') > 0);
      expect(seen.quota).toBe('10000');
      expect(field(seen.stat, 'nr_throttled')).toBeGreaterThan(0);
    });

    it('off: no quota, never throttled, however much CPU it burns', async () => {
      const seen = await spin([], (name) => backend.cpuUsageUs(name) > 300_000);
      expect(seen.quota).toBe(backend.name === 'v1' ? '-1' : 'max');
      expect(field(seen.stat, 'nr_throttled')).toBe(0);
    });

    it('--cpu-quota/--cpu-period and --cpu-shares land in their files', async () => {
      const name = newName();
      const files = backend.name === 'v1'
        ? ['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.shares'].map((f) => v1.file(name, 'cpu', f))
        : ['cpu.max', 'cpu.weight'].map((f) => v2.file(name, 'cpu', f));
      const result = await run([...backend.args, '--cgroup', name, '--cpu-quota', '20000', '--cpu-period', '50000', '--cpu-shares', '512'], ['/bin/cat', ...files]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(backend.name === 'v1' ? ['20000', '50000', '512'] : ['20000 50000', backend.shares512]);
    });
  });

  const twoCpus = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim() !== '0';
  describe.skipIf(untestable('cpuset') !== undefined || !twoCpus)(`cpuset ${untestable('cpuset') ?? (twoCpus ? '' : '(needs 2 CPUs)')}`, () => {
    const pinned = async (extra: string[]) => {
      const name = newName();
      const started = start([...BOX, ...backend.args, '--cgroup', name, ...extra], ['/bin/sh', '-c', 'nproc; read line']);
      const ready = await started.ready;
      await until('nproc', () => started.stdout().includes('\n'));
      const outside = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync(`/proc/${ready.pid}/status`, 'utf8'))![1];
      started.write('\n');
      const result = await started.done;
      return { outside, nproc: Number(result.stdout.trim()) };
    };

    it('on (--cpuset-cpus 1): /proc/PID/status shows CPU 1 only; nproc inside says 1', async () => {
      expect(await pinned(['--cpuset-cpus', '1', '--cpuset-mems', '0'])).toEqual({ outside: '1', nproc: 1 });
    });

    it('off: every online CPU', async () => {
      const online = read('/sys/devices/system/cpu/online');
      const seen = await pinned([]);
      expect(seen.outside).toBe(online);
      expect(seen.nproc).toBeGreaterThanOrEqual(2);
    });
  });

  describe.skipIf(untestable('io') !== undefined)(`block I/O ${untestable('io') ?? ''}`, () => {
    it('--device-read-bps / --device-write-iops for the rootfs\'s disk are written (MAJ:MIN and /dev/PATH forms); none without', async () => {
      const disk = rootfsDisk();
      const name = newName();
      const readFile = backend.name === 'v1' ? 'blkio.throttle.read_bps_device' : 'io.max';
      const writeFile = backend.name === 'v1' ? 'blkio.throttle.write_iops_device' : 'io.max';
      const result = await run(
        [...backend.args, '--cgroup', name, '--device-read-bps', `${disk.major}:${disk.minor}:1m`, '--device-write-iops', `${disk.path}:100`],
        ['/bin/sh', '-c', `cat ${backend.file(name, 'io', readFile)}; echo ---; cat ${backend.file(name, 'io', writeFile)}`],
      );
      expect(result.code, result.stderr).toBe(0);
      const [readLines, writeLines] = result.stdout.split('---\n');
      expect(readLines).toMatch(backend.throttleLine(disk.major, disk.minor, 1 << 20));
      expect(writeLines).toMatch(backend.name === 'v1' ? new RegExp(`^${disk.major}:${disk.minor} 100$`, 'm') : /wiops=100/);
      const off = newName();
      const without = await run([...backend.args, '--cgroup', off], ['/bin/cat', backend.file(off, 'io', readFile)]);
      expect(without.stdout.trim()).toBe('');
    });
  });
});

// ---- the v2 device program, generated and checked without the kernel ----

/** The rules as --cgroup-device-program prints them, and the program. */
interface DeviceProgram {
  rules: string[];
  insns: [number, number, number, number, number][];
}

function deviceProgram(args: string[]): DeviceProgram {
  const out = spawnSync(LAUNCHER, ['--cgroup-device-program', ...args], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as DeviceProgram;
}

/** A BPF interpreter for exactly the instructions a device program may use; anything else throws. */
function runBpf(insns: DeviceProgram['insns'], ctx: { type: number; access: number; major: number; minor: number }): number {
  const reg = new Array<number>(11).fill(0);
  const mem = [(ctx.access << 16) | ctx.type, ctx.major, ctx.minor];
  for (let pc = 0, steps = 0; pc < insns.length; pc++) {
    if (++steps > 10_000) throw new Error('no exit');
    const [code, dst, src, off, imm] = insns[pc]!;
    switch (code) {
      case 0x61: // BPF_LDX | BPF_W | BPF_MEM: only from the context in r1
        if (src !== 1 || off % 4 !== 0 || off / 4 >= mem.length) throw new Error(`bad load at ${pc}`);
        reg[dst] = mem[off / 4]! >>> 0;
        break;
      case 0x54: reg[dst] = (reg[dst]! & imm) >>> 0; break; // BPF_ALU | BPF_AND | BPF_K
      case 0x74: reg[dst] = reg[dst]! >>> imm; break; // BPF_ALU | BPF_RSH | BPF_K
      case 0xbc: reg[dst] = reg[src]! >>> 0; break; // BPF_ALU | BPF_MOV | BPF_X
      case 0xb7: reg[dst] = imm; break; // BPF_ALU64 | BPF_MOV | BPF_K
      case 0x55: if (reg[dst] !== imm >>> 0) pc += off; break; // BPF_JMP | BPF_JNE | BPF_K
      case 0x5d: if (reg[dst] !== reg[src]) pc += off; break; // BPF_JMP | BPF_JNE | BPF_X
      case 0x95: return reg[0]!; // BPF_JMP | BPF_EXIT
      default: throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end');
}

/** The same decision the v1 way: walk the list, the last matching rule wins. */
function v1Decision(rules: string[], ctx: { type: number; access: number; major: number; minor: number }): number {
  let allowed = 0;
  for (const rule of rules) {
    const [verdict, type, numbers, access] = rule.split(' ') as [string, string, string, string];
    const [major, minor] = numbers.split(':');
    const bits = [...access].reduce((b, c) => b | ({ m: 1, r: 2, w: 4 } as Record<string, number>)[c]!, 0);
    const matches = (type === 'a' || (type === 'b' ? 1 : 2) === ctx.type) && (ctx.access & bits) === ctx.access &&
      (major === '*' || Number(major) === ctx.major) && (minor === '*' || Number(minor) === ctx.minor);
    if (matches) allowed = verdict === 'allow' ? 1 : 0;
  }
  return allowed;
}

describe('the v2 device program (--cgroup-device-program)', () => {
  const requests: { type: number; access: number; major: number; minor: number }[] = [];
  for (const type of [1, 2])
    for (const access of [1, 2, 4, 3, 6, 7])
      for (const [major, minor] of [[1, 3], [1, 5], [1, 11], [5, 2], [136, 0], [136, 7], [254, 0], [10, 200], [7, 3]] as const)
        requests.push({ type, access, major, minor });

  it.each([
    { name: 'the default list', args: [] },
    { name: 'with user rules', args: ['--device-cgroup-rule', 'c 1:11 r', '--device-cgroup-rule', 'b 254:* rw', '--device-cgroup-rule', 'a 7:3 m'] },
    { name: 'a rule for every device', args: ['--device-cgroup-rule', 'a *:* rwm', '--device-cgroup-rule', 'c 1:11 r'] },
    { name: 'allow-all', args: ['--device-policy', 'allow-all'] },
  ])('$name: decides every request as the v1 list does', ({ args }) => {
    const { rules, insns } = deviceProgram(args);
    for (const request of requests) expect(runBpf(insns, request), JSON.stringify(request)).toBe(v1Decision(rules, request));
    // Every instruction is reachable (the kernel's verifier refuses dead code) and every jump lands inside.
    const reached = new Set<number>();
    const walk = (pc: number) => {
      for (; pc < insns.length && !reached.has(pc); pc++) {
        reached.add(pc);
        const [code, , , off] = insns[pc]!;
        if (code === 0x95) return;
        if (code === 0x55 || code === 0x5d) {
          expect(pc + 1 + off).toBeLessThan(insns.length);
          walk(pc + 1 + off);
        }
      }
    };
    walk(0);
    expect(reached.size).toBe(insns.length);
  });

  it('is Docker\'s list: deny all, mknod of anything, then null zero full random urandom tty console ptmx pts', () => {
    expect(deviceProgram([]).rules).toEqual([
      'deny a *:* rwm', 'allow c *:* m', 'allow b *:* m', 'allow c 1:3 rwm', 'allow c 1:5 rwm', 'allow c 1:7 rwm',
      'allow c 1:8 rwm', 'allow c 1:9 rwm', 'allow c 5:0 rwm', 'allow c 5:1 rwm', 'allow c 5:2 rwm', 'allow c 136:* rwm',
    ]);
  });

  it('takes docker\'s [rwm]{1,3}: a repeated letter counts once', () => {
    expect(deviceProgram(['--device-cgroup-rule', 'c 1:11 rr']).rules.at(-1)).toBe('allow c 1:11 r');
  });

  it('splits a rule for type a with numbers into b and c (v1 would read "a" as every device)', () => {
    expect(deviceProgram(['--device-cgroup-rule', 'a 7:3 r']).rules.slice(-2)).toEqual(['allow c 7:3 r', 'allow b 7:3 r']);
  });
});
