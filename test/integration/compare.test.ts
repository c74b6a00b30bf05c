// Container vs host vs gVisor vs VM, for real: `isolab compare --json` starts a container, a gVisor
// sandbox and boots a QEMU VM, and the server's panel and side terminals do the same over the socket.
// [slow] Every describe here boots a VM (about 3 s under TCG on a quiet machine; more when loaded).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompareView, type CompareColumn, type Place } from '../../common/compare.js';
import type { SessionInfo, SideOpened } from '../../common/protocol.js';
import { REPO_ROOT, defaultPaths } from '../../server/base/paths.js';
import { descendantsOf, listProcesses } from '../../server/observe/proc.js';
import { LabClient, startLab, type RunningLab } from '../helpers/lab.js';

const SLOW_MS = 240_000;
const paths = defaultPaths();
const missing = [
  ['/usr/bin/qemu-system-x86_64', 'QEMU (qemu-system-x86)'],
  ['/usr/bin/runsc', 'gVisor (runsc)'],
  [join(paths.vmDir, 'vm.json'), 'the guest kernel (build/vm, prepared by setup)'],
].filter(([f]) => !existsSync(f!));
if (missing.length) throw new Error(`npm test's setup prepares these, and they are missing: ${missing.map(([, w]) => w).join(', ')}`);

const col = (view: CompareView, place: Place): CompareColumn => view.columns.find((c) => c.place === place)!;

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/isolab.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('isolab compare --json [slow: boots a VM]', () => {
  let view: CompareView;

  beforeAll(async () => {
    const res = await runCli(['compare', '--json']);
    if (res.code !== 0) throw new Error(`isolab compare exited ${res.code}: ${res.stderr}\n${res.stdout.slice(0, 2000)}`);
    view = CompareView.parse(JSON.parse(res.stdout));
  }, SLOW_MS);

  it('returns all four columns, measured', () => {
    expect(view.columns.map((c) => c.place)).toEqual(['container', 'host', 'gvisor', 'vm']);
    for (const c of view.columns) expect({ place: c.place, state: c.state, message: c.message }).toEqual({ place: c.place, state: 'ready', message: undefined });
  });

  it("shares the host's kernel in the container; gVisor and the VM report their own", () => {
    const host = col(view, 'host').facts!.kernelRelease;
    expect(host).toBe(release());
    expect(col(view, 'container').facts!.kernelRelease).toBe(host);
    expect(col(view, 'vm').facts!.kernelRelease).not.toBe(host);
    // The VM runs the Debian kernel extracted at setup, and says so.
    expect(col(view, 'vm').facts!.kernelRelease).toBe(JSON.parse(readFileSync(join(paths.vmDir, 'vm.json'), 'utf8')).kernelRelease);
    expect(col(view, 'gvisor').facts!.kernelRelease).not.toBe(host);
    expect(col(view, 'gvisor').facts!.kernelRelease).not.toBe(col(view, 'vm').facts!.kernelRelease);
  });

  it("the container's PID 1 is its shell; the VM's is its own init", () => {
    expect(col(view, 'container').facts!.pid1).toBe('sh');
    expect(col(view, 'vm').facts!.pid1).toBe('init');
    expect(col(view, 'host').facts!.processCount).toBeGreaterThan(col(view, 'container').facts!.processCount);
  });

  it('start and boot times are positive and ordered container < gVisor < VM', () => {
    const [c, g, v] = (['container', 'gvisor', 'vm'] as const).map((p) => col(view, p).facts!.startMs!);
    expect(c).toBeGreaterThan(0);
    expect(g).toBeGreaterThan(c!);
    expect(v).toBeGreaterThan(g!);
    for (const p of ['container', 'gvisor', 'vm'] as const) expect(col(view, p).facts!.pssKiB).toBeGreaterThan(0);
  });

  it('memory: the container sees the host\'s /proc/meminfo despite its limit; the VM sees its own RAM', () => {
    const host = col(view, 'host').facts!;
    const container = col(view, 'container').facts!;
    const vm = col(view, 'vm').facts!;
    expect(container.memTotalKiB).toBe(host.memTotalKiB);
    expect(container.memLimitBytes).toBe(256 * 1024 * 1024);
    expect(vm.memTotalKiB * 1024).toBeLessThanOrEqual(vm.memLimitBytes!);
    expect(vm.nproc).toBe(1);
  });

  it('system calls: seccomp refuses some in the container; none of gVisor\'s or the VM\'s reach the host kernel', () => {
    const container = col(view, 'container').facts!.syscalls!;
    expect(container.refused).toBeGreaterThan(30);
    expect(container.reachHost).toBe(container.answered);
    expect(col(view, 'host').facts!.syscalls!.refused).toBe(0);
    for (const p of ['gvisor', 'vm'] as const) {
      expect(col(view, p).facts!.syscalls!.reachHost).toBe(0);
      expect(col(view, p).facts!.syscalls!.answered).toBeGreaterThan(100);
    }
    expect(col(view, 'vm').facts!.modules.count).toBeGreaterThan(0);
    expect(col(view, 'vm').facts!.netInterfaces).toEqual(['lo']);
  });

  it('leaves no QEMU, runsc or container behind', async () => {
    // The command has exited: a QEMU or runsc of its would now be an orphan (re-parented to PID 1).
    const procs = await listProcesses();
    expect(procs.filter((p) => /^(qemu-system|runsc)/.test(p.comm) && p.ppid === 1)).toEqual([]);
    const runDir = paths.compareRun;
    if (existsSync(runDir)) expect(readdirSync(runDir).filter((f) => f.startsWith('vm-'))).toEqual([]);
  });
});

/** A side terminal's output as text, answering ash's cursor-position queries like a terminal does. */
function sideText(client: LabClient): Record<string, string> {
  const texts: Record<string, string> = { gvisor: '', vm: '', host: '' };
  const decoder = { gvisor: new TextDecoder(), vm: new TextDecoder(), host: new TextDecoder() };
  client.socket.on('sideterm:output', ({ target, data }) => {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const chunk = decoder[target].decode(bytes, { stream: true });
    if (chunk.includes('\x1b[6n')) client.socket.emit('sideterm:input', { target, data: '\x1b[1;1R' });
    texts[target] += chunk.replaceAll('\x1b[6n', '');
    client.socket.emit('sideterm:ack', { target, bytes: bytes.byteLength });
  });
  return texts;
}

async function waitFor<T>(get: () => T | undefined | null | false, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function learner(lab: RunningLab): Promise<{ client: LabClient; texts: Record<string, string>; updates: CompareView[] }> {
  const client = new LabClient(lab.url, lab.token);
  await client.connected();
  const texts = sideText(client);
  const updates: CompareView[] = [];
  client.socket.on('compare:update', (v) => updates.push(v));
  const reply = await client.request<SessionInfo>('session:start', { cols: 100, rows: 30 });
  if (!reply.ok) throw new Error(reply.message);
  await client.waitForText(/[#$] $/);
  return { client, texts, updates };
}

/** Flips a toggle and waits for the container column measured after it (not one pushed before it with another column). */
/**
 * The container's column measured after TOGGLE was set. A measurement of the old shell can still
 * finish after the toggle was sent (on a loaded machine): ACCEPT tells the new shell's column apart.
 */
async function toggled(l: Awaited<ReturnType<typeof learner>>, toggle: string, on: boolean, accept: (c: CompareColumn) => boolean = () => true): Promise<CompareColumn> {
  const since = Date.now();
  let reply = await l.client.request('sandbox:toggle', { toggle, on });
  // A learner may respawn their shell five times a second; these tests toggle faster than that.
  for (let tries = 0; !reply.ok && reply.code === 'rate_limited' && tries < 5; tries++) {
    await new Promise((r) => setTimeout(r, 1_000));
    reply = await l.client.request('sandbox:toggle', { toggle, on });
  }
  if (!reply.ok) throw new Error(reply.message);
  return waitFor(
    () => l.updates.map((v) => col(v, 'container')).find((c) => c.state === 'ready' && Date.parse(c.takenAt!) >= since && accept(c)),
    `the container column after ${toggle}=${on}`,
    30_000,
  );
}

describe('the comparison panel and the side terminals over the socket [slow: boots a VM]', () => {
  let lab: RunningLab;
  let a: Awaited<ReturnType<typeof learner>>;
  let b: Awaited<ReturnType<typeof learner>>;

  beforeAll(async () => {
    lab = await startLab({ compare: true });
    a = await learner(lab);
    b = await learner(lab);
  }, SLOW_MS);

  afterAll(async () => {
    a?.client.close();
    b?.client.close();
    await lab?.close();
  });

  it('compare:open answers at once with the container and the host, then gVisor and the VM arrive', async () => {
    const reply = await a.client.request<CompareView>('compare:open', {});
    if (!reply.ok) throw new Error(reply.message);
    const first = CompareView.parse(reply.data);
    expect(col(first, 'container').state).toBe('ready');
    expect(col(first, 'host').state).toBe('ready');
    expect(col(first, 'container').facts!.kernelRelease).toBe(release());
    const latest = () => a.updates.at(-1);
    await waitFor(() => latest() && col(latest()!, 'gvisor').state === 'ready' && col(latest()!, 'vm').state === 'ready', 'gVisor and VM columns', 120_000);
    const view = latest()!;
    expect(col(view, 'vm').cached).toBe(true);
    expect(Date.parse(col(view, 'vm').takenAt!)).toBeLessThanOrEqual(Date.now());
    expect(col(view, 'vm').facts!.kernelRelease).not.toBe(release());
    // The VM runs without a network device: nothing on QEMU's command line gives it one.
    const qemu = lab.compare!.vmPool.running[0]!;
    expect(readFileSync(`/proc/${qemu.pid}/cmdline`, 'utf8')).not.toMatch(/netdev|-nic/);
    // "Measure again" right after: nothing is measured twice so soon, and the answer says so.
    const again = await a.client.request<CompareView>('compare:open', { refresh: true });
    if (!again.ok) throw new Error(again.message);
    expect(CompareView.parse(again.data).notice).toMatch(/gVisor is measured again at most every 15 s: this is its last measurement \(again in \d+ s\).*the VM/);
  }, SLOW_MS);

  it("a toggle changes the container's column: with PID and mount namespaces PID 1 is the shell, without them the host's init", async () => {
    const columnAfter = (toggle: string, on: boolean) => toggled(a, toggle, on);
    // A PID namespace shows in /proc only with a fresh /proc: the mount namespace mounts one.
    await columnAfter('mount', true);
    const withPid = await columnAfter('pid', true);
    const shell = (await listProcesses()).find((p) => p.pid === lab.app.sessions.values().next().value!.shellPid)!.comm;
    expect(withPid.facts!.pid1).toBe(shell);
    await columnAfter('pid', false);
    const withoutPid = await columnAfter('mount', false);
    expect(withoutPid.facts!.pid1).toBe((await listProcesses()).find((p) => p.pid === 1)!.comm);
  }, SLOW_MS);

  it("the system call sweep runs confined as the learner's shell: seccomp on, calls are refused", async () => {
    const columnAfter = (on: boolean) => toggled(a, 'seccomp', on, (c) => /seccomp/.test(c.facts?.isolation ?? '') === on);
    const confined = await columnAfter(true);
    // Docker's profile for a shell with every capability still refuses some twenty-odd calls
    // (kexec_load, the module calls, …); with docker's 14 capabilities it refuses some sixty.
    expect(confined.facts!.syscalls!.refused).toBeGreaterThan(10);
    const free = await columnAfter(false);
    expect(free.facts!.syscalls!.refused).toBeLessThan(confined.facts!.syscalls!.refused);
  }, SLOW_MS);

  it('each learner gets their own VM shell (own guest user) that answers typed commands', async () => {
    const [ra, rb] = await Promise.all([
      a.client.request<SideOpened>('sideterm:open', { target: 'vm', cols: 100, rows: 30 }),
      b.client.request<SideOpened>('sideterm:open', { target: 'vm', cols: 100, rows: 30 }),
    ]);
    if (!ra.ok || !rb.ok) throw new Error(`${JSON.stringify(ra)} ${JSON.stringify(rb)}`);
    await waitFor(() => /learner\d@isolab-vm:~\$ $/.test(a.texts.vm!), "A's VM prompt");
    await waitFor(() => /learner\d@isolab-vm:~\$ $/.test(b.texts.vm!), "B's VM prompt");
    const userA = /(learner\d)@isolab-vm/.exec(a.texts.vm!)![1];
    const userB = /(learner\d)@isolab-vm/.exec(b.texts.vm!)![1];
    expect(userA).not.toBe(userB);
    const from = a.texts.vm!.length;
    a.client.socket.emit('sideterm:input', { target: 'vm', data: 'uname -r; id -un\r' });
    const vmRelease = JSON.parse(readFileSync(join(paths.vmDir, 'vm.json'), 'utf8')).kernelRelease as string;
    await waitFor(() => a.texts.vm!.slice(from).includes(`${vmRelease}\r\n${userA}`), 'uname -r in the VM', 30_000);
    // Learners cannot touch one another: B cannot signal A's shell, and is not root in the VM.
    const fromB = b.texts.vm!.length;
    b.client.socket.emit('sideterm:input', { target: 'vm', data: `kill -9 $(ps -o pid,user | awk '$2=="${userA}"{print $1}') 2>&1 | head -1; id -u\r` });
    await waitFor(() => /Operation not permitted|not permitted/i.test(b.texts.vm!.slice(fromB)) && /\r\n100\d\r\n/.test(b.texts.vm!.slice(fromB)), "B's refusal", 30_000);
  }, SLOW_MS);

  it('a gVisor shell runs in its own sandbox with its own kernel, and is gone when closed', async () => {
    const reply = await a.client.request<SideOpened>('sideterm:open', { target: 'gvisor', cols: 100, rows: 30 });
    if (!reply.ok) throw new Error(reply.message);
    await waitFor(() => /[#$] $/.test(a.texts.gvisor!), 'the gVisor prompt', 30_000);
    const from = a.texts.gvisor!.length;
    a.client.socket.emit('sideterm:input', { target: 'gvisor', data: 'uname -r\r' });
    await waitFor(() => /\r\n(\d+\.\d+\.\d+)\r\n/.exec(a.texts.gvisor!.slice(from)), 'uname -r in gVisor', 30_000);
    const gvRelease = /\r\n(\d+\.\d+\.\d+)\r\n/.exec(a.texts.gvisor!.slice(from))![1];
    expect(gvRelease).not.toBe(release());
    // From outside: a runsc sandbox runs below this server while the tab is open…
    const runscs = async () => descendantsOf(process.pid, await listProcesses()).filter((p) => p.comm.startsWith('runsc') || p.comm === 'exe');
    expect((await runscs()).length).toBeGreaterThan(0);
    await a.client.request('sideterm:close', { target: 'gvisor' });
    // …and none after it is closed.
    const deadline = Date.now() + 15_000;
    while ((await runscs()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await runscs()).toEqual([]);
  }, SLOW_MS);

  it('refuses malformed side terminal and comparison payloads, naming the field', async () => {
    const bad = await a.client.request('sideterm:open', { target: 'container', cols: 80, rows: 24 });
    expect(bad).toMatchObject({ ok: false, code: 'bad_request' });
    expect(!bad.ok && bad.message).toMatch(/target/);
    const bad2 = await a.client.request('compare:open', { refresh: 'please' });
    expect(bad2).toMatchObject({ ok: false, code: 'bad_request' });
    const errors = a.client.errors.length;
    a.client.socket.emit('sideterm:input', { target: 'vm', data: 42 } as never);
    await a.client.waitFor(() => (a.client.errors.length > errors ? true : undefined), 'session:error');
    expect(a.client.errors.at(-1)).toMatchObject({ code: 'bad_request', event: 'sideterm:input' });
  });
});
