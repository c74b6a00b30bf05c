import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAIN_PROCESS, type Resources } from '../../common/spec.js';
import { hostAccountsSwap, hostLimitIssues, hostSwapBytes, onlineCpus, parseCpuList, refuseBeyondHost } from './host-limits.js';

const twoCpus = { list: '0-1', members: new Set([0, 1]) };
const limits = (r: Partial<Resources>): Resources => ({ ...PLAIN_PROCESS.resources, cgroup: true, ...r });

describe('parseCpuList', () => {
  it('reads the kernel\'s lists', () => {
    expect([...parseCpuList('0-3,8')!]).toEqual([0, 1, 2, 3, 8]);
    expect([...parseCpuList('5')!]).toEqual([5]);
  });
  it('refuses what the launcher refuses: ranges downwards, numbers past 4095, stray text', () => {
    expect(parseCpuList('3-1')).toBeNull();
    expect(parseCpuList('4096')).toBeNull();
    expect(parseCpuList('0,,1')).toBeNull();
    expect(parseCpuList('')).toBeNull();
  });
});

describe('onlineCpus', () => {
  it('reads the sysfs list it is given', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'isolab-cpus-')), 'online');
    writeFileSync(file, '0-2,4\n');
    expect(onlineCpus(file)).toEqual({ list: '0-2,4', members: new Set([0, 1, 2, 4]) });
  });
  it('falls back to the CPUs Node counts when there is no such file', () => {
    expect(onlineCpus('/nonexistent/online').members.size).toBeGreaterThan(0);
  });
});

describe('hostLimitIssues', () => {
  it('refuses more CPUs than are online, naming resources.cpus', () => {
    expect(hostLimitIssues(limits({ cpus: 99 }), twoCpus)).toEqual([{ path: ['cpus'], message: 'this host has 2 CPUs online (0-1): at most 2' }]);
    expect(hostLimitIssues(limits({ cpus: 2 }), twoCpus)).toEqual([]);
    expect(hostLimitIssues(limits({ cpus: 0.5 }), twoCpus)).toEqual([]);
  });
  it('refuses a cpuset naming CPUs the host lacks, or one the launcher cannot read', () => {
    expect(hostLimitIssues(limits({ cpusetCpus: '1-3' }), twoCpus)).toEqual([{ path: ['cpusetCpus'], message: 'this host has no CPU 2, 3: the CPUs online are 0-1' }]);
    expect(hostLimitIssues(limits({ cpusetCpus: '1-0' }), twoCpus)[0]?.path).toEqual(['cpusetCpus']);
    expect(hostLimitIssues(limits({ cpusetCpus: '0,1' }), twoCpus)).toEqual([]);
  });
  it('has nothing to say without an own cgroup: the limits are not passed on then', () => {
    expect(hostLimitIssues({ ...limits({ cpus: 99, cpusetCpus: '7' }), cgroup: false }, twoCpus)).toEqual([]);
  });
});

describe('refuseBeyondHost', () => {
  it('throws bad_request with the issues under the caller\'s prefix', () => {
    expect(() => refuseBeyondHost(limits({ cpus: 99 }), ['spec', 'resources'], twoCpus)).toThrow(
      expect.objectContaining({ code: 'bad_request', message: 'not on this host: resources.cpus: this host has 2 CPUs online (0-1): at most 2', issues: [{ path: ['spec', 'resources', 'cpus'], message: expect.any(String) }] }),
    );
    expect(() => refuseBeyondHost(limits({ cpus: 1 }), [], twoCpus)).not.toThrow();
  });
});

describe('hostAccountsSwap: whether a memory+swap limit can be set here', () => {
  const tree = (files: string[], self = '0::/\n') => {
    const root = mkdtempSync(join(tmpdir(), 'isolab-cgroup-'));
    for (const f of files) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), '');
    }
    writeFileSync(join(root, 'self'), self);
    return { root, self: join(root, 'self') };
  };

  it.each([
    ['v1 with swapaccount', ['memory/memory.limit_in_bytes', 'memory/memory.memsw.limit_in_bytes'], '0::/\n', true],
    ['v1 without it', ['memory/memory.limit_in_bytes'], '0::/\n', false],
    ['v2, in its own cgroup', ['cgroup.controllers', 'user.slice/s/memory.swap.max'], '0::/user.slice/s\n', true],
    ['v2, a top-level cgroup has it', ['cgroup.controllers', 'system.slice/memory.swap.max'], '0::/\n', true],
    ['v2 without swap accounting', ['cgroup.controllers', 'system.slice/memory.max'], '0::/\n', false],
  ])('%s', (_name, files, self, accounted) => {
    const t = tree(files, self);
    expect(hostAccountsSwap(t.root, t.self)).toBe(accounted);
  });

  it('reads SwapTotal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'isolab-meminfo-'));
    writeFileSync(join(dir, 'meminfo'), 'MemTotal:       24576000 kB\nSwapTotal:       1048576 kB\n');
    expect(hostSwapBytes(join(dir, 'meminfo'))).toBe(1024 ** 3);
  });
});
