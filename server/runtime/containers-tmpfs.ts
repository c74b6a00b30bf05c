// Where containers keep what they write: each one's overlay upper layer lives in the containers
// directory (default /run/isolab/containers) until the container is gone, next to the compiled
// seccomp filters. That is scratch, so it belongs in memory, on a tmpfs of its own:
//  - On a disk (as /run is on this project's CI VM) every start pays: overlayfs checks its upper
//    filesystem at each mount by creating and removing files in the work directory, journalled on
//    ext4 (0.21 ms against 0.11 ms on tmpfs, the launcher's rootfs_overlay step), and a learner's
//    `dd` could fill the host's disk.
//  - Directly on the host's /run tmpfs (most systemd hosts), a learner could fill /run, which is
//    small and holds the host's own runtime state.
// Our own tmpfs has its own size (a quarter of RAM, shared by every container), and the pages a
// container writes there are charged to its memory cgroup, so a container with a memory limit
// cannot hold more than that limit.
//
// Two servers starting at the same instant on one containers directory could both see it empty
// and both mount: the second mount would hide the first one's files. isolab does not run two
// servers on one directory (each kills the other's leftovers by PID), so no lock is taken.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { parseMountinfo } from '../base/mountinfo.js';

/** How the tmpfs is named in /proc/self/mountinfo: how isolab knows its own mount again. */
export const CONTAINERS_TMPFS_SOURCE = 'isolab-containers';
/**
 * Room for every container's writes together. tmpfs pages cannot be reclaimed without swap, so the
 * other three quarters stay for the containers' processes and the host. (Each container's own
 * memory limit, when it has one, bounds its share.)
 */
const CONTAINERS_TMPFS_SIZE = '25%';
/** mount(8) from util-linux: the Node process has no mount(2) of its own. */
const MOUNT = '/bin/mount';

export type ContainersStorage =
  | { kind: 'own-tmpfs'; how: 'already' | 'mounted' }
  | { kind: 'elsewhere'; why: string };

/** Whether isolab's own tmpfs is mounted on DIR now (`isolab doctor` asks without mounting one). */
export function isContainersTmpfs(dir: string): boolean {
  // The topmost mount at exactly DIR, if any, is the one paths under it reach.
  const top = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.target === dir).at(-1);
  return top?.fstype === 'tmpfs' && top.source === CONTAINERS_TMPFS_SOURCE;
}

/**
 * Mounts isolab's own tmpfs on DIR (which exists, root's, mode 0700) unless it is there already.
 * Not over a directory that still holds something: those are another running server's containers
 * (the caller removed the dead ones' leftovers first), and a mount would hide them from it.
 * Never fails: without the tmpfs the lab works as before, only slower, and the answer says why.
 */
export function keepContainersInMemory(dir: string): ContainersStorage {
  if (isContainersTmpfs(dir)) return { kind: 'own-tmpfs', how: 'already' };
  const inUse = readdirSync(dir);
  if (inUse.length > 0) {
    return { kind: 'elsewhere', why: `${dir} still holds ${inUse.length === 1 ? 'an entry' : `${inUse.length} entries`} of another running server (${inUse[0]}), which a tmpfs mounted over it would hide` };
  }
  try {
    // nosuid, nodev: nothing here is ever run set-user-ID or opened as a device from the host's side.
    execFileSync(MOUNT, ['-t', 'tmpfs', '-o', `mode=0700,nosuid,nodev,size=${CONTAINERS_TMPFS_SIZE}`, CONTAINERS_TMPFS_SOURCE, dir], { stdio: 'pipe', env: {} });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { kind: 'elsewhere', why: `mounting a tmpfs on ${dir} failed: ${stderr || (err as Error).message}` };
  }
  return isContainersTmpfs(dir) ? { kind: 'own-tmpfs', how: 'mounted' } : { kind: 'elsewhere', why: `${MOUNT} succeeded but ${dir} shows no ${CONTAINERS_TMPFS_SOURCE} tmpfs` };
}

export function describeContainersStorage(dir: string, storage: ContainersStorage): string {
  if (storage.kind === 'elsewhere') return `containers write to ${dir} as it is, not to a tmpfs of isolab's own: ${storage.why}`;
  return `containers write to memory: a tmpfs of isolab's own on ${dir} (${storage.how === 'mounted' ? 'mounted now' : 'mounted before'}, ${CONTAINERS_TMPFS_SIZE} of RAM)`;
}
