// What the server decides for each container next to its settings (launcher.ts LaunchContext):
// a unique cgroup name, an address on the isolab bridge, the device behind the image for block
// I/O limits, and the overlay's upper directory on the host (where the container's writes land,
// visible to the host: lesson 5 looks in it). All of it goes when the container is gone.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { CAPABILITIES } from '../../common/capabilities.js';
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

/**
 * User namespace ranges: container N maps 0…65535 inside to BASE + 65536·N outside, so no two
 * containers are the same user to the host (nor to each other's files). 16384 ranges fit below 2^31.
 */
const USERNS_BASE = 100000;
const USERNS_SIZE = 65536;
const USERNS_RANGES = 16384;

/** Building a filter takes milliseconds; a launcher still busy after this is stuck. */
const SECCOMP_COMPILE_TIMEOUT_MS = 5_000;
/** 10.88.0.0/16 minus the network, the gateway (.0.1) and broadcast: 65,533 containers at once. */
const FIRST_HOST = 2;
const LAST_HOST = 65534;

export class ContainerContexts {
  private readonly usedHosts = new Set<number>();
  private readonly usedRanges = new Set<number>();
  private nextRange = 0;
  private nextHost = FIRST_HOST;
  private launches = 0;
  private device: string | null | undefined;
  private dockerDefaultProfile: SeccompProfile | undefined;
  /** Built filters by the hash of their compiled profile: most containers share one (docker's, for the same caps). */
  private readonly seccompPrograms = new Map<string, SeccompProgram>();

  /** Where containers' writes land: set by forLab (a directory of a test's own stays as it is). */
  storage: ContainersStorage | undefined;
  /** Where a server writes down each launch, for the next server to reap if this one dies (runtime/instance-ledger.ts). */
  ledger: InstanceLedger | undefined;

  /**
   * The lab's own: the image, containers directory, profile and launcher of PATHS, with the
   * containers directory on a tmpfs of isolab's own (containers-tmpfs.ts). The server, the CLI and the
   * benchmark take this one.
   */
  static forLab(paths: LabPaths): ContainerContexts {
    const contexts = new ContainerContexts(paths.rootfs, paths.containers, paths.dockerSeccompProfile, paths.launcher);
    contexts.storage = keepContainersInMemory(paths.containers);
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
    opts: { throwaway?: boolean; seccompNotify?: boolean } = {},
  ): { ctx: LaunchContext; release(): void } {
    const ctx: LaunchContext = { rootfsDir: this.rootfsDir };
    if (spec.seccomp !== 'unconfined') ctx.seccomp = this.seccompProgram(spec, customSeccomp, opts.seccompNotify ?? false);
    let host: number | undefined;
    let range: number | undefined;
    if (spec.namespaces.user) {
      range = this.allocate(this.usedRanges, () => {
        const r = this.nextRange;
        this.nextRange = (r + 1) % USERNS_RANGES;
        return r;
      }, USERNS_RANGES, 'no free user namespace range left');
      ctx.usernsHostId = USERNS_BASE + USERNS_SIZE * range;
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
    }
    if (spec.resources.cgroup) {
      ctx.cgroupName = name;
      const device = this.rootfsDevice();
      if (device) ctx.rootfsDevice = device;
    }
    if (spec.namespaces.net && spec.network.mode === 'bridge') {
      host = this.allocateHost();
      ctx.netAddress = `10.88.${host >> 8}.${host & 255}/16`;
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
        if (host !== undefined) this.usedHosts.delete(host);
        if (range !== undefined) this.usedRanges.delete(range);
        // The launcher removed upper, work and merged (--overlay-upper-remove); this is their parent.
        if (containerDir) rmSync(containerDir, { recursive: true, force: true });
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
    const capabilities = (spec.capabilities === 'all' ? CAPABILITIES : spec.capabilities).map((c) => `CAP_${c}`);
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

  /** isolab-launcher --seccomp-compile BASE.txt --seccomp-out BASE.bpf; the text goes once it is built. */
  private buildSeccompProgram(text: string, base: string): SeccompProgram {
    const textFile = `${base}.txt`;
    writeFileSync(textFile, text, { mode: 0o600 });
    try {
      // Synchronous, once per distinct profile: a few milliseconds of libseccomp.
      const stdout = execFileSync(this.launcher, ['--seccomp-compile', textFile, '--seccomp-out', `${base}.bpf`], {
        encoding: 'utf8',
        timeout: SECCOMP_COMPILE_TIMEOUT_MS,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const line = SeccompCompiledLine.parse(JSON.parse(stdout));
      return { bpf: line.out, flags: line.flags };
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new LabError('launch_failed', `the seccomp filter could not be built: ${(e.stderr || e.message).trim().slice(0, 300)}`, 'seccomp');
    } finally {
      rmSync(textFile, { force: true });
    }
  }

  /** The next value of `next()` not in `used` (tried at most `tries` times); marked used. */
  private allocate(used: Set<number>, next: () => number, tries: number, full: string): number {
    for (let i = 0; i < tries; i++) {
      const value = next();
      if (used.has(value)) continue;
      used.add(value);
      return value;
    }
    throw new LabError('server_full', full);
  }

  private allocateHost(): number {
    return this.allocate(this.usedHosts, () => {
      let host: number;
      // .x.0 and .x.255 are valid in a /16, but some tools treat them oddly: skip them.
      do {
        host = this.nextHost;
        this.nextHost = host >= LAST_HOST ? FIRST_HOST : host + 1;
      } while ((host & 255) === 0 || (host & 255) === 255);
      return host;
    }, LAST_HOST - FIRST_HOST + 1, 'no free address left on the isolab bridge');
  }

  /** Removes the built seccomp programs (once no launcher is still to load them). Idempotent. */
  dispose(): void {
    for (const program of this.seccompPrograms.values()) rmSync(program.bpf, { force: true });
    this.seccompPrograms.clear();
  }

  /** "MAJ:MIN" of the disk behind the image, looked up once (imageDisk). */
  rootfsDevice(): string | null {
    if (this.device === undefined) this.device = imageDisk(this.rootfsDir);
    return this.device;
  }
}
