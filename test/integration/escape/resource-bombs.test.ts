// Resource bombs in one workshop learner's shell, against a real workshop server (server/main/serve.ts,
// as `isolab serve --mode workshop --learner-…` builds it) with the weakest settings it accepts: every
// switch the floor leaves free off, every capability, and no limit of the learner's own. A fork bomb,
// busy loops, a memory bomb, a tmpfs fill, open files and inotify, each asserted from the host: the learner's
// cgroup stays at its ceiling, the host's own fork and inotify_init still work, and a neighbour's
// shell still echoes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, statfsSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../../common/protocol.js';
import { PLAIN_PROCESS, type ContainerSpec } from '../../../common/spec.js';
import { parseCeilings } from '../../../server/floor/ceilings.js';
import { raiseToFloor } from '../../../server/floor/floor.js';
import { onlineCpus } from '../../../server/runtime/host-limits.js';
import { cgroupDir, isCgroupV1, keyedValue, readCgroup } from '../../helpers/cgroup-of.js';
import { buildHoldFds, installHoldFds } from '../../helpers/hold-fds.js';
import { LabClient } from '../../helpers/lab.js';
import { useLab } from '../../helpers/use-lab.js';

const MiB = 1024 * 1024;
/** Small ceilings, so that each bomb reaches its own quickly; set through serve's flag parser. */
const CEILINGS = parseCeilings(
  {
    'learner-memory': '96m',
    'learner-pids': '48',
    'learner-cpu': '0.5',
    'learner-tmpfs': '16m',
    'learner-open-files': '256',
    'learner-inotify-instances': '8',
    'learner-inotify-watches': '100',
  },
  onlineCpus().members.size,
);

const lab = useLab({ mode: 'workshop', ceilings: CEILINGS });
const clients: LabClient[] = [];

// A static program the learner runs (they could bring any): it takes files, inotify instances or watches and holds them.
beforeAll(() => void buildHoldFds());

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function learner(): Promise<{ client: LabClient; info: SessionInfo }> {
  const client = new LabClient(lab.url, lab.token);
  clients.push(client);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40 });
  if (!reply.ok) throw new Error(`session:start failed: ${reply.message}`);
  await client.waitForText(/[#$] $/);
  return { client, info: reply.data };
}

/** The weakest settings a workshop server takes: the floor's switches and nothing else, no limits of the learner's own. */
function weakest(): ContainerSpec {
  const floor = raiseToFloor(PLAIN_PROCESS, CEILINGS);
  return {
    ...floor,
    capabilities: 'all',
    resources: { ...floor.resources, memoryBytes: null, memorySwapBytes: -1, cpus: null, pidsLimit: null, cpuShares: null },
    rlimits: {},
  };
}

/** A learner on the weakest settings; the host PID of their shell. */
async function weakestLearner(): Promise<{ client: LabClient; pid: number }> {
  const { client } = await learner();
  const before = client.readies.length;
  const applied = await client.request<{ spec: ContainerSpec; changes: string[] }>('sandbox:apply', { spec: weakest() });
  if (!applied.ok) throw new Error(`sandbox:apply failed: ${applied.message}`);
  // Lesson 0 under the floor is these settings already (the ceilings in place of its missing limits): no new shell then.
  const ready = applied.data.changes.length ? await client.waitFor(() => client.readies[before], 'the new shell') : client.readies.at(-1)!;
  if (applied.data.changes.length) await client.waitForText(/[#$] $/, { from: client.text.length - 200 });
  return { client, pid: ready.pid };
}

const read = readCgroup;
const keyed = keyedValue;
const isV1 = isCgroupV1;

/** The host itself and a neighbour are unaffected: fork, inotify_init (fs.watch), and a neighbour's echo. */
async function hostAndNeighbourStillWork(neighbour: LabClient): Promise<void> {
  const fork = spawnSync('/bin/sh', ['-c', 'echo forked'], { encoding: 'utf8', timeout: 5_000 });
  expect(fork.stdout.trim()).toBe('forked');
  const watcher = watch(tmpdir());
  watcher.close();
  const started = Date.now();
  expect((await neighbour.run('echo neighbour-ok', 10_000)).trim()).toBe('neighbour-ok');
  expect(Date.now() - started).toBeLessThan(10_000);
}

describe('resource bombs in one workshop learner [escape]', () => {
  it('the weakest settings are accepted, and every limit left out is the ceiling, as the host sees it', async () => {
    const { client, pid } = await weakestLearner();
    expect(Number(read(cgroupDir(pid, 'pids'), 'pids.max'))).toBe(48);
    const mem = cgroupDir(pid, 'memory');
    if (isV1(mem)) {
      expect(Number(read(mem, 'memory.limit_in_bytes'))).toBe(96 * MiB);
      if (existsSync(join(mem, 'memory.memsw.limit_in_bytes'))) expect(Number(read(mem, 'memory.memsw.limit_in_bytes'))).toBe(96 * MiB);
    } else {
      expect(Number(read(mem, 'memory.max'))).toBe(96 * MiB);
      if (existsSync(join(mem, 'memory.swap.max'))) expect(read(mem, 'memory.swap.max')).toBe('0');
    }
    const cpu = cgroupDir(pid, 'cpu');
    if (existsSync(join(cpu, 'cpu.cfs_quota_us'))) expect(Number(read(cpu, 'cpu.cfs_quota_us')) / Number(read(cpu, 'cpu.cfs_period_us'))).toBe(0.5);
    else expect(read(cpu, 'cpu.max')).toMatch(/^50000 100000$/);
    expect(readFileSync(`/proc/${pid}/limits`, 'utf8')).toMatch(/^Max open files\s+256\s+256\s+files\s*$/m);
    // Inside, the hard limit holds: root of a user namespace cannot raise it.
    expect(await client.run('ulimit -n 100000 2>&1; ulimit -Hn')).toMatch(/256\s*$/);
  });

  it('the page is told the ceilings (the session enforces them)', async () => {
    const { info } = await learner();
    expect(info.ceilings).toEqual(['memory 96 MiB', 'swap none', '48 processes', '0.5 CPU (weight at most 1024)', 'tmpfs 16 MiB each', '256 open files per process', '8 inotify instances, 100 watches']);
  });

  it('sandbox:limits cannot take a limit away or go above a ceiling', async () => {
    const { client, pid } = await weakestLearner();
    const pids = cgroupDir(pid, 'pids');
    const noLimit = await client.request<{ spec: ContainerSpec }>('sandbox:limits', { pidsLimit: null });
    expect(noLimit).toMatchObject({ ok: true, data: { spec: { resources: { pidsLimit: 48 } } } });
    expect(read(pids, 'pids.max')).toBe('48');
    const lower = await client.request<{ spec: ContainerSpec }>('sandbox:limits', { pidsLimit: 20 });
    expect(lower).toMatchObject({ ok: true });
    expect(read(pids, 'pids.max')).toBe('20');
    const huge = await client.request('sandbox:limits', { memoryBytes: 2 ** 50 });
    expect(huge).toMatchObject({ ok: false, code: 'forbidden', message: 'this workshop server caps memory at 96 MiB' });
    const forkBombSized = await client.request('sandbox:limits', { pidsLimit: 1_000_000 });
    expect(forkBombSized).toMatchObject({ ok: false, code: 'forbidden', message: 'this workshop server caps processes at 48' });
    expect(read(pids, 'pids.max')).toBe('20');
    const mem = cgroupDir(pid, 'memory');
    expect(Number(read(mem, isV1(mem) ? 'memory.limit_in_bytes' : 'memory.max'))).toBe(96 * MiB);
  });

  it('a fork bomb stops at the pids ceiling', async () => {
    const neighbour = (await learner()).client;
    const { client, pid } = await weakestLearner();
    const dir = cgroupDir(pid, 'pids');
    client.type('bomb() { bomb | bomb & }; bomb\r');
    let most = 0;
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      most = Math.max(most, Number(read(dir, 'pids.current')));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(most).toBeGreaterThan(40);
    expect(most).toBeLessThanOrEqual(48);
    // The kernel refused forks: the bomb reached the ceiling, and it held.
    expect(keyed(read(dir, 'pids.events'), 'max')).toBeGreaterThan(0);
    await hostAndNeighbourStillWork(neighbour);
  });

  it('busy loops on every CPU get half a CPU between them', async () => {
    const neighbour = (await learner()).client;
    const { client, pid } = await weakestLearner();
    client.type('for i in 1 2 3 4; do while :; do :; done & done\r');
    await new Promise((r) => setTimeout(r, 500));
    const before = cpuUsageSeconds(pid);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 2_000));
    const cpus = (cpuUsageSeconds(pid) - before) / ((Date.now() - started) / 1000);
    // Half a CPU, with a little slack (CFS enforces the quota per 100 ms period).
    expect(cpus).toBeGreaterThan(0.3);
    expect(cpus).toBeLessThanOrEqual(0.55);
    await hostAndNeighbourStillWork(neighbour);
  });

  it('a memory bomb is killed at the memory ceiling, with no swap', async () => {
    const neighbour = (await learner()).client;
    const { client, pid } = await weakestLearner();
    const dir = cgroupDir(pid, 'memory');
    // dd's buffer is 200 MiB, filled by read() from /dev/zero.
    const out = await client.run('dd if=/dev/zero of=/dev/null bs=200M count=1 2>&1; echo "exit=$?"', 20_000);
    expect(out).toMatch(/exit=137/);
    if (isV1(dir)) {
      expect(Number(read(dir, 'memory.max_usage_in_bytes'))).toBeLessThanOrEqual(96 * MiB);
      expect(keyed(read(dir, 'memory.oom_control'), 'oom_kill')).toBeGreaterThan(0);
    } else {
      if (existsSync(join(dir, 'memory.peak'))) expect(Number(read(dir, 'memory.peak'))).toBeLessThanOrEqual(96 * MiB);
      expect(keyed(read(dir, 'memory.events'), 'oom_kill')).toBeGreaterThan(0);
    }
    await hostAndNeighbourStillWork(neighbour);
  });

  it('a tmpfs is no larger than its ceiling, and a bigger one is refused naming it', async () => {
    const neighbour = (await learner()).client;
    const { client } = await weakestLearner();
    const big = { ...weakest(), filesystem: { ...weakest().filesystem, tmpfs: [{ path: '/tmp', sizeBytes: 1024 * MiB }] } };
    const refused = await client.request('sandbox:apply', { spec: big });
    expect(refused).toMatchObject({
      ok: false,
      code: 'forbidden',
      message: 'this workshop server caps each tmpfs at 16 MiB',
      issues: [{ path: ['spec', 'filesystem', 'tmpfs', 0, 'sizeBytes'], message: 'this workshop server caps each tmpfs at 16 MiB' }],
    });
    // The read-only switch brings its own 64 MiB /tmp: brought down to the ceiling.
    const before = client.readies.length;
    const toggled = await client.request<ContainerSpec>('sandbox:toggle', { toggle: 'readonly', on: true });
    expect(toggled).toMatchObject({ ok: true });
    const { pid } = await client.waitFor(() => client.readies[before], 'the read-only shell');
    await client.waitForText(/[#$] $/, { from: client.text.length - 200 });
    const out = await client.run('dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1; echo "exit=$?"', 20_000);
    expect(out).toMatch(/No space left on device/);
    const fs = statfsSync(`/proc/${pid}/root/tmp`);
    expect(fs.blocks * fs.bsize).toBeLessThanOrEqual(16 * MiB);
    expect((fs.blocks - fs.bfree) * fs.bsize).toBeLessThanOrEqual(16 * MiB);
    await hostAndNeighbourStillWork(neighbour);
  });

  it('open files and inotify instances and watches stop at their ceilings', async () => {
    const neighbour = (await learner()).client;
    const { client, pid } = await weakestLearner();
    installHoldFds(pid);
    const files = JSON.parse(await client.run('/tmp/hold-fds files 100000 & sleep 0.5', 10_000)) as { held: number; errno: number };
    // stdin, stdout and stderr are three of the 256.
    expect(files).toEqual({ kind: 'files', held: 253, errno: 24 });
    const first = await client.run('cd /tmp; ./hold-fds inotify 1000 & sleep 0.5; ./hold-fds inotify 1000 & sleep 0.5', 10_000);
    const [a, b] = first.trim().split('\n').map((l) => JSON.parse(l) as { held: number; errno: number });
    // Eight instances for the whole user namespace, not per process: the second program gets none (EMFILE).
    expect(a).toEqual({ kind: 'inotify', held: 8, errno: 24 });
    expect(b).toEqual({ kind: 'inotify', held: 0, errno: 24 });
    expect(await hostInotifyFdsOf(pid)).toBeLessThanOrEqual(8);
    await client.run('kill $(jobs -p); wait 2>/dev/null', 10_000);
    const watches = JSON.parse(await client.run('mkdir -p /tmp/w && cd /tmp/w && /tmp/hold-fds watches 1000 & sleep 0.5', 10_000)) as { held: number; errno: number };
    // inotify_add_watch says ENOSPC when the user's watches are used up.
    expect(watches).toEqual({ kind: 'watches', held: 100, errno: 28 });
    await hostAndNeighbourStillWork(neighbour);
  });
});

/** CPU time used by PID's cgroup so far, in seconds (v1 cpuacct.usage, v2 cpu.stat's usage_usec). */
function cpuUsageSeconds(pid: number): number {
  const dir = cgroupDir(pid, 'cpuacct');
  if (existsSync(join(dir, 'cpuacct.usage'))) return Number(read(dir, 'cpuacct.usage')) / 1e9;
  return keyed(read(dir, 'cpu.stat'), 'usage_usec') / 1e6;
}

/** The inotify instances held by the processes of PID's container, counted from the host's /proc. */
async function hostInotifyFdsOf(pid: number): Promise<number> {
  const procs = read(cgroupDir(pid, 'pids'), 'cgroup.procs').split('\n').filter(Boolean);
  let count = 0;
  for (const p of procs) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue; // exited meanwhile
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${p}/fd/${fd}`) === 'anon_inode:inotify') count++;
      } catch {
        // closed meanwhile
      }
    }
  }
  return count;
}
