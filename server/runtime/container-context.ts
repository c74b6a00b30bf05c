// What the server decides for each container next to its settings (launcher.ts LaunchContext):
// a unique cgroup name, an address on the isolab bridge, the device behind the image for block
// I/O limits, and the overlay's upper directory on the host (where the container's writes land,
// visible to the host: lesson 5 looks in it). All of it goes when the container is gone.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { CAPABILITIES, INITIAL_USER_NAMESPACE_ONLY, type Capability } from '../../common/capabilities.js';
import type { ContainerSpec } from '../../common/spec.js';
import { notifyingProfile } from './seccomp/notify.js';
import { compileSeccompProfile, nativeArch, parseSeccompProfileJson, type SeccompProfile } from './seccomp/profile.js';
import { imageDisk } from './block-device.js';
import { keepContainersInMemory, type ContainersStorage } from './containers-tmpfs.js';
import type { InstanceLedger } from './instance-ledger.js';
import { cgroupLeftBehind, removeCgroup } from './reap-orphans.js';
import { LabError } from '../base/errors.js';
import type { LabPaths } from '../base/paths.js';
import type { LaunchContext, SeccompProgram } from './launcher.js';
import { SeccompCompiledLine } from './status-lines.js';

import type { LearnerMachine } from './learner-machine.js';
import { BridgeAddresses, type BridgeAddress } from './bridge-addresses.js';
import { USERNS_SIZE, UidRanges, type UidRange } from './uid-ranges.js';

/** Building a filter takes milliseconds; a launcher still busy after this is stuck. */
const SECCOMP_COMPILE_TIMEOUT_MS = 5_000;

/**
 * The capabilities a seccomp profile is compiled for: the container's, as Docker does. A workshop
 * shell is always in a user namespace of its own, where the ones the kernel honours only in the
 * initial namespace are held on paper only: the profile is compiled without them, so it opens no
 * call for them (INITIAL_USER_NAMESPACE_ONLY; docs/floor.md). Outside a workshop the lessons
 * compare with Docker exactly: there the profile follows the list as given.
 */
export function profileCapabilities(spec: ContainerSpec, workshop: boolean): readonly Capability[] {
  const held = spec.capabilities === 'all' ? CAPABILITIES : spec.capabilities;
  if (!workshop || !spec.namespaces.user) return held;
  return held.filter((c) => !INITIAL_USER_NAMESPACE_ONLY.includes(c));
}

export interface ContainerContextOptions {
  /**
   * A workshop server's floor (docs/floor.md): the guard seccomp filter under every container, and
   * Docker's profile compiled for the capabilities a shell in its own user namespace really holds.
   */
  workshop?: boolean;
}

export class ContainerContexts {
  /** Host-wide (bridge-addresses.ts): two servers on one host never give out the same address. */
  private readonly bridgeAddresses = new BridgeAddresses();
  private launches = 0;
  private device: string | null | undefined;
  private dockerDefaultProfile: SeccompProfile | undefined;
  /** Built filters by the hash of their compiled profile: most containers share one (docker's, for the same caps). */
  private readonly seccompPrograms = new Map<string, SeccompProgram>();
  /** The guard's program, built at the first launch of a workshop server. */
  private seccompGuard: string | undefined;
  /** Containers' directories not yet released: a server stopping now must not leave them behind. */
  private readonly liveDirs = new Set<string>();

  /** Whether every container gets a workshop's guard filter (docs/floor.md). */
  get guarded(): boolean {
    return this.opts.workshop ?? false;
  }

  /** Where containers' writes land: set by forLab (a directory of a test's own stays as it is). */
  storage: ContainersStorage | undefined;
  /** Where a server writes down each launch, for the next server to reap if this one dies (runtime/instance-ledger.ts). */
  ledger: InstanceLedger | undefined;

  /**
   * The lab's own: the image, containers directory, profile and launcher of PATHS, with the
   * containers directory on a tmpfs of isolab's own (containers-tmpfs.ts). The server, the CLI and the
   * benchmark take this one.
   */
  static forLab(paths: LabPaths, opts: ContainerContextOptions = {}): ContainerContexts {
    const contexts = new ContainerContexts(paths.rootfs, paths.containers, paths.dockerSeccompProfile, paths.launcher, opts);
    contexts.storage = keepContainersInMemory(paths.containers);
    // Built now, so a workshop server that cannot have its guard does not start (not: fails each launch).
    if (opts.workshop) contexts.guardProgram();
    return contexts;
  }

  /**
   * @param rootfsDir the shared, read-only image (every container's lower layer)
   * @param containersDir where each container's upper directory lives, e.g. /run/isolab/containers
   * @param launcher isolab-launcher, which builds each distinct seccomp filter once (--seccomp-compile)
   */
  constructor(
    private readonly rootfsDir: string,
    private readonly containersDir: string,
    private readonly dockerDefaultProfilePath: string,
    private readonly launcher: string,
    private readonly opts: ContainerContextOptions = {},
    /** Host-wide (uid-ranges.ts): a learner's machine, or a container outside one, gets a range of its own. */
    readonly uidRanges: UidRanges = new UidRanges(),
  ) {
    // 0700 root: a container's changes are its learner's business, not other local users'.
    mkdirSync(containersDir, { recursive: true, mode: 0o700 });
    chmodSync(containersDir, 0o700);
    // A server killed with SIGKILL leaves its containers' directories behind: nothing else owns them.
    for (const stale of readdirSync(containersDir)) {
      const owner = /-(\d+)(\.txt|\.bpf)?$/.exec(stale)?.[1];
      if (owner && Number(owner) !== process.pid && !existsSync(`/proc/${owner}`)) rmSync(join(containersDir, stale), { recursive: true, force: true });
    }
  }

  /**
   * A context for one launch; `release()` once its launcher has exited. `customSeccomp` is the
   * learner's own (validated) profile, used when spec.seccomp is "custom". A throwaway container
   * (server/diagnose/diagnose.ts) keeps its writes in its own mount namespace (no upper directory on the
   * host) and may ask for its seccomp refusals to be handed to the launcher's supervisor.
   */
  acquire(
    spec: ContainerSpec,
    owner: string,
    customSeccomp?: SeccompProfile,
    opts: { throwaway?: boolean; seccompNotify?: boolean; machine?: LearnerMachine } = {},
  ): { ctx: LaunchContext; release(): void } {
    const ctx: LaunchContext = { rootfsDir: this.rootfsDir };
    if (this.opts.workshop) ctx.seccompGuard = this.guardProgram();
    if (spec.seccomp !== 'unconfined') ctx.seccomp = this.seccompProgram(spec, customSeccomp, opts.seccompNotify ?? false);
    let address: BridgeAddress | undefined;
    let range: UidRange | undefined;
    // A workshop learner's container is built in their machine (learner-machine.ts): it shares the
    // machine's network, IPC and UTS namespaces where it makes none of its own, and its user
    // namespace is the learner's range, made by the learner's own uid.
    const machine = opts.machine;
    if (machine) {
      ctx.machine = { pid: machine.pid, usernsLimits: machine.usernsLimits };
      if (spec.namespaces.user) ctx.usernsHostId = machine.usernsHostId;
    } else if (spec.namespaces.user) {
      range = this.uidRanges.acquire();
      ctx.usernsHostId = range.hostId;
    }
    // Unique per launch (the old shell's cgroup may still be being torn down when the new one
    // starts); ends in the server's pid, so a later server can tell its own leftovers from others'.
    const name = `${owner.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40)}-${++this.launches}-${process.pid}`;
    let containerDir: string | undefined;
    if (spec.rootfs && !opts.throwaway) {
      containerDir = join(this.containersDir, name);
      mkdirSync(containerDir, { mode: 0o700 });
      mkdirSync(join(containerDir, 'upper'), { mode: 0o755 });
      ctx.overlayUpper = join(containerDir, 'upper');
      this.liveDirs.add(containerDir);
    }
    if (spec.resources.cgroup) {
      ctx.cgroupName = name;
      const device = this.rootfsDevice();
      if (device) ctx.rootfsDevice = device;
    }
    if (spec.namespaces.net && spec.network.mode === 'bridge') {
      address = this.bridgeAddresses.acquire();
      ctx.netAddress = address.cidr;
    }
    this.ledger?.launched({
      name,
      cgroup: ctx.cgroupName ?? null,
      containerDir: containerDir ?? null,
      uids: ctx.usernsHostId !== undefined ? [ctx.usernsHostId, USERNS_SIZE] : null,
    });
    let released = false;
    return {
      ctx,
      release: () => {
        if (released) return;
        released = true;
        // A launcher killed with SIGKILL could not remove its cgroup (nor kill what runs in it): done here.
        if (ctx.cgroupName && cgroupLeftBehind(ctx.cgroupName)) {
          void removeCgroup(ctx.cgroupName).then((r) => {
            if (r.problem) console.error(`[isolab] ${r.problem}`);
            this.ledger?.ended(name);
          });
        } else this.ledger?.ended(name);
        address?.release();
        range?.release();
        // The launcher removed upper, work and merged (--overlay-upper-remove); this is their parent.
        if (containerDir) {
          rmSync(containerDir, { recursive: true, force: true });
          this.liveDirs.delete(containerDir);
        }
      },
    };
  }

  /**
   * The filter for this container's capabilities (moby's includes/excludes depend on them): the
   * profile compiled to the launcher's line format, then built into a BPF program by the launcher
   * (libseccomp), once per distinct result. Building Docker's default takes milliseconds; every
   * later container with the same profile loads the program as it is (--seccomp-bpf). null when the
   * profile asks for no filter. With `notify`, the profile is first rewritten so its refusals go
   * to the launcher's supervisor (when that is possible: server/runtime/seccomp/notify.ts), and the
   * program carries the answers for --seccomp-notify.
   */
  private seccompProgram(spec: ContainerSpec, customSeccomp: SeccompProfile | undefined, notify: boolean): SeccompProgram | null {
    let profile: SeccompProfile;
    if (spec.seccomp === 'custom') {
      if (!customSeccomp) throw new LabError('bad_request', 'seccomp is "custom" but no profile was given: apply one in the seccomp editor first');
      profile = customSeccomp;
    } else {
      profile = this.dockerDefaultProfile ??= parseSeccompProfileJson(readFileSync(this.dockerDefaultProfilePath, 'utf8'));
    }
    const capabilities = profileCapabilities(spec, this.opts.workshop ?? false).map((c) => `CAP_${c}`);
    const compiled = compileSeccompProfile(profile, { arch: nativeArch(), capabilities, kernelRelease: release() });
    if (compiled === null) return null;
    const notifying = notify ? notifyingProfile(compiled) : null;
    const text = notifying?.text ?? compiled;
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 32);
    let program = this.seccompPrograms.get(hash);
    if (!program) {
      program = this.buildSeccompProgram(text, join(this.containersDir, `seccomp-${hash}-${process.pid}`));
      this.seccompPrograms.set(hash, program);
    }
    return notifying ? { ...program, notify: notifying.answers } : program;
  }

  /** isolab-launcher --seccomp-guard-compile FILE, once per server (the guard does not depend on the container). */
  private guardProgram(): string {
    if (this.seccompGuard) return this.seccompGuard;
    const out = join(this.containersDir, `seccomp-guard-${process.pid}.bpf`);
    this.seccompGuard = this.runCompile(['--seccomp-guard-compile', out], 'the seccomp guard filter').bpf;
    return this.seccompGuard;
  }

  /** isolab-launcher --seccomp-compile BASE.txt --seccomp-out BASE.bpf; the text goes once it is built. */
  private buildSeccompProgram(text: string, base: string): SeccompProgram {
    const textFile = `${base}.txt`;
    writeFileSync(textFile, text, { mode: 0o600 });
    try {
      return this.runCompile(['--seccomp-compile', textFile, '--seccomp-out', `${base}.bpf`], 'the seccomp filter');
    } finally {
      rmSync(textFile, { force: true });
    }
  }

  /** One of the launcher's compile modes; its seccomp-compiled line. Synchronous: a few milliseconds of libseccomp. */
  private runCompile(args: string[], what: string): SeccompProgram {
    try {
      const stdout = execFileSync(this.launcher, args, { encoding: 'utf8', timeout: SECCOMP_COMPILE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
      const line = SeccompCompiledLine.parse(JSON.parse(stdout));
      return { bpf: line.out, flags: line.flags };
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new LabError('launch_failed', `${what} could not be built: ${(e.stderr || e.message).trim().slice(0, 300)}`, 'seccomp');
    }
  }

  /**
   * Removes the built seccomp programs (once no launcher is still to load them) and the directories
   * of containers whose launchers were told to stop but have not been seen to exit: a server that is
   * shutting down (SIGTERM) does not wait for them, and nothing else would remove these. Idempotent.
   */
  dispose(): void {
    for (const dir of this.liveDirs) rmSync(dir, { recursive: true, force: true });
    this.liveDirs.clear();
    for (const program of this.seccompPrograms.values()) rmSync(program.bpf, { force: true });
    this.seccompPrograms.clear();
    if (this.seccompGuard) rmSync(this.seccompGuard, { force: true });
    this.seccompGuard = undefined;
  }

  /** "MAJ:MIN" of the disk behind the image, looked up once (imageDisk). */
  rootfsDevice(): string | null {
    if (this.device === undefined) this.device = imageDisk(this.rootfsDir);
    return this.device;
  }
}
