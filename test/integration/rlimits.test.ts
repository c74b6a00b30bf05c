// Resource limits (--ulimit NAME=SOFT[:HARD], docker's syntax): `ulimit` inside the container, the
// rows of /proc/PID/limits from the host, and what a limit does (a file-size limit stops a write).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { itRefuses, output, run, whileRunning } from '../helpers/harden.js';

/** The soft and hard columns of one row of /proc/PID/limits. */
function limitsRow(pid: number | 'self', label: string): [string, string] {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(label));
  expect(line, label).toBeDefined();
  const [soft, hard] = line!.slice(26).trim().split(/\s+/);
  return [soft!, hard!];
}

describe('--ulimit', () => {
  it('nofile=1024:2048: ulimit -n inside, /proc/PID/limits outside', async () => {
    expect(await output(['--ulimit', 'nofile=1024:2048'], ['/bin/sh', '-c', 'ulimit -Sn; ulimit -Hn'])).toBe('1024\n2048\n');
    expect(await whileRunning(['--ulimit', 'nofile=1024:2048'], (pid) => limitsRow(pid, 'Max open files'))).toEqual(['1024', '2048']);
  });

  it.each([
    { arg: 'nproc=500', label: 'Max processes', row: ['500', '500'] },
    { arg: 'fsize=4096:8192', label: 'Max file size', row: ['4096', '8192'] },
    { arg: 'core=0:-1', label: 'Max core file size', row: ['0', 'unlimited'] },
    { arg: 'core=unlimited', label: 'Max core file size', row: ['unlimited', 'unlimited'] },
    { arg: 'stack=1048576:4194304', label: 'Max stack size', row: ['1048576', '4194304'] },
    { arg: 'cpu=60', label: 'Max cpu time', row: ['60', '60'] },
    { arg: 'as=1073741824', label: 'Max address space', row: ['1073741824', '1073741824'] },
    { arg: 'memlock=65536', label: 'Max locked memory', row: ['65536', '65536'] },
    { arg: 'sigpending=100', label: 'Max pending signals', row: ['100', '100'] },
    { arg: 'msgqueue=8192', label: 'Max msgqueue size', row: ['8192', '8192'] },
  ])('$arg → "$label" $row', async ({ arg, label, row }) => {
    expect(await whileRunning(['--ulimit', arg], (pid) => limitsRow(pid, label))).toEqual(row);
  });

  it('several at once, and a later one for the same name wins (as docker)', async () => {
    const args = ['--ulimit', 'nofile=100', '--ulimit', 'nproc=300:400', '--ulimit', 'nofile=200:300'];
    const rows = await whileRunning(args, (pid) => [limitsRow(pid, 'Max open files'), limitsRow(pid, 'Max processes')]);
    expect(rows).toEqual([
      ['200', '300'],
      ['300', '400'],
    ]);
  });

  it('the limit is enforced: with fsize=4096 a larger write stops at 4096 bytes (SIGXFSZ)', async () => {
    const script = 'dd if=/dev/zero of=/dev/shm/isolab-fsize-$$ bs=1024 count=8 2>/dev/null; echo "dd=$?"; stat -c %s /dev/shm/isolab-fsize-$$; rm -f /dev/shm/isolab-fsize-$$';
    const out = await output(['--ulimit', 'fsize=4096'], ['/bin/sh', '-c', script]);
    expect(out).toBe(`dd=${128 + 25}\n4096\n`);
  });

  it('a limit the kernel refuses fails at step rlimits (nofile above fs.nr_open)', async () => {
    const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8'));
    const result = await run(['--ulimit', `nofile=1024:${nrOpen + 1}`], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toEqual([{ type: 'error', step: 'rlimits', errno: 1, message: 'prlimit(nofile): Operation not permitted' }]);
  });
});

describe('refused up front', () => {
  itRefuses([
    [['--ulimit', 'nofile'], '--ulimit: expected NAME=SOFT[:HARD], got "nofile"'],
    [['--ulimit', 'files=10'], '--ulimit: unknown limit "files" (known: as,core,cpu,data,fsize,locks,memlock,msgqueue,nice,nofile,nproc,rss,rtprio,rttime,sigpending,stack)'],
    [['--ulimit', 'nofile=ten'], '--ulimit nofile: expected SOFT[:HARD] as numbers, -1 or unlimited, got "ten"'],
    [['--ulimit', 'nofile=10:20:30'], '--ulimit nofile: expected SOFT[:HARD] as numbers, -1 or unlimited, got "10:20:30"'],
    [['--ulimit', 'nofile=-2'], '--ulimit nofile: expected SOFT[:HARD] as numbers, -1 or unlimited, got "-2"'],
    [['--ulimit', 'nofile=2048:1024'], '--ulimit nofile: the soft limit must not exceed the hard limit'],
    [['--ulimit', 'core=-1:0'], '--ulimit core: the soft limit must not exceed the hard limit'],
  ]);
});
