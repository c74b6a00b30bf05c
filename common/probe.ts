// What the C probe (native/probe/probe.c) prints as one JSON object: "what do I see from here?".
// The same report is produced inside the container (run in its namespaces) and on the host,
// and the lesson checks and the inspector both read it, so what a lesson shows is what tests assert.
import { z } from 'zod';

export const PROBE_FORMAT_VERSION = 1;

const NamespaceInodes = z.record(z.string(), z.number().int().nonnegative());

export const ProbeProcess = z.object({ pid: z.number().int(), ppid: z.number().int(), comm: z.string() });

export const ProbeMount = z.object({
  source: z.string(),
  target: z.string(),
  fstype: z.string(),
  readOnly: z.boolean(),
});

export const ProbeReport = z.object({
  probe: z.literal(PROBE_FORMAT_VERSION),
  /** PID, PPID, uid and gid as the probe sees itself (namespaced numbers). */
  pid: z.number().int(),
  ppid: z.number().int(),
  uid: z.number().int(),
  gid: z.number().int(),
  hostname: z.string(),
  kernel: z.object({ release: z.string(), machine: z.string() }),
  /** Inode of each /proc/self/ns/* link, keyed by its name (mnt, uts, ipc, pid, net, ...). */
  namespaces: NamespaceInodes,
  /** Processes listed in the /proc the probe sees (capped; `processCount` is the true total). */
  processes: z.array(ProbeProcess),
  processCount: z.number().int().nonnegative(),
  /** Identity of "/" — differs from the host's when the container has its own root filesystem. */
  root: z.object({ dev: z.number().int(), ino: z.number().int() }),
  mounts: z.array(ProbeMount),
  /** Names of the network interfaces the probe sees (/sys/class/net or /proc/net/dev). */
  netInterfaces: z.array(z.string()),
  /** Counts of System V IPC objects visible (/proc/sysvipc/{msg,shm,sem}). */
  ipc: z.object({ msg: z.number().int(), shm: z.number().int(), sem: z.number().int() }),
});
export type ProbeReport = z.infer<typeof ProbeReport>;
