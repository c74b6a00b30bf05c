// gVisor: runsc (Debian's package) runs the same busybox image and probe in a sandbox whose
// "kernel" is the Sentry, a Go program in user space that answers every system call itself. Here
// it intercepts them with ptrace (--platform=ptrace: the KVM platform hangs on this machine) and the
// sandbox has no network (--network=none).
//
// Every sandbox gets its own OCI bundle (a config.json pointing at the shared, read-only image)
// under the comparison's run directory, and is deleted with `runsc delete --force` when done.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nodePty from 'node-pty';
import type { LabPaths } from '../base/paths.js';
import type { Ceilings } from '../floor/ceilings.js';
import { removeStaleRunDirs, type Availability } from './vm.js';

export const RUNSC = '/usr/bin/runsc';
/** The sandbox's limits, the same as the VM's and the teaching container's, so the columns compare. */
export const GVISOR_MEMORY_BYTES = 256 * 1024 * 1024;
export const GVISOR_CPUS = 0.5;

/** A sandbox's cgroup limits and open files. (No pids limit: runsc here refuses to start under one.) */
export interface GvisorLimits {
  memoryBytes: number;
  cpus: number;
  openFiles: number;
}

export const GVISOR_LIMITS: GvisorLimits = { memoryBytes: GVISOR_MEMORY_BYTES, cpus: GVISOR_CPUS, openFiles: 1024 };

/** The sandbox's limits on a workshop server: its own, or the learner's ceilings where those are lower. */
export function gvisorLimitsUnder(c: Pick<Ceilings, 'memoryBytes' | 'cpus' | 'openFiles'>): GvisorLimits {
  return { memoryBytes: Math.min(GVISOR_MEMORY_BYTES, c.memoryBytes), cpus: Math.min(GVISOR_CPUS, c.cpus), openFiles: Math.min(GVISOR_LIMITS.openFiles, c.openFiles) };
}

export interface GvisorRuntime {
  runsc: string;
  rootfs: string;
  /** runsc's state (--root) and the bundles. */
  stateDir: string;
  bundlesDir: string;
  limits: GvisorLimits;
}

export function loadGvisor(paths: Pick<LabPaths, 'rootfs' | 'compareRun'>, runsc = RUNSC, limits: GvisorLimits = GVISOR_LIMITS): Availability<GvisorRuntime> {
  if (!existsSync(runsc)) {
    return { ok: false, message: `gVisor is not installed (${runsc}). Install it with: apt-get install runsc — or run \`npm start\` as root, which installs it.` };
  }
  if (!existsSync(join(paths.rootfs, 'usr/local/bin/isolab-sysview'))) {
    return { ok: false, message: `the busybox image (${paths.rootfs}) lacks the sysview: run \`npm run setup\` to rebuild it.` };
  }
  // Sandboxes of a server that was killed: delete them with runsc (it knows their processes and cgroups).
  removeStaleRunDirs(paths.compareRun, /^runsc-(\d+)$/, (dir) => {
    spawnSync(runsc, ['--root', join(dir, 'state'), 'delete', '--force', ...listSandboxes(runsc, join(dir, 'state'))], { stdio: 'ignore', timeout: 10_000 });
  });
  const base = join(paths.compareRun, `runsc-${process.pid}`);
  return { ok: true, value: { runsc, rootfs: paths.rootfs, stateDir: join(base, 'state'), bundlesDir: join(base, 'bundles'), limits } };
}

function listSandboxes(runsc: string, stateDir: string): string[] {
  const res = spawnSync(runsc, ['--root', stateDir, 'list', '-quiet'], { encoding: 'utf8', timeout: 10_000 });
  return res.status === 0 ? res.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
}

/** runsc's global flags: ptrace platform, no network, our own state directory. */
export function runscFlags(rt: GvisorRuntime): string[] {
  return ['--root', rt.stateDir, '--platform=ptrace', '--network=none'];
}

/** A minimal OCI config: the shared image read-only, a tmpfs for /tmp and root's home, docker's three capabilities-ish defaults from `runsc spec`. */
export function ociConfig(rt: GvisorRuntime, opts: { args: string[]; terminal: boolean; hostname?: string }): object {
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP'];
  return {
    ociVersion: '1.0.0',
    process: {
      terminal: opts.terminal,
      user: { uid: 0, gid: 0 },
      args: opts.args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm-256color', 'HOME=/root', "PS1=\\u@\\h:\\w\\$ "],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: rt.limits.openFiles, soft: rt.limits.openFiles }],
      noNewPrivileges: true,
    },
    root: { path: rt.rootfs, readonly: true },
    hostname: opts.hostname ?? 'isolab-gvisor',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=32m'] },
      { destination: '/root', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=700', 'size=8m'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      resources: {
        memory: { limit: rt.limits.memoryBytes },
        cpu: { quota: Math.round(rt.limits.cpus * 100_000), period: 100_000 },
      },
    },
  };
}

/** Writes a bundle for one sandbox; returns its id and directory. */
export function makeBundle(rt: GvisorRuntime, opts: { args: string[]; terminal: boolean }): { id: string; dir: string } {
  const id = `isolab-${process.pid}-${randomBytes(4).toString('hex')}`;
  const dir = join(rt.bundlesDir, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(rt.stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(ociConfig(rt, opts)));
  return { id, dir };
}

/** Stops a sandbox and forgets it (idempotent; runsc's own cleanup of cgroups and gofer). */
export function destroySandbox(rt: GvisorRuntime, id: string, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn(rt.runsc, [...runscFlags(rt), 'delete', '--force', id], { stdio: 'ignore' });
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    p.on('exit', done);
    p.on('error', done);
  });
}

/** An interactive shell in a fresh sandbox, on a pty (runsc uses its own terminal as the console). */
export function spawnGvisorShell(rt: GvisorRuntime, size: { cols: number; rows: number }): { pty: nodePty.IPty; id: string; dir: string } {
  const { id, dir } = makeBundle(rt, { args: ['/bin/sh', '-l'], terminal: true });
  const pty = nodePty.spawn(rt.runsc, [...runscFlags(rt), 'run', '--bundle', dir, id], {
    name: 'xterm-256color',
    cols: size.cols,
    rows: size.rows,
    cwd: '/',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TERM: 'xterm-256color' },
    encoding: null,
  } as nodePty.IPtyForkOptions);
  return { pty, id, dir };
}
