// A learner's machine (native/launcher/machine.c) and the user namespace options that go with it
// (--userns-owner, --userns-limit): what the launcher makes, seen from the host and from inside.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMachine, type LearnerMachine } from '../../server/runtime/learner-machine.js';
import { UidRanges, anyProcessInRange, ipcObjectsLeftIn } from '../../server/runtime/uid-ranges.js';
import { buildStaticHelper } from '../helpers/escape.js';
import { BUSYBOX, IMAGE, LAUNCHER, expectRefused, hostInode, join_, output, run, tag, whileRunning } from '../helpers/launcher-run.js';

const inode = (pid: number, kind: string) => statSync(`/proc/${pid}/ns/${kind}`).ino;
const CONTAINER = ['--unshare', 'mount,pid,user', '--rootfs', IMAGE];

describe('isolab-launcher --machine-hold', () => {
  let machine: LearnerMachine;
  beforeAll(async () => {
    machine = await startMachine({ launcher: LAUNCHER, uidRanges: new UidRanges(), hostname: `m-${tag()}`, usernsLimits: {} });
  });
  afterAll(() => machine.stop());

  it('holds a network, IPC and UTS namespace of its own, and nothing else', () => {
    for (const kind of ['net', 'ipc', 'uts']) {
      expect(inode(machine.pid, kind), kind).not.toBe(hostInode(kind));
      expect(inode(machine.pid, kind), kind).toBe(machine.namespaces[kind as 'net']);
    }
    for (const kind of ['mnt', 'pid', 'user', 'cgroup']) expect(inode(machine.pid, kind), kind).toBe(hostInode(kind));
  });

  it('is named, has only lo (up), and lets its users bind low ports and ping', async () => {
    const inside = (command: string) => join_(machine.pid, [BUSYBOX, 'sh', '-c', command]).then((r) => r.stdout.trim());
    expect(await inside('hostname')).toBe(machine.hostname);
    expect(await inside('ls /sys/class/net 2>/dev/null; ip -o link | cut -d: -f2')).toContain('lo');
    expect((await inside('ip -o link')).split('\n')).toHaveLength(1);
    expect(await inside('ip -o link show lo')).toMatch(/UP/);
    expect(await inside('cat /proc/sys/net/ipv4/ip_unprivileged_port_start')).toBe('0');
    expect(await inside('cat /proc/sys/net/ipv4/ping_group_range')).toMatch(/^0\s+2147483647$/);
  });

  it('ends on SIGTERM with an exit line, and its uid range is free again', async () => {
    const ranges = new UidRanges();
    const own = await startMachine({ launcher: LAUNCHER, uidRanges: ranges, hostname: 'bye', usernsLimits: {} });
    const pid = own.pid;
    await own.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(readdirSync('/run/isolab/uid-ranges')).not.toContain(String((own.usernsHostId - 100000) / 65536));
  });

  it('refuses what a machine cannot hold', async () => {
    const holdRefused = async (args: string[], message: RegExp) => {
      const result = await run(args, []);
      expect(result.code).toBe(125);
      expect(result.status[0]).toMatchObject({ type: 'error', step: 'args' });
      expect((result.status[0] as { message: string }).message).toMatch(message);
    };
    await holdRefused(['--machine-hold', '--unshare', 'net,ipc'], /needs --unshare with uts and --hostname/);
    await holdRefused(['--machine-hold', '--unshare', 'net,ipc,uts,pid', '--hostname', 'm'], /only net, ipc and uts/);
    await expectRefused(['--machine-hold', '--unshare', 'net,ipc,uts', '--hostname', 'm'], /runs nothing/);
    await expectRefused(['--machine', '0'], /--machine: expected the positive process ID/);
    await expectRefused(['--machine', '1', '--join', '1'], /--machine is for a new container/);
  });
});

describe('isolab-launcher --machine PID', () => {
  let machine: LearnerMachine;
  beforeAll(async () => {
    machine = await startMachine({ launcher: LAUNCHER, uidRanges: new UidRanges(), hostname: 'my-machine', usernsLimits: {} });
  });
  afterAll(() => machine.stop());

  it('shares the machine\'s network, IPC and hostname where the container makes none of its own', async () => {
    const report = await output(['--machine', String(machine.pid), ...CONTAINER], ['/bin/sh', '-c', 'hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; ls /sys/class/net']);
    const [hostname, net, ipc, ...devices] = report.trim().split('\n');
    expect(hostname).toBe('my-machine');
    expect(net).toBe(`net:[${machine.namespaces.net}]`);
    expect(ipc).toBe(`ipc:[${machine.namespaces.ipc}]`);
    // Its /sys is the machine's: the host's devices are not listed (machine_sysfs).
    expect(devices).toEqual(['lo']);
  });

  it('makes its own where asked, and a bridge inside the machine, not on the host', async () => {
    const bridge = `ilm${tag()}`;
    const report = await output(
      ['--machine', String(machine.pid), '--unshare', 'mount,pid,user,net,uts', '--hostname', 'own', '--rootfs', IMAGE,
        '--net-bridge', bridge, '--net-gateway', '10.77.0.1/24', '--net-address', '10.77.0.2/24'],
      ['/bin/sh', '-c', 'hostname; readlink /proc/self/ns/net; ping -c 1 -W 2 10.77.0.1 >/dev/null && echo gateway-up'],
    );
    const [hostname, net, gateway] = report.trim().split('\n');
    expect(hostname).toBe('own');
    expect(net).not.toBe(`net:[${machine.namespaces.net}]`);
    expect(gateway).toBe('gateway-up');
    // The bridge stays in the machine (shared by its containers), never on the host.
    expect(readdirSync('/sys/class/net')).not.toContain(bridge);
    const inMachine = await join_(machine.pid, [BUSYBOX, 'ip', '-o', 'link']);
    expect(inMachine.stdout).toContain(bridge);
  });

  it('fails at step "machine", leaving nothing, when the machine is gone', async () => {
    const gone = await startMachine({ launcher: LAUNCHER, uidRanges: new UidRanges(), hostname: 'gone', usernsLimits: {} });
    const pid = gone.pid;
    await gone.stop();
    const result = await run(['--machine', String(pid), ...CONTAINER], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toMatchObject([{ type: 'error', step: 'machine', errno: 3 }]); // ESRCH
  });
});

describe('isolab-launcher --userns-owner and --userns-limit', () => {
  let tool: string;
  beforeAll(() => {
    tool = buildStaticHelper('escape-tool');
  });

  it('makes the user namespace as the owner: the host sees that uid own it', async () => {
    const ranges = new UidRanges();
    const range = ranges.acquire();
    try {
      const args = ['--unshare', 'user,pid,mount', '--userns-map', `0:${range.hostId}:65536`, '--userns-owner', String(range.hostId)];
      const ownerFromHost = (pid: number) => JSON.parse(spawnSync(tool, ['ns-owner', `/proc/${pid}/ns/user`], { encoding: 'utf8' }).stdout) as unknown;
      await whileRunning(args, (pid) => {
        expect(ownerFromHost(pid)).toEqual({ owner: range.hostId });
      });
      // Without --userns-owner, root makes (and owns) it, as before.
      await whileRunning(args.slice(0, 4), (pid) => {
        expect(ownerFromHost(pid)).toEqual({ owner: 0 });
      });
      // And root's own namespace is untouched: the launcher came back to uid 0.
      expect(spawnSync('id', ['-u'], { encoding: 'utf8' }).stdout.trim()).toBe('0');
    } finally {
      range.release();
    }
  });

  it('leaves no securebit behind: a --user without capabilities ends with none', async () => {
    const status = await output(
      ['--unshare', 'user,pid,mount', '--userns-map', '0:300000:65536', '--userns-owner', '300000', '--user', '1000:1000'],
      ['/bin/grep', '-E', '^(Uid|CapEff|CapPrm):', '/proc/self/status'],
    );
    expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^CapPrm:\s+0+$/m);
  });

  it('writes the limits into the new namespace, which its root can then not exceed', async () => {
    // Two namespaces held at once, then a third asked for. (Held, not made one after the other:
    // the kernel frees a user namespace from a work queue, a moment after its last process.)
    const script = [
      'cat /proc/sys/user/max_user_namespaces /proc/sys/user/max_inotify_instances',
      'unshare -Ur sleep 30 & a=$!; unshare -Ur sleep 30 & b=$!; sleep 0.5',
      'for p in $a $b; do [ "$(readlink /proc/$p/ns/user)" != "$(readlink /proc/self/ns/user)" ] && echo held; done',
      'unshare -Ur true 2>/dev/null && echo third || echo third-refused',
      'kill $a $b',
    ].join('\n');
    const out = await output(
      ['--unshare', 'user,pid,mount', '--userns-map', '0:300000:65536', '--userns-limit', 'max_user_namespaces=2', '--userns-limit', 'max_inotify_instances=3'],
      ['/bin/sh', '-c', script],
    );
    expect(out.trim().split('\n')).toEqual(['2', '3', 'held', 'held', 'third-refused']);
  });

  it('refuses an owner or a limit it cannot use', async () => {
    await expectRefused(['--unshare', 'user', '--userns-owner', '0'], /--userns-owner: expected a decimal host uid other than 0/);
    await expectRefused(['--userns-owner', '100000'], /need the user namespace/);
    await expectRefused(['--unshare', 'user', '--userns-limit', 'max_everything=1'], /--userns-limit: expected NAME=N/);
    await expectRefused(['--unshare', 'user', '--userns-limit', 'max_user_namespaces=-1'], /--userns-limit: expected NAME=N/);
    await expectRefused(['--unshare', 'user', '--userns-limit', '../../kernel/hostname=x'], /--userns-limit: expected NAME=N/);
  });
});

describe('uid ranges, host-wide', () => {
  it('a range counts as in use while any process runs as one of its uids, seen from the host', async () => {
    const range = new UidRanges().acquire();
    try {
      expect(anyProcessInRange(range.hostId, 65536)).toBe(false);
      // A process of the range's, as a container's would be (uid 1000 inside is hostId + 1000).
      const child = spawn('setpriv', [`--reuid=${range.hostId + 1000}`, `--regid=${range.hostId + 1000}`, '--clear-groups', 'sleep', '30'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 100));
      expect(anyProcessInRange(range.hostId, 65536)).toBe(true);
      expect(anyProcessInRange(range.hostId + 65536, 65536)).toBe(false);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(anyProcessInRange(range.hostId, 65536)).toBe(false);
    } finally {
      range.release();
    }
  });

  it('a range with a System V object left in the host\'s IPC namespace counts as in use (seen from the host)', () => {
    const range = new UidRanges().acquire();
    let shmid: string | undefined;
    try {
      expect(ipcObjectsLeftIn(range.hostId)).toBe(false);
      // What a solo container with the IPC switch off leaves behind when it ends: its root's segment.
      const made = spawnSync('setpriv', [`--reuid=${range.hostId}`, `--regid=${range.hostId}`, '--clear-groups', 'ipcmk', '-M', '4096'], { encoding: 'utf8' });
      shmid = /(\d+)\s*$/.exec(made.stdout.trim())?.[1];
      expect(shmid, made.stderr).toBeDefined();
      expect(ipcObjectsLeftIn(range.hostId)).toBe(true);
      expect(ipcObjectsLeftIn(range.hostId + 65536)).toBe(false);
    } finally {
      if (shmid) spawnSync('ipcrm', ['-m', shmid]);
      range.release();
    }
    expect(ipcObjectsLeftIn(range.hostId)).toBe(false);
  });
});
