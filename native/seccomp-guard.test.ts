// The guard's table (native/launcher/seccomp_guard.def, built into the workshop's guard filter by
// seccomp_guard.c): every entry names a real x86-64 system call, docs/floor.md lists exactly these
// entries with the same answers, and nothing the launcher itself does after loading the guard is
// refused. What the guard does to a real shell: test/integration/escape/kernel-surface.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const ERRNO_NAMES: Record<string, number> = { EPERM: 1, ENOSYS: 38, EAFNOSUPPORT: 97, EPROTONOSUPPORT: 93 };

interface GuardTable {
  calls: { name: string; errno: string }[];
  families: string[];
  netlink: string[];
}

/** The .def's entries, comments left out (they may mention the macros by name). */
function parseGuardTable(text: string): GuardTable {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '');
  const table: GuardTable = { calls: [], families: [], netlink: [] };
  for (const line of code.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^LAB_GUARD_(CALL|FAMILY|NETLINK)\(([^)]*)\)$/.exec(line);
    if (!m) throw new Error(`seccomp_guard.def: not an entry: ${line}`);
    const args = m[2]!.split(',').map((a) => a.trim());
    if (m[1] === 'CALL') table.calls.push({ name: args[0]!, errno: args[1]! });
    else if (m[1] === 'FAMILY') table.families.push(args[0]!);
    else table.netlink.push(args[0]!);
  }
  return table;
}

/** The rows of docs/floor.md's "What it refuses" table: the backticked names of the first cell, and the answer. */
function floorDocRows(): { names: string[]; answer: string; cell: string }[] {
  const doc = readFileSync(join(ROOT, 'docs', 'floor.md'), 'utf8');
  const section = doc.split('### What it refuses')[1]!.split('### ')[0]!;
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| refused') && !l.startsWith('| ---'))
    .map((l) => {
      const [cell, answer] = l.slice(2).split(' | ');
      return { names: [...cell!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), answer: answer!, cell: cell! };
    });
}

const table = parseGuardTable(readFileSync(join(HERE, 'launcher', 'seccomp_guard.def'), 'utf8'));
const UNISTD_64 = ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/include/asm/unistd_64.h'].find((p) => existsSync(p));

describe("the guard's table", () => {
  it('has entries of each kind, each call once, each answer an errno the docs explain', () => {
    expect(table.calls.length).toBeGreaterThan(10);
    expect(new Set(table.calls.map((c) => c.name)).size).toBe(table.calls.length);
    for (const c of table.calls) expect(Object.keys(ERRNO_NAMES), c.name).toContain(c.errno);
    expect(table.families).toEqual(['AF_UNIX', 'AF_INET', 'AF_INET6', 'AF_NETLINK']);
    expect(table.netlink).toEqual(['NETLINK_ROUTE']);
  });

  it.skipIf(!UNISTD_64)('names only real x86-64 system calls (the kernel headers, asm/unistd_64.h)', () => {
    const header = readFileSync(UNISTD_64!, 'utf8');
    const known = new Set([...header.matchAll(/^#define __NR_(\w+)\s+\d+/gm)].map((m) => m[1]));
    expect(table.calls.map((c) => c.name).filter((n) => !known.has(n))).toEqual([]);
  });

  it('refuses nothing the launcher itself calls after loading it (steps.def: seccomp_guard, then seccomp ... exec)', () => {
    const steps = [...readFileSync(join(HERE, 'launcher', 'steps.def'), 'utf8').matchAll(/^LAB_STEP\("(\w+)"/gm)].map((m) => m[1]);
    expect(steps.indexOf('seccomp')).toBe(steps.indexOf('seccomp_guard') + 1);
    // seccomp (load the container's filter), seccomp_hand_over (sendmsg), caps_bounding/caps/no_new_privs
    // (prctl, capset), user (setgroups, setresgid, setresuid), exec (execve; --join: execveat).
    const launcherNeeds = ['seccomp', 'prctl', 'sendmsg', 'close', 'capset', 'setgroups', 'setresgid', 'setresuid', 'execve', 'execveat', 'write'];
    expect(table.calls.map((c) => c.name).filter((n) => launcherNeeds.includes(n))).toEqual([]);
  });

  it('docs/floor.md lists exactly these calls, families and protocols, with the same answers', () => {
    const rows = floorDocRows();
    // The rows of whole calls answer EPERM or ENOSYS; families, protocols and architectures have rows of their own.
    const documented = rows.filter((r) => r.answer === 'EPERM' || r.answer === 'ENOSYS');
    expect(documented.flatMap((r) => r.names).sort()).toEqual(table.calls.map((c) => c.name).sort());
    for (const r of documented) {
      for (const name of r.names) expect(r.answer, name).toBe(table.calls.find((c) => c.name === name)!.errno);
    }
    const families = rows.find((r) => r.names.includes('socket'));
    expect(families?.names.filter((n) => n.startsWith('AF_'))).toEqual(table.families);
    expect(families?.answer).toBe('EAFNOSUPPORT');
    const netlink = rows.find((r) => r.names.some((n) => n.startsWith('socket(AF_NETLINK')));
    expect(netlink?.names.filter((n) => n.startsWith('NETLINK_'))).toEqual(table.netlink);
    expect(netlink?.answer).toBe('EPROTONOSUPPORT');
    expect(rows.find((r) => r.cell.includes('int 0x80'))?.answer).toBe('kill (SIGSYS)');
  });
});
