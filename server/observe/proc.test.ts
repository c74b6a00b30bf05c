import { describe, expect, it } from 'vitest';
import { descendantsOf, listProcesses, parseStat } from './proc.js';

describe('parseStat', () => {
  it('handles a comm with spaces and parentheses', () => {
    expect(parseStat('42 (my (odd) prog) S 7 42 42 0 -1')).toEqual({ pid: 42, ppid: 7, comm: 'my (odd) prog' });
  });
  it('returns null for garbage', () => {
    expect(parseStat('nonsense')).toBeNull();
  });
});

describe('descendantsOf', () => {
  it('walks the whole tree below a process', () => {
    const all = [
      { pid: 1, ppid: 0, comm: 'init' },
      { pid: 10, ppid: 1, comm: 'shell' },
      { pid: 11, ppid: 10, comm: 'sleep' },
      { pid: 12, ppid: 11, comm: 'child' },
      { pid: 20, ppid: 1, comm: 'other' },
    ];
    expect(descendantsOf(10, all).map((p) => p.pid).sort()).toEqual([11, 12]);
    expect(descendantsOf(12, all)).toEqual([]);
  });
  it('finds this very process among the real ones', async () => {
    const all = await listProcesses();
    expect(all.some((p) => p.pid === process.pid)).toBe(true);
  });
});
