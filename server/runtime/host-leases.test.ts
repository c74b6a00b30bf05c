import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTimeOf } from '../base/process-identity.js';
import { HostLeases } from './host-leases.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'isolab-leases-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A PID that is not running: a child that has exited and been reaped. */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

describe('HostLeases', () => {
  it('hands out each number once, marks it with its holder, and takes it back on release', () => {
    const table = new HostLeases({ dir, size: 4, full: 'full' });
    const leases = [table.acquire(), table.acquire(), table.acquire(), table.acquire()];
    expect(new Set(leases.map((l) => l.index))).toEqual(new Set([0, 1, 2, 3]));
    expect(readFileSync(join(dir, String(leases[0]!.index)), 'utf8')).toBe(`${process.pid} ${startTimeOf(process.pid)}\n`);
    expect(() => table.acquire()).toThrow(expect.objectContaining({ code: 'server_full', message: 'full' }));
    leases[2]!.release();
    leases[2]!.release(); // idempotent
    expect(table.acquire().index).toBe(leases[2]!.index);
  });

  it('is shared: a second table on the same directory (another server) never gets a number in use', () => {
    const a = new HostLeases({ dir, size: 3, full: 'full' });
    const b = new HostLeases({ dir, size: 3, full: 'full' });
    const taken = [a.acquire().index, b.acquire().index, a.acquire().index];
    expect(new Set(taken).size).toBe(3);
    expect(() => b.acquire()).toThrow('full');
  });

  it('takes over a dead holder\'s number, and never a live one\'s or a recycled PID\'s', () => {
    const table = new HostLeases({ dir, size: 3, full: 'full' });
    writeFileSync(join(dir, '0'), `${deadPid()} 12345\n`);
    // A live process (this one), but not the one that took it: its start time differs.
    writeFileSync(join(dir, '1'), `${process.pid} 1\n`);
    writeFileSync(join(dir, '2'), `${process.pid} ${startTimeOf(process.pid)}\n`);
    expect(new Set([table.acquire().index, table.acquire().index])).toEqual(new Set([0, 1]));
    expect(() => table.acquire()).toThrow('full');
  });

  it('keeps a dead holder\'s number while something of it is still in use', () => {
    const inUse = new Set([0]);
    const table = new HostLeases({ dir, size: 2, full: 'full', stillInUse: (i) => inUse.has(i) });
    writeFileSync(join(dir, '0'), `${deadPid()} 1\n`);
    expect(table.acquire().index).toBe(1);
    expect(() => table.acquire()).toThrow('full');
    inUse.clear();
    expect(table.acquire().index).toBe(0);
  });

  it('sweeps the lock files of dead holders with nothing left, and only those', () => {
    let inUse = -1;
    const table = new HostLeases({ dir, size: 4, full: 'full', stillInUse: (i: number): boolean => i === inUse });
    const live = table.acquire();
    const [dead, kept] = [0, 1, 2, 3].filter((i) => i !== live.index) as [number, number];
    inUse = kept;
    writeFileSync(join(dir, String(dead)), `${deadPid()} 1\n`);
    writeFileSync(join(dir, String(inUse)), `${deadPid()} 1\n`);
    writeFileSync(join(dir, 'not-a-lease'), '');
    expect(table.sweep()).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([String(inUse), String(live.index), 'not-a-lease'].sort());
  });

  it('never hands out a number something still uses, held or not', () => {
    const busy = new Set([0, 2]);
    const table = new HostLeases({ dir, size: 3, full: 'full', busy: (i) => busy.has(i) });
    writeFileSync(join(dir, '2'), `${deadPid()} 1\n`);
    expect(table.acquire().index).toBe(1);
    expect(() => table.acquire()).toThrow('full');
    busy.clear();
    expect(new Set([table.acquire().index, table.acquire().index])).toEqual(new Set([0, 2]));
  });

  it('never hands out a skipped number', () => {
    const table = new HostLeases({ dir, size: 6, full: 'full', skip: (i) => i % 2 === 0 });
    const got = [table.acquire().index, table.acquire().index, table.acquire().index];
    expect(got.sort()).toEqual([1, 3, 5]);
    expect(() => table.acquire()).toThrow('full');
    expect(readdirSync(dir).sort()).toEqual(['1', '3', '5']);
  });
});
