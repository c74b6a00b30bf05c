// One learner's session: their shell, its settings, the open lesson and its checks. The parts live
// beside it, one job each: launching the shell (launch.ts), the change queue (change-queue.ts), live
// limits (live-limits.ts), the check loop (check-loop.ts), the facts the checks read
// (gather-facts.ts), the terminal's output and banners (terminal-output.ts), the learner's saved
// progress (learner.ts). The floor is server/floor/. Every OS resource the session creates is
// registered in its one DisposableStore.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
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
import type { FairQueue } from '../base/fair-queue.js';
import { LabError } from '../base/errors.js';
import type { LabPaths } from '../base/paths.js';
import { SlidingWindow } from '../base/rate-window.js';
import { MAX_DIAGNOSES_PER_MINUTE, type Diagnoser } from '../diagnose/diagnose.js';
import { describeCeilings, type Ceilings } from '../floor/ceilings.js';
import { FLOOR_TOGGLES, MACHINE_HOSTNAME, machineUsernsLimits, raiseToFloor, refuseBelowFloor } from '../floor/floor.js';
import type { LessonCatalog } from '../lessons/catalog.js';
import type { CheckFacts } from '../lessons/facts.js';
import { inspectorView } from '../observe/inspector.js';
import type { Prober } from '../observe/probe.js';
import type { ProgressStore } from '../progress/store.js';
import type { ContainerContexts } from '../runtime/container-context.js';
import { refuseBeyondHost } from '../runtime/host-limits.js';
import { joinArgs } from '../runtime/launcher.js';
import type { StatusServer } from '../runtime/status-lines.js';
import type { Introspect } from '../runtime/native-addon.js';
import type { ShippedSeccompProfile } from '../runtime/seccomp/shipped-profile.js';
import type { AtWork } from './at-work.js';
import { ChangeQueue } from './change-queue.js';
import { CheckLoop } from './check-loop.js';
import { gatherFacts } from './gather-facts.js';
import { launchShell, type Shell } from './launch.js';
import { Learner } from './learner.js';
import { MachineKeeper } from './machine-keeper.js';
import { changeLimitsLive } from './live-limits.js';
import { describeOtherChanges } from './spec-diff.js';
import { TerminalOutput, type HeldOutput, type TerminalTap } from './terminal-output.js';

/** A demo step's setup is a few commands; one still running after this is stuck. */
const SETUP_TIMEOUT_MS = 10_000;

export interface SessionDeps {
  paths: LabPaths;
  status: StatusServer;
  prober: Prober;
  introspect: Introspect;
  lessons: LessonCatalog;
  mode: ServerMode;
  hostHostnameAtStart: string;
  containers: ContainerContexts;
  exports: AtWork;
  progress: ProgressStore;
  seccompProfile: ShippedSeccompProfile;
  /** "Why did that fail?" (server-wide: it limits how many run at once). */
  diagnoser: Diagnoser;
  /** The most of each resource a workshop learner's shell may have (`isolab serve --learner-…`); a solo server has none. */
  ceilings: Ceilings;
  /** Whether this host's kernel accounts swap per cgroup (runtime/host-limits.ts hostAccountsSwap). */
  accountsSwap: boolean;
  /**
   * The server-wide queue of expensive work (probes, the inspector, diagnoses, the comparison), a
   * lane per session: one learner's flood slows only that learner.
   */
  expensive: FairQueue;
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

export class Session {
  private readonly store = new DisposableStore();
  private readonly terminal: TerminalOutput;
  private readonly changes = new ChangeQueue();
  private readonly checks: CheckLoop;
  private readonly learner: Learner;
  private spec: ContainerSpec;
  private size: TermSize = { cols: 80, rows: 24 };
  private shell: Shell | undefined;
  /** A new shell that has not said ready yet; `shell` is still the learner's until it does. */
  private starting: Shell | undefined;
  private lessonId: string | undefined;
  private customProfile: SeccompProfile | undefined;
  private diagnosing = false;
  /** Characters of input received from the page: a re-attaching page sends again what it sent beyond them. */
  private inputCharsSeen = 0;
  private readonly diagnoses = new SlidingWindow(MAX_DIAGNOSES_PER_MINUTE, 60_000);
  /** Names this session's cgroups (ps and the host's cgroup tree show whose container it is). */
  private readonly owner = `isolab-${randomBytes(4).toString('hex')}`;
  /** On a workshop server: the learner's machine, in which each of their containers is built. */
  private readonly machine: MachineKeeper | undefined;

  constructor(
    private readonly deps: SessionDeps,
    private readonly out: SessionOutput,
  ) {
    this.terminal = new TerminalOutput((frame) => out.output(frame), () => this.shell?.pty);
    this.store.add(() => this.terminal.close());
    this.learner = new Learner(deps.progress, (progress) => out.progress(progress));
    this.checks = new CheckLoop(this.store, {
      lessonId: () => this.lessonId,
      evaluate: async (lessonId) => deps.lessons.evaluate(lessonId, await this.gatherFacts()),
      // What is true now, with what passed earlier (it stays passed for progress).
      report: (status) => out.lessonStatus(this.learner.recordStatus(status)),
    });
    this.spec = this.withFloor(deps.lessons.first()?.settings ?? PLAIN_PROCESS);
    if (this.hasFloor) {
      const machine = new MachineKeeper({
        launcher: deps.paths.launcher,
        uidRanges: deps.containers.uidRanges,
        hostname: MACHINE_HOSTNAME,
        usernsLimits: machineUsernsLimits(deps.ceilings),
      });
      this.machine = machine;
      // Registered first, so released last: after every shell in it has been stopped.
      this.store.add(() => void machine.retire());
    }
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

  /** The switches this server's floor keeps on; none on a solo server. */
  get floorToggles(): readonly ToggleId[] {
    return this.hasFloor ? FLOOR_TOGGLES : [];
  }

  /** This server's ceilings in words, for the page; none on a solo server. */
  get ceilingWords(): string[] {
    return this.hasFloor ? describeCeilings(this.deps.ceilings) : [];
  }

  /** Flow-control statistics, for benchmarks and tests. */
  get outputStats(): { inFlight: number; buffered: number; paused: boolean } {
    return this.terminal.stats;
  }

  async start(size: TermSize, lessonId?: string, learnerId?: string): Promise<void> {
    if (this.shell) throw new LabError('bad_request', 'the session has already started');
    this.size = size;
    this.learner.identify(learnerId);
    if (!lessonId && learnerId) {
      // A returning learner: their first shell already has the settings of the lesson they left.
      const last = this.learner.lastLesson();
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
    this.inputCharsSeen += data.length;
    this.shell?.pty.write(data);
    this.terminal.typed(data);
    this.checks.afterInput(data);
  }

  resize(size: TermSize): void {
    this.size = size;
    this.shell?.pty.resize(size.cols, size.rows);
    this.terminal.resized(size.cols, size.rows);
  }

  /** Characters of term:input received so far (session:resume tells the page). */
  get inputChars(): number {
    return this.inputCharsSeen;
  }

  /** The lesson open in this session, if any. */
  get openLessonId(): string | null {
    return this.lessonId ?? null;
  }

  /**
   * A browser re-attaches at SIZE: the shell takes its size, and the screen is made from the
   * terminal's log (as of this call) for the browser to start from; flow control starts afresh.
   */
  async reattach(size: TermSize): Promise<Buffer> {
    this.resize(size);
    const screen = await this.terminal.screen(size.cols, size.rows);
    this.terminal.restartFlow();
    // The page shows the lesson's checks as they are now, not as they were before the drop.
    this.checks.schedule(0);
    return screen;
  }

  /** The terminal's size now (a recording or the audience starts at it). */
  get termSize(): TermSize {
    return this.size;
  }

  /** TAP sees what the terminal shows from now on (session/recording.ts, session/audience.ts). */
  tap(tap: TerminalTap): Disposer {
    // Released from the store when it ends: a speaker recording take after take must not pile up.
    const untap = this.store.add(this.terminal.tap(tap));
    return () => this.store.release(untap);
  }

  /** The last few KiB the terminal showed: a viewer who joins now starts from them. */
  recentOutput(): Buffer {
    return this.terminal.recent();
  }

  /** A chapter in whatever records or watches this terminal (a demo step the speaker moved to). */
  marker(label: string): void {
    this.terminal.marker(label);
  }

  /**
   * A scripted demo's step: a fresh shell with SPEC (under the floor, as any change), then SETUP,
   * a shell script run inside it as the shell is confined (docker exec's way), not typed.
   */
  async resetToStep(spec: ContainerSpec, headline: string, setup: string | null): Promise<ContainerSpec> {
    if (this.hasFloor) refuseBelowFloor(spec, this.deps.ceilings);
    await this.change(this.withFloor(spec), { headline, always: 'a fresh shell' });
    if (setup !== null) await this.runInShell(setup);
    return this.spec;
  }

  /** Runs SCRIPT with busybox sh inside the running shell's namespaces and confinement; its output is discarded. */
  private runInShell(script: string): Promise<void> {
    const shell = this.shell;
    if (!shell) return Promise.reject(new LabError('not_started', 'no shell is running'));
    const args = ['--join', String(shell.pid), ...joinArgs(shell.spec, shell.ctx), '--', join(this.deps.paths.rootfs, 'bin', 'busybox'), 'sh', '-c', script];
    return new Promise((resolve, reject) => {
      execFile(this.deps.paths.launcher, args, { timeout: SETUP_TIMEOUT_MS, env: {} }, (err, _stdout, stderr) => {
        if (err) reject(new LabError('launch_failed', `the step's setup failed: ${(stderr || err.message).trim().slice(0, 300)}`));
        else resolve();
      });
    });
  }

  ack(bytes: number): void {
    this.terminal.ack(bytes);
  }

  async toggle(id: ToggleId, on: boolean): Promise<ContainerSpec> {
    if (!on && this.floorToggles.includes(id)) {
      throw new LabError('forbidden', `this workshop server keeps "${id}" on for everyone's safety`);
    }
    const { spec } = applyToggle(this.spec, id, on);
    return (await this.change(this.withFloor(spec))).spec;
  }

  /** The settings editor's Apply: the whole spec (already validated), refused if it goes below the floor. */
  async applySpec(spec: ContainerSpec): Promise<ApplyResult> {
    if (this.hasFloor) refuseBelowFloor(spec, this.deps.ceilings);
    if (spec.seccomp === 'custom' && !this.customProfile) {
      const message = 'seccomp "custom" needs your profile first: apply one in the Seccomp tab';
      throw new LabError('bad_request', message, undefined, [{ path: ['spec', 'seccomp'], message }]);
    }
    // A limit left out is the ceiling.
    return this.change(this.withFloor(spec), { headline: 'settings edited' });
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
    return this.change(this.withFloor({ ...this.spec, seccomp: 'custom' }), { always: note });
  }

  /** This learner's saved progress (or why it is not saved). */
  progress(): LearnerProgress {
    return this.learner.progress();
  }

  /** The learner answered a "Predict, then verify" question: picked CHOICE (0 is A), or opened the answer. */
  predictionAnswered(lessonId: string, predictionId: string, choice?: number): LearnerProgress {
    const choices = this.deps.lessons.predictionChoices(lessonId, predictionId);
    if (choices === undefined) throw new LabError('not_found', `lesson "${lessonId}" has no prediction "${predictionId}"`);
    if (choice !== undefined && choice >= choices) throw new LabError('bad_request', `prediction "${predictionId}" has ${choices} choices; there is no choice ${choice}`);
    return this.learner.predictionAnswered(lessonId, predictionId, choice);
  }

  /** New cgroup limits for the running shell, written live: no new shell, the same processes. */
  updateLimits(change: LimitsRequest): Promise<ContainerSpec> {
    // In line with respawns: a limit must never be written into a cgroup being torn down.
    return this.changes.enqueue(async () => {
      const { spec, changes } = await changeLimitsLive({
        paths: this.deps.paths,
        spec: this.spec,
        change,
        ceilings: this.hasFloor ? this.deps.ceilings : null,
        accountsSwap: this.deps.accountsSwap,
        shell: () => this.shell,
        admit: () => this.changes.admit(),
      });
      this.spec = spec;
      this.terminal.banner(changes.length ? changes : ['limits unchanged'], 'same shell, new limits');
      this.out.limits({ spec });
      void this.inspect().then((view) => this.out.inspector(view));
      this.checks.schedule(0);
      return spec;
    });
  }

  async openLesson(id: string): Promise<LessonView> {
    const lesson = this.deps.lessons.view(id);
    if (!lesson) throw new LabError('not_found', `no lesson "${id}"`);
    this.lessonId = id;
    const headline = `Lesson ${lesson.number}: ${lesson.title}`;
    const { changes } = await this.change(this.withFloor(lesson.settings), { headline });
    // A new shell's banner is a chapter already; the same shell still gets one for the new lesson.
    if (changes.length === 0) this.terminal.marker(headline);
    this.checks.schedule(0);
    this.learner.lessonOpened(id);
    return lesson;
  }

  /**
   * "Why did that fail?": COMMAND re-run in throwaway containers with this shell's settings, then
   * with one layer lifted at a time (server/diagnose/diagnose.ts). One at a time per session, a few a minute.
   */
  async diagnose(command: string): Promise<DiagnoseVerdict> {
    if (this.store.isDisposed) throw new LabError('not_started', 'the session has ended');
    if (this.diagnosing) throw new LabError('rate_limited', 'a diagnosis is already running for this shell; wait for its answer');
    if (!this.diagnoses.take()) throw new LabError('rate_limited', `at most ${MAX_DIAGNOSES_PER_MINUTE} diagnoses a minute; wait a moment`);
    this.diagnosing = true;
    const ended = new AbortController();
    const abort = this.store.add(() => ended.abort());
    try {
      // Not coalesced: a diagnosis is of one command (and this session runs one at a time anyway).
      return await this.queued('diagnose', async () =>
        this.deps.diagnoser.diagnose({
          spec: this.spec,
          command,
          owner: this.owner,
          floorToggles: this.floorToggles,
          ...(this.hasFloor ? { ceilings: this.deps.ceilings } : {}),
          ...(this.customProfile ? { customSeccomp: this.customProfile } : {}),
          machine: await this.ownMachine(),
          signal: ended.signal,
        }),
        { coalesce: false },
      );
    } finally {
      this.diagnosing = false;
      this.store.release(abort);
    }
  }

  /** The current settings as a docker run line and an OCI config.json. */
  exports(): ExportView {
    return this.deps.exports.for(this.spec, this.customProfile);
  }

  /** The inspector's two reports, read when this session's turn comes (repeats while one waits share it). */
  inspect(): Promise<InspectorView> {
    return this.queued('inspect', () => inspectorView(this.shellPid, this.deps.prober, this.deps.introspect, this.machine?.current?.pid));
  }

  /** The real state the open lesson's checks look at (gather-facts.ts), in this session's turn. */
  gatherFacts(): Promise<CheckFacts> {
    return this.queued('facts', () => gatherFacts({ shell: () => this.shell, spec: () => this.spec }, { ...this.deps, machine: this.machine?.current }));
  }

  /**
   * Expensive work of this session in its turn on the server-wide queue: KIND names it, and a
   * request of a kind already waiting shares that one's run (unless `coalesce: false`). A job must
   * not queue another of this session's: its lane runs one at a time.
   */
  queued<T>(kind: string, job: () => Promise<T>, opts: { coalesce?: boolean } = {}): Promise<T> {
    if (this.store.isDisposed) return Promise.reject(new LabError('not_started', 'the session has ended'));
    return this.deps.expensive.run(this.owner, job, opts.coalesce === false ? {} : { coalesce: kind });
  }

  dispose(): void {
    this.store.dispose();
  }

  /** Disposes of the session and resolves once everything of it outside the server is gone (its machine). */
  async close(): Promise<void> {
    this.dispose();
    await this.machine?.retire();
  }

  /**
   * Apply new settings: respawn the shell when they differ (in the change queue, rate-limited).
   * `headline` starts the banner; `always` is a change the settings do not show (a new seccomp
   * profile) and forces a new shell.
   */
  private change(next: ContainerSpec, opts: { headline?: string; always?: string } = {}): Promise<ApplyResult> {
    return this.changes.enqueue(async () => {
      if (this.store.isDisposed) throw new LabError('not_started', 'the session has ended');
      // Before anything is replaced: what this host's launcher would refuse is refused here, by field.
      refuseBeyondHost(next.resources, ['spec', 'resources']);
      let changes = describeChanges(this.spec, next);
      // The board's switches do not cover every field the settings editor can change (a tmpfs
      // size, a bandwidth limit): those are named by path.
      if (changes.length === 0) changes = describeOtherChanges(this.spec, next);
      // The note says it better than the switch's label would ("seccomp (docker default) on").
      if (opts.always) changes = [...changes.filter((c) => !/^seccomp\b/i.test(c)), opts.always];
      if (changes.length === 0 && this.shell) return { spec: this.spec, changes };
      this.changes.admit();
      await this.respawn(next, opts.headline ? [opts.headline, ...changes] : changes);
      return { spec: this.spec, changes };
    });
  }

  /** The learner's machine on a workshop server (made with the first shell), else undefined. A failure reaches the page as a failed start. */
  private async ownMachine() {
    if (!this.machine) return undefined;
    try {
      return await this.machine.get();
    } catch (err) {
      const labError = err instanceof LabError ? err : new LabError('launch_failed', `your machine could not be made: ${(err as Error).message}`, 'machine');
      if (!this.store.isDisposed) this.out.error({ code: labError.code, message: labError.message, ...(labError.step ? { step: labError.step } : {}) });
      throw labError;
    }
  }

  /** A workshop server (`--mode workshop`) keeps a floor of isolation under every learner. */
  private get hasFloor(): boolean {
    return this.deps.mode === 'workshop';
  }

  private withFloor(spec: ContainerSpec): ContainerSpec {
    if (!this.hasFloor) return spec;
    const floored = raiseToFloor(spec, this.deps.ceilings);
    // A host that does not account swap takes no memory+swap limit (the launcher refuses one); serve says so at start.
    if (this.deps.accountsSwap || floored.resources.memorySwapBytes === null) return floored;
    return { ...floored, resources: { ...floored.resources, memorySwapBytes: null } };
  }

  /**
   * Start a shell under `spec` and make it the session's once it is ready; resolves then, rejects
   * with a LabError. The shell running now goes on until that moment: a new one that fails to start
   * (a limit the kernel refuses, a step that fails) leaves the learner their working shell and an
   * error. The two can run side by side because every launch has a cgroup, bridge address, uid
   * range and upper directory of its own (runtime/container-context.ts).
   */
  private async respawn(spec: ContainerSpec, changes: string[]): Promise<void> {
    // Every path to a new shell ends here: whatever it was, a workshop shell starts on the floor.
    if (this.hasFloor) refuseBelowFloor(spec, this.deps.ceilings);
    const machine = await this.ownMachine();
    const request = { spec, size: this.size, owner: this.owner, customProfile: this.customProfile, machine };
    let output: HeldOutput | undefined;
    return launchShell(request, this.deps, this.store, {
      spawned: (shell) => {
        this.starting = shell;
        this.machine?.track(shell.pty);
      },
      attach: (pty) => {
        output = this.terminal.attach(pty);
        return output.detach;
      },
      isCurrent: (shell) => this.starting === shell,
      ready: (shell, line, spawnToReadyUs) => {
        this.starting = undefined;
        if (this.shell) this.store.release(this.shell.stop);
        this.shell = shell;
        this.spec = shell.spec;
        // The page may have resized the terminal while this shell was starting at the old size.
        if (shell.pty.cols !== this.size.cols || shell.pty.rows !== this.size.rows) shell.pty.resize(this.size.cols, this.size.rows);
        this.terminal.banner(changes, 'new shell');
        output?.show();
        this.out.ready({ spec: shell.spec, pid: line.pid, namespaces: line.namespaces, timingsUs: line.timings_us, spawnToReadyUs, changes });
        const pid = line.pid;
        void this.inspect().then((view) => {
          // A view of a shell that has been replaced meanwhile would only confuse.
          if (this.shell?.pid === pid && !this.store.isDisposed) this.out.inspector(view);
        });
        this.checks.schedule(0);
      },
      exited: (shell, code) => {
        // A launch that never became ready is reported (and forgotten) by failed(), which always follows.
        if (this.shell !== shell) return;
        this.shell = undefined;
        this.out.exit({ code });
      },
      failed: (err) => {
        // A launcher that failed or went silent is stopped; it was never the learner's shell.
        const failed = this.starting;
        this.starting = undefined;
        if (failed) this.store.release(failed.stop);
        if (this.store.isDisposed) return;
        const step = err.step ? ` at step "${err.step}"` : '';
        this.terminal.banner(changes, this.shell ? `not applied: the new shell failed${step}; this one goes on` : `no shell: it failed to start${step}`);
        this.out.error({ code: err.code, message: err.message, ...(err.step ? { step: err.step } : {}) });
      },
    });
  }
}
