// A process known by more than its PID: PIDs are reused, and a server that reaps "what belonged to
// PID 2750" must not take a newcomer that got 2750 for the server that died. The start time
// (/proc/PID/stat field 22, clock ticks since boot) tells them apart.
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Clock ticks after boot at which it started; with the pid, unique until reboot. */
  startTime: number;
}

/** PID's start time, or null when no such process runs (or it is a zombie being reaped). */
export function startTimeOf(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields count from its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z') return null;
  const start = Number(fields[19]);
  return Number.isInteger(start) ? start : null;
}

export function ownIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: startTimeOf(process.pid) ?? 0 };
}

/** Whether the process IDENTITY names is still running (not another one that got its PID since). */
export function stillRunning(identity: ProcessIdentity): boolean {
  return startTimeOf(identity.pid) === identity.startTime;
}
