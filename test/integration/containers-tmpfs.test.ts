// The containers directory (each container's overlay upper layer) is kept in memory, on a tmpfs of
// isolab's own (server/containers-tmpfs.ts) wherever the directory was, never over another server's
// containers, and the launcher then builds each container's overlay on that tmpfs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FULL_ISOLATION } from '../../common/spec.js';
import { ContainerContexts } from '../../server/container-context.js';
import { CONTAINERS_TMPFS_SOURCE, keepContainersInMemory, mountAt } from '../../server/containers-tmpfs.js';
import { launcherArgs } from '../../server/launcher.js';
import { REPO_ROOT, defaultPaths } from '../../server/paths.js';

// Under the repository's build directory (the checkout's own filesystem, usually a disk).
let base: string;
/** statfs(2)'s f_type for tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
const isTmpfs = (dir: string) => statfsSync(dir).type === TMPFS_MAGIC;
const mountsAt = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === dir).length;
const mounted: string[] = [];

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
  for (const dir of mounted.splice(0)) spawnSync('/bin/umount', [dir]);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('keepContainersInMemory', () => {
  it('mounts its own tmpfs (mode 0700, nosuid, nodev, a quarter of RAM) on an empty directory, once', () => {
    const dir = freshDir('empty');
    expect(mountAt(dir)).toBeUndefined();

    const storage = keepContainersInMemory(dir);
    if (mountAt(dir)) mounted.push(dir); // unmounted after the test whatever the assertions say
    expect(storage).toEqual({ kind: 'own-tmpfs', how: 'mounted' });
    expect(isTmpfs(dir)).toBe(true);
    const mount = mountAt(dir);
    expect(mount).toMatchObject({ fsType: 'tmpfs', source: CONTAINERS_TMPFS_SOURCE });
    expect(mount?.options).toEqual(expect.arrayContaining(['nosuid', 'nodev']));
    expect(mount?.superOptions).toContain('mode=700');
    // size=25% of RAM, which the kernel lists in KiB.
    const sizeKiB = Number(mount?.superOptions.find((o) => o.startsWith('size='))?.slice(5, -1));
    expect(sizeKiB * 1024).toBeCloseTo(totalmem() / 4, -7);

    // A second server (or a second call) finds it there already and mounts nothing more.
    expect(keepContainersInMemory(dir)).toEqual({ kind: 'own-tmpfs', how: 'already' });
    expect(mountsAt(dir)).toBe(1);
  });

  it('mounts its own over a directory that is on some other tmpfs (the host\'s /run, say)', () => {
    const hostsTmpfs = mkdtempSync('/dev/shm/isolab-containers-test-');
    try {
      expect(isTmpfs(hostsTmpfs)).toBe(true);
      const storage = keepContainersInMemory(hostsTmpfs);
      if (mountAt(hostsTmpfs)) mounted.push(hostsTmpfs);
      expect(storage).toEqual({ kind: 'own-tmpfs', how: 'mounted' });
      expect(mountAt(hostsTmpfs)?.source).toBe(CONTAINERS_TMPFS_SOURCE);
    } finally {
      for (const dir of mounted.splice(0)) spawnSync('/bin/umount', [dir]);
      rmSync(hostsTmpfs, { recursive: true, force: true });
    }
  });

  it('leaves a directory that still holds another server\'s containers as it is, and says why', () => {
    const dir = freshDir('busy');
    mkdirSync(join(dir, 'learner-1-4242'));
    writeFileSync(join(dir, 'learner-1-4242', 'marker'), 'x');

    const storage = keepContainersInMemory(dir);
    if (mountAt(dir)) mounted.push(dir);
    expect(storage).toEqual({ kind: 'elsewhere', why: expect.stringMatching(/still holds an entry of another running server \(learner-1-4242\)/) });
    expect(mountAt(dir)).toBeUndefined();
    expect(readFileSync(join(dir, 'learner-1-4242', 'marker'), 'utf8')).toBe('x');
  });
});

describe('ContainerContexts.forLab', () => {
  it('gives every container an upper layer on the tmpfs, and the container writes there', async () => {
    const containers = freshDir('lab');
    const contexts = ContainerContexts.forLab({ ...defaultPaths(), containers });
    if (mountAt(containers)) mounted.push(containers);
    expect(contexts.storage).toEqual({ kind: 'own-tmpfs', how: 'mounted' });

    const launch = contexts.acquire(FULL_ISOLATION, 'tmpfs-test');
    try {
      const upper = launch.ctx.overlayUpper!;
      expect(upper.startsWith(`${containers}/`)).toBe(true);
      expect(mountAt(containers)?.source).toBe(CONTAINERS_TMPFS_SOURCE);
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
