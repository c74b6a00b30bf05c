// "Why did that fail?" through the real server: a learner's settings (set with the toggles), a
// command that fails in their shell, and diagnose:run's verdict. Inside: the shell's own output
// agrees with the verdict's baseline; outside: no throwaway container, cgroup or file is left, and
// what the command wrote never reaches the learner's container or the host.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnoseVerdict, SessionInfo } from '../../common/protocol.js';
import type { ContainerSpec, ToggleId } from '../../common/spec.js';
import { NO_ROOTFS_REFUSAL, RUN_TIMEOUT_MS } from '../../server/diagnose/diagnose.js';
import { IMAGE } from '../helpers/launcher-run.js';
import { LabClient, startLab, type RunningLab } from '../helpers/lab.js';

let lab: RunningLab;
const clients: LabClient[] = [];

async function session(toggles: Partial<Record<ToggleId, boolean>>, on: RunningLab = lab): Promise<LabClient> {
  const client = new LabClient(on.url, on.token);
  clients.push(client);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40 });
  if (!reply.ok) throw new Error(`session:start failed: ${reply.message}`);
  for (const [toggle, value] of Object.entries(toggles)) {
    const changed = await client.request<{ spec: ContainerSpec }>('sandbox:toggle', { toggle, on: value });
    expect(changed, toggle).toMatchObject({ ok: true });
  }
  await client.waitForText(/[#$] $/);
  return client;
}

const diagnose = (client: LabClient, command: string) => client.request<DiagnoseVerdict>('diagnose:run', { command });
async function verdictOf(client: LabClient, command: string): Promise<DiagnoseVerdict> {
  const reply = await diagnose(client, command);
  if (!reply.ok) throw new Error(`diagnose:run failed: ${reply.code} ${reply.message}`);
  return reply.data;
}
const effects = (v: DiagnoseVerdict) => Object.fromEntries(v.layers.map((l) => [l.layer, l.effect]));

/** Throwaway containers' cgroup directories of this server (their names end in -why-N-PID). */
function throwawayCgroups(): string[] {
  const roots = ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))];
  return roots
    .map((root) => join(root, 'isolab'))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => readdirSync(dir).filter((n) => new RegExp(`-why-\\d+-${process.pid}$`).test(n)).map((n) => join(dir, n)));
}
/** Processes whose command line contains TOKEN. */
function processesWith(token: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(token);
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  lab = await startLab();
});
afterEach(() => {
  while (clients.length) clients.pop()!.close();
  expect(throwawayCgroups(), 'a throwaway cgroup left behind').toEqual([]);
  expect(processesWith('--status-fd\u00003\u0000').filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('-why-')), 'a throwaway launcher left running').toEqual([]);
});
afterAll(async () => {
  await lab?.close();
});

describe('a layer that refused it', () => {
  it('mount with Docker\'s 14 capabilities: capabilities (CAP_SYS_ADMIN), and the filter refused mount(2)', async () => {
    const client = await session({ rootfs: true, caps: true, seccomp: true });
    expect(await client.run('mount -t tmpfs none /mnt 2>&1')).toMatch(/permission denied/i);
    const v = await verdictOf(client, 'mount -t tmpfs none /mnt');
    expect(v.reproduced).toBe(true);
    expect(v.baseline).toMatchObject({ outcome: 'refused', refusals: ['EACCES'] });
    expect(v.baseline.seccompRefused).toContainEqual({ syscall: 'mount', call: 'mount(2)', errno: 'EPERM', program: 'mount' });
    expect(effects(v)).toEqual({ seccomp: 'no-change', capabilities: 'works' });
    expect(v.culprits).toEqual(['capabilities']);
    const caps = v.layers.find((l) => l.layer === 'capabilities')!;
    expect(caps).toMatchObject({ succeeded: true, seccompRefused: [] });
    expect(caps.lifted).toMatch(/^capabilities: all \d+ \(was 14: /);
    expect(v.conclusion).toMatch(/^A missing capability refused it/);
    expect(v.conclusion).toContain('The capability it needs is CAP_SYS_ADMIN');
    expect(v.conclusion).toContain('The seccomp filter refused mount(2) (EPERM, from mount)');
    // The learner's own shell is untouched: still no tmpfs on /mnt there.
    expect(await client.run('grep -c " /mnt " /proc/mounts')).toBe('0\n');
  });

  it('touch / with a read-only root: the read-only root', async () => {
    const client = await session({ readonly: true });
    const v = await verdictOf(client, 'touch /x');
    expect(v.baseline).toMatchObject({ outcome: 'refused', refusals: ['EROFS'], excerpt: 'touch: /x: Read-only file system' });
    expect(v.layers.map((l) => [l.layer, l.effect, l.succeeded])).toEqual([['read-only-root', 'works', true]]);
    expect(v.layers[0]!.lifted).toBe('root filesystem: writable (was read-only)');
    expect(v.culprits).toEqual(['read-only-root']);
    expect(v.conclusion).toBe('The read-only root filesystem refused it: with the read-only root lifted, it worked.');
    // What the lifted run wrote went away with its container: not in the learner's, not on the host, not in the image.
    expect(await client.run('ls /x 2>&1')).toMatch(/No such file/);
    expect(existsSync('/x')).toBe(false);
    expect(existsSync(join(IMAGE, 'x'))).toBe(false);
  });

  it('opening a device outside Docker\'s list with the cgroup limits on: the device cgroup', async () => {
    const client = await session({ rootfs: true, limits: true });
    const command = 'mknod /dev/why c 10 237 && head -c 0 /dev/why';
    expect(await client.run(`${command} 2>&1`)).toMatch(/Operation not permitted/);
    const v = await verdictOf(client, command);
    expect(v.baseline).toMatchObject({ outcome: 'refused', refusals: ['EPERM'], seccompRefused: [] });
    expect(effects(v)).toEqual({ 'device-cgroup': 'works' });
    expect(v.culprits).toEqual(['device-cgroup']);
    expect(v.conclusion).toMatch(/^The device cgroup refused it/);
  });

  it('unshare -U with Docker\'s profile and capabilities: the filter (and the capabilities only through it)', async () => {
    const client = await session({ rootfs: true, caps: true, seccomp: true });
    const v = await verdictOf(client, 'unshare -U true');
    expect(v.baseline.seccompRefused).toEqual([{ syscall: 'unshare', call: 'unshare(CLONE_NEWUSER)', errno: 'EPERM', program: 'unshare' }]);
    expect(effects(v)).toEqual({ seccomp: 'works', capabilities: 'works' });
    expect(v.culprits).toEqual(['seccomp', 'capabilities']);
    expect(v.conclusion).toContain('The capabilities count only through the filter');
  });

  it('the learner\'s own profile: its errno is kept (EACCES for mkdir), and the filter is named', async () => {
    const client = await session({ rootfs: true });
    const applied = await client.request('seccomp:apply', {
      profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] },
    });
    expect(applied).toMatchObject({ ok: true });
    await client.waitForText(/[#$] $/);
    expect(await client.run('mkdir /why 2>&1')).toMatch(/Permission denied/);
    const v = await verdictOf(client, 'mkdir /why');
    expect(v.baseline).toMatchObject({ outcome: 'refused', refusals: ['EACCES'], excerpt: expect.stringMatching(/Permission denied/) });
    expect(v.baseline.seccompRefused).toEqual([{ syscall: 'mkdir', call: 'mkdir(2)', errno: 'EACCES', program: 'mkdir' }]);
    expect(v.layers.map((l) => [l.layer, l.effect, l.lifted])).toEqual([['seccomp', 'works', 'seccomp: unconfined (was your own profile)']]);
    expect(v.conclusion).toMatch(/^The seccomp filter refused it: with the seccomp filter lifted, it worked\. The seccomp filter refused mkdir\(2\) \(EACCES, from mkdir\)\.$/);
  });

  it('swapon with every capability under Docker\'s profile: the filter alone (it gets past, then EINVAL)', async () => {
    const client = await session({ rootfs: true, seccomp: true });
    const v = await verdictOf(client, 'swapon /dev/null');
    expect(v.baseline.seccompRefused).toEqual([{ syscall: 'swapon', call: 'swapon(2)', errno: 'EPERM', program: 'swapon' }]);
    expect(v.layers.map((l) => [l.layer, l.effect])).toEqual([['seccomp', 'gets-past']]);
    expect(v.layers[0]!.excerpt).toBe('swapon: /dev/null: Invalid argument');
    expect(v.culprits).toEqual(['seccomp']);
    expect(v.conclusion).toMatch(/^The seccomp filter refused it: with the seccomp filter lifted, it got past the refusal/);
  });
});

describe('no layer to blame', () => {
  it('a command that succeeds: "it did not fail"', async () => {
    const client = await session({ rootfs: true, caps: true, seccomp: true });
    const v = await verdictOf(client, 'echo hello');
    expect(v).toMatchObject({ reproduced: false, layers: [], culprits: [], runs: 1 });
    expect(v.baseline).toMatchObject({ outcome: 'succeeded', exitCode: 0, excerpt: 'hello' });
    expect(v.conclusion).toMatch(/^It did not fail here/);
  });

  it('a command failing for another reason (cat /nonexistent): every lift fails the same way', async () => {
    const client = await session({ rootfs: true, caps: true, seccomp: true, readonly: true });
    const v = await verdictOf(client, 'cat /nonexistent');
    expect(v.reproduced).toBe(true);
    expect(v.baseline).toMatchObject({ outcome: 'failed', refusals: [], exitCode: 1 });
    expect(Object.values(effects(v)).every((e) => e === 'no-change')).toBe(true);
    expect(v.layers.map((l) => l.layer)).toEqual(['seccomp', 'capabilities', 'read-only-root']);
    expect(v).toMatchObject({ culprits: [], combination: null });
    expect(v.conclusion).toMatch(/with all of them at once, it still failed/);
    expect(v.conclusion).toMatch(/It fails for another reason than isolation/);
  });

  it('a command that never ends: stopped after the time limit with its whole container', async () => {
    const client = await session({ rootfs: true });
    const token = `${Math.floor(RUN_TIMEOUT_MS / 1000) + 7}.${Date.now() % 100000}`;
    const v = await verdictOf(client, `sleep ${token}`);
    expect(v).toMatchObject({ reproduced: false, runs: 1, baseline: { outcome: 'timeout', exitCode: null } });
    expect(v.conclusion).toMatch(/still running after 3 seconds/);
    expect(processesWith(`sleep\u0000${token}`)).toEqual([]);
  });
});

describe('refusals', () => {
  it('settings without an own root filesystem: refused, with the reason, and nothing runs', async () => {
    const client = await session({});
    const reply = await diagnose(client, 'touch /etc/isolab-why-must-not-exist');
    expect(reply).toEqual({ ok: false, code: 'forbidden', message: NO_ROOTFS_REFUSAL });
    expect(existsSync('/etc/isolab-why-must-not-exist')).toBe(false);
  });

  it.each([
    ['no payload', []],
    ['no command', [{}]],
    ['a number', [{ command: 42 }]],
    ['an empty line', [{ command: '  ' }]],
    ['more than 1 KiB', [{ command: 'x'.repeat(1025) }]],
    ['two lines', [{ command: 'true\nreboot' }]],
    ['an extra field', [{ command: 'true', spec: { rootfs: true } }]],
  ])('malformed (%s): an error reply, and the session goes on', async (_what, args) => {
    const client = await session({ rootfs: true });
    const reply = await client.request<DiagnoseVerdict>('diagnose:run', ...args);
    expect(reply).toMatchObject({ ok: false, code: 'bad_request' });
    expect((reply as { message: string }).message).toMatch(/^diagnose:run: /);
    expect(await client.run('echo still here')).toBe('still here\n');
  });

  it('one diagnosis at a time per session; two at a time per server', async () => {
    const slow = 'sleep 1; touch /x'; // fails (read-only root) after a second, in each of its runs
    const [a, b, c] = await Promise.all([session({ readonly: true }), session({ readonly: true }), session({ readonly: true })]);
    const first = diagnose(a!, slow);
    const second = diagnose(b!, slow);
    await new Promise((r) => setTimeout(r, 300));
    const same = await diagnose(a!, slow);
    expect(same).toMatchObject({ ok: false, code: 'rate_limited' });
    const third = await diagnose(c!, slow);
    expect(third).toMatchObject({ ok: false, code: 'server_full' });
    const done = await Promise.all([first, second]);
    for (const reply of done) expect(reply).toMatchObject({ ok: true, data: { culprits: ['read-only-root'] } });
    // Once they are done, the next one may run.
    expect(await diagnose(c!, 'touch /x')).toMatchObject({ ok: true });
  });
});

describe('a workshop server', () => {
  let workshop: RunningLab;
  beforeAll(async () => {
    workshop = await startLab({ mode: 'workshop' });
  });
  afterAll(async () => {
    await workshop?.close();
  });

  it('never lifts what it keeps on, and still names the filter\'s refusal', async () => {
    const client = await session({ caps: true }, workshop);
    const v = await verdictOf(client, 'mount -t tmpfs none /mnt');
    expect(v.notLifted.map((n) => n.layer)).toEqual(['seccomp', 'masked-paths', 'device-cgroup', 'user-namespace', 'rlimits']);
    expect(v.layers.map((l) => l.layer)).toEqual(['capabilities']);
    expect(v.culprits).toEqual(['capabilities']);
    expect(v.baseline.seccompRefused.map((c) => c.syscall)).toContain('mount');
    expect(v.conclusion).toMatch(/Not lifted, because this workshop server keeps them on: the seccomp filter, /);
  });
});
