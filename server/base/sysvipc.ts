// System V IPC tables as the kernel prints them (proc(5)): /proc/sysvipc/{shm,sem,msg}, a header
// line naming the columns, then one object a line. They list the reader's IPC namespace.
import { readFileSync } from 'node:fs';

export const SYSVIPC_FILES = ['/proc/sysvipc/shm', '/proc/sysvipc/sem', '/proc/sysvipc/msg'] as const;

/** One table's objects, each as its columns by name ("key", "shmid", "uid", "cuid", …). */
export function sysvipcRows(text: string): Record<string, number>[] {
  const [header, ...lines] = text.split('\n').filter((l) => l.trim());
  const names = (header ?? '').trim().split(/\s+/);
  return lines.map((l) => {
    const values = l.trim().split(/\s+/);
    const row: Record<string, number> = {};
    names.forEach((name, i) => (row[name] = Number(values[i])));
    return row;
  });
}

/** Whether an object in this process's IPC namespace (the host's, for the server) is owned or was created by a uid OWNED says. */
export function anySysvipcObjectOf(owned: (uid: number) => boolean): boolean {
  for (const file of SYSVIPC_FILES) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no SysV IPC in this kernel
    }
    if (sysvipcRows(text).some((row) => owned(row.uid ?? -1) || owned(row.cuid ?? -1))) return true;
  }
  return false;
}
