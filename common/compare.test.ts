import { describe, expect, it } from 'vitest';
import { CompareView, PLACES, compareRows, type CompareColumn, type CompareFacts } from './compare.js';
import { CompareOpenRequest, SideAck, SideClose, SideInput, SideOpenRequest, SideResize, MAX_INPUT_BYTES } from './protocol.js';
import { SysviewReport, answered, refusedComparedTo } from './sysview.js';

const facts = (over: Partial<CompareFacts> = {}): CompareFacts => ({
  kernelRelease: '6.18.0',
  kernel: 'host',
  isolation: 'x',
  boundary: 'y',
  pid1: 'sh',
  processCount: 2,
  memTotalKiB: 1024 * 1024,
  memLimitBytes: null,
  nproc: 2,
  cpuLimit: null,
  devices: { count: 10, sample: [] },
  modules: { readable: true, count: 3 },
  netInterfaces: ['lo'],
  dmesg: { readable: false, errno: 1, lines: 0, first: '' },
  mounts: { count: 5, rootFstype: 'overlay' },
  hypervisor: { flag: false, vendor: '' },
  syscalls: { tried: 10, answered: 8, refused: 1, reachHost: 8, answeredBy: 'host kernel' },
  startMs: 5,
  startWhat: 'spawn',
  pssKiB: 2048,
  pssWhat: 'launcher',
  ...over,
});

const column = (place: CompareColumn['place'], f?: CompareFacts, state: CompareColumn['state'] = 'ready'): CompareColumn => ({ place, title: place, state, cached: false, ...(f ? { facts: f } : {}) });

describe('the comparison table', () => {
  it('has one cell per place in PLACES order and marks what differs from the host', () => {
    const view: CompareView = {
      columns: [column('container', facts()), column('host', facts({ pid1: 'systemd', processCount: 120 })), column('gvisor', undefined, 'pending'), column('vm', undefined, 'unavailable')],
      generatedAt: new Date().toISOString(),
    };
    expect(CompareView.safeParse(view).success).toBe(true);
    const rows = compareRows(view);
    const pid1 = rows.find((r) => r.key === 'pid1')!;
    expect(pid1.cells).toEqual(['sh', 'systemd', '…', '—']);
    expect(pid1.differs).toEqual([true, false, false, false]);
    const kernel = rows.find((r) => r.key === 'kernel')!;
    expect(kernel.differs[0]).toBe(false);
    expect(rows.every((r) => r.cells.length === PLACES.length)).toBe(true);
    // 2 processes against the host's 120 differ; 118 against 120 is the same view read a moment later.
    expect(rows.find((r) => r.key === 'processes')!.differs[0]).toBe(true);
    const close = compareRows({ ...view, columns: [column('container', facts({ processCount: 118 })), view.columns[1]!, view.columns[2]!, view.columns[3]!] });
    expect(close.find((r) => r.key === 'processes')!.differs[0]).toBe(false);
  });

  it('refuses a view without exactly four columns', () => {
    expect(CompareView.safeParse({ columns: [column('host', facts())], generatedAt: 'now' }).success).toBe(false);
  });
});

describe('comparison and side terminal payloads', () => {
  it.each([
    [CompareOpenRequest, {}, true],
    [CompareOpenRequest, { refresh: true }, true],
    [CompareOpenRequest, { refresh: 'yes' }, false],
    [CompareOpenRequest, { refresh: true, extra: 1 }, false],
    [SideOpenRequest, { target: 'vm', cols: 80, rows: 24 }, true],
    [SideOpenRequest, { target: 'gvisor', cols: 80, rows: 24 }, true],
    [SideOpenRequest, { target: 'container', cols: 80, rows: 24 }, false],
    [SideOpenRequest, { target: 'vm', cols: 9999, rows: 24 }, false],
    [SideOpenRequest, { target: 'vm' }, false],
    [SideInput, { target: 'vm', data: 'ls\r' }, true],
    [SideInput, { target: 'vm', data: 'x'.repeat(MAX_INPUT_BYTES + 1) }, false],
    [SideInput, { target: 'host', data: 'ls' }, true],
    [SideInput, { target: 'docker', data: 'ls' }, false],
    [SideInput, { target: 'vm', data: 42 }, false],
    [SideResize, { target: 'gvisor', cols: 100, rows: 30 }, true],
    [SideResize, { target: 'gvisor', cols: 100 }, false],
    [SideAck, { target: 'vm', bytes: 4096 }, true],
    [SideAck, { target: 'vm', bytes: -4 }, false],
    [SideClose, { target: 'vm' }, true],
    [SideClose, { target: '../vm' }, false],
    [SideClose, null, false],
  ] as const)('%#: %j → %s', (schema, payload, ok) => {
    expect(schema.safeParse(payload).success).toBe(ok);
  });
});

const sysview = (errno: Record<string, number>): SysviewReport => {
  const values = Object.values(errno);
  return SysviewReport.parse({
    sysview: 1,
    memory: { totalKiB: 1, availableKiB: 1 },
    cpus: { online: 1, affinity: 1 },
    devices: { count: 0, names: [] },
    modulesReadable: false,
    modules: { count: 0, names: [] },
    dmesg: { readable: false, errno: 1, lines: 0, first: '', last: '' },
    hypervisor: { cpuinfoFlag: false, cpuidBit: false, vendor: '' },
    syscalls: {
      arch: 'x86_64',
      complete: true,
      tried: values.length,
      enosys: values.filter((e) => e === 38).length,
      eperm: values.filter((e) => e === 1).length,
      succeeded: values.filter((e) => e === 0).length,
      errno,
    },
  });
};

describe('syscall sweep arithmetic', () => {
  it('counts as refused only what the host answers and this place does not', () => {
    const host = sysview({ 0: 9, 1: 9, 2: 38, 3: 14, 4: 1 });
    const sandbox = sysview({ 0: 9, 1: 1, 2: 38, 3: 38, 4: 1 });
    expect(refusedComparedTo(sandbox, host)).toBe(2);
    expect(answered(host)).toBe(3);
    expect(answered(sandbox)).toBe(1);
  });
});
