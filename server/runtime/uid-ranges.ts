// Host uid ranges for user namespaces, handed out host-wide: every isolab server on this host (and
// every restart of one) draws from the same table of lock files, so no two live holders ever get
// the same range, and a range is handed out again only once nothing of its last holder survives.
import { randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../base/errors.js';

/** /etc/subuid's habit: 65536 ids for each user namespace, starting well above the host's own users. */
export const USERNS_BASE = 100000;
export const USERNS_SIZE = 65536;
/** 16384 ranges end below 2^31 (some tools treat larger uids as negative). */
export const USERNS_RANGES = 16384;
/** Where the lock files live: one per range in use, named by its index, holding "PID STARTTIME". */
export const UID_RANGES_DIR = '/run/isolab/uid-ranges';

export interface UidRange {
  /** The first host uid (and gid) of the range: uid 0 inside the namespace. */
  readonly hostId: number;
  /** Gives the range back (idempotent). */
  release(): void;
}

/** The start time of process PID (field 22 of /proc/PID/stat), or null when there is no such process. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const OWN_MARK = `${process.pid} ${startTimeOf(process.pid) ?? '0'}\n`;

export class UidRanges {
  constructor(private readonly dir: string = UID_RANGES_DIR) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /**
   * A free range. Starts at a random index, so that a range freed a moment ago (by this server or
   * another) is the least likely to be the next one handed out.
   */
  acquire(): UidRange {
    const start = randomInt(USERNS_RANGES);
    for (let i = 0; i < USERNS_RANGES; i++) {
      const index = (start + i) % USERNS_RANGES;
      if (this.take(index)) return this.range(index);
    }
    throw new LabError('server_full', 'no free user namespace range left on this host');
  }

  private range(index: number): UidRange {
    let released = false;
    return {
      hostId: USERNS_BASE + USERNS_SIZE * index,
      release: () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(join(this.dir, String(index)));
        } catch {
          // Already gone: a reaper took it for a dead holder's, which it is not, but it is free.
        }
      },
    };
  }

  /** Creates the lock file of INDEX, or takes over one whose holder is gone with nothing left of it. */
  private take(index: number): boolean {
    const file = join(this.dir, String(index));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, OWN_MARK);
        closeSync(fd);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (!this.stale(file, index)) return false;
      try {
        unlinkSync(file);
      } catch {
        return false;
      }
    }
    return false;
  }

  /** The holder of FILE has exited (or was another process with its PID) and no process runs as a uid of its range. */
  private stale(file: string, index: number): boolean {
    let mark: string;
    try {
      mark = readFileSync(file, 'utf8');
    } catch {
      return false;
    }
    const [pid, start] = mark.trim().split(' ');
    if (pid && start && startTimeOf(Number(pid)) === start) return false;
    return !anyProcessInRange(USERNS_BASE + USERNS_SIZE * index, USERNS_SIZE);
  }
}

/** Whether a live process's owner (the uid /proc/PID belongs to) lies in [first, first + count). */
function anyProcessInRange(first: number, count: number): boolean {
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
