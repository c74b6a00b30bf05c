import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UPPER_MAX_ENTRIES,
  gatherContainerView,
  overlayMounts,
  parseArp,
  parseCpuStat,
  parseCpusAllowed,
  parseIoBytes,
  parseNetDev,
  parseTcpListeners,
  rootOf,
  treeView,
  upperEntries,
} from './container-view.js';

describe('parsers of /proc and cgroup files', () => {
  it('parseCpusAllowed reads the list taskset and cpusets set', () => {
    expect(parseCpusAllowed('Name:\tsleep\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1,4\n')).toBe('0-1,4');
    expect(parseCpusAllowed('Name:\tsleep\n')).toBeNull();
  });

  it('parseTcpListeners keeps the LISTEN sockets (state 0A) of tcp and tcp6 tables, port in hex', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0 100 0 0 10 0',
      '   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1235 1 0 100 0 0 10 0',
      '   2: 0200580A:0050 0100580A:C350 01 00000000:00000000 00:00000000 00000000     0        0 1236 1 0 100 0 0 10 0',
    ].join('\n');
    const tcp6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue',
      '   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000',
    ].join('\n');
    expect(parseTcpListeners(tcp)).toEqual([80, 8080]);
    expect(parseTcpListeners(tcp6)).toEqual([80]);
    expect(parseTcpListeners('')).toEqual([]);
  });

  it('parseArp keeps complete entries (flag 0x2) only', () => {
    const arp = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '10.88.0.1        0x1         0x2         3e:77:aa:b7:42:5b     *        eth0',
      '10.88.0.9        0x1         0x0         00:00:00:00:00:00     *        eth0',
    ].join('\n');
    expect(parseArp(arp)).toEqual(['10.88.0.1']);
  });

  it('parseNetDev reads received and sent bytes by name; a name like __proto__ stays a name', () => {
    const dev = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     946      11    0    0    0     0          0         0      946      11    0    0    0     0       0          0',
      '  eth0:   62566      60    0    0    0     0          0         0    62346      59    0    0    0     0       0          0',
      '__proto__:   1       1    0    0    0     0          0         0        2       1    0    0    0     0       0          0',
    ].join('\n');
    const out = parseNetDev(dev);
    expect(out.eth0).toEqual({ rxBytes: 62566, txBytes: 62346 });
    expect(out.lo).toEqual({ rxBytes: 946, txBytes: 946 });
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('overlayMounts reads the layers from the superblock options of overlay lines only', () => {
    const mountinfo = [
      '110 52 0:51 / / rw,relatime - overlay overlay rw,lowerdir=.,upperdir=/run/isolab/containers/x/upper,workdir=/run/isolab/containers/x/work,uuid=on',
      '111 110 0:53 / /proc rw,nosuid - proc proc rw',
      '140 139 0:60 / /mnt/a/merged rw,relatime - overlay a rw,lowerdir=/mnt/base,upperdir=/mnt/a/upper,workdir=/mnt/a/work,uuid=on',
      '141 139 0:61 / /mnt/with\\040space rw,relatime - overlay b rw,lowerdir=/l1:/l2',
    ].join('\n');
    expect(overlayMounts(mountinfo)).toEqual([
      { target: '/', lower: '.', upper: '/run/isolab/containers/x/upper', work: '/run/isolab/containers/x/work' },
      { target: '/mnt/a/merged', lower: '/mnt/base', upper: '/mnt/a/upper', work: '/mnt/a/work' },
      { target: '/mnt/with space', lower: '/l1:/l2', upper: null, work: null },
    ]);
  });

  it('parseCpuStat reads v1 (throttled_time in ns) and v2 (throttled_usec)', () => {
    expect(parseCpuStat('nr_periods 36\nnr_throttled 6\nthrottled_time 194731000\nnr_bursts 0\nburst_time 0\n')).toEqual({ periods: 36, throttled: 6, throttledUs: 194731 });
    expect(parseCpuStat('usage_usec 100\nuser_usec 90\nsystem_usec 10\nnr_periods 5\nnr_throttled 2\nthrottled_usec 777\n')).toEqual({ periods: 5, throttled: 2, throttledUs: 777 });
    expect(parseCpuStat('usage_usec 100\n')).toBeNull();
  });

  it('parseIoBytes sums reads and writes over devices, v1 and v2', () => {
    const v1 = '254:0 Read 1982464\n254:0 Write 8192\n254:0 Sync 0\n254:0 Total 1990656\n8:0 Read 100\nTotal 1990756\n';
    expect(parseIoBytes(v1, 'v1')).toEqual({ readBytes: 1982564, writeBytes: 8192 });
    const v2 = '254:0 rbytes=1982464 wbytes=4096 rios=31 wios=1 dbytes=0 dios=0\n8:0 rbytes=100 wbytes=0 rios=1 wios=0\n';
    expect(parseIoBytes(v2, 'v2')).toEqual({ readBytes: 1982564, writeBytes: 4096 });
  });
});

describe('the host\'s view of real processes', () => {
  it('rootOf: this process\'s root is the host\'s "/", the top of its mount namespace', async () => {
    const mine = await rootOf(process.pid);
    expect(mine?.top).toBe(true);
    expect(await rootOf(2 ** 22 + 12345)).toBeNull();
  });

  it('treeView: the test runner as the "shell", its parent as a process below it', async () => {
    const me = { pid: process.pid, ppid: process.ppid, comm: 'node' };
    const view = await treeView(process.ppid, [me, { pid: 2 ** 22 + 12345, ppid: process.pid, comm: 'ghost' }]);
    expect(view?.shell).toMatchObject({ root: 'host', rootTop: true });
    // The process that ended meanwhile is left out; ours shares the shell's root and network namespace.
    expect(view?.processes).toEqual([{ ...me, root: 'shell', rootTop: true, parentRootTop: true, cpus: expect.any(String), netns: 'shell' }]);
    expect(Object.keys(view!.interfaces)).toContain('lo');
  });
});

describe('upperEntries: the upper layer walked from the host', () => {
  let dir: string;
  let upper: string;
  let image: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'isolab-upper-'));
    upper = join(dir, 'upper');
    image = join(dir, 'image');
    for (const d of [upper, image, join(upper, 'etc'), join(image, 'etc'), join(image, 'lib')]) mkdirSync(d);
    writeFileSync(join(image, 'etc', 'passwd'), 'root\n');
    writeFileSync(join(image, 'etc', 'hostname'), 'isolab\n');
    writeFileSync(join(image, 'lib', 'x'), '');
    symlinkSync('lib', join(image, 'lib64'));
    writeFileSync(join(upper, 'hello.txt'), 'hello\n');
    writeFileSync(join(upper, 'etc', 'passwd'), 'root\nguest\n');
    // A whiteout, as overlayfs makes it (character device 0:0: allowed without privilege since Linux 5.8).
    const made = spawnSync('mknod', [join(upper, 'etc', 'hostname'), 'c', '0', '0']);
    expect(made.status, String(made.stderr)).toBe(0);
    // A link planted by the container: reported, never followed.
    symlinkSync('/etc', join(upper, 'escape'));
    mkdirSync(join(upper, 'lib64'));
    writeFileSync(join(upper, 'lib64', 'x'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('types each entry and says whether the image has the same path', async () => {
    expect(await upperEntries(upper, image)).toEqual([
      { path: 'escape', type: 'symlink', inImage: false },
      { path: 'etc', type: 'directory', inImage: true },
      { path: 'hello.txt', type: 'file', inImage: false },
      { path: 'lib64', type: 'directory', inImage: true },
      { path: 'etc/hostname', type: 'whiteout', inImage: true },
      { path: 'etc/passwd', type: 'file', inImage: true },
      // The image's lib64 is a symbolic link: a path through it is not looked up on the host.
      { path: 'lib64/x', type: 'file', inImage: false },
    ]);
  });

  it('is capped, and null when the upper directory is gone', async () => {
    const many = join(dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < UPPER_MAX_ENTRIES + 5; i++) writeFileSync(join(many, `f${i}`), '');
    expect(await upperEntries(many, image)).toHaveLength(UPPER_MAX_ENTRIES);
    expect(await upperEntries(join(dir, 'nope'), image)).toBeNull();
  });
});

describe('gatherContainerView', () => {
  const sources = {
    descendants: [],
    upperDir: null,
    imageDir: '/nonexistent',
    ownCgroup: true,
    rootfs: true,
    hostCgroupOf: () => Promise.reject(new Error('not asked')),
    containerFiles: () => Promise.reject(new Error('not asked')),
  };

  it('with no shell: nothing to look at', async () => {
    expect(await gatherContainerView({ ...sources, shellPid: null })).toEqual({ tree: null, overlay: { upper: null, mounts: [] }, shellCgroup: null, files: { tmp: null } });
  });

  it('a source that fails leaves its fact null instead of failing the whole check', async () => {
    const view = await gatherContainerView({ ...sources, shellPid: process.pid });
    expect(view.shellCgroup).toBeNull();
    expect(view.files.tmp).toBeNull();
    expect(view.tree?.shell.root).toBe('host');
  });
});
