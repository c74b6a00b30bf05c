// Numbered things handed out host-wide — user namespace uid ranges, bridge addresses: every isolab
// server on this host (and every restart of one) draws from the same table of lock files, so no
// two live holders get the same number, and a number is handed out again only once its holder is
// gone and nothing of it survives.
import { randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../base/errors.js';
import { ownIdentity, stillRunning } from '../base/process-identity.js';

export interface Lease {
  readonly index: number;
  /** Gives the number back (idempotent). */
  release(): void;
}

export interface LeaseTable {
  /** Where the lock files live: one per number in use, named by it, holding "PID STARTTIME". */
  dir: string;
  /** Numbers 0 … size-1. */
  size: number;
  /** What a full table says ("no free user namespace range left on this host"). */
  full: string;
  /** Numbers never handed out (an address that ends in .0, say). */
  skip?: (index: number) => boolean;
  /**
   * Whether something still uses INDEX though nobody holds it (a released uid range's IPC object
   * left in the host's namespace): then it is not handed out. Asked of every candidate: keep it cheap.
   */
  busy?: (index: number) => boolean;
  /** Whether something of a dead holder's still uses INDEX (a process in a uid range): then it stays taken. Asked only of those. */
  stillInUse?: (index: number) => boolean;
}

/** Who holds a lease: this process, named so that a recycled PID is not taken for it. */
const OWN_MARK = `${ownIdentity().pid} ${ownIdentity().startTime}\n`;

export class HostLeases {
  constructor(private readonly table: LeaseTable) {
    mkdirSync(table.dir, { recursive: true, mode: 0o700 });
  }

  /**
   * A free number. Starts at a random index, so that one freed a moment ago (by this server or
   * another) is the least likely to be the next one handed out.
   */
  acquire(): Lease {
    const { size, skip } = this.table;
    const start = randomInt(size);
    for (let i = 0; i < size; i++) {
      const index = (start + i) % size;
      if (!skip?.(index) && !this.table.busy?.(index) && this.take(index)) return this.lease(index);
    }
    throw new LabError('server_full', this.table.full);
  }

  /** Removes every lock file whose holder is gone with nothing left of it (a killed server's); returns how many. */
  sweep(): number {
    let swept = 0;
    for (const name of readdirSync(this.table.dir)) {
      const index = Number(name);
      if (!Number.isInteger(index) || index < 0 || index >= this.table.size) continue;
      const file = join(this.table.dir, name);
      if (!this.stale(file, index)) continue;
      try {
        unlinkSync(file);
        swept++;
      } catch {
        // Taken or removed by another server meanwhile.
      }
    }
    return swept;
  }

  private lease(index: number): Lease {
    let released = false;
    return {
      index,
      release: () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(join(this.table.dir, String(index)));
        } catch {
          // Already gone: a later server took it for a dead holder's, which it was not, but it is free.
        }
      },
    };
  }

  /** Creates the lock file of INDEX, or takes over one whose holder is gone with nothing left of it. */
  private take(index: number): boolean {
    const file = join(this.table.dir, String(index));
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

  /** The holder of FILE has exited (or was another process with its PID), and nothing of it still uses INDEX. */
  private stale(file: string, index: number): boolean {
    let mark: string;
    try {
      mark = readFileSync(file, 'utf8');
    } catch {
      return false;
    }
    const [pid, start] = mark.trim().split(' ').map(Number);
    if (pid && start !== undefined && stillRunning({ pid, startTime: start })) return false;
    return !(this.table.busy?.(index) ?? false) && !(this.table.stillInUse?.(index) ?? false);
  }
}
