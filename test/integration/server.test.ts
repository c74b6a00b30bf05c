// The whole server path with the real launcher: socket.io client → server → pty → shell in real
// namespaces → back. Asserts from inside (what the shell prints) and outside (inodes the host sees).
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExportView, InspectorView, SessionInfo } from '../../common/protocol.js';
import { ContainerSpec } from '../../common/spec.js';
import { descendantsOf, listProcesses } from '../../server/observe/proc.js';
import { LabClient, startLab, type RunningLab } from '../helpers/lab.js';
import { useLab } from '../helpers/use-lab.js';

const hostInode = (ns: string) => Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/self/ns/${ns}`))![1]);

let lab: RunningLab;
const clients: LabClient[] = [];

async function newSession(lessonId?: string): Promise<{ client: LabClient; info: SessionInfo }> {
  const client = new LabClient(lab.url, lab.token);
  clients.push(client);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40, ...(lessonId ? { lessonId } : {}) });
  if (!reply.ok) throw new Error(`session:start failed: ${reply.message}`);
  await client.waitForText(/[#$] $/);
  return { client, info: reply.data };
}

async function setToggle(client: LabClient, toggle: string, on: boolean) {
  const before = client.readies.length;
  const reply = await client.request<{ spec: ContainerSpec }>('sandbox:toggle', { toggle, on });
  expect(reply).toMatchObject({ ok: true });
  if (client.readies.length > before || !reply.ok) return reply;
  return reply;
}

beforeAll(async () => {
  lab = await startLab();
});
afterEach(() => {
  while (clients.length) clients.pop()!.close();
});
afterAll(async () => {
  await lab.close();
});

describe('a learner session', () => {
  it('starts a shell and reports it ready with its host PID and namespaces', async () => {
    const { client, info } = await newSession();
    expect(info.lessons.length).toBeGreaterThanOrEqual(2);
    const ready = client.readies[0]!;
    expect(ready.pid).toBeGreaterThan(1);
    expect(Object.keys(ready.namespaces)).toEqual(expect.arrayContaining(['uts', 'pid', 'mnt', 'ipc', 'net']));
    expect(ready.spawnToReadyUs).toBeGreaterThan(0);
  });

  it('UTS on: the shell has its own hostname and UTS inode; off: the host\'s', async () => {
    const { client } = await newSession();
    await setToggle(client, 'uts', true);
    const on = client.readies.at(-1)!;
    expect(on.spec.namespaces.uts).toBe(true);
    expect(on.namespaces.uts).not.toBe(hostInode('uts'));
    expect((await client.run('hostname')).trim()).toBe('isolab');

    await setToggle(client, 'uts', false);
    const off = client.readies.at(-1)!;
    expect(off.namespaces.uts).toBe(hostInode('uts'));
    expect((await client.run('hostname')).trim()).toBe(hostname());
  });

  it('PID on: the shell is PID 1 of its namespace; the host knows it by another number', async () => {
    const { client } = await newSession();
    await setToggle(client, 'pid', true);
    expect((await client.run('echo $$')).trim()).toBe('1');
    const ready = client.readies.at(-1)!;
    expect(ready.pid).toBeGreaterThan(1);
    expect(ready.namespaces.pid).not.toBe(hostInode('pid'));
  });

  it('own root filesystem: the shell sees the busybox image, not the host', async () => {
    const { client } = await newSession();
    await setToggle(client, 'rootfs', true);
    const ready = client.readies.at(-1)!;
    expect(ready.spec.namespaces.mount).toBe(true);
    expect(ready.namespaces.mnt).not.toBe(hostInode('mnt'));
    expect((await client.run('cat /etc/os-release')).toLowerCase()).toContain('isolab');
    expect((await client.run('ls /work 2>&1 || true'))).toMatch(/No such file/);
  });

  it('the inspector carries the probe\'s report about the shell next to the host\'s', async () => {
    const { client } = await newSession();
    await setToggle(client, 'ipc', true);
    const reply = await client.request<InspectorView>('inspector:refresh');
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    const { container, host, containerPid, error } = reply.data;
    expect(error).toBeNull();
    expect(containerPid).toBe(client.readies.at(-1)!.pid);
    expect(host?.namespaces?.ipc).toBe(hostInode('ipc'));
    expect(container?.namespaces?.ipc).not.toBe(hostInode('ipc'));
    expect(container?.namespaces?.ipc).toBe(client.readies.at(-1)!.namespaces.ipc);
    expect(container?.namespaces?.user).toBe(hostInode('user'));
    // About the shell itself (--pid), not the probe: the shell's PID as its own /proc numbers it.
    expect(container?.subject).toBe(container?.pid);
    expect(container?.caps?.effective.hex).toBe(/^CapEff:\s*(\S+)/m.exec(readFileSync(`/proc/${containerPid}/status`, 'utf8'))![1]);
  });

  it('a lesson check turns green only from real state (lesson 1: hostname changed inside)', async () => {
    const { client } = await newSession('01-uts-namespace');
    const reply = await client.request('lesson:open', { lessonId: '01-uts-namespace' });
    expect(reply.ok).toBe(true);
    const first = await client.waitFor(() => client.statuses.at(-1), 'a lesson status');
    expect(first.allPassed).toBe(false);
    client.type('hostname my-container\r');
    const passed = await client.waitFor(() => client.statuses.find((s) => s.allPassed), 'the check to pass', 15_000);
    expect(passed.lessonId).toBe('01-uts-namespace');
    expect(hostname()).not.toBe('my-container');
  });
});

describe('bad input', () => {
  it('a malformed message gets an error ack, the server survives, another session is untouched', async () => {
    const { client: victim } = await newSession();
    const { client: attacker } = await newSession();
    const cases: [string, unknown][] = [
      ['term:resize', { cols: 1e9, rows: 'x' }],
      ['sandbox:toggle', { toggle: 'privileged', on: true }],
      ['sandbox:toggle', 'uts'],
      ['lesson:open', { lessonId: '../../../etc/shadow' }],
      ['session:start', { cols: 80, rows: 24 }],
    ];
    for (const [event, payload] of cases) {
      const reply = await attacker.request(event, payload);
      expect(reply.ok, `${event} ${JSON.stringify(payload)}`).toBe(false);
      if (!reply.ok) expect(['bad_request', 'not_found']).toContain(reply.code);
    }
    // Events without an ack get a session:error instead.
    attacker.socket.emit('term:input', 42 as unknown as string);
    await attacker.waitFor(() => attacker.errors.find((e) => (e as { event?: string }).event === 'term:input'), 'session:error');
    // Oversized input is rejected without reaching the shell.
    attacker.socket.emit('term:input', 'x'.repeat(70_000));
    expect((await victim.run('echo still-here')).trim()).toBe('still-here');
    expect((await attacker.run('echo me-too')).trim()).toBe('me-too');
  });

  it('events before session:start are refused', async () => {
    const client = new LabClient(lab.url, lab.token);
    clients.push(client);
    await client.connected();
    const reply = await client.request('sandbox:toggle', { toggle: 'uts', on: true });
    expect(reply).toMatchObject({ ok: false, code: 'not_started' });
  });

  it('a wrong access token is refused before any session exists', async () => {
    const client = new LabClient(lab.url, 'not-the-token');
    clients.push(client);
    await expect(client.connected()).rejects.toThrow(/unauthorized/);
  });
});

describe('cleanup', () => {
  it('closing the browser kills the shell and everything it started', async () => {
    const { client } = await newSession();
    await setToggle(client, 'pid', true);
    const pid = client.readies.at(-1)!.pid;
    client.type('sleep 1000 & sleep 1001 &\r');
    await client.run('true');
    // Its children, found from the host (other programs on this machine may run sleeps of their own).
    const children = descendantsOf(pid, await listProcesses()).filter((p) => p.comm === 'sleep').map((p) => p.pid);
    expect(children).toHaveLength(2);
    client.close();
    await client.waitFor(() => (processAlive(pid) ? undefined : true), 'the shell to end');
    // The launcher kills and reaps the whole PID namespace before it exits: nothing outlives it.
    await client.waitFor(() => (children.some(processAlive) ? undefined : true), 'its children to end');
  });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a workshop server', () => {
  const workshop = useLab({ mode: 'workshop' });

  it('keeps its floor of confinement on, from inside and outside, and refuses to lower it', async () => {
    const client = new LabClient(workshop.url, workshop.token);
    clients.push(client);
    await client.connected();
    const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40, lessonId: '00-just-a-process' });
    if (!reply.ok) throw new Error(reply.message);
    expect(reply.data.lockedOn).toEqual(expect.arrayContaining(['user', 'seccomp', 'limits', 'rootfs', 'pid', 'cgroupns']));
    // no_new_privs is the learner's (lesson 13): in a user namespace of their own it guards nothing the floor needs.
    expect(reply.data.lockedOn).not.toContain('nnp');
    await client.waitForText(/[#$] $/);
    // Inside: root of a user namespace, a seccomp filter, PID 1.
    const status = await client.run('grep -E "^Seccomp:" /proc/self/status; cat /proc/self/uid_map; echo pid=$$');
    expect(status).toMatch(/Seccomp:\s+2/);
    expect(status).toMatch(/^\s*0\s+(\d+)\s+65536$/m);
    expect(status).toContain('pid=1');
    // Outside: that root is an unprivileged uid of its own range, in a cgroup with a pids limit.
    const pid = client.readies.at(-1)!.pid;
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    expect(uid).toBeGreaterThanOrEqual(100000);
    // (cgroup v1: the pids hierarchy's line; v2: the one unified line "0::/path".)
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    const v1 = lines.find((l) => /^\d+:pids:/.test(l));
    const pidsMax = v1
      ? readFileSync(`/sys/fs/cgroup/pids${v1.split(':')[2]}/pids.max`, 'utf8').trim()
      : readFileSync(`/sys/fs/cgroup${lines.find((l) => l.startsWith('0::'))!.slice(3)}/pids.max`, 'utf8').trim();
    expect(Number(pidsMax)).toBeGreaterThan(0);
    // Lowering the floor is refused, and the shell stays as it was.
    const refused = await client.request('sandbox:toggle', { toggle: 'seccomp', on: false });
    expect(refused).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await client.run('grep -E "^Seccomp:" /proc/self/status')).toMatch(/Seccomp:\s+2/);
    // What the user namespace still allows: root inside renames its own container (lesson 1).
    expect(await client.run('unshare -u sh -c "hostname inner && hostname"')).toContain('inner');
  });
});

describe('live cgroup limits', () => {
  it('change the running container\'s limits without a new shell, seen from inside and outside', async () => {
    const { client } = await newSession();
    await setToggle(client, 'rootfs', true);
    await new Promise((r) => setTimeout(r, 250)); // the respawn rate limit (5/s) is per session
    await setToggle(client, 'pid', true);
    await new Promise((r) => setTimeout(r, 250));
    await setToggle(client, 'limits', true);
    const readies = client.readies.length;
    const pid = client.readies.at(-1)!.pid;
    const pidsMaxOutside = () => {
      const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
      const v1 = lines.find((l) => /^\d+:pids:/.test(l));
      const dir = v1 ? `/sys/fs/cgroup/pids${v1.split(':')[2]}` : `/sys/fs/cgroup${lines.find((l) => l.startsWith('0::'))!.slice(3)}`;
      return readFileSync(`${dir}/pids.max`, 'utf8').trim();
    };
    expect(pidsMaxOutside()).toBe('64');
    const marker = (await client.run('echo $$ > /tmp/before; cat /tmp/before')).trim();

    const reply = await client.request<{ spec: ContainerSpec }>('sandbox:limits', { pidsLimit: 12 });
    expect(reply).toMatchObject({ ok: true, data: { spec: { resources: { pidsLimit: 12 } } } });
    expect(pidsMaxOutside()).toBe('12');
    // The same shell: no new ready, and what it wrote is still there.
    expect(client.readies.length).toBe(readies);
    expect((await client.run('cat /tmp/before')).trim()).toBe(marker);
    // Inside, the limit bites: a child shell cannot start 20 processes (it gives up at the first
    // fork the kernel refuses; the sleeps it did start end by themselves). Its last line is read
    // with builtins alone: while the sleeps hold the pids, the shell itself could fork nothing
    // (a pipeline into tail raced the sleeps for the last pid).
    const inside = await client.run(
      `sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 2 & done; echo all-started' >/tmp/forks 2>&1; while read -r l; do last=$l; done </tmp/forks; echo "$last"`,
    );
    expect(inside).not.toContain('all-started');
    expect(inside).toMatch(/can't fork|Resource temporarily unavailable/);

    // Bad values get a clear error and change nothing.
    const bad = await client.request('sandbox:limits', { pidsLimit: -5 });
    expect(bad).toMatchObject({ ok: false, code: 'bad_request' });
    const empty = await client.request('sandbox:limits', {});
    expect(empty).toMatchObject({ ok: false, code: 'bad_request' });
    expect(pidsMaxOutside()).toBe('12');
  });

  it('refuses limits for a container without its own cgroup', async () => {
    const { client } = await newSession();
    const reply = await client.request('sandbox:limits', { pidsLimit: 10 });
    expect(reply).toMatchObject({ ok: false, code: 'bad_request' });
    expect((reply as { message: string }).message).toMatch(/cgroup limits/);
  });
});

describe('export:get', () => {
  it('answers with the running settings as a docker run line and a config.json, and what each cannot say', async () => {
    const { client } = await newSession();
    await setToggle(client, 'rootfs', true);
    const reply = await client.request<ExportView>('export:get');
    if (!reply.ok) throw new Error(reply.message);
    expect(reply.data.docker.commandLine).toMatch(/^docker run /);
    // Lesson 0's settings share the host's PID namespace: docker says so with --pid host.
    expect(reply.data.docker.commandLine).toContain('--pid host');
    // The same command one option a line, for the page's narrow column.
    expect(reply.data.docker.lines[0]).toBe('docker run --rm -it');
    expect(reply.data.docker.lines).toContain('  --pid host');
    expect(reply.data.docker.lines.join(' ').replace(/\s+/g, ' ')).toBe(reply.data.docker.commandLine);
    const config = JSON.parse(reply.data.oci.json) as { linux: { namespaces: { type: string }[] } };
    expect(config.linux.namespaces.map((n) => n.type)).toEqual(['mount']);
    expect(reply.data.docker.unsupported).toEqual(["staying in the server's cgroup: docker always gives a container its own"]);
  });
});
