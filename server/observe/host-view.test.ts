import { describe, expect, it } from 'vitest';
import { hasMqueueMount, nsPpidOf, shellMounts, parseNsPids, parseSysvipc, readNsPids, splitHeadOutput, withNsPids } from './host-view.js';

describe('parseNsPids', () => {
  it('reads every number of the NSpid line, outermost first', () => {
    expect(parseNsPids('Name:\tsleep\nPid:\t48213\nNSpid:\t48213\t41\t1\nNSpgid:\t48213\t41\t1\n')).toEqual([48213, 41, 1]);
    expect(parseNsPids('Pid:\t7\nNSpid:\t7\n')).toEqual([7]);
  });
  it('returns null without an NSpid line (kernels before 4.1) or with garbage in it', () => {
    expect(parseNsPids('Pid:\t7\n')).toBeNull();
    expect(parseNsPids('NSpid:\tx\n')).toBeNull();
  });
  it('reads this very process: its last number is what getpid() returns here', async () => {
    const pids = await readNsPids(process.pid);
    expect(pids?.at(-1)).toBe(process.pid);
  });
});

describe('nsPpidOf: what getppid() returns in the child', () => {
  it('the parent is in the same namespace: its number there', () => {
    expect(nsPpidOf([5002, 2], [5001, 1])).toBe(1);
    expect(nsPpidOf([5002], [5001])).toBe(5001);
  });
  it('the parent is outside the child\'s namespace (the child is its PID 1): 0', () => {
    expect(nsPpidOf([5001, 1], [5000])).toBe(0);
    expect(nsPpidOf([5003, 7, 1], [5002, 6])).toBe(0);
  });
  it('the parent is gone: 0', () => {
    expect(nsPpidOf([5002, 2], null)).toBe(0);
  });
});

describe('withNsPids', () => {
  it('adds the namespace numbers of real processes, and leaves out the ones that ended', async () => {
    const me = { pid: process.pid, ppid: process.ppid, comm: 'node' };
    const gone = { pid: 2 ** 22 + 12345, ppid: process.pid, comm: 'ghost' };
    const out = await withNsPids(process.ppid, [me, gone]);
    expect(out).toEqual([{ ...me, nsPid: process.pid, nsPpid: process.ppid }]);
  });
});

describe('shellMounts', () => {
  // Lines as a container's /proc/PID/mountinfo has them (proc(5)).
  const text = [
    '52 50 0:21 / /proc rw,relatime - proc proc rw',
    '182 52 0:109 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
    '218 52 0:140 / /mnt rw,relatime shared:1 - tmpfs my-tmpfs rw',
    '292 218 0:148 / /mnt/inner rw,relatime shared:23 master:1 - tmpfs from-inner rw',
    '300 218 0:149 / /mnt/from\\040host ro,relatime master:7 - ext4 /dev/sda1 ro',
    '301 52 0:150 / /unbound rw unbindable - tmpfs none rw',
    '',
  ].join('\n');

  it('reads target, source, type, read-only and propagation, as findmnt words it', () => {
    expect(shellMounts(text)).toEqual([
      { target: '/proc', source: 'proc', fstype: 'proc', readOnly: false, propagation: 'private' },
      { target: '/proc', source: 'proc', fstype: 'proc', readOnly: false, propagation: 'private' },
      { target: '/mnt', source: 'my-tmpfs', fstype: 'tmpfs', readOnly: false, propagation: 'shared' },
      { target: '/mnt/inner', source: 'from-inner', fstype: 'tmpfs', readOnly: false, propagation: 'shared,slave' },
      { target: '/mnt/from host', source: '/dev/sda1', fstype: 'ext4', readOnly: true, propagation: 'slave' },
      { target: '/unbound', source: 'none', fstype: 'tmpfs', readOnly: false, propagation: 'private,unbindable' },
    ]);
  });

  it('reads this process\'s own table', async () => {
    const { readFile } = await import('node:fs/promises');
    const mounts = shellMounts(await readFile('/proc/self/mountinfo', 'utf8'));
    expect(mounts.some((m) => m.target === '/')).toBe(true);
    expect(mounts.some((m) => m.target === '/proc' && m.fstype === 'proc')).toBe(true);
  });
});

describe('hasMqueueMount', () => {
  const m = (target: string, fstype: string) => ({ target, source: fstype, fstype, readOnly: false, propagation: 'private' });
  it('looks at the top mount on /dev/mqueue: the one a path reaches', () => {
    expect(hasMqueueMount([m('/dev', 'tmpfs'), m('/dev/mqueue', 'mqueue')])).toBe(true);
    expect(hasMqueueMount([m('/dev/mqueue', 'mqueue'), m('/dev/mqueue', 'tmpfs')])).toBe(false);
    expect(hasMqueueMount([m('/dev', 'tmpfs')])).toBe(false);
  });
});

describe('parseSysvipc', () => {
  // /proc/sysvipc/* as the kernel writes them: a header naming the columns, keys as signed decimals.
  const shm = [
    '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap',
    '1095648583          0   644                 16384     9    12      1     0     0     0     0 1796130115 1796130115 1796130115                 16384                     0',
    '         0      32769  1600                524288  4242  4242      2  1000  1000  1000  1000 1796130115 1796130115 1796130115                     0                     0',
    '-559038737          3   600                  4096    77    77      0     0     0     0     0          0          0 1796130115                     0                     0',
  ].join('\n');
  const sem = ['       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime', '1095648583          0   777          2     0     0     0     0 1796130115 1796130115'].join('\n');
  const msg = '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n        42          5   666          12          3     0     0     0     0     0     0          0          0 1796130115\n';

  it('reads each object by the header\'s column names; keys come out unsigned, as ipcs shows them', () => {
    expect(parseSysvipc({ shm, sem, msg })).toEqual({
      shm: [
        { key: 0x414e4547, id: 0, bytes: 16384, attached: 1, creatorPid: 9 },
        { key: 0, id: 32769, bytes: 524288, attached: 2, creatorPid: 4242 },
        { key: 0xdeadbeef, id: 3, bytes: 4096, attached: 0, creatorPid: 77 },
      ],
      sem: [{ key: 0x414e4547, id: 0, semaphores: 2 }],
      msg: [{ key: 42, id: 5, messages: 3, bytes: 12 }],
    });
  });

  it('an empty table is the header alone; a missing file is nothing', () => {
    expect(parseSysvipc({ shm: shm.split('\n')[0]!, sem: '', msg: '' })).toEqual({ shm: [], sem: [], msg: [] });
  });
});

describe('splitHeadOutput', () => {
  it('splits busybox head\'s "==> FILE <==" output per file, empty files included', () => {
    const out = '==> /proc/sysvipc/shm <==\nheader shm\nrow\n\n==> /proc/sysvipc/sem <==\nheader sem\n\n==> /proc/sysvipc/msg <==\n';
    const files = splitHeadOutput(out);
    expect([...files.keys()]).toEqual(['/proc/sysvipc/shm', '/proc/sysvipc/sem', '/proc/sysvipc/msg']);
    expect(files.get('/proc/sysvipc/shm')!.trim()).toBe('header shm\nrow');
    expect(files.get('/proc/sysvipc/msg')!.trim()).toBe('');
  });
});
