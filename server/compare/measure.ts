// Measuring what a sandbox costs on this host: the proportional set size (PSS) of every process it
// is made of (PSS splits shared pages between their users, so adding up a tree does not count the
// same library twice), and its process tree.
import { readFileSync } from 'node:fs';
import { descendantsOf, listProcesses } from '../observe/proc.js';

/** PSS of one process in KiB from /proc/PID/smaps_rollup; 0 when it is gone or unreadable. */
export function processPssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** `root` and every process below it. */
export async function processTree(root: number): Promise<number[]> {
  return [root, ...descendantsOf(root, await listProcesses()).map((p) => p.pid)];
}

/** PSS of `root` and all its descendants, in KiB. */
export async function treePssKiB(root: number): Promise<number> {
  return (await processTree(root)).reduce((sum, pid) => sum + processPssKiB(pid), 0);
}

/** Milliseconds since a process.hrtime.bigint() reading. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
