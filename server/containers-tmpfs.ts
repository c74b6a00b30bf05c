// Where containers keep what they write: each one's overlay upper layer lives in the containers
// directory (default /run/isolab/containers) until the container is gone, next to the compiled
// seccomp filters. That is scratch, so it belongs in memory, as /run is on most hosts (systemd
// mounts a tmpfs there). When the directory is on a disk instead, as on this project's CI VM, every
// start pays for it: overlayfs checks its upper filesystem at each mount by creating and removing
// files in the work directory, journalled on ext4 (0.21 ms against 0.11 ms on tmpfs, measured with
// the launcher's step timings), and a learner's `dd` could fill the host's disk. On a tmpfs, pages a
// container writes are charged to its memory cgroup, so its memory limit bounds them too.
import { execFileSync } from 'node:child_process';
import { readdirSync, statfsSync } from 'node:fs';

/** statfs(2)'s f_type for tmpfs (linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994;
/** mount(8) from util-linux: the Node process has no mount(2) of its own and runs no C for this. */
const MOUNT = '/bin/mount';

export type ContainersStorage =
  | { kind: 'tmpfs'; how: 'already' | 'mounted' }
  | { kind: 'disk'; why: string };

export function isTmpfs(dir: string): boolean {
  return statfsSync(dir).type === TMPFS_MAGIC;
}

/**
 * Makes DIR (which exists, root's, mode 0700) a tmpfs unless it already is on one. Not over a
 * directory that still holds something: those are the containers of another server that is still
 * running (the caller removed its own dead leftovers first), and a mount would hide them from it.
 * Never fails: without a tmpfs the lab works as before, only slower, and the answer says why.
 */
export function keepContainersInMemory(dir: string): ContainersStorage {
  if (isTmpfs(dir)) return { kind: 'tmpfs', how: 'already' };
  const inUse = readdirSync(dir);
  if (inUse.length > 0) return { kind: 'disk', why: `${dir} is on a disk and holds ${inUse.length} entries of a running server (a tmpfs mounted over them would hide them)` };
  try {
    // nosuid, nodev: nothing here is ever executed as set-user-ID or opened as a device from the
    // host's side. Size: the kernel's default, half of RAM; each container's memory limit is the
    // real bound.
    execFileSync(MOUNT, ['-t', 'tmpfs', '-o', 'mode=0700,nosuid,nodev', 'isolab-containers', dir], { stdio: 'pipe', env: {} });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { kind: 'disk', why: `mounting a tmpfs on ${dir} failed: ${stderr || (err as Error).message}` };
  }
  return isTmpfs(dir) ? { kind: 'tmpfs', how: 'mounted' } : { kind: 'disk', why: `${MOUNT} succeeded but ${dir} is still not a tmpfs` };
}

export function describeContainersStorage(dir: string, storage: ContainersStorage): string {
  if (storage.kind === 'disk') return `containers write to disk (${storage.why})`;
  return storage.how === 'mounted' ? `containers write to memory (a tmpfs isolab mounted on ${dir})` : `containers write to memory (${dir} is on a tmpfs)`;
}
