// Talking to native/launcher: its command line (built from a ContainerSpec) and its status lines
// (ready / error / exit, one JSON object per line — contract in native/README.md).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { NAMESPACE_KINDS, type ContainerSpec, type Resources } from '../../common/spec.js';

export const ReadyLine = z.object({
  type: z.literal('ready'),
  pid: z.number().int().positive(),
  namespaces: z.record(z.string(), z.number()),
  /** With --cgroup: how the first process got into its cgroup (clone3 into it, or moved in after clone). */
  cgroup_via: z.enum(['clone3', 'self', 'attach']).optional(),
  timings_us: z.record(z.string(), z.number()),
});
export const ErrorLine = z.object({
  type: z.literal('error'),
  step: z.string(),
  errno: z.number().int(),
  message: z.string(),
});
export const ExitLine = z.object({ type: z.literal('exit'), code: z.number().int() });
/** `--cgroup-update`: the limits of a running container were rewritten. */
export const UpdatedLine = z.object({ type: z.literal('updated'), cgroup: z.string(), version: z.union([z.literal(1), z.literal(2)]) });
/**
 * `--seccomp-notify`: the supervisor answered a system call the filter handed over (first time per
 * call): which one, from which process, with its arguments as hex strings.
 */
export const SeccompNotifyLine = z.object({
  type: z.literal('seccomp-notify'),
  syscall: z.string().nullable(),
  nr: z.number().int(),
  arch: z.string(),
  errno: z.number().int(),
  pid: z.number().int(),
  comm: z.string(),
  args: z.array(z.string()).length(6),
});
export const StatusLine = z.discriminatedUnion('type', [ReadyLine, ErrorLine, ExitLine, UpdatedLine, SeccompNotifyLine]);
export type ReadyLine = z.infer<typeof ReadyLine>;
export type ErrorLine = z.infer<typeof ErrorLine>;
export type StatusLine = z.infer<typeof StatusLine>;
export type SeccompNotifyLine = z.infer<typeof SeccompNotifyLine>;

/** What the server decides per container, next to its settings. */
export interface LaunchContext {
  /** The read-only busybox image (the overlay's shared lower layer). */
  rootfsDir: string;
  /** The container's own cgroup name (unique per launch), used when resources.cgroup is on. */
  cgroupName?: string;
  /** The device backing the image, "MAJ:MIN", for block I/O throttling. */
  rootfsDevice?: string;
  /** The container's address on the isolab bridge, e.g. "10.88.0.7/16". */
  netAddress?: string;
  /** First host uid/gid of this container's user namespace map (each container its own range). */
  usernsHostId?: number;
  /** The overlay's upper directory on the host (empty, in a root-owned 0700 directory). */
  overlayUpper?: string;
  /**
   * The container's seccomp filter when spec.seccomp is not "unconfined": the BPF program the
   * launcher built once from the compiled profile (container-context.ts), or null when the profile
   * asks for no filter at all.
   */
  seccomp?: SeccompProgram | null;
}

/** A filter built by `isolab-launcher --seccomp-compile` (native/README.md), loaded with --seccomp-bpf. */
export interface SeccompProgram {
  /** The raw BPF program: root's, 0600. */
  bpf: string;
  /** The profile's filter flags, passed as --seccomp-flag. */
  flags: Array<'log' | 'spec_allow'>;
  /**
   * Built from a profile rewritten by server/runtime/seccomp/notify.ts: the answers for --seccomp-notify
   * (the launcher's supervisor answers the refusals and reports them as seccomp-notify lines).
   */
  notify?: string;
}

/** What `isolab-launcher --seccomp-compile` prints on success. */
export const SeccompCompiledLine = z.object({
  type: z.literal('seccomp-compiled'),
  out: z.string(),
  instructions: z.number().int().positive(),
  flags: z.array(z.enum(['log', 'spec_allow'])),
  us: z.number().int().nonnegative(),
});

/** The isolab bridge: a private subnet with no route off the machine (no NAT, no forwarding). */
export const BRIDGE = { name: 'isolab0', gateway: '10.88.0.1/16' } as const;

/**
 * The launcher's arguments for a spec, before `--` (contract: native/README.md). The spec was
 * validated, so every value is safe to pass; the flags follow docker's names where docker has one.
 */
export function launcherArgs(spec: ContainerSpec, ctx: LaunchContext): string[] {
  const args: string[] = [];
  const unshare = NAMESPACE_KINDS.filter((ns) => spec.namespaces[ns]);
  if (unshare.length) args.push('--unshare', unshare.join(','));
  if (spec.namespaces.user) args.push('--userns-map', `0:${ctx.usernsHostId ?? spec.userns.hostId}:65536`);
  if (spec.namespaces.time && spec.timeOffsetSeconds !== 0) {
    args.push('--time-offset-monotonic', String(spec.timeOffsetSeconds), '--time-offset-boottime', String(spec.timeOffsetSeconds));
  }
  if (spec.namespaces.uts) args.push('--hostname', spec.hostname);

  const r = spec.resources;
  if (r.cgroup) {
    if (!ctx.cgroupName) throw new Error('launcherArgs: resources.cgroup needs a cgroup name');
    args.push('--cgroup', ctx.cgroupName, ...limitArgs(r, ctx));
    if (r.devices === 'allow-all') args.push('--device-policy', 'allow-all');
    for (const rule of r.deviceRules) args.push('--device-cgroup-rule', rule);
  }

  if (spec.namespaces.net && spec.network.mode === 'bridge') {
    if (!ctx.netAddress) throw new Error('launcherArgs: a bridge network needs an address');
    args.push('--net-bridge', BRIDGE.name, '--net-gateway', BRIDGE.gateway, '--net-address', ctx.netAddress);
    if (spec.network.rate) args.push('--net-rate', spec.network.rate);
  }

  if (spec.rootfs) {
    args.push('--rootfs', ctx.rootfsDir);
    // (With a user namespace the launcher keeps the upper layer on its own tmpfs: see native/README.md.)
    if (ctx.overlayUpper && !spec.namespaces.user) args.push('--overlay-upper', ctx.overlayUpper, '--overlay-upper-remove');
    const fs = spec.filesystem;
    if (fs.rootMode === 'chroot') args.push('--root-mode', 'chroot');
    if (fs.readOnly) args.push('--read-only');
    for (const t of fs.tmpfs) args.push('--tmpfs', `${t.path}:size=${t.sizeBytes}`);
    if (fs.maskedPaths) args.push('--masked-paths', 'default');
    if (fs.readonlyPaths) args.push('--readonly-paths', 'default');
  }

  args.push(...hardeningArgs(spec, ctx));
  // A new container's filter only (a joined process is never supervised: the launcher refuses it).
  if (spec.seccomp !== 'unconfined' && ctx.seccomp?.notify) args.push('--seccomp-notify', ctx.seccomp.notify);
  return args;
}

/**
 * The arguments of `isolab-launcher --join PID` that make a process run inside a running container
 * (the probe, lesson checks) confined as the container is, as docker exec is: the container's own
 * cgroup (and, through --join, its cgroup namespace), capabilities, user, no_new_privs, seccomp
 * filter, Landlock rules, LSM label and rlimits. Namespaces, root filesystem, limits and network
 * belong to the running container already and are not repeated (the launcher refuses them).
 * Same spec and context as the container's launcherArgs.
 */
export function joinArgs(spec: ContainerSpec, ctx: LaunchContext): string[] {
  const args: string[] = [];
  if (spec.resources.cgroup) {
    if (!ctx.cgroupName) throw new Error('joinArgs: resources.cgroup needs a cgroup name');
    args.push('--cgroup', ctx.cgroupName);
  }
  args.push(...hardeningArgs(spec, ctx));
  return args;
}

/** The options applied last in the container's child (and in a joined process), in runc's order. */
function hardeningArgs(spec: ContainerSpec, ctx: LaunchContext): string[] {
  const args: string[] = [];
  for (const [name, limit] of Object.entries(spec.rlimits)) {
    const v = (n: number) => (n === -1 ? 'unlimited' : String(n));
    args.push('--ulimit', `${name}=${v(limit.soft)}:${v(limit.hard)}`);
  }
  if (spec.apparmor) args.push('--apparmor', spec.apparmor);
  if (spec.selinuxLabel) args.push('--selinux-label', spec.selinuxLabel);
  if (spec.landlock.enabled) {
    if (spec.landlock.readOnly.length) args.push('--landlock-ro', spec.landlock.readOnly.join(':'));
    if (spec.landlock.readWrite.length) args.push('--landlock-rw', spec.landlock.readWrite.join(':'));
  }
  if (spec.capabilities !== 'all') {
    args.push('--cap-drop', 'ALL');
    if (spec.capabilities.length) args.push('--cap-add', spec.capabilities.join(','));
  }
  if (spec.user) args.push('--user', `${spec.user.uid}:${spec.user.gid}`);
  if (spec.noNewPrivs) args.push('--no-new-privs');
  if (spec.seccomp !== 'unconfined') {
    if (ctx.seccomp === undefined) throw new Error('launcherArgs: seccomp needs a compiled profile');
    if (ctx.seccomp === null) args.push('--seccomp', 'unconfined');
    else {
      args.push('--seccomp-bpf', ctx.seccomp.bpf);
      for (const flag of ctx.seccomp.flags) args.push('--seccomp-flag', flag);
    }
  }
  return args;
}

/** The limit options for a cgroup's resources (at start, and for `--cgroup-update` of a running one). */
export function limitArgs(r: Resources, ctx: Pick<LaunchContext, 'rootfsDevice'>, opts: { unsetAsUnlimited?: boolean } = {}): string[] {
  const args: string[] = [];
  if (r.memoryBytes !== null) args.push('--memory', String(r.memoryBytes));
  if (r.memorySwapBytes !== null) args.push('--memory-swap', String(r.memorySwapBytes));
  // At most the launcher's 9 decimals: 0.1 + 0.2 must not arrive as 0.30000000000000004.
  if (r.cpus !== null) args.push('--cpus', String(Number(r.cpus.toFixed(6))));
  else if (opts.unsetAsUnlimited) args.push('--cpu-quota', '-1');
  if (r.cpuShares !== null) args.push('--cpu-shares', String(r.cpuShares));
  if (r.cpusetCpus !== null) args.push('--cpuset-cpus', r.cpusetCpus);
  if (r.pidsLimit !== null) args.push('--pids-limit', String(r.pidsLimit));
  else if (opts.unsetAsUnlimited) args.push('--pids-limit', '-1');
  // 0 removes a device's throttle (see native/README.md).
  if (ctx.rootfsDevice && (r.rootfsReadBps !== null || opts.unsetAsUnlimited)) args.push('--device-read-bps', `${ctx.rootfsDevice}:${r.rootfsReadBps ?? 0}`);
  if (ctx.rootfsDevice && (r.rootfsWriteBps !== null || opts.unsetAsUnlimited)) args.push('--device-write-bps', `${ctx.rootfsDevice}:${r.rootfsWriteBps ?? 0}`);
  return args;
}

/**
 * The shell a learner gets. Inside the busybox image it is ash; on the host (no own root filesystem)
 * bash without the host's rc files, so the prompt and behaviour do not depend on who runs the server.
 */
export function shellCommand(spec: ContainerSpec): string[] {
  return spec.rootfs ? ['/bin/sh', '-l'] : ['/bin/bash', '--noprofile', '--norc', '-i'];
}

/** The explicit environment of every shell: nothing of the server's environment leaks in. */
export function shellEnv(): Record<string, string> {
  return {
    TERM: 'xterm-256color',
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    PS1: '\\u@\\h:\\w\\$ ',
    ISOLAB: '1',
  };
}

interface Pending {
  onLine: (line: StatusLine) => void;
}

/**
 * node-pty cannot hand the launcher an extra file descriptor, so launchers started on a pty report
 * on a unix socket instead: one listener per server in a fresh 0700 directory, each launcher proving
 * which spawn it is with a one-time random token.
 */
export class StatusServer {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: Server;
  private readonly pending = new Map<string, Pending>();

  private constructor(dir: string, server: Server) {
    this.dir = dir;
    this.socketPath = join(dir, 'status.sock');
    this.server = server;
  }

  static async start(): Promise<StatusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'isolab-')); // mode 0700: only root can connect
    let self: StatusServer | undefined;
    const server = createServer((sock) => self!.accept(sock));
    self = new StatusServer(dir, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(self!.socketPath, () => resolve());
    });
    return self;
  }

  /** Registers a spawn; returns its token and a function to forget it. */
  expect(onLine: (line: StatusLine) => void): { token: string; forget: () => void } {
    const token = randomBytes(16).toString('hex');
    this.pending.set(token, { onLine });
    return { token, forget: () => this.pending.delete(token) };
  }

  private accept(sock: Socket): void {
    let buffered = '';
    let owner: Pending | undefined;
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buffered += chunk;
      // A status stream is a handful of short lines; anything longer is not our launcher.
      if (buffered.length > 64 * 1024) return sock.destroy();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const raw = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          return sock.destroy();
        }
        if (!owner) {
          const hello = z.object({ type: z.literal('hello'), token: z.string() }).safeParse(parsed);
          owner = hello.success ? this.pending.get(hello.data.token) : undefined;
          if (!owner) return sock.destroy();
          continue;
        }
        const line = StatusLine.safeParse(parsed);
        if (line.success) owner.onLine(line.data);
      }
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
