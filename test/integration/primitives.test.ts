// Every switch of the toggle board, through the path the server takes — ContainerSpec →
// applyToggle → ContainerContexts → launcherArgs → the launcher, then the probe through --join with
// the container's own confinement (joinArgs) — switched on and off, asserting the difference from
// inside (the probe's report, or a command in the container) and from outside (what the host reads
// in /proc, cgroupfs, sysfs). The per-primitive files (cgroup, userns, net, seccomp, …) test each
// launcher option in depth; this one proves the settings model drives every one of them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, type Capability } from '../../common/capabilities.js';
import type { ProbeReport } from '../../common/probe.js';
import { FULL_ISOLATION, TOGGLE_IDS, applyToggle, type ContainerSpec, type ToggleId } from '../../common/spec.js';
import { ContainerContexts } from '../../server/runtime/container-context.js';
import { BRIDGE, joinArgs, launcherArgs } from '../../server/runtime/launcher.js';
import { defaultPaths } from '../../server/base/paths.js';
import { Prober } from '../../server/observe/probe.js';
import { LAUNCHER, start, type Started } from '../helpers/launcher-run.js';

const paths = defaultPaths();
const contexts = ContainerContexts.forLab(paths);
const prober = new Prober(paths);
afterAll(() => contexts.dispose());

/** What one running container looks like, from both sides. */
interface Seen {
  inside: ProbeReport;
  pid: number;
  /** /proc/PID/status of the container's first process, read by the host. */
  status: string;
  /** A command run in the container with its confinement (busybox sh -c). */
  run(command: string): { code: number | null; out: string };
}

async function observe(spec: ContainerSpec, look: (seen: Seen) => void | Promise<void>): Promise<void> {
  const { ctx, release } = contexts.acquire(spec, 'primitives');
  let started: Started | undefined;
  try {
    started = start(launcherArgs(spec, ctx), ['/bin/sleep', '1000']);
    const { pid } = await started.ready;
    const join = joinArgs(spec, ctx);
    const inside = await prober.container(pid, join);
    await look({
      inside,
      pid,
      status: readFileSync(`/proc/${pid}/status`, 'utf8'),
      run: (command) => {
        // --join opens PROGRAM on the host and runs it inside: the image's static busybox works anywhere.
        const shell = [join_busybox(), 'sh', '-c', command];
        const res = spawnSync(LAUNCHER, ['--join', String(pid), ...join, '--', ...shell], { encoding: 'utf8' });
        return { code: res.status, out: `${res.stdout}${res.stderr}` };
      },
    });
  } finally {
    started?.kill('SIGTERM');
    await started?.done;
    release();
  }
}

const join_busybox = () => join(paths.rootfs, 'bin', 'busybox');
const field = (status: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
const nsDiffers = (pid: number, ns: string) => statSync(`/proc/${pid}/ns/${ns}`).ino !== statSync(`/proc/self/ns/${ns}`).ino;
const mountinfo = (pid: number) => readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
const capMask = (names: readonly string[]) => names.reduce((m, n) => m | (1n << BigInt(CAPABILITIES.indexOf(n as Capability))), 0n);
/** The pids.max the host sees for PID's cgroup (v1: the pids hierarchy; v2: the unified one). */
function hostPidsMax(pid: number): string | null {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:pids:/.test(l));
  const dir = v1 ? `/sys/fs/cgroup/pids${v1.split(':')[2]}` : `/sys/fs/cgroup${lines.find((l) => l.startsWith('0::'))?.slice(3) ?? ''}`;
  return existsSync(`${dir}/pids.max`) ? readFileSync(`${dir}/pids.max`, 'utf8').trim() : null;
}

/** Per switch: what must hold with it off, and with it on, seen from inside and outside. */
const EXPECT: Record<ToggleId, (seen: Seen, on: boolean) => void> = {
  uts: ({ inside, pid }, on) => {
    expect(inside.hostname === 'isolab').toBe(on);
    expect(nsDiffers(pid, 'uts')).toBe(on);
  },
  pid: ({ inside, status }, on) => {
    expect(inside.pid === 1).toBe(on);
    expect(field(status, 'NSpid').split(/\s+/).length).toBe(on ? 2 : 1);
  },
  mount: ({ pid }, on) => {
    expect(nsDiffers(pid, 'mnt')).toBe(on);
  },
  rootfs: ({ inside, pid }, on) => {
    expect(inside.rootfs?.fstype === 'overlay').toBe(on);
    const root = statSync(`/proc/${pid}/root/`);
    const host = statSync('/');
    expect(root.dev !== host.dev || root.ino !== host.ino).toBe(on);
  },
  readonly: ({ inside, pid, run }, on) => {
    expect(inside.rootfs?.readOnly).toBe(on);
    const rootLine = mountinfo(pid).split('\n').find((l) => l.split(' ')[4] === '/')!;
    expect(/(^|,)ro(,|$)/.test(rootLine.split(' ')[5]!)).toBe(on);
    expect(run('touch /written-here').code === 0).toBe(!on);
  },
  masked: ({ inside, pid }, on) => {
    expect(inside.paths.masked.find((p) => p.path === '/proc/keys')?.state === 'masked').toBe(on);
    expect(mountinfo(pid).split('\n').some((l) => l.split(' ')[4] === '/proc/keys')).toBe(on);
  },
  limits: ({ inside, pid }, on) => {
    // (Off, the shell sits in the server's cgroup: whatever limit that has, it is not the lesson's 64.)
    expect(inside.cgroup.pids?.max === 64).toBe(on);
    expect(hostPidsMax(pid) === '64').toBe(on);
  },
  net: ({ inside, pid }, on) => {
    expect(inside.netInterfaces.includes('lo') && inside.netInterfaces.length === 1).toBe(on);
    expect(nsDiffers(pid, 'net')).toBe(on);
  },
  bridge: ({ inside, pid }, on) => {
    const eth0 = inside.interfaces.find((i) => i.name === 'eth0');
    expect(eth0?.addresses.some((a) => a.address.startsWith('10.88.')) ?? false).toBe(on);
    // Outside: the host end of a veth on isolab's bridge, in the host's network namespace.
    const ports = existsSync(`/sys/class/net/${BRIDGE.name}/brif`) ? readdirSync(`/sys/class/net/${BRIDGE.name}/brif`) : [];
    expect(ports.includes(`isolab${pid}`)).toBe(on);
  },
  ipc: ({ inside, pid }, on) => {
    expect(inside.namespaces.ipc !== statSync('/proc/self/ns/ipc').ino).toBe(on);
    expect(nsDiffers(pid, 'ipc')).toBe(on);
  },
  user: ({ inside, status }, on) => {
    const map = inside.user.uidMap?.[0];
    expect(map !== undefined && map.inside === 0 && map.outside >= 100000).toBe(on);
    expect(Number(field(status, 'Uid').split(/\s+/)[0]) >= 100000).toBe(on);
  },
  cgroupns: ({ inside, pid }, on) => {
    expect(inside.namespaces.cgroup !== statSync('/proc/self/ns/cgroup').ino).toBe(on);
    // On, its own cgroup is the root of what it sees.
    if (on) expect(inside.cgroup.paths.every((p) => p.path === '/')).toBe(true);
    expect(nsDiffers(pid, 'cgroup')).toBe(on);
  },
  caps: ({ inside, status }, on) => {
    const docker = capMask(DOCKER_DEFAULT_CAPABILITIES).toString(16).padStart(16, '0');
    expect(inside.caps?.effective.hex === docker).toBe(on);
    expect(field(status, 'CapBnd') === docker).toBe(on);
  },
  nnp: ({ inside, status }, on) => {
    expect(inside.noNewPrivs).toBe(on);
    expect(field(status, 'NoNewPrivs')).toBe(on ? '1' : '0');
  },
  seccomp: ({ inside, status }, on) => {
    expect(inside.seccomp.mode).toBe(on ? 2 : 0);
    expect(field(status, 'Seccomp')).toBe(on ? '2' : '0');
  },
  landlock: ({ inside, run, pid }, on) => {
    // The inspector still names the container's namespaces (read from outside if Landlock hides them).
    expect(inside.namespaces.mnt).toBe(statSync(`/proc/${pid}/ns/mnt`).ino);
    // Inside: outside its read-write paths (/tmp, /dev) nothing may be written, even by root.
    expect(run('mkdir /etc/landlocked-out && echo made').out.includes('made')).toBe(!on);
    expect(run('touch /tmp/allowed && echo made').out).toContain('made');
    // Outside there is no Landlock state to read (the kernel exposes none per process); what the host
    // can show is that Landlock binds the process, not the files: the host writes into that /etc,
    // and the container reads it.
    writeFileSync(`/proc/${pid}/root/etc/from-host`, 'hello\n');
    expect(run('cat /etc/from-host').out).toContain('hello');
  },
};

/** Every switch starts from FULL_ISOLATION (own namespaces and root) with its own state flipped. */
describe.each(TOGGLE_IDS.map((id) => ({ id })))('switch $id', ({ id }) => {
  for (const on of [false, true]) {
    it(`${on ? 'on' : 'off'}: seen from inside and outside`, async () => {
      const spec = applyToggle(FULL_ISOLATION, id, on).spec;
      await observe(spec, (seen) => EXPECT[id](seen, on));
    });
  }
});
