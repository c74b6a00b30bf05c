// The host's view of processes, read from /proc (read-only).
import { readdir, readFile } from 'node:fs/promises';

export interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
}

/** Parses /proc/PID/stat: "pid (comm) state ppid …" — comm may itself contain spaces and parentheses. */
export function parseStat(stat: string): ProcEntry | null {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(stat.slice(0, open).trim());
  const rest = stat.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid)) return null;
  return { pid, ppid, comm: stat.slice(open + 1, close) };
}

export async function listProcesses(): Promise<ProcEntry[]> {
  const names = await readdir('/proc');
  const entries = await Promise.all(
    names
      .filter((n) => /^[0-9]+$/.test(n))
      .map((n) =>
        readFile(`/proc/${n}/stat`, 'utf8').then(
          (s) => parseStat(s),
          () => null, // the process ended while we were listing
        ),
      ),
  );
  return entries.filter((e): e is ProcEntry => e !== null);
}

/** Every process below `root` (not including it), from a process list. */
export function descendantsOf(root: number, all: ProcEntry[]): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: ProcEntry[] = [];
  const stack = [root];
  while (stack.length) {
    for (const child of children.get(stack.pop()!) ?? []) {
      out.push(child);
      stack.push(child.pid);
    }
  }
  return out;
}
