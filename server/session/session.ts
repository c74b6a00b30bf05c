// One learner's session: their shell (launcher on a pty), its settings, the open lesson and its
// checks. Owns every OS resource it creates through one DisposableStore.
import { randomBytes } from 'node:crypto';
import { hrtime } from 'node:process';
import * as nodePty from 'node-pty';
import type {
  ApplyResult,
  DiagnoseVerdict,
  ExportView,
  InspectorView,
  LearnerProgress,
  LessonStatus,
  LimitsRequest,
  LessonView,
  SandboxError,
  SandboxExit,
  SandboxReady,
  SeccompProfileView,
  ServerMode,
  TermSize,
} from '../../common/protocol.js';
import type { SeccompProfile } from '../../common/seccomp-profile.js';
import { PLAIN_PROCESS, applyToggle, describeChanges, type ContainerSpec, type ToggleId } from '../../common/spec.js';
import { DisposableStore, type Disposer } from '../base/disposable.js';
import { LabError } from '../base/errors.js';
import { FLOOR_TOGGLES, raiseToFloor, refuseBelowFloor } from '../floor/floor.js';
import { hasMqueueMount, hostMqueues, hostSysvIpc, shellView, withNsPids } from '../observe/host-view.js';
import { inspectorView } from '../observe/inspector.js';
import { gatherContainerView } from '../observe/container-view.js';
import type { ContainerContexts } from '../runtime/container-context.js';
import type { SpecExports } from './at-work.js';
import { MAX_DIAGNOSES_PER_MINUTE, type Diagnoser } from '../diagnose/diagnose.js';
import { joinArgs, launcherArgs, shellCommand, shellEnv, type LaunchContext, type StatusLine, type StatusServer } from '../runtime/launcher.js';
import { applyLimits, withLimits } from '../runtime/live-limits.js';
import type { LessonCatalog } from '../lessons/catalog.js';
import type { CheckFacts } from '../lessons/facts.js';
import type { Introspect } from '../runtime/native-addon.js';
import { OutputPump } from '../runtime/output-pump.js';
import type { LabPaths } from '../base/paths.js';
import type { Prober } from '../observe/probe.js';
import { descendantsOf, listProcesses } from '../observe/proc.js';
import { openFiles, shellIdentity, withIdentity } from '../observe/process-view.js';
import type { ProgressStore } from '../progress/store.js';
import type { ShippedSeccompProfile } from '../runtime/seccomp/shipped-profile.js';
import { describeOtherChanges } from './spec-diff.js';

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

export interface SessionDeps {
  paths: LabPaths;
  status: StatusServer;
  prober: Prober;
  introspect: Introspect;
  lessons: LessonCatalog;
  mode: ServerMode;
  hostHostnameAtStart: string;
  containers: ContainerContexts;
  exports: SpecExports;
  progress: ProgressStore;
  seccompProfile: ShippedSeccompProfile;
  /** "Why did that fail?" (server-wide: it limits how many run at once). */
  diagnoser: Diagnoser;
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
  progress(progress: LearnerProgress): void;
}

interface Shell {
  pty: nodePty.IPty;
  pid: number | null;
  stop: Disposer;
  /** What the shell was started with: a process joined to it (the probe) gets the same confinement. */
  spec: ContainerSpec;
  /** What the server decided for this launch (cgroup name, …): live updates and joined processes need it. */
  ctx: LaunchContext;
  /** The container's overlay upper directory on the host (--overlay-upper), or null. */
  upperDir: string | null;
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
  /** The browser's learner id (progress is saved under it); none = nothing is saved. */
  private learnerId: string | undefined;
  /** Whether the page was last told that progress is saved. */
  private toldSaving: boolean | undefined;
  private customProfile: SeccompProfile | undefined;
  private diagnosing = false;
  private diagnoseTimes: number[] = [];
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

  /** The learner's own seccomp profile (seccomp:apply), validated; used when spec.seccomp is "custom". */
  get customSeccompProfile(): SeccompProfile | undefined {
    return this.customProfile;
  }

  /** The launcher options that confine a process joined to the shell as the shell is (docker exec's). */
  get joinOptions(): string[] | null {
    return this.shell ? joinArgs(this.shell.spec, this.shell.ctx) : null;
  }

  /** The launcher's PID (the shell's parent on the host), for measuring what the container costs. */
  get launcherPid(): number | null {
    return this.shell?.pty.pid ?? null;
  }

  get lockedOn(): readonly ToggleId[] {
    return this.deps.mode === 'workshop' ? FLOOR_TOGGLES : [];
  }

  /** Flow-control statistics, for benchmarks and tests. */
  get outputStats(): { inFlight: number; buffered: number; paused: boolean } {
    return { inFlight: this.pump.inFlight, buffered: this.pump.buffered, paused: this.pump.isPaused };
  }

  async start(size: TermSize, lessonId?: string, learnerId?: string): Promise<void> {
    if (this.shell) throw new LabError('bad_request', 'the session has already started');
    this.size = size;
    this.learnerId = learnerId;
    if (!lessonId && learnerId) {
      // A returning learner: their first shell already has the settings of the lesson they left.
      const last = this.deps.progress.load(learnerId).lastLesson;
      if (last && this.deps.lessons.view(last)) lessonId = last;
    }
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
    return (await this.change(this.withFloor(spec))).spec;
  }

  /** The settings editor's Apply: the whole spec (already validated), refused if it goes below the workshop floor. */
  async applySpec(spec: ContainerSpec): Promise<ApplyResult> {
    if (this.deps.mode === 'workshop') refuseBelowFloor(spec);
    if (spec.seccomp === 'custom' && !this.customProfile) {
      const message = 'seccomp "custom" needs your profile first: apply one in the Seccomp tab';
      throw new LabError('bad_request', message, undefined, [{ path: ['spec', 'seccomp'], message }]);
    }
    return this.change(spec, { headline: 'settings edited' });
  }

  /** What the seccomp editor opens with. */
  async seccompView(): Promise<SeccompProfileView> {
    return this.customProfile ? { profile: this.customProfile, source: 'custom' } : this.deps.seccompProfile.get();
  }

  /**
   * The seccomp editor's Apply: keep the (validated) profile for this session and run the shell
   * under it. The profile is kept even if the new shell fails to start, so the learner's work is not lost.
   */
  async applySeccompProfile(profile: SeccompProfile): Promise<ApplyResult> {
    this.customProfile = profile;
    const rules = profile.syscalls?.length ?? 0;
    const note = `seccomp: your profile (default ${profile.defaultAction ?? 'none'}, ${rules} rule${rules === 1 ? '' : 's'})`;
    return this.change({ ...this.spec, seccomp: 'custom' }, { always: note });
  }

  /** This learner's saved progress (or why it is not saved). */
  progress(): LearnerProgress {
    if (!this.learnerId) {
      return { saving: false, problem: 'progress is not saved: this page sent no learner id (is browser storage turned off?)', lastLesson: null, lessons: {} };
    }
    return this.deps.progress.load(this.learnerId);
  }

  /** The learner answered a "Predict, then verify" question: picked CHOICE (0 is A), or opened the answer. */
  predictionAnswered(lessonId: string, predictionId: string, choice?: number): LearnerProgress {
    const choices = this.deps.lessons.predictionChoices(lessonId, predictionId);
    if (choices === undefined) throw new LabError('not_found', `lesson "${lessonId}" has no prediction "${predictionId}"`);
    if (choice !== undefined && choice >= choices) throw new LabError('bad_request', `prediction "${predictionId}" has ${choices} choices; there is no choice ${choice}`);
    if (!this.learnerId) return this.progress();
    const progress = this.deps.progress.predictionAnswered(this.learnerId, lessonId, predictionId, choice);
    this.toldSaving = progress.saving;
    return progress;
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
    await this.change(this.withFloor(lesson.settings), { headline: `Lesson ${lesson.number}: ${lesson.title}` });
    this.scheduleCheck(0);
    if (this.learnerId) this.tellProgress(this.deps.progress.lessonOpened(this.learnerId, id));
    return lesson;
  }

  /**
   * "Why did that fail?": COMMAND re-run in throwaway containers with this shell's settings, then
   * with one layer lifted at a time (server/diagnose/diagnose.ts). One at a time per session, a few a minute.
   */
  async diagnose(command: string): Promise<DiagnoseVerdict> {
    if (this.store.isDisposed) throw new LabError('not_started', 'the session has ended');
    if (this.diagnosing) throw new LabError('rate_limited', 'a diagnosis is already running for this shell; wait for its answer');
    const now = Date.now();
    this.diagnoseTimes = this.diagnoseTimes.filter((t) => now - t < 60_000);
    if (this.diagnoseTimes.length >= MAX_DIAGNOSES_PER_MINUTE) {
      throw new LabError('rate_limited', `at most ${MAX_DIAGNOSES_PER_MINUTE} diagnoses a minute; wait a moment`);
    }
    this.diagnoseTimes.push(now);
    this.diagnosing = true;
    const ended = new AbortController();
    const abort = this.store.add(() => ended.abort());
    try {
      return await this.deps.diagnoser.diagnose({
        spec: this.spec,
        command,
        owner: this.owner,
        lockedOn: this.lockedOn,
        ...(this.customProfile ? { customSeccomp: this.customProfile } : {}),
        signal: ended.signal,
      });
    } finally {
      this.diagnosing = false;
      this.store.release(abort);
    }
  }

  /** The current settings as a docker run line and an OCI config.json. */
  exports(): ExportView {
    return this.deps.exports.for(this.spec, this.customProfile);
  }

  inspect(): Promise<InspectorView> {
    return inspectorView(this.shellPid, this.deps.prober, this.deps.introspect);
  }

  dispose(): void {
    this.store.dispose();
  }

  private tellProgress(progress: LearnerProgress): void {
    this.toldSaving = progress.saving;
    this.out.progress(progress);
  }

  /**
   * Apply new settings: respawn the shell when they differ (serialised, rate-limited). `headline`
   * starts the banner; `always` is a change the settings do not show (a new seccomp profile) and
   * forces a new shell.
   */
  private change(next: ContainerSpec, opts: { headline?: string; always?: string } = {}): Promise<ApplyResult> {
    const run = async (): Promise<ApplyResult> => {
      if (this.store.isDisposed) throw new LabError('not_started', 'the session has ended');
      let changes = describeChanges(this.spec, next);
      // The board's switches do not cover every field the settings editor can change (a tmpfs
      // size, a bandwidth limit): those are named by path.
      if (changes.length === 0) changes = describeOtherChanges(this.spec, next);
      // The note says it better than the switch's label would ("seccomp (docker default) on").
      if (opts.always) changes = [...changes.filter((c) => !/^seccomp\b/i.test(c)), opts.always];
      if (changes.length === 0 && this.shell) return { spec: this.spec, changes };
      this.rateLimit();
      await this.respawn(next, opts.headline ? [opts.headline, ...changes] : changes);
      return { spec: this.spec, changes };
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
    return this.deps.mode === 'workshop' ? raiseToFloor(spec) : spec;
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
      // Declared before settle() can run: a launch that fails before the timer is set settles too.
      let timer: NodeJS.Timeout | undefined;
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
      let context: ReturnType<ContainerContexts['acquire']> | undefined;
      let pty: nodePty.IPty;
      let upperDir: string | null = null;
      try {
        // Preparing the launch may refuse the settings (a seccomp profile that does not compile,
        // an option the launcher lacks): a failed launch like any other, reported to the page.
        context = this.deps.containers.acquire(spec, this.owner, this.customProfile);
        const args = [
          '--status-socket', this.deps.status.socketPath, '--status-token', token,
          ...launcherArgs(spec, context.ctx), '--', ...shellCommand(spec),
        ];
        // The upper layer is on the host only when the launcher was given one (not with a user namespace).
        const upperAt = args.indexOf('--overlay-upper');
        if (upperAt >= 0) upperDir = args[upperAt + 1]!;
        pty = nodePty.spawn(launcher, args, {
          name: 'xterm-256color',
          cols: this.size.cols,
          rows: this.size.rows,
          cwd: '/',
          env: shellEnv(),
          encoding: null,
        } as nodePty.IPtyForkOptions);
      } catch (err) {
        context?.release();
        const reason = (err as Error).message.replace(/^launcherArgs: /, '');
        settle(err instanceof LabError ? err : new LabError('launch_failed', `the launcher could not be started: ${reason}`));
        return;
      }
      const { release } = context;
      timer = setTimeout(() => settle(new LabError('launch_failed', 'the container did not become ready in time')), LAUNCH_TIMEOUT_MS);
      const dataSub = pty.onData((data) => this.pump.push(data as unknown as Buffer));
      pty.onExit(({ exitCode, signal }) => {
        const code = signal ? 128 + signal : exitCode;
        // The launcher has torn its container down (cgroup, veth) before exiting.
        release();
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
        // The exit listener stays: when this launcher exits, its container's directory, bridge address and
        // uid range must still be released (it reports nothing to the page once replaced).
        settle(new LabError('not_started', 'the shell was replaced before it was ready'));
        stopPty(pty);
      });
      this.shell = { pty, pid: null, stop, spec, ctx: context.ctx, upperDir };
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
        if (this.learnerId) {
          const { progress, changed } = this.deps.progress.recordStatus(this.learnerId, status);
          if (changed || progress.saving !== this.toldSaving) this.tellProgress(progress);
        }
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
    // Lessons 4–8: roots, the upper layer, the cgroup's counters, sockets, /tmp (server/observe/container-view.ts).
    const containerView = await gatherContainerView({
      shellPid: pid,
      descendants: pid ? descendantsOf(pid, processes) : [],
      upperDir: this.shell?.pid === pid ? this.shell.upperDir : null,
      imageDir: this.deps.paths.rootfs,
      ownCgroup: this.spec.resources.cgroup,
      rootfs: this.spec.rootfs,
      hostCgroupOf: (p) => prober.hostCgroupOf(p),
      containerFiles: (p, dir) => prober.containerFiles(p, dir),
    });
    const identity = pid ? await shellIdentity(pid) : null;
    const below = pid ? await withNsPids(pid, descendantsOf(pid, processes)) : [];
    return {
      ...containerView,
      container,
      host,
      shell: shell && identity ? { ...shell, ...identity } : null,
      sysvipc: { host: hostIpc, container: containerIpc },
      mqueue: { host: hostQueues, container: containerQueues },
      session: {
        shellPid: pid,
        spec: this.spec,
        hostHostnameAtStart: this.deps.hostHostnameAtStart,
        descendants: pid ? await withIdentity(pid, below) : [],
        openFiles: await openFiles(below),
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
