// What a running server owns on the host, written down where the next server can read it: a
// directory per server instance under the instances directory (default /run/isolab/instances,
// on tmpfs: gone at reboot, as everything it lists is), holding who the server is and one record
// per launch it has going (its cgroup, its directory in the containers directory, its uid range).
// Several servers may run on one host; each reaps only what a *dead* instance recorded
// (runtime/reap-orphans.ts), and a record goes as soon as its launcher has exited.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ownIdentity } from '../base/process-identity.js';

/** Who a server instance is: its process (pid and start time), and where its launchers report. */
export const InstanceOwner = z.object({
  instanceId: z.string().regex(/^[0-9a-f]{16}$/),
  pid: z.number().int().positive(),
  startTime: z.number().int().nonnegative(),
  /** The launchers' --status-socket: every shell launcher of this server names it on its command line. */
  statusSocket: z.string(),
  containersDir: z.string(),
});
export type InstanceOwner = z.infer<typeof InstanceOwner>;

/** One launch a server has going. */
export const LaunchRecord = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/),
  /** Its cgroup's name under isolab/ in every hierarchy, or null. */
  cgroup: z.string().nullable(),
  /** Its directory in the containers directory, or null. */
  containerDir: z.string().nullable(),
  /** The host uids its user namespace maps to: [first, count], or null (no user namespace). */
  uids: z.tuple([z.number().int().nonnegative(), z.number().int().positive()]).nullable(),
});
export type LaunchRecord = z.infer<typeof LaunchRecord>;

const OWNER_FILE = 'owner.json';
const LAUNCHES_DIR = 'launches';
/** Every uid range this instance's user namespaces ever had: their SysV IPC objects can outlive the container. */
const UIDS_FILE = 'uids.json';
const UidRanges = z.array(z.tuple([z.number().int().nonnegative(), z.number().int().positive()]));

/** One instance's records as found on disk (its own or a dead server's). */
export interface InstanceRecords {
  dir: string;
  owner: InstanceOwner | null;
  launches: LaunchRecord[];
  /** [first, count] of every uid range it ever used. */
  uidsEverUsed: [number, number][];
}

export class InstanceLedger {
  private readonly dir: string;
  private readonly live = new Set<string>();
  private readonly uidsEverUsed = new Map<number, number>();
  readonly owner: InstanceOwner;

  /** Records this server under INSTANCES_DIR (created 0700 root if missing). */
  constructor(instancesDir: string, opts: { statusSocket: string; containersDir: string }) {
    mkdirSync(instancesDir, { recursive: true, mode: 0o700 });
    const instanceId = randomBytes(8).toString('hex');
    this.owner = { instanceId, ...ownIdentity(), ...opts };
    this.dir = join(instancesDir, instanceId);
    // Written whole, then renamed into place: a reader never finds an instance without its owner.
    const pending = `${this.dir}.pending`;
    mkdirSync(join(pending, LAUNCHES_DIR), { recursive: true, mode: 0o700 });
    writeFileSync(join(pending, OWNER_FILE), JSON.stringify(this.owner), { mode: 0o600 });
    renameSync(pending, this.dir);
  }

  /** Launches recorded and not ended yet. */
  get liveLaunches(): number {
    return this.live.size;
  }

  /** A launch starts: written before its launcher is spawned, so a crash right after still leaves its record. */
  launched(record: LaunchRecord): void {
    if (record.uids && !this.uidsEverUsed.has(record.uids[0])) {
      this.uidsEverUsed.set(record.uids[0], record.uids[1]);
      writeFileSync(join(this.dir, UIDS_FILE), JSON.stringify([...this.uidsEverUsed]), { mode: 0o600 });
    }
    writeFileSync(join(this.dir, LAUNCHES_DIR, `${record.name}.json`), JSON.stringify(record), { mode: 0o600 });
    this.live.add(record.name);
  }

  /** Its launcher has exited and what it made is gone. */
  ended(name: string): void {
    this.live.delete(name);
    rmSync(join(this.dir, LAUNCHES_DIR, `${name}.json`), { force: true });
  }

  /** This instance's records as they are on disk (to reap what a stop left over). */
  records(): InstanceRecords {
    return readInstance(this.dir);
  }

  /** The server stopped cleanly: nothing is left to record. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every instance recorded under INSTANCES_DIR (live or dead: the caller tells). */
export function readInstances(instancesDir: string): InstanceRecords[] {
  let names: string[];
  try {
    names = readdirSync(instancesDir);
  } catch {
    return [];
  }
  return names.filter((n) => /^[0-9a-f]{16}(\.pending)?$/.test(n)).map((n) => readInstance(join(instancesDir, n)));
}

function readInstance(dir: string): InstanceRecords {
  const owner = parseFile(join(dir, OWNER_FILE), InstanceOwner);
  let files: string[] = [];
  try {
    files = readdirSync(join(dir, LAUNCHES_DIR));
  } catch {
    /* no launches directory: nothing recorded */
  }
  const launches = files.map((f) => parseFile(join(dir, LAUNCHES_DIR, f), LaunchRecord)).filter((r): r is LaunchRecord => r !== null);
  const uidsEverUsed = parseFile(join(dir, UIDS_FILE), UidRanges) ?? [];
  // A launch recorded before its range reached uids.json (a kill in between) still counts.
  for (const l of launches) if (l.uids && !uidsEverUsed.some(([first]) => first === l.uids![0])) uidsEverUsed.push(l.uids);
  return { dir, owner, launches, uidsEverUsed };
}

/** A record that does not parse (a write cut by SIGKILL) is treated as absent. */
function parseFile<T>(path: string, schema: z.ZodType<T>): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
