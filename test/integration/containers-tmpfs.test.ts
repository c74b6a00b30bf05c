// The containers directory (each container's overlay upper layer) is kept in memory, on a tmpfs of
// isolab's own (server/runtime/containers-tmpfs.ts) wherever the directory was, never over another server's
// containers, and the launcher then builds each container's overlay on that tmpfs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FULL_ISOLATION } from '../../common/spec.js';
import { ContainerContexts } from '../../server/runtime/container-context.js';
import { CONTAINERS_TMPFS_SOURCE, keepContainersInMemory } from '../../server/runtime/containers-tmpfs.js';
import { launcherArgs } from '../../server/runtime/launcher.js';
import { REPO_ROOT, defaultPaths } from '../../server/base/paths.js';

// Under the repository's build directory (the checkout's own filesystem, usually a disk).
let base: string;
/** statfs(2)'s f_type for tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
const isTmpfs = (dir: string) => statfsSync(dir).type === TMPFS_MAGIC;
/** Mount points to unmount after each test, last first (mounts there may be stacked). */
const mounted: string[] = [];

/**
 * The mounts at exactly DIR, bottom first, as util-linux's findmnt reads them (not the parser the
 * code under test uses): file system, source, per-mount options, the file system's own options.
 */
function mountsAt(dir: string): { fsType: string; source: string; options: string[]; superOptions: string[] }[] {
  const res = spawnSync('findmnt', ['-n', '-r', '-o', 'FSTYPE,SOURCE,VFS-OPTIONS,FS-OPTIONS', '--mountpoint', dir], { encoding: 'utf8' });
  return res.stdout.trim().split('\n').filter(Boolean).map((line) => {
    const [fsType = '', source = '', options = '', superOptions = ''] = line.split(' ');
    return { fsType, source, options: options.split(','), superOptions: superOptions.split(',') };
  });
}
const topMountAt = (dir: string) => mountsAt(dir).at(-1);

function freshDir(name: string): string {
  const dir = join(base, name);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

beforeAll(() => {
  mkdirSync(join(REPO_ROOT, 'build'), { recursive: true });
  base = mkdtempSync(join(REPO_ROOT, 'build', 'containers-tmpfs-test-'));
});
afterEach(() => {
  for (const dir of mounted.splice(0).reverse()) spawnSync('/bin/umount', [dir]);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('keepContainersInMemory', () => {
  it('mounts its own tmpfs (mode 0700, nosuid, nodev, a quarter of RAM) on an empty directory, once', () => {
    const dir = freshDir('empty');
    expect(topMountAt(dir)).toBeUndefined();

    const storage = keepContainersInMemory(dir);
    if (topMountAt(dir)) mounted.push(dir); // unmounted after the test whatever the assertions say
    expect(storage).toEqual({ kind: 'own-tmpfs', how: 'mounted' });
    expect(isTmpfs(dir)).toBe(true);
    const mount = topMountAt(dir);
    expect(mount).toMatchObject({ fsType: 'tmpfs', source: CONTAINERS_TMPFS_SOURCE });
    expect(mount?.options).toEqual(expect.arrayContaining(['nosuid', 'nodev']));
    expect(mount?.superOptions).toContain('mode=700');
    // size=25% of RAM, which the kernel lists in KiB.
    const sizeKiB = Number(mount?.superOptions.find((o) => o.startsWith('size='))?.slice(5, -1));
    expect(sizeKiB * 1024).toBeCloseTo(totalmem() / 4, -7);

    // A second server (or a second call) finds it there already and mounts nothing more.
    expect(keepContainersInMemory(dir)).toEqual({ kind: 'own-tmpfs', how: 'already' });
    expect(mountsAt(dir)).toHaveLength(1);
  });

  it('mounts its own over a directory that is on some other tmpfs (the host\'s /run, say)', () => {
    const dir = freshDir('on-hosts-tmpfs');
    expect(spawnSync('/bin/mount', ['-t', 'tmpfs', 'hosts-run', dir]).status).toBe(0);
    mounted.push(dir);

    const storage = keepContainersInMemory(dir);
    if (mountsAt(dir).length > 1) mounted.push(dir);
    expect(storage).toEqual({ kind: 'own-tmpfs', how: 'mounted' });
    expect(mountsAt(dir).map((m) => m.source)).toEqual(['hosts-run', CONTAINERS_TMPFS_SOURCE]);
  });

  it('leaves a directory that still holds another server\'s containers as it is, and says why', () => {
    const dir = freshDir('busy');
    mkdirSync(join(dir, 'learner-1-4242'));
    writeFileSync(join(dir, 'learner-1-4242', 'marker'), 'x');

    const storage = keepContainersInMemory(dir);
    if (topMountAt(dir)) mounted.push(dir);
    expect(storage).toEqual({ kind: 'elsewhere', why: expect.stringMatching(/still holds an entry of another running server \(learner-1-4242\)/) });
    expect(topMountAt(dir)).toBeUndefined();
    expect(readFileSync(join(dir, 'learner-1-4242', 'marker'), 'utf8')).toBe('x');
  });
});

describe('ContainerContexts.forLab', () => {
  it('gives every container an upper layer on the tmpfs, and the container writes there', async () => {
    const containers = freshDir('lab');
    const contexts = ContainerContexts.forLab({ ...defaultPaths(), containers });
    if (topMountAt(containers)) mounted.push(containers);
    expect(contexts.storage).toEqual({ kind: 'own-tmpfs', how: 'mounted' });

    const launch = contexts.acquire(FULL_ISOLATION, 'tmpfs-test');
    try {
      const upper = launch.ctx.overlayUpper!;
      expect(upper.startsWith(`${containers}/`)).toBe(true);
      expect(topMountAt(containers)?.source).toBe(CONTAINERS_TMPFS_SOURCE);
      expect(isTmpfs(upper)).toBe(true);
      // Inside: write a file; outside: it is in the upper layer, in memory. (No --overlay-upper-remove
      // here, so it is still there to look at after the container exits.)
      const args = launcherArgs(FULL_ISOLATION, launch.ctx).filter((a) => a !== '--overlay-upper-remove');
      const res = spawnSync(defaultPaths().launcher, [...args, '--', '/bin/sh', '-c', 'echo written-inside > /note'], { encoding: 'utf8' });
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      expect(readFileSync(join(upper, 'note'), 'utf8')).toBe('written-inside\n');
    } finally {
      launch.release();
      contexts.dispose();
    }
  });
});
