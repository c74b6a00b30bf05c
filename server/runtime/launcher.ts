// The launcher's command line, built from a ContainerSpec (contract in native/README.md). What it
// answers — its status lines — is read in status-lines.ts.
import { NAMESPACE_KINDS, type ContainerSpec, type Resources } from '../../common/spec.js';

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
  /** Ceilings of the container's own user namespace's per-user counters, /proc/sys/user/NAME (the workshop's inotify ceilings). */
  usernsLimits?: Readonly<Record<string, number>>;
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
  if (spec.namespaces.user) {
    args.push('--userns-map', `0:${ctx.usernsHostId ?? spec.userns.hostId}:65536`);
    for (const [name, n] of Object.entries(ctx.usernsLimits ?? {})) args.push('--userns-limit', `${name}=${n}`);
  }
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
