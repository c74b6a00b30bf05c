// The cgroup filesystem inside a container with its own root (step cgroup_mount): read-only, showing
// the container's own cgroup, as docker (runc) mounts it. With a cgroup namespace a fresh mount (v2:
// cgroup2 on /sys/fs/cgroup; v1: a tmpfs with each hierarchy in its directory, named as on the host);
// without one, the container's cgroup directories bind-mounted. Asserted inside (cat, ls, a write
// failing with EROFS) and outside (the host's cgroup files and mount table unchanged, the container's
// /proc/PID/mountinfo). Contract: native/README.md ("cgroups", the cgroup filesystem inside).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMountinfo, type MountinfoEntry } from '../../server/base/mountinfo.js';
import { output, run, start } from '../helpers/harden.js';
import { BUSYBOX, IMAGE } from '../helpers/launcher-run.js';

// ---- the host's cgroup mounts ----
/** /proc/self/mountinfo as a process joined to the container (--join PID) reads it. */
async function mountinfoInside(pid: number): Promise<MountinfoEntry[]> {
  const result = await run(['--join', String(pid)], [BUSYBOX, 'cat', '/proc/self/mountinfo']);
  expect(result.code, result.stderr).toBe(0);
  return parseMountinfo(result.stdout);
}
const HOST_MOUNTS = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
const HOST_IS_V2 = HOST_MOUNTS.some((m) => m.fstype === 'cgroup2' && m.target === '/sys/fs/cgroup');
const UNIFIED = HOST_IS_V2 ? '/sys/fs/cgroup' : HOST_MOUNTS.find((m) => m.fstype === 'cgroup2' && m.target === '/sys/fs/cgroup/unified')?.target;
/** v1 hierarchies directly under /sys/fs/cgroup: their directory names there. */
const V1_NAMES = [...new Set(HOST_MOUNTS.filter((m) => m.fstype === 'cgroup' && m.root === '/' && dirname(m.target) === '/sys/fs/cgroup').map((m) => basename(m.target)))];
const V1_PIDS = V1_NAMES.find((n) => n.split(',').includes('pids'));
const UNIFIED_HAS_PIDS = UNIFIED !== undefined && readFileSync(join(UNIFIED, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('pids');
/** What /sys/fs/cgroup holds in a v1 container: each hierarchy, and a symlink per co-mounted controller. */
const expectedV1Entries = (names: string[]) => [...new Set([...names, ...names.filter((n) => n.includes(',')).flatMap((n) => n.split(','))])].sort();

const box = (extra: string[], namespaces = 'mount,pid,cgroup') => ['--unshare', namespaces, '--rootfs', IMAGE, ...extra];
const sh = (script: string) => ['/bin/sh', '-c', script];
const cgroupName = () => `cgfs-${randomBytes(6).toString('hex')}`;
/** A write under /sys/fs/cgroup inside; the shell's complaint. */
const EROFS = /Read-only file system/;

/** The container's mounts on /sys/fs/cgroup and below, seen from the host. */
const containerCgroupMounts = (pid: number) => parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).filter((m) => m.target.startsWith('/sys/fs/cgroup'));

beforeAll(() => {
  expect(process.getuid?.(), 'run the integration tests as root').toBe(0);
  expect(existsSync(BUSYBOX), 'the image is missing: npm run setup').toBe(true);
});

describe.skipIf(HOST_IS_V2 || !V1_PIDS)('cgroup v1 (the host\'s hierarchies)', () => {
  describe('with a cgroup namespace: a fresh mount of each hierarchy, rooted at the container\'s cgroup', () => {
    it('shows the --pids-limit in /sys/fs/cgroup/pids/pids.max, and only the container\'s cgroup', async () => {
      const name = cgroupName();
      const args = box(['--cgroup', name, '--pids-limit', '17']);
      expect((await output(args, ['cat', `/sys/fs/cgroup/${V1_PIDS}/pids.max`])).trim()).toBe('17');
      // The root of the view is the container's cgroup: no isolab/ above it, its own processes in it.
      const listing = (await output(args, ['ls', `/sys/fs/cgroup/${V1_PIDS}`])).split('\n');
      expect(listing).toContain('pids.max');
      expect(listing).not.toContain('isolab');
      expect((await output(args, sh(`cat /sys/fs/cgroup/${V1_PIDS}/cgroup.procs`))).trim().split('\n')).toContain('1');
    });

    it('names the directories as the host does (co-mounted ones and their symlinks too)', async () => {
      const args = box(['--cgroup', cgroupName()]);
      const entries = (await output(args, ['ls', '/sys/fs/cgroup'])).trim().split('\n').sort();
      expect(entries).toEqual(expectedV1Entries(V1_NAMES));
    });

    it('is read-only: a limit, a new cgroup, a new file all fail with EROFS, and the limit stays', async () => {
      const args = box(['--cgroup', cgroupName(), '--pids-limit', '17']);
      for (const write of [`echo 5 > /sys/fs/cgroup/${V1_PIDS}/pids.max`, `mkdir /sys/fs/cgroup/${V1_PIDS}/child`, 'touch /sys/fs/cgroup/file']) {
        const result = await run(args, sh(write));
        expect(result.code, write).not.toBe(0);
        expect(result.stderr, write).toMatch(EROFS);
      }
      expect((await output(args, sh(`echo 5 > /sys/fs/cgroup/${V1_PIDS}/pids.max; cat /sys/fs/cgroup/${V1_PIDS}/pids.max`))).trim()).toBe('17');
    });

    it('from outside: the container\'s mount table has them read-only, the host\'s is unchanged, the limit is on the host\'s file', async () => {
      const name = cgroupName();
      const hostMountsBefore = readFileSync('/proc/self/mountinfo', 'utf8');
      const hostEntriesBefore = readdirSync('/sys/fs/cgroup').sort();
      const started = start(box(['--cgroup', name, '--pids-limit', '17']), ['/bin/sleep', '300']);
      try {
        const { pid, timings_us } = await started.ready;
        expect(timings_us).toHaveProperty('cgroup_mount');
        const mounts = containerCgroupMounts(pid);
        expect(mounts.find((m) => m.target === '/sys/fs/cgroup')).toMatchObject({ fstype: 'tmpfs' });
        // A cgroup mount's root is shown relative to the reader's cgroup namespace: the host sees
        // where the container's view starts, the container sees "/".
        const pids = mounts.find((m) => m.target === `/sys/fs/cgroup/${V1_PIDS}`)!;
        expect(pids).toMatchObject({ fstype: 'cgroup', root: `/isolab/${name}` });
        expect(pids.superOptions).toContain('pids');
        for (const m of mounts) expect(m.options, m.target).toContain('ro');
        const inside = await mountinfoInside(pid);
        expect(inside.find((m) => m.target === `/sys/fs/cgroup/${V1_PIDS}`)).toMatchObject({ fstype: 'cgroup', root: '/' });
        expect(readFileSync(`/sys/fs/cgroup/${V1_PIDS}/isolab/${name}/pids.max`, 'utf8').trim()).toBe('17');
      } finally {
        started.kill('SIGTERM');
        await started.done;
      }
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(hostMountsBefore);
      expect(readdirSync('/sys/fs/cgroup').sort()).toEqual(hostEntriesBefore);
    });
  });

  it('without a cgroup namespace: the container\'s own directories, bind-mounted read-only', async () => {
    const name = cgroupName();
    const args = box(['--cgroup', name, '--pids-limit', '17'], 'mount,pid');
    expect((await output(args, ['cat', `/sys/fs/cgroup/${V1_PIDS}/pids.max`])).trim()).toBe('17');
    // The same files, but /proc/self/cgroup still names the whole path (no namespace shortens it).
    expect(await output(args, ['cat', '/proc/self/cgroup'])).toMatch(new RegExp(`^\\d+:pids:/isolab/${name}$`, 'm'));
    const write = await run(args, sh(`echo 5 > /sys/fs/cgroup/${V1_PIDS}/pids.max`));
    expect(write.stderr).toMatch(EROFS);
    const started = start(args, ['/bin/sleep', '300']);
    try {
      const { pid } = await started.ready;
      const pids = containerCgroupMounts(pid).find((m) => m.target === `/sys/fs/cgroup/${V1_PIDS}`)!;
      expect(pids).toMatchObject({ fstype: 'cgroup', root: `/isolab/${name}` });
      expect(pids.options).toContain('ro');
    } finally {
      started.kill('SIGTERM');
      await started.done;
    }
  });

  it('in a user namespace too (mounted over what the recursive /sys bind brought along)', async () => {
    const args = box(['--cgroup', cgroupName(), '--pids-limit', '13'], 'user,mount,pid,cgroup');
    expect((await output(args, ['cat', `/sys/fs/cgroup/${V1_PIDS}/pids.max`])).trim()).toBe('13');
    expect((await run(args, sh(`echo 3 > /sys/fs/cgroup/${V1_PIDS}/pids.max`))).stderr).toMatch(EROFS);
    const bind = box(['--cgroup', cgroupName(), '--pids-limit', '13'], 'user,mount,pid');
    expect((await output(bind, ['cat', `/sys/fs/cgroup/${V1_PIDS}/pids.max`])).trim()).toBe('13');
  });

  it('a cgroup namespace without --cgroup: the hierarchies as the launcher\'s cgroup roots them', async () => {
    const entries = (await output(box([]), ['ls', '/sys/fs/cgroup'])).trim().split('\n').sort();
    expect(entries).toEqual(expectedV1Entries(V1_NAMES));
    expect(await output(box([]), ['cat', '/proc/self/cgroup'])).toMatch(/^\d+:pids:\/$/m);
  });

  describe('co-mounted controllers (a test root with net_cls,net_prio mounted together)', () => {
    const bound = (c: string) => readFileSync('/proc/cgroups', 'utf8').match(new RegExp(`^${c}\\t(\\d+)\\t`, 'm'))?.[1];
    const unavailable = bound('net_cls') !== '0' || bound('net_prio') !== '0' ? 'net_cls and net_prio are not both free to mount as a v1 hierarchy here' : undefined;
    let root: string;
    beforeAll(() => {
      if (unavailable) return;
      root = mkdtempSync(join(tmpdir(), 'isolab-cgfs-root-'));
      execFileSync('mount', ['-t', 'tmpfs', 'isolab-cgfs', root]);
      mkdirSync(join(root, 'pids'));
      mkdirSync(join(root, 'net_cls,net_prio'));
      execFileSync('mount', ['-t', 'cgroup', '-o', 'pids', 'cgroup', join(root, 'pids')]);
      execFileSync('mount', ['-t', 'cgroup', '-o', 'net_cls,net_prio', 'cgroup', join(root, 'net_cls,net_prio')]);
      symlinkSync('net_cls,net_prio', join(root, 'net_cls'));
    });
    afterAll(() => {
      if (!root) return;
      for (const m of ['net_cls,net_prio', 'pids', '']) execFileSync('umount', [join(root, m)]);
      rmSync(root, { recursive: true });
    });

    it.skipIf(unavailable)(`mounts "net_cls,net_prio" with net_cls and net_prio symlinks to it${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
      const args = box(['--cgroup-root', root, '--cgroup', cgroupName(), '--pids-limit', '9', '--device-policy', 'allow-all']);
      const entries = (await output(args, ['ls', '/sys/fs/cgroup'])).trim().split('\n').sort();
      expect(entries).toEqual(['net_cls', 'net_cls,net_prio', 'net_prio', 'pids']);
      const links = await output(args, sh('readlink /sys/fs/cgroup/net_cls; readlink /sys/fs/cgroup/net_prio; cat /sys/fs/cgroup/net_prio/net_prio.prioidx /sys/fs/cgroup/pids/pids.max'));
      expect(links.trim().split('\n')).toEqual(['net_cls,net_prio', 'net_cls,net_prio', expect.stringMatching(/^\d+$/), '9']);
      expect(lstatSync(join(root, 'net_cls')).isSymbolicLink()).toBe(true); // the host's root untouched
    });
  });
});

describe.skipIf(!UNIFIED)('cgroup v2 (cgroup2 on /sys/fs/cgroup, or --cgroup-root on the hybrid host\'s unified hierarchy)', () => {
  const rootArgs = HOST_IS_V2 ? [] : ['--cgroup-root', UNIFIED ?? '/nonexistent'];
  const limits = UNIFIED_HAS_PIDS ? ['--pids-limit', '17'] : [];

  it('with a cgroup namespace: cgroup2 read-only on /sys/fs/cgroup, rooted at the container\'s cgroup', async () => {
    const name = cgroupName();
    const args = box([...rootArgs, '--cgroup', name, ...limits]);
    const listing = (await output(args, ['ls', '/sys/fs/cgroup'])).split('\n');
    expect(listing).toContain('cgroup.procs');
    expect(listing).not.toContain('isolab');
    expect((await output(args, ['cat', '/sys/fs/cgroup/cgroup.procs'])).trim().split('\n')).toContain('1');
    if (UNIFIED_HAS_PIDS) expect((await output(args, ['cat', '/sys/fs/cgroup/pids.max'])).trim()).toBe('17');
    const write = await run(args, sh('echo 1 > /sys/fs/cgroup/cgroup.freeze || mkdir /sys/fs/cgroup/child'));
    expect(write.stderr).toMatch(EROFS);
    const started = start(args, ['/bin/sleep', '300']);
    try {
      const { pid } = await started.ready;
      const mounts = containerCgroupMounts(pid);
      expect(mounts).toHaveLength(1);
      expect(mounts[0]).toMatchObject({ target: '/sys/fs/cgroup', fstype: 'cgroup2', root: `/isolab/${name}` });
      expect(mounts[0]!.options).toContain('ro');
      // From inside its cgroup namespace the same mount starts at "/".
      const inside = await mountinfoInside(pid);
      expect(inside.find((m) => m.target === '/sys/fs/cgroup')).toMatchObject({ fstype: 'cgroup2', root: '/' });
    } finally {
      started.kill('SIGTERM');
      await started.done;
    }
  });

  it('without a cgroup namespace: the container\'s cgroup directory bind-mounted read-only', async () => {
    const name = cgroupName();
    const args = box([...rootArgs, '--cgroup', name, ...limits], 'mount,pid');
    expect((await output(args, ['ls', '/sys/fs/cgroup'])).split('\n')).toContain('cgroup.procs');
    expect((await run(args, sh('echo 1 > /sys/fs/cgroup/cgroup.freeze'))).stderr).toMatch(EROFS);
    const started = start(args, ['/bin/sleep', '300']);
    try {
      const { pid } = await started.ready;
      expect(containerCgroupMounts(pid)).toMatchObject([{ target: '/sys/fs/cgroup', fstype: 'cgroup2', root: `/isolab/${name}` }]);
    } finally {
      started.kill('SIGTERM');
      await started.done;
    }
  });
});

describe('when there is nothing of the container\'s to show', () => {
  it('neither --cgroup nor a cgroup namespace: /sys/fs/cgroup stays the empty directory of the read-only /sys', async () => {
    expect((await output(box([], 'mount,pid'), ['ls', '-A', '/sys/fs/cgroup'])).trim()).toBe('');
  });

  it('no own root filesystem: the step is not taken (the host\'s tree is there as it is)', async () => {
    const started = start(['--unshare', 'mount,pid,cgroup', '--cgroup', cgroupName()], ['/bin/true']);
    const ready = await started.ready;
    await started.done;
    expect(ready.timings_us).not.toHaveProperty('cgroup_mount');
  });
});
