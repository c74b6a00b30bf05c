// The user namespace and --user, against the real kernel: what the container sees (id, its maps)
// and what the host sees (/proc/PID/status, owners of files it made, what it may not do).
// Contract: native/README.md ("User namespace").
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSYBOX,
  IMAGE,
  PROBE,
  PROBE_IN_IMAGE,
  expectRefused,
  expectRootAndBuilt,
  hostInode,
  join_,
  output,
  probeWith,
  procStatus,
  run,
  whileRunning,
} from '../helpers/launcher-run.js';
import { ProbeReport } from '../../common/probe.js';

const hasUserns = existsSync('/proc/self/ns/user');
const hasOverlay = /\boverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'));
const SH = ['/bin/sh', '-c'];

let workDir: string;
let shared: string;

beforeAll(() => {
  expectRootAndBuilt([PROBE, BUSYBOX]);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-userns-test-'));
  // The container's root is an ordinary user on the host: it needs o+x to get through.
  chmodSync(workDir, 0o755);
  shared = join(workDir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777);
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!hasUserns)('user namespace (needs CONFIG_USER_NS)', () => {
  describe.each([
    { name: 'off', args: [] as string[], hostUid: '0', own: false },
    { name: 'on', args: ['--unshare', 'user'], hostUid: '100000', own: true },
  ])('$name', ({ args, hostUid, own }) => {
    it('inside the program is root (uid 0, gid 0)', async () => {
      expect(await output(args, [...SH, 'id -u; id -g'])).toBe('0\n0\n');
    });

    it(`outside it is uid ${hostUid} (/proc/PID/status), in ${own ? 'its own' : "the host's"} user namespace`, async () => {
      await whileRunning(args, (pid) => {
        expect(procStatus(pid, 'Uid')).toEqual([hostUid, hostUid, hostUid, hostUid]);
        expect(procStatus(pid, 'Gid')).toEqual([hostUid, hostUid, hostUid, hostUid]);
        expect(statSync(`/proc/${pid}/ns/user`).ino !== hostInode('user')).toBe(own);
      });
    });

    it(`a file it creates in a host directory belongs to host uid ${hostUid}`, async () => {
      const file = join(shared, `made-${hostUid}`);
      expect(await output(args, [...SH, `touch ${file} && stat -c %u:%g ${file}`])).toBe('0:0\n');
      expect(statSync(file)).toMatchObject({ uid: Number(hostUid), gid: Number(hostUid) });
    });
  });

  it('--userns-limit sets /proc/sys/user/NAME in the container\'s namespace only, not the host\'s', async () => {
    // (What the kernel then holds the namespace to: test/integration/machine.test.ts.)
    const hostBefore = readFileSync('/proc/sys/user/max_user_namespaces', 'utf8');
    const limits = ['--unshare', 'user', '--userns-limit', 'max_inotify_instances=2', '--userns-limit', 'max_user_namespaces=1'];
    const out = await output(limits, [...SH, 'cat /proc/sys/user/max_inotify_instances /proc/sys/user/max_user_namespaces']);
    expect(out).toBe('2\n1\n');
    expect(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8')).toBe(hostBefore);
  });

  it('the maps, from inside and from the host, and what ready reports', async () => {
    expect(await output(['--unshare', 'user'], [...SH, 'cat /proc/self/uid_map /proc/self/gid_map'])).toMatch(
      /^\s*0\s+100000\s+65536\n\s*0\s+100000\s+65536\n$/,
    );
    await whileRunning(['--unshare', 'user'], async (pid, started) => {
      expect(readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
      expect(readFileSync(`/proc/${pid}/gid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
      expect((await started.ready).namespaces['user']).toBe(statSync(`/proc/${pid}/ns/user`).ino);
    });
  });

  it('the probe sees a user namespace of its own, the one ready reported', async () => {
    const { report, ready } = await probeWith(['--unshare', 'user']);
    expect(report.namespaces['user']).not.toBe(hostInode('user'));
    expect(report.namespaces['user']).toBe(ready.namespaces['user']);
    expect(report.uid).toBe(0);
  });

  it.each([
    { args: ['--userns-map', '0:200000:1000'], uid: '0 200000 1000', gid: '0 200000 1000' },
    { args: ['--userns-map', '0:200000:1', '--userns-map', '1000:201000:10'], uid: '0 200000 1|1000 201000 10', gid: '0 200000 1|1000 201000 10' },
    { args: ['--uid-map', '0:300000:10', '--gid-map', '0:310000:20'], uid: '0 300000 10', gid: '0 310000 20' },
  ])('custom maps $args are written as given', async ({ args, uid, gid }) => {
    await whileRunning(['--unshare', 'user', ...args], (pid) => {
      const lines = (file: string) =>
        readFileSync(`/proc/${pid}/${file}`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).join('|');
      expect(lines('uid_map')).toBe(uid);
      expect(lines('gid_map')).toBe(gid);
      expect(procStatus(pid, 'Uid')[0]).toBe(uid.split(' ')[1]);
      expect(procStatus(pid, 'Gid')[0]).toBe(gid.split(' ')[1]);
    });
  });

  describe('root inside is nobody special outside', () => {
    it('cannot write a host file only host root may write (but host root can)', async () => {
      const file = join(workDir, 'host-owned');
      writeFileSync(file, 'original\n', { mode: 0o644 });
      const inside = await run(['--unshare', 'user'], [...SH, `echo changed >> ${file}`]);
      expect(inside.code).not.toBe(0);
      expect(inside.stderr).toMatch(/Permission denied/);
      expect(readFileSync(file, 'utf8')).toBe('original\n');
      // The same command, same uid 0, without the user namespace: it is the namespace that made the difference.
      expect((await run([], [...SH, `echo changed >> ${file}`])).code).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe('original\nchanged\n');
    });

    it('cannot read a file only host root may read', async () => {
      const file = join(workDir, 'secret');
      writeFileSync(file, 'secret\n', { mode: 0o600 });
      const inside = await run(['--unshare', 'user'], ['cat', file]);
      expect(inside.code).not.toBe(0);
      expect(inside.stdout).toBe('');
    });

    it("cannot change the host's hostname: sethostname needs a UTS namespace its user namespace owns", async () => {
      const before = readFileSync('/proc/sys/kernel/hostname', 'utf8');
      // busybox's hostname applet calls sethostname(2) directly.
      const inside = await run(['--unshare', 'user'], [BUSYBOX, 'hostname', 'not-the-host']);
      expect(inside.code).not.toBe(0);
      expect(readFileSync('/proc/sys/kernel/hostname', 'utf8')).toBe(before);
      // With a UTS namespace of its own it may.
      expect(await output(['--unshare', 'user,uts', '--hostname', 'mine'], ['hostname'])).toBe('mine\n');
    });

    it('holds every capability, in its own namespace only', async () => {
      await whileRunning(['--unshare', 'user'], (pid) => {
        expect(BigInt(`0x${procStatus(pid, 'CapEff')[0]}`)).toBeGreaterThan(0n);
      });
      const inside = await run(['--unshare', 'user'], [BUSYBOX, 'mount', '-t', 'tmpfs', 'x', workDir]);
      expect(inside.code).not.toBe(0); // the host's mount namespace is not its own
    });
  });

  describe('setgroups', () => {
    it('is "allow" by default: the container may set its own groups (--group-add)', async () => {
      await whileRunning(['--unshare', 'user', '--user', '1000:1000', '--group-add', '2000'], (pid) => {
        expect(readFileSync(`/proc/${pid}/setgroups`, 'utf8')).toBe('allow\n');
        expect(procStatus(pid, 'Groups')).toEqual(['102000']);
      });
    });

    it('"deny" with --setgroups deny: setgroups() then fails inside, and there are no groups to drop', async () => {
      await whileRunning(['--unshare', 'user', '--setgroups', 'deny'], (pid) => {
        expect(readFileSync(`/proc/${pid}/setgroups`, 'utf8')).toBe('deny\n');
        expect(procStatus(pid, 'Groups')).toEqual([]);
      });
      expect(await output(['--unshare', 'user', '--setgroups', 'deny'], ['cat', '/proc/self/setgroups'])).toBe('deny\n');
      // util-linux's setpriv --clear-groups calls setgroups(0, NULL).
      const setgroups = await run(['--unshare', 'user', '--setgroups', 'deny'], ['setpriv', '--clear-groups', 'true']);
      expect(setgroups.code).not.toBe(0);
      expect(setgroups.stderr).toMatch(/setgroups/);
      expect((await run(['--unshare', 'user'], ['setpriv', '--clear-groups', 'true'])).code).toBe(0);
    });
  });
});

describe.each([
  { name: 'without a user namespace', args: [] as string[], offset: 0 },
  { name: 'in a user namespace', args: ['--unshare', 'user'], offset: 100000 },
])('--user 1000:1000 $name', ({ args, offset }) => {
  const user = [...args, '--user', '1000:1000'];

  it('inside: uid and gid 1000, no supplementary group', async () => {
    expect(await output(user, [...SH, 'id -u; id -g; id -G'])).toBe('1000\n1000\n1000\n');
  });

  it(`outside: uid ${1000 + offset}; no capability left in the permitted or effective set`, async () => {
    await whileRunning(user, (pid) => {
      const id = String(1000 + offset);
      expect(procStatus(pid, 'Uid')).toEqual([id, id, id, id]);
      expect(procStatus(pid, 'Gid')).toEqual([id, id, id, id]);
      expect(procStatus(pid, 'CapPrm')).toEqual(['0000000000000000']);
      expect(procStatus(pid, 'CapEff')).toEqual(['0000000000000000']);
    });
  });

  it('--group-add gives exactly the groups asked for', async () => {
    expect(await output([...user, '--group-add', '2000', '--group-add', '2001'], [...SH, 'id -G'])).toBe('1000 2000 2001\n');
  });

  it('UID alone: gid 0, as docker does for a user without an /etc/passwd entry', async () => {
    expect(await output([...args, '--user', '1234'], [...SH, 'id -u; id -g'])).toBe('1234\n0\n');
  });

  it('a file it creates belongs to it', async () => {
    const file = join(shared, `user-${offset}`);
    expect(await output(user, [...SH, `touch ${file} && stat -c %u ${file}`])).toBe('1000\n');
    expect(statSync(file).uid).toBe(1000 + offset);
  });
});

describe.skipIf(!hasUserns || !hasOverlay)('--rootfs in a user namespace (needs overlayfs)', () => {
  const ALL = ['--unshare', 'mount,uts,ipc,pid,net,user', '--hostname', 'box'];

  it('the image shows its files as the container root\'s (an idmapped mount), writable through the overlay', async () => {
    const before = readdirSync(IMAGE).sort();
    const script = [
      'stat -c %u:%g /etc/passwd /bin/busybox',
      'echo changed >> /etc/passwd && tail -n1 /etc/passwd',
      'touch /tmp/new /root/new && echo made',
      'rm -rf /etc && mkdir /etc && ls -A /etc | wc -l',
    ].join('; ');
    expect(await output([...ALL, '--rootfs', IMAGE], [...SH, script])).toBe('0:0\n0:0\nchanged\nmade\n0\n');
    // The image itself is untouched, and its owner on the host is still root.
    expect(readdirSync(IMAGE).sort()).toEqual(before);
    expect(readFileSync(join(IMAGE, 'etc/passwd'), 'utf8')).not.toMatch(/changed/);
    expect(statSync(join(IMAGE, 'etc/passwd')).uid).toBe(0);
  });

  it('the probe sees the overlay as "/", fresh /proc, devpts, a sysfs of its network namespace', async () => {
    const { report } = await probeWith([...ALL, '--rootfs', IMAGE], PROBE_IN_IMAGE);
    const byTarget = new Map(report.mounts.map((m) => [m.target, m]));
    expect(byTarget.get('/')?.fstype).toBe('overlay');
    expect(byTarget.get('/proc')?.fstype).toBe('proc');
    expect(byTarget.get('/dev/pts')?.fstype).toBe('devpts');
    expect(byTarget.get('/sys')).toMatchObject({ fstype: 'sysfs', readOnly: true });
    expect(report.uid).toBe(0);
    expect(report.pid).toBe(1);
    expect(report.processes).toEqual([{ pid: 1, ppid: 0, comm: 'isolab-probe' }]);
  });

  it("without a network namespace: the host's /sys, read-only all the way down", async () => {
    const args = ['--unshare', 'mount,pid,user', '--rootfs', IMAGE];
    const { report } = await probeWith(args, PROBE_IN_IMAGE);
    const sys = report.mounts.filter((m) => m.target === '/sys' || m.target.startsWith('/sys/'));
    expect(sys.length).toBeGreaterThan(0);
    expect(sys.filter((m) => !m.readOnly)).toEqual([]);
    const touch = await run(args, [...SH, 'touch /sys/kernel/x 2>&1; echo $?']);
    expect(touch.stdout).toMatch(/Read-only file system\n[1-9]/);
  });

  it('--user inside the image', async () => {
    expect(await output([...ALL, '--rootfs', IMAGE, '--user', '65534:65534'], [...SH, 'id -u; touch /etc/x 2>&1 | grep -c denied'])).toBe(
      '65534\n1\n',
    );
  });

  it('--join runs the probe as the container\'s root, in its user namespace', async () => {
    await whileRunning([...ALL, '--rootfs', IMAGE], async (pid, started) => {
      const ready = await started.ready;
      const joined = await join_(pid, [PROBE]);
      expect(joined.code, joined.stderr).toBe(0);
      const report = ProbeReport.parse(JSON.parse(joined.stdout));
      expect(report.uid).toBe(0);
      expect(report.hostname).toBe('box');
      for (const ns of ['user', 'mnt', 'pid', 'net', 'uts']) expect(report.namespaces[ns], ns).toBe(ready.namespaces[ns]);
    });
  });
});

describe('command line', () => {
  it.each([
    [['--userns-map', '0:100000:65536'], /need the user namespace/],
    [['--setgroups', 'deny'], /need the user namespace/],
    [['--unshare', 'user', '--setgroups', 'maybe'], /--setgroups: expected allow or deny/],
    [['--unshare', 'user', '--userns-map', '0:0:65536'], /would map the host's root/],
    [['--unshare', 'user', '--userns-map', '1:100000:10'], /id 0 inside must be mapped/],
    [['--unshare', 'user', '--userns-map', '0:100000:0'], /COUNT must be at least 1/],
    [['--unshare', 'user', '--userns-map', '0:4294967290:10'], /end by 4294967294/],
    [['--unshare', 'user', '--userns-map', '0:100000:10', '--userns-map', '5:200000:10'], /overlap/],
    [['--unshare', 'user', '--userns-map', '0:100000:10', '--userns-map', '20:100005:10'], /overlap/],
    [['--unshare', 'user', '--userns-map', '0:100000'], /INSIDE:OUTSIDE:COUNT/],
    [['--unshare', 'user', '--userns-map', '-1:100000:1'], /INSIDE:OUTSIDE:COUNT/],
    [['--unshare', 'user', '--uid-map', '0:100000:10'], /--uid-map and --gid-map go together/],
    [['--unshare', 'user', '--userns-map', '0:100000:10', '--uid-map', '0:1:1', '--gid-map', '0:1:1'], /not both/],
    [['--unshare', 'user', '--user', '70000'], /uid 70000 is not mapped/],
    [['--unshare', 'user', '--user', '0:70000'], /gid 70000 is not mapped/],
    [['--unshare', 'user', '--group-add', '70000'], /gid 70000 is not mapped/],
    [['--unshare', 'user', '--setgroups', 'deny', '--group-add', '5'], /--group-add needs --setgroups allow/],
    [['--user', 'root'], /--user: expected UID or UID:GID/],
    [['--user', '1000:'], /--user: expected UID or UID:GID/],
    [['--user', '4294967295'], /--user: expected UID or UID:GID/],
    [['--group-add', 'wheel'], /--group-add: expected a decimal GID/],
    [['--unshare', 'user,mount', '--rootfs', IMAGE], /needs --unshare pid/],
    [['--userns-limit', 'max_inotify_instances=8'], /--userns-limit need the user namespace/],
    [['--unshare', 'user', '--userns-limit', '../../kernel/pid_max=1'], /--userns-limit: expected NAME=N, NAME one of \/proc\/sys\/user's max_\*/],
    [['--unshare', 'user', '--userns-limit', 'max_no_such_counter=1'], /--userns-limit: expected NAME=N/],
    [['--unshare', 'user', '--userns-limit', 'max_inotify_instances'], /NAME=N/],
    [['--unshare', 'user', '--userns-limit', 'max_inotify_instances=2147483648'], /N from 0 to 2147483647/],
  ])('%j is refused with an error line (exit 125)', async (args, message) => {
    await expectRefused(args, message);
  });
});
