// Host uid ranges for user namespaces (host-leases.ts): unique across every isolab server on this
// host and every restart, and handed out again only once nothing of the range's last holder is
// left: no process runs as one of its uids, no System V IPC object of the host's is one of its.
import { readdirSync, statSync } from 'node:fs';
import { anySysvipcObjectOf } from '../base/sysvipc.js';
import { HostLeases } from './host-leases.js';

/** /etc/subuid's habit: 65536 ids for each user namespace, starting well above the host's own users. */
export const USERNS_BASE = 100000;
export const USERNS_SIZE = 65536;
/** 16384 ranges end below 2^31 (some tools treat larger uids as negative). */
export const USERNS_RANGES = 16384;
export const UID_RANGES_DIR = '/run/isolab/uid-ranges';

export interface UidRange {
  /** The first host uid (and gid) of the range: uid 0 inside the namespace. */
  readonly hostId: number;
  /** Gives the range back (idempotent). */
  release(): void;
}

export class UidRanges {
  private readonly leases: HostLeases;

  constructor(dir: string = UID_RANGES_DIR) {
    this.leases = new HostLeases({
      dir,
      size: USERNS_RANGES,
      full: 'no free user namespace range left on this host',
      // A container that shared the host's IPC namespace (a solo lab with the IPC switch off) leaves
      // its System V objects there when it ends: its range's next holder could read them.
      busy: (index) => ipcObjectsLeftIn(USERNS_BASE + USERNS_SIZE * index),
      stillInUse: (index) => anyProcessInRange(USERNS_BASE + USERNS_SIZE * index, USERNS_SIZE),
    });
  }

  /** Removes the leases of dead holders whose ranges nothing runs in any more (host-leases.ts sweep). */
  sweep(): number {
    return this.leases.sweep();
  }

  acquire(): UidRange {
    const lease = this.leases.acquire();
    return { hostId: USERNS_BASE + USERNS_SIZE * lease.index, release: () => lease.release() };
  }
}

/** Whether a System V IPC object of the host's namespace belongs to (or was made by) a uid of the range starting at FIRST. */
export function ipcObjectsLeftIn(first: number): boolean {
  return anySysvipcObjectOf((uid) => uid >= first && uid < first + USERNS_SIZE);
}

/** Whether a live process's owner (the uid /proc/PID belongs to) lies in [first, first + count). */
export function anyProcessInRange(first: number, count: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const uid = statSync(`/proc/${name}`).uid;
      if (uid >= first && uid < first + count) return true;
    } catch {
      // It exited meanwhile.
    }
  }
  return false;
}
