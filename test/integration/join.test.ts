// --join PID with the container's own options, like docker exec: the joined process gets the
// container's cgroup (and cgroup namespace), capabilities, no_new_privs, seccomp filter, Landlock
// rules, rlimits. Asserted from inside (what the joined program reads in /proc/self) and from
// outside (the joined process's /proc/PID on the host, the container's cgroup.procs); and without
// the options the joined process has none of it (so the options are what did it).
// Contract: native/README.md ("--join").
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeReport } from '../../common/probe.js';
import { FULL_ISOLATION, type ContainerSpec } from '../../common/spec.js';
import { ContainerContexts } from '../../server/runtime/container-context.js';
import { joinArgs, launcherArgs, type LaunchContext } from '../../server/runtime/launcher.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import { Prober } from '../../server/observe/probe.js';
import { LAUNCHER, compileDockerDefault, lsmStatus, parseStatus, procStatus, refused, run, start, type Started } from '../helpers/harden.js';
import { BUSYBOX, IMAGE, PROBE, expectRootAndBuilt } from '../helpers/launcher-run.js';

const sh = (script: string) => [BUSYBOX, 'sh', '-c', script];

// ---- the host's cgroups ----
const MOUNTINFO = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n');
const HOST_IS_V2 = MOUNTINFO.some((l) => / \/sys\/fs\/cgroup .* - cgroup2 /.test(l));
const UNIFIED = HOST_IS_V2 ? '/sys/fs/cgroup' : MOUNTINFO.some((l) => / \/sys\/fs\/cgroup\/unified .* - cgroup2 /.test(l)) ? '/sys/fs/cgroup/unified' : undefined;
const V1_PIDS = MOUNTINFO.map((l) => / (\/sys\/fs\/cgroup\/[^ ]+) .* - cgroup cgroup (\S+)$/.exec(l))
  .find((m) => m && m[2]!.split(',').includes('pids'))?.[1];

interface Backend {
  name: 'v1' | 'v2';
  available: string | undefined; // why not, or undefined
  args: string[];
  /** cgroup.procs of the container's cgroup on the host. */
  procs(name: string): string;
  /** Limits the container gets (v2 on a hybrid host may have no controller to limit with). */
  limits: string[];
}
const BACKENDS: Backend[] = [
  {
    name: 'v1',
    available: HOST_IS_V2 ? 'the host has no cgroup v1' : V1_PIDS ? undefined : 'no cgroup v1 hierarchy carries pids',
    args: [],
    procs: (name) => join(V1_PIDS!, 'isolab', name, 'cgroup.procs'),
    limits: ['--pids-limit', '32'],
  },
  {
    name: 'v2',
    available: UNIFIED ? undefined : 'the host has no cgroup2 mount',
    args: HOST_IS_V2 ? [] : ['--cgroup-root', UNIFIED ?? '/nonexistent'],
    procs: (name) => join(UNIFIED!, 'isolab', name, 'cgroup.procs'),
    limits: UNIFIED && readFileSync(join(UNIFIED, 'cgroup.controllers'), 'utf8').includes('pids') ? ['--pids-limit', '32'] : [],
  },
];

let workDir: string;
let seccompFile: string;

beforeAll(() => {
  expectRootAndBuilt([LAUNCHER, PROBE, BUSYBOX]);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-join-test-'));
  seccompFile = compileDockerDefault(workDir, []).file;
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** A running container (busybox sleep as PID 1) made with ARGS; its host PID. */
async function container(args: string[]): Promise<{ started: Started; pid: number }> {
  const started = start(['--unshare', 'mount,uts,ipc,pid,net,cgroup', '--rootfs', IMAGE, ...args], ['/bin/sleep', '300']);
  return { started, pid: (await started.ready).pid };
}

async function stop(c: { started: Started } | undefined): Promise<void> {
  if (!c) return;
  c.started.kill('SIGTERM');
  await c.started.done;
}

/** Runs PROGRAM through --join PID with OPTIONS; expects exit 0. */
async function joined(pid: number, options: string[], program: string[]): Promise<string> {
  const result = await run(['--join', String(pid), ...options], program);
  expect(result.code, `${result.stderr} ${JSON.stringify(result.status)}`).toBe(0);
  return result.stdout;
}

/** The cgroup paths of /proc/self/cgroup text, by hierarchy ("0" for v2's line). */
function cgroupPaths(text: string): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const line of text.trim().split('\n')) {
    const [id, controllers, path] = line.split(':');
    paths[controllers || id!] = path!;
  }
  return paths;
}

/** The host PID of the joined process, i.e. the one child of the joining launcher (its PID). */
async function childOf(pid: number): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (children) return Number(children.split(' ')[0]);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`launcher ${pid} never forked`);
}

describe.each(BACKENDS)('--join with the container\'s options (cgroup $name)', (backend) => {
  const name = `join-${randomBytes(6).toString('hex')}`;
  /** The container's own options that apply to a joined process (seccompFile exists once beforeAll ran). */
  const options = () => ['--cgroup', name, ...backend.args, '--cap-drop', 'ALL', '--no-new-privs', '--seccomp', seccompFile];
  let box: { started: Started; pid: number } | undefined;

  beforeAll(async () => {
    if (backend.available) return;
    box = await container([...options(), ...backend.limits]);
  });
  afterAll(() => stop(box));

  it.skipIf(backend.available)(`confines the joined process as the container: CapEff 0, NoNewPrivs 1, Seccomp 2, the container's cgroup${backend.available ? ` (skipped: ${backend.available})` : ''}`, async () => {
    const status = parseStatus(await joined(box!.pid, options(), sh('cat /proc/self/status')));
    expect(status.CapEff).toBe('0000000000000000');
    expect(status.CapBnd).toBe('0000000000000000');
    expect(status.NoNewPrivs).toBe('1');
    expect(status.Seccomp).toBe('2');
    expect(status.Seccomp_filters).toBe('1');
    // The container's own process, from the host, agrees.
    const first = procStatus(box!.pid);
    for (const key of ['CapEff', 'CapBnd', 'NoNewPrivs', 'Seccomp']) expect(status[key], key).toBe(first[key]);

    // In its cgroup namespace, the container's cgroup is "/" in every hierarchy it has one in.
    const paths = cgroupPaths(await joined(box!.pid, options(), [BUSYBOX, 'cat', '/proc/self/cgroup']));
    expect(paths[backend.name === 'v1' ? 'pids' : '0']).toBe('/');

    // The filter is docker's: unshare(CLONE_NEWUSER) is refused with EPERM.
    const result = await run(['--join', String(box!.pid), ...options()], sh('unshare -U true'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Operation not permitted/);
  });

  it.skipIf(backend.available)('is in the container\'s cgroup seen from the host (its cgroup.procs, /proc/PID/cgroup and status)', async () => {
    const joiner = spawn(LAUNCHER, ['--join', String(box!.pid), ...options(), '--', BUSYBOX, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const pid = await childOf(joiner.pid!);
      // Wait until it is PROGRAM (exec'd), not the launcher's fork still setting up.
      for (let i = 0; i < 500 && readlinkSync(`/proc/${pid}/exe`) !== BUSYBOX; i++) await new Promise((r) => setTimeout(r, 10));
      expect(readlinkSync(`/proc/${pid}/exe`)).toBe(BUSYBOX);
      expect(readFileSync(backend.procs(name), 'utf8').trim().split('\n').map(Number)).toContain(pid);
      const hostView = cgroupPaths(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
      expect(hostView[backend.name === 'v1' ? 'pids' : '0']).toMatch(new RegExp(`/isolab/${name}$`));
      expect(procStatus(pid)).toMatchObject({ CapEff: '0000000000000000', NoNewPrivs: '1', Seccomp: '2' });
      // The joining launcher itself stays outside (as docker exec's runc does): one extra process, not two.
      expect(readFileSync(backend.procs(name), 'utf8')).not.toMatch(new RegExp(`^${joiner.pid}$`, 'm'));
    } finally {
      joiner.kill('SIGKILL');
      await new Promise((r) => joiner.once('close', r));
    }
  });

  it.skipIf(backend.available)('without the options the joined process is the launcher\'s: full capabilities, no filter, the host\'s cgroup', async () => {
    const status = parseStatus(await joined(box!.pid, [], sh('cat /proc/self/status')));
    expect(BigInt(`0x${status.CapEff}`)).not.toBe(0n);
    expect(status.NoNewPrivs).toBe('0');
    expect(status.Seccomp).toBe('0');
    const paths = cgroupPaths(await joined(box!.pid, [], [BUSYBOX, 'cat', '/proc/self/cgroup']));
    // Outside the namespace's root cgroup, the path climbs above it.
    expect(paths[backend.name === 'v1' ? 'pids' : '0']).toMatch(/^\/\.\./);
  });

  it.skipIf(backend.available)('runs the probe confined: it still reports the container\'s namespaces', async () => {
    const report = ProbeReport.parse(JSON.parse(await joined(box!.pid, options(), [PROBE])));
    const inside = ProbeReport.parse(JSON.parse(await joined(box!.pid, [], [PROBE])));
    expect(report.namespaces).toEqual(inside.namespaces);
    expect(report.hostname).toBe(inside.hostname);
  });

  it.skipIf(backend.available)('--cgroup NAME of no container fails at join_cgroup with ENOENT, leaving nothing', async () => {
    const result = await run(['--join', String(box!.pid), '--cgroup', `${name}-missing`, ...backend.args], [BUSYBOX, 'true']);
    expect(result.code).toBe(125);
    expect(result.status).toMatchObject([{ type: 'error', step: 'join_cgroup', errno: 2 }]);
  });
});

describe('--join with the container\'s other hardening', () => {
  let box: { started: Started; pid: number } | undefined;
  beforeAll(async () => {
    box = await container(['--ulimit', 'nofile=100:200']);
  });
  afterAll(() => stop(box));

  it('--ulimit: the joined process gets the container\'s limits', async () => {
    const limits = await joined(box!.pid, ['--ulimit', 'nofile=100:200'], [BUSYBOX, 'cat', '/proc/self/limits']);
    expect(limits).toMatch(/^Max open files\s+100\s+200\s+files/m);
    expect(await joined(box!.pid, [], [BUSYBOX, 'cat', '/proc/self/limits'])).not.toMatch(/^Max open files\s+100\s+200/m);
  });

  it.skipIf(!lsmStatus().landlock.available)('--landlock-ro: the container\'s rules hold, and the program brought from the host may still run', async () => {
    const ro = ['--landlock-ro', '/'];
    expect(await joined(box!.pid, ro, [BUSYBOX, 'cat', '/etc/hostname'])).toBeTruthy();
    const write = await run(['--join', String(box!.pid), ...ro], sh('echo x > /tmp/landlocked'));
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Permission denied/);
    // Without the rules the same write works.
    await joined(box!.pid, [], sh('echo x > /tmp/landlocked && rm /tmp/landlocked'));
  });
});

describe('--join refuses what does not apply to a running container (exit 125, step args)', () => {
  it.each([
    [['--memory', '64m'], /--join: only --cgroup NAME/],
    [['--cgroup', 'x', '--pids-limit', '5'], /--join: only --cgroup NAME/],
    [['--cgroup', 'x', '--device-cgroup-rule', 'c 1:3 r'], /--join: only --cgroup NAME/],
    [['--cgroup-update', 'x', '--pids-limit', '5'], /--join: only --cgroup NAME/],
    [['--cgroup-root', '/sys/fs/cgroup'], /--cgroup-root needs --cgroup NAME/],
    [['--read-only'], /--join enters an existing container: its root filesystem options/],
    [['--tmpfs', '/tmp'], /--join enters an existing container: its root filesystem options/],
    [['--masked-paths', 'default'], /--join enters an existing container: its root filesystem options/],
    [['--root-mode', 'pivot'], /--join enters an existing container: its root filesystem options/],
    [['--unshare', 'pid'], /--join enters an existing container/],
  ])('%j', async (args, message) => {
    expect(await refused(['--join', '1', ...args])).toMatch(message);
  });
});

describe("the server's joinArgs (what server/observe/probe.ts passes for a session's shell)", () => {
  const spec: ContainerSpec = {
    ...FULL_ISOLATION,
    namespaces: { ...FULL_ISOLATION.namespaces, cgroup: true },
    resources: { ...FULL_ISOLATION.resources, cgroup: true, pidsLimit: 32 },
    capabilities: [],
    noNewPrivs: true,
    seccomp: 'docker-default',
  };
  let ctx: LaunchContext;
  let release: () => void = () => {};
  let box: { started: Started; pid: number } | undefined;
  beforeAll(async () => {
    // The server's own context: a cgroup name, an overlay upper directory, the seccomp program built once.
    const contexts = new ContainerContexts(IMAGE, join(workDir, 'containers'), join(REPO_ROOT, 'profiles/seccomp/docker-default.json'), LAUNCHER);
    ({ ctx, release } = contexts.acquire(spec, `join-${randomBytes(4).toString('hex')}`));
    expect(ctx.seccomp?.bpf).toMatch(/\.bpf$/);
    const started = start(launcherArgs(spec, ctx), ['/bin/sleep', '300']);
    box = { started, pid: (await started.ready).pid };
  });
  afterAll(async () => {
    await stop(box);
    release();
  });

  it('confines the joined process as launcherArgs confined the container', async () => {
    const status = parseStatus(await joined(box!.pid, joinArgs(spec, ctx), sh('cat /proc/self/status')));
    expect(status).toMatchObject({ CapEff: '0000000000000000', NoNewPrivs: '1', Seccomp: '2' });
    const paths = cgroupPaths(await joined(box!.pid, joinArgs(spec, ctx), [BUSYBOX, 'cat', '/proc/self/cgroup']));
    expect(paths[HOST_IS_V2 ? '0' : 'pids']).toBe('/');
  });

  it('Prober.container(pid, joinArgs) gets a report from inside', async () => {
    const prober = new Prober({ launcher: LAUNCHER, probe: PROBE });
    const report = await prober.container(box!.pid, joinArgs(spec, ctx));
    expect(report.hostname).toBe(spec.hostname);
    expect(report.processes.map((p) => p.comm).sort()).toEqual(['isolab-probe', 'sleep']);
  });
});

describe('--join into a container with its own user namespace', () => {
  const name = `join-userns-${randomBytes(6).toString('hex')}`;
  const options = () => ['--cgroup', name, '--cap-drop', 'ALL', '--cap-add', 'CHOWN', '--no-new-privs', '--seccomp', seccompFile];
  let box: { started: Started; pid: number } | undefined;
  beforeAll(async () => {
    const started = start(['--unshare', 'user,mount,uts,ipc,pid,net,cgroup', '--rootfs', IMAGE, ...options(), '--pids-limit', '32'], ['/bin/sleep', '300']);
    box = { started, pid: (await started.ready).pid };
  });
  afterAll(() => stop(box));

  it('the joined process is the container\'s root with the container\'s capabilities, filter and cgroup', async () => {
    const status = parseStatus(await joined(box!.pid, options(), sh('cat /proc/self/status')));
    expect(status.Uid!.split(/\s+/)[0]).toBe('0'); // root as the user namespace maps it
    expect(status).toMatchObject({ CapEff: '0000000000000001', CapBnd: '0000000000000001', NoNewPrivs: '1', Seccomp: '2' });
    const paths = cgroupPaths(await joined(box!.pid, options(), [BUSYBOX, 'cat', '/proc/self/cgroup']));
    expect(paths[HOST_IS_V2 ? '0' : 'pids']).toBe('/');
    // Its user namespace is the container's, and in it its uid 0 is a host uid other than 0.
    expect(readFileSync(`/proc/${box!.pid}/uid_map`, 'utf8')).toMatch(/^\s*0\s+[1-9]\d*\s+/);
  });
});
