import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fdinfoWritable, idInside, openFiles, parseIdMap, parseProcCgroup, parseStatusFields, shellIdentity, withIdentity } from './process-view.js';

describe('parseStatusFields', () => {
  // /proc/PID/status of a container's root with a user namespace, as the host reads it.
  const status = [
    'Name:\tsleep',
    'Uid:\t100000\t100000\t100000\t100000',
    'Gid:\t101000\t101000\t101000\t101000',
    'CapEff:\t00000000a80425fb',
    'NoNewPrivs:\t1',
    'Seccomp:\t2',
    'Seccomp_filters:\t2',
    '',
  ].join('\n');

  it('reads the effective ids, no_new_privs and the seccomp filters', () => {
    expect(parseStatusFields(status)).toEqual({ uid: 100000, gid: 101000, noNewPrivs: true, seccomp: 2, seccompFilters: 2 });
  });
  it('the effective uid is the second number: a setuid program shows real 1000, effective 0', () => {
    expect(parseStatusFields('Uid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n')).toMatchObject({ uid: 0, gid: 1000 });
  });
  it('kernels without Seccomp_filters (before 5.9) or without seccomp: 0; without Uid: null', () => {
    expect(parseStatusFields('Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nNoNewPrivs:\t0\n')).toEqual({ uid: 0, gid: 0, noNewPrivs: false, seccomp: 0, seccompFilters: 0 });
    expect(parseStatusFields('Name:\tx\n')).toBeNull();
  });
});

describe('uid maps', () => {
  const map = parseIdMap('         0     165536      65536\n');
  it('parses /proc/PID/uid_map', () => {
    expect(map).toEqual([{ inside: 0, outside: 165536, count: 65536 }]);
    expect(parseIdMap('         0          0 4294967295\n')).toEqual([{ inside: 0, outside: 0, count: 4294967295 }]);
  });
  it('numbers a host uid as the namespace does; null outside the map', () => {
    expect(idInside(165536, map)).toBe(0);
    expect(idInside(166536, map)).toBe(1000);
    expect(idInside(165535, map)).toBeNull();
    expect(idInside(165536 + 65536, map)).toBeNull();
    expect(idInside(0, map)).toBeNull();
  });
  it('the initial namespace maps every id to itself', () => {
    expect(idInside(1000, parseIdMap('0 0 4294967295'))).toBe(1000);
  });
  it('several lines: the one that holds the id', () => {
    const two = parseIdMap('0 100000 1000\n1000 5000 1\n');
    expect(idInside(5000, two)).toBe(1000);
    expect(idInside(100999, two)).toBe(999);
  });
});

describe('parseProcCgroup', () => {
  it('reads v1 lines with their controllers and the v2 line', () => {
    const text = '8:pids:/isolab/isolab-1a2b-3-777\n1:cpu,cpuacct:/isolab/isolab-1a2b-3-777\n9:name=systemd:/\n0::/system.slice/isolab.service\n';
    expect(parseProcCgroup(text)).toEqual([
      { hierarchy: 8, controllers: ['pids'], path: '/isolab/isolab-1a2b-3-777' },
      { hierarchy: 1, controllers: ['cpu', 'cpuacct'], path: '/isolab/isolab-1a2b-3-777' },
      { hierarchy: 9, controllers: ['name=systemd'], path: '/' },
      { hierarchy: 0, controllers: [], path: '/system.slice/isolab.service' },
    ]);
  });
});

describe('the real /proc', () => {
  it('this process: its own uid and gid, and its cgroups', async () => {
    const me = await shellIdentity(process.pid);
    expect(me).not.toBeNull();
    expect(me!.uid).toBe(process.geteuid!());
    expect(me!.gid).toBe(process.getegid!());
    expect(me!.cgroups.length).toBeGreaterThan(0);
  });
  it('withIdentity adds each process\'s uid as the shell\'s namespace numbers it, and leaves out the ones that ended', async () => {
    const me = { pid: process.pid, ppid: process.ppid, comm: 'node', nsPid: process.pid, nsPpid: process.ppid };
    const gone = { pid: 2 ** 22 + 12345, ppid: process.pid, comm: 'ghost', nsPid: 1, nsPpid: 0 };
    const out = await withIdentity(process.pid, [me, gone]);
    expect(out).toEqual([{ ...me, uid: process.geteuid!(), nsUid: process.geteuid!(), noNewPrivs: false, seccompFilters: 0 }]);
  });
});

describe('open files', () => {
  it('fdinfo flags: the access mode is the low two bits, in octal', () => {
    expect(fdinfoWritable('pos:\t0\nflags:\t0100001\nmnt_id:\t31\n')).toBe(true); // O_WRONLY|O_LARGEFILE
    expect(fdinfoWritable('pos:\t0\nflags:\t02100002\n')).toBe(true); // O_RDWR|O_CLOEXEC…
    expect(fdinfoWritable('pos:\t0\nflags:\t0100000\n')).toBe(false); // O_RDONLY
    expect(fdinfoWritable('pos:\t0\n')).toBe(false);
  });
  it('lists this process\'s files by path, with how they were opened; no sockets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isolab-openfiles-'));
    const written = openSync(join(dir, 'written'), 'w');
    const read = openSync(join(dir, 'written'), 'r');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const files = await openFiles([{ pid: process.pid, ppid: process.ppid, comm: 'node', nsPid: process.pid, nsPpid: process.ppid }]);
      const mine = files.filter((f) => f.path === join(dir, 'written'));
      expect(mine).toEqual(
        expect.arrayContaining([
          { pid: process.pid, comm: 'node', fd: written, path: join(dir, 'written'), writable: true },
          { pid: process.pid, comm: 'node', fd: read, path: join(dir, 'written'), writable: false },
        ]),
      );
      expect(files.every((f) => f.path.startsWith('/'))).toBe(true);
    } finally {
      server.close();
      closeSync(written);
      closeSync(read);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a process that is gone has no files', async () => {
    expect(await openFiles([{ pid: 2 ** 22 + 12345, ppid: 1, comm: 'ghost', nsPid: 1, nsPpid: 0 }])).toEqual([]);
  });
});
