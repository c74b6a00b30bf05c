// The containers directory (each container's overlay upper layer) is kept in memory: isolab mounts a
// tmpfs on it when it is on a disk (server/containers-tmpfs.ts), never over another server's
// containers, and the launcher then builds each container's overlay on that tmpfs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FULL_ISOLATION } from '../../common/spec.js';
import { ContainerContexts } from '../../server/container-context.js';
import { isTmpfs, keepContainersInMemory } from '../../server/containers-tmpfs.js';
import { launcherArgs } from '../../server/launcher.js';
import { REPO_ROOT, defaultPaths } from '../../server/paths.js';

// Under the repository's build directory: on the disk the checkout is on (a tmpdir may be a tmpfs).
let base: string;
const ON_TMPFS = 'this checkout is itself on a tmpfs: no directory on a disk to move into memory';
const mounted: string[] = [];

/** The mount options /proc/self/mountinfo lists for the mount at DIR (the last one: the top). */
function mountOptions(dir: string): { fs: string; options: string[]; superOptions: string[] } | undefined {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n');
  const line = lines.filter((l) => l.split(' ')[4] === dir).at(-1);
  if (!line) return undefined;
  // mountinfo(5): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
  const [perMount = '', perSuper = ''] = line.split(' - ');
  const [fs = '', , superOptions = ''] = perSuper.split(' ');
  return { fs, options: (perMount.split(' ')[5] ?? '').split(','), superOptions: superOptions.split(',') };
}

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
  it('mounts a tmpfs (mode 0700, nosuid, nodev) on an empty directory on a disk, once', (ctx) => {
    ctx.skip(isTmpfs(base), ON_TMPFS);
    const dir = freshDir('empty');
    expect(isTmpfs(dir)).toBe(false);

    expect(keepContainersInMemory(dir)).toEqual({ kind: 'tmpfs', how: 'mounted' });
    mounted.push(dir);
    expect(isTmpfs(dir)).toBe(true);
    const mount = mountOptions(dir);
    expect(mount?.fs).toBe('tmpfs');
    expect(mount?.options).toEqual(expect.arrayContaining(['nosuid', 'nodev']));
    expect(mount?.superOptions).toContain('mode=700');

    // A second server (or a second call) finds it in memory already and mounts nothing more.
    const before = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(keepContainersInMemory(dir)).toEqual({ kind: 'tmpfs', how: 'already' });
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(before);
  });

  it('leaves a directory that still holds another server\'s containers on its disk, and says why', (ctx) => {
    ctx.skip(isTmpfs(base), ON_TMPFS);
    const dir = freshDir('busy');
    mkdirSync(join(dir, 'learner-1-4242'));
    writeFileSync(join(dir, 'learner-1-4242', 'marker'), 'x');

    const storage = keepContainersInMemory(dir);
    expect(storage).toEqual({ kind: 'disk', why: expect.stringMatching(/holds 1 entries of a running server/) });
    expect(isTmpfs(dir)).toBe(false);
    expect(mountOptions(dir)).toBeUndefined();
    expect(readFileSync(join(dir, 'learner-1-4242', 'marker'), 'utf8')).toBe('x');
  });
});

describe('ContainerContexts.forLab', () => {
  it('gives every container an upper layer on the tmpfs, and the container writes there', async (ctx) => {
    ctx.skip(isTmpfs(base), ON_TMPFS);
    const containers = freshDir('lab');
    const contexts = ContainerContexts.forLab({ ...defaultPaths(), containers });
    mounted.push(containers);
    expect(contexts.storage).toEqual({ kind: 'tmpfs', how: 'mounted' });

    const launch = contexts.acquire(FULL_ISOLATION, 'tmpfs-test');
    try {
      const upper = launch.ctx.overlayUpper!;
      expect(upper.startsWith(`${containers}/`)).toBe(true);
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
