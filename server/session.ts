// One learner's session: their shell (launcher on a pty), its settings, the open lesson and its
// checks. Owns every OS resource it creates through one DisposableStore.
import { randomBytes } from 'node:crypto';
import { hrtime } from 'node:process';
import * as nodePty from 'node-pty';
import type { InspectorView, LimitsRequest, LessonStatus, LessonView, SandboxError, SandboxExit, SandboxReady, ServerMode, TermSize } from '../common/protocol.js';
import { PLAIN_PROCESS, applyToggle, describeChanges, type ContainerSpec, type ToggleId } from '../common/spec.js';
import { DisposableStore, type Disposer } from './disposable.js';
import { LabError } from './errors.js';
import { hasMqueueMount, hostMqueues, hostSysvIpc, shellView, withNsPids } from './host-view.js';
import { inspectorView } from './inspector.js';
import type { ContainerContexts } from './container-context.js';
import { joinArgs, launcherArgs, shellCommand, shellEnv, type LaunchContext, type StatusLine, type StatusServer } from './launcher.js';
import { applyLimits, withLimits } from './limits.js';
import type { LessonCatalog } from './lesson-catalog.js';
import type { CheckFacts } from './lessons/facts.js';
import type { Introspect } from './native.js';
import { OutputPump } from './output-pump.js';
import type { LabPaths } from './paths.js';
import type { Prober } from './probe.js';
import { descendantsOf, listProcesses } from './proc.js';

/** A launcher that has not said ready or error by then is broken; the learner gets an error, not a hang. */
const LAUNCH_TIMEOUT_MS = 5_000;
/** After SIGHUP the launcher kills and reaps the container; if it has not exited by then, SIGKILL. */
const STOP_GRACE_MS = 1_000;
/** How long to wait for the launcher's error line after it exited early. */
const EXIT_REPORT_GRACE_MS = 100;
/** Checks re-run this long after the learner presses Enter (let the command finish first)… */
const CHECK_AFTER_ENTER_MS = 400;
/** …and on this period while the open lesson still has a failing check. */
const CHECK_PERIOD_MS = 3_000;
/** Respawns per second a learner may trigger; more is a script hammering the launcher. */
const MAX_RESPAWNS_PER_SECOND = 5;

/**
 * In workshop mode the shared server never hands out a shell without these. The user namespace is
 * the heart of it: root inside is an unprivileged uid outside (each container its own range), so
 * the capabilities a learner holds inside reach only namespaces their container owns — they can
 * still rename their container, mount a tmpfs or unshare in a lesson, but not touch the host. On top:
 * own root and /proc, docker's masked paths and seccomp profile, no_new_privs, and cgroup limits so
 * one learner's fork bomb or memory hog stays in their own container. The page shows the lock.
 */
export const WORKSHOP_LOCKED_ON: readonly ToggleId[] = ['mount', 'pid', 'rootfs', 'user', 'masked', 'limits', 'seccomp', 'nnp'];

export interface SessionDeps {
  paths: LabPaths;
  status: StatusServer;
  prober: Prober;
  introspect: Introspect;
  lessons: LessonCatalog;
  mode: ServerMode;
  hostHostnameAtStart: string;
  containers: ContainerContexts;
}

/** What a session tells its browser. */
export interface SessionOutput {
  output(frame: Buffer): void;
  ready(ready: SandboxReady): void;
  exit(exit: SandboxExit): void;
  error(err: SandboxError): void;
  inspector(view: InspectorView): void;
  lessonStatus(status: LessonStatus): void;
  limits(update: { spec: ContainerSpec }): void;
}

interface Shell {
  pty: nodePty.IPty;
  pid: number | null;
  stop: Disposer;
  /** What the shell was started with: a process joined to it (the probe) gets the same confinement. */
  spec: ContainerSpec;
  /** What the server decided for this launch (cgroup name, …): live updates and joined processes need it. */
  ctx: LaunchContext;
}

export class Session {
  private readonly store = new DisposableStore();
  private readonly pump: OutputPump;
  private spec: ContainerSpec;
  private size: TermSize = { cols: 80, rows: 24 };
  private shell: Shell | undefined;
  private lessonId: string | undefined;
  private respawnTimes: number[] = [];
  private respawnChain: Promise<unknown> = Promise.resolve();
  private checkTimer: NodeJS.Timeout | undefined;
  private checkRunning = false;
  private checkAgain = false;
  /** Names this session's cgroups (ps and the host's cgroup tree show whose container it is). */
  private readonly owner = `isolab-${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly deps: SessionDeps,
    private readonly out: SessionOutput,
  ) {
    this.pump = new OutputPump({
      send: (frame) => out.output(frame),
      pause: () => this.shell?.pty.pause(),
      resume: () => this.shell?.pty.resume(),
    });
    this.store.add(() => this.pump.close());
    this.store.add(() => clearTimeout(this.checkTimer));
    this.spec = this.withFloor(deps.lessons.first()?.settings ?? PLAIN_PROCESS);
  }

  get currentSpec(): ContainerSpec {
    return this.spec;
  }

  get shellPid(): number | null {
    return this.shell?.pid ?? null;
  }

  get lockedOn(): readonly ToggleId[] {
    return this.deps.mode === 'workshop' ? WORKSHOP_LOCKED_ON : [];
  }

  /** Flow-control statistics, for benchmarks and tests. */
  get outputStats(): { inFlight: number; buffered: number; paused: boolean } {
    return { inFlight: this.pump.inFlight, buffered: this.pump.buffered, paused: this.pump.isPaused };
  }

  async start(size: TermSize, lessonId?: string): Promise<void> {
    if (this.shell) throw new LabError('bad_request', 'the session has already started');
    this.size = size;
    if (lessonId) {
      const lesson = this.deps.lessons.view(lessonId);
      if (!lesson) throw new LabError('not_found', `no lesson "${lessonId}"`);
      this.lessonId = lessonId;
      this.spec = this.withFloor(lesson.settings);
    }
    await this.respawn(this.spec, []);
  }

  input(data: string): void {
    this.shell?.pty.write(data);
    if (data.includes('\r')) this.scheduleCheck(CHECK_AFTER_ENTER_MS);
  }

  resize(size: TermSize): void {
    this.size = size;
    this.shell?.pty.resize(size.cols, size.rows);
  }

  ack(bytes: number): void {
    this.pump.ack(bytes);
  }

  async toggle(id: ToggleId, on: boolean): Promise<ContainerSpec> {
    if (!on && this.lockedOn.includes(id)) {
      throw new LabError('forbidden', `this workshop server keeps "${id}" on for everyone's safety`);
    }
    const { spec } = applyToggle(this.spec, id, on);
    return this.change(this.withFloor(spec));
  }

  /** New cgroup limits for the running shell, written live: no new shell, the same processes. */
  updateLimits(change: LimitsRequest): Promise<ContainerSpec> {
    const run = async (): Promise<ContainerSpec> => {
      const shell = this.shell;
      if (!shell || shell.pid === null) throw new LabError('not_started', 'no shell is running');
      const next = withLimits(this.spec, change);
      this.rateLimit();
      await applyLimits(this.deps.paths.launcher, next, shell.ctx);
      if (this.shell !== shell) throw new LabError('not_started', 'the shell was replaced meanwhile');
      const changes = describeChanges(this.spec, next);
      this.spec = next;
      this.pump.push(Buffer.from(`\r\n\x1b[36m── isolab: ${changes.join(' · ') || 'limits unchanged'} — same shell, new limits ──\x1b[0m\r\n`));
      this.out.limits({ spec: next });
      void this.inspect().then((view) => this.out.inspector(view));
      this.scheduleCheck(0);
      return next;
    };
    // In line with respawns: a limit must never be written into a cgroup being torn down.
    const result = this.respawnChain.then(run, run);
    this.respawnChain = result.catch(() => undefined);
    return result;
  }

  async openLesson(id: string): Promise<LessonView> {
    const lesson = this.deps.lessons.view(id);
    if (!lesson) throw new LabError('not_found', `no lesson "${id}"`);
    this.lessonId = id;
    await this.change(this.withFloor(lesson.settings), `Lesson ${lesson.number}: ${lesson.title}`);
    this.scheduleCheck(0);
    return lesson;
  }

  inspect(): Promise<InspectorView> {
    return inspectorView(this.shellPid, this.deps.prober, this.deps.introspect);
  }

  dispose(): void {
    this.store.dispose();
  }

  /** Apply new settings: respawn the shell when they differ (serialised, rate-limited). */
  private change(next: ContainerSpec, headline?: string): Promise<ContainerSpec> {
    const run = async (): Promise<ContainerSpec> => {
      if (this.store.isDisposed) throw new LabError('not_started', 'the session has ended');
      const changes = describeChanges(this.spec, next);
      if (changes.length === 0 && this.shell) return this.spec;
      this.rateLimit();
      await this.respawn(next, headline ? [headline, ...changes] : changes);
      return this.spec;
    };
    const result = this.respawnChain.then(run, run);
    this.respawnChain = result.catch(() => undefined);
    return result;
  }

  private rateLimit(): void {
    const now = Date.now();
    this.respawnTimes = this.respawnTimes.filter((t) => now - t < 1_000);
    if (this.respawnTimes.length >= MAX_RESPAWNS_PER_SECOND) {
      throw new LabError('rate_limited', 'too many changes per second; wait a moment');
    }
    this.respawnTimes.push(now);
  }

  private withFloor(spec: ContainerSpec): ContainerSpec {
    let floored = spec;
    for (const id of this.lockedOn) floored = applyToggle(floored, id, true).spec;
    return floored;
  }

  private banner(changes: string[]): void {
    if (changes.length === 0) return;
    // One line, cyan (not dim: unreadable on the light theme), starting on a fresh line so it never
    // mangles the old prompt.
    this.pump.push(Buffer.from(`\r\n\x1b[36m── isolab: ${changes.join(' · ')} — new shell ──\x1b[0m\r\n`));
  }

  private stopShell(): void {
    if (this.shell) this.store.release(this.shell.stop);
    this.shell = undefined;
  }

  /** Replace the shell with one running under `spec`; resolves once it is ready, rejects with a LabError. */
  private respawn(spec: ContainerSpec, changes: string[]): Promise<void> {
    this.stopShell();
    this.banner(changes);
    const { launcher } = this.deps.paths;
    return new Promise<void>((resolve, reject) => {
      const started = hrtime.bigint();
      let settled = false;
      const settle = (err?: LabError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        forget();
        if (err) {
          this.out.error({ code: err.code, message: err.message, ...(err.step ? { step: err.step } : {}) });
          reject(err);
        } else resolve();
      };
      const { token, forget } = this.deps.status.expect((line: StatusLine) => {
        if (line.type === 'ready') {
          if (this.shell?.pty !== pty) return;
          this.shell.pid = line.pid;
          this.spec = spec;
          this.out.ready({
            spec,
            pid: line.pid,
            namespaces: line.namespaces,
            timingsUs: line.timings_us,
            spawnToReadyUs: Number((hrtime.bigint() - started) / 1000n),
            changes,
          });
          const pid = line.pid;
          void this.inspect().then((view) => {
            // A view of a shell that has been replaced meanwhile would only confuse.
            if (this.shell?.pid === pid && !this.store.isDisposed) this.out.inspector(view);
          });
          this.scheduleCheck(0);
          settle();
        } else if (line.type === 'error') {
          settle(new LabError('launch_failed', `the container could not start: ${line.message}`, line.step));
        }
      });
      const context = this.deps.containers.acquire(spec, this.owner);
      const args = [
        '--status-socket', this.deps.status.socketPath, '--status-token', token,
        ...launcherArgs(spec, context.ctx), '--', ...shellCommand(spec),
      ];
      let pty: nodePty.IPty;
      try {
        pty = nodePty.spawn(launcher, args, {
          name: 'xterm-256color',
          cols: this.size.cols,
          rows: this.size.rows,
          cwd: '/',
          env: shellEnv(),
          encoding: null,
        } as nodePty.IPtyForkOptions);
      } catch (err) {
        context.release();
        settle(new LabError('launch_failed', `the launcher could not be started: ${(err as Error).message}`));
        return;
      }
      const timer = setTimeout(() => settle(new LabError('launch_failed', 'the container did not become ready in time')), LAUNCH_TIMEOUT_MS);
      const dataSub = pty.onData((data) => this.pump.push(data as unknown as Buffer));
      const exitSub = pty.onExit(({ exitCode, signal }) => {
        const code = signal ? 128 + signal : exitCode;
        // The launcher has torn its container down (cgroup, veth) before exiting.
        context.release();
        if (this.shell?.pty === pty) {
          this.shell = undefined;
          this.out.exit({ code });
        }
        // The launcher's error line (naming the failed step) travels on the status socket and may
        // arrive just after the exit; give it a moment before reporting a bare exit code.
        if (!settled) setTimeout(() => settle(new LabError('launch_failed', `the launcher exited with code ${code} before the shell was ready`)), EXIT_REPORT_GRACE_MS);
      });
      if (this.pump.isPaused) pty.pause();
      const stop = this.store.add(() => {
        dataSub.dispose();
        exitSub.dispose();
        settle(new LabError('not_started', 'the shell was replaced before it was ready'));
        stopPty(pty);
      });
      this.shell = { pty, pid: null, stop, spec, ctx: context.ctx };
    });
  }

  private scheduleCheck(delayMs: number): void {
    if (!this.lessonId || this.store.isDisposed) return;
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => void this.runChecks(), delayMs);
  }

  private async runChecks(): Promise<void> {
    const lessonId = this.lessonId;
    if (!lessonId) return;
    if (this.checkRunning) {
      this.checkAgain = true;
      return;
    }
    this.checkRunning = true;
    try {
      const status = this.deps.lessons.evaluate(lessonId, await this.gatherFacts());
      if (status && !this.store.isDisposed && this.lessonId === lessonId) {
        this.out.lessonStatus(status);
        if (!status.allPassed) this.scheduleCheck(CHECK_PERIOD_MS);
      }
    } catch (err) {
      console.error('[isolab] lesson check failed:', (err as Error).message);
      this.scheduleCheck(CHECK_PERIOD_MS);
    } finally {
      this.checkRunning = false;
      if (this.checkAgain) {
        this.checkAgain = false;
        this.scheduleCheck(0);
      }
    }
  }

  /**
   * The real state the checks look at: the probe inside the shell's namespaces and on the host, the
   * host's view of the shell and its process tree from /proc, System V IPC and POSIX message queues
   * on both sides.
   */
  async gatherFacts(): Promise<CheckFacts> {
    const current = this.shell;
    const pid = current?.pid ?? null;
    const { prober } = this.deps;
    const [host, container, processes, shell, hostIpc, containerIpc, hostQueues] = await Promise.all([
      prober.host(),
      // Confined as the shell is (its cgroup, capabilities, seccomp...), as docker exec would be.
      pid && current ? prober.container(pid, joinArgs(current.spec, current.ctx)).catch(() => null) : Promise.resolve(null),
      listProcesses(),
      pid ? shellView(pid) : Promise.resolve(null),
      hostSysvIpc(),
      pid ? prober.containerSysvIpc(pid).catch(() => null) : Promise.resolve(null),
      hostMqueues(),
    ]);
    const containerQueues = pid && shell && hasMqueueMount(shell.mounts) ? await prober.containerMqueues(pid).catch(() => null) : null;
    return {
      container,
      host,
      shell,
      sysvipc: { host: hostIpc, container: containerIpc },
      mqueue: { host: hostQueues, container: containerQueues },
      session: {
        shellPid: pid,
        spec: this.spec,
        hostHostnameAtStart: this.deps.hostHostnameAtStart,
        descendants: pid ? await withNsPids(pid, descendantsOf(pid, processes)) : [],
      },
    };
  }
}

/** SIGHUP lets the launcher tear the container down and reap it; SIGKILL if it does not exit in time. */
function stopPty(pty: nodePty.IPty): void {
  let exited = false;
  const sub = pty.onExit(() => {
    exited = true;
    sub.dispose();
  });
  try {
    pty.kill('SIGHUP');
  } catch {
    return; // already gone
  }
  setTimeout(() => {
    if (!exited) {
      try {
        pty.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }, STOP_GRACE_MS).unref();
}
