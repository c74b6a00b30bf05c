// Launching one shell: the launcher on a pty, reporting on the status socket, until it says ready,
// reports the step that failed, exits, or stays silent past LAUNCH_TIMEOUT_MS. Expected failures
// reach the page as a value (sandbox:error) as well as rejecting the launch.
import { hrtime } from 'node:process';
import * as nodePty from 'node-pty';
import type { TermSize } from '../../common/protocol.js';
import type { SeccompProfile } from '../../common/seccomp-profile.js';
import type { ContainerSpec } from '../../common/spec.js';
import type { DisposableStore, Disposer } from '../base/disposable.js';
import { LabError } from '../base/errors.js';
import type { LabPaths } from '../base/paths.js';
import type { ContainerContexts } from '../runtime/container-context.js';
import { launcherArgs, shellCommand, shellEnv, type LaunchContext } from '../runtime/launcher.js';
import type { ReadyLine, StatusLine, StatusServer } from '../runtime/status-lines.js';
import { stopPty } from '../runtime/stop-process.js';

/** A launcher that has not said ready or error by then is broken; the learner gets an error, not a hang. */
const LAUNCH_TIMEOUT_MS = 5_000;
/** How long to wait for the launcher's error line after it exited early. */
const EXIT_REPORT_GRACE_MS = 100;

export interface Shell {
  readonly pty: nodePty.IPty;
  /** Host PID of the shell, once the launcher said ready. */
  pid: number | null;
  /** What the shell was started with: a process joined to it (the probe) gets the same confinement. */
  readonly spec: ContainerSpec;
  /** What the server decided for this launch (cgroup name, …): live updates and joined processes need it. */
  readonly ctx: LaunchContext;
  /** The container's overlay upper directory on the host (--overlay-upper), or null. */
  readonly upperDir: string | null;
  /** Its entry in the session's store: releasing it stops the launcher (which tears the container down). */
  readonly stop: Disposer;
}

export interface LaunchRequest {
  spec: ContainerSpec;
  size: TermSize;
  /** Names the container's cgroup (ps and the host's cgroup tree show whose it is). */
  owner: string;
  /** The learner's seccomp profile, for spec.seccomp "custom". */
  customProfile: SeccompProfile | undefined;
  /** The workshop's ceilings on the user namespace's counters (LaunchContext.usernsLimits); absent on a solo server. */
  usernsLimits?: Readonly<Record<string, number>>;
}

export interface LaunchDeps {
  paths: Pick<LabPaths, 'launcher'>;
  status: StatusServer;
  containers: ContainerContexts;
}

/** What the session does as the launch goes on. */
export interface LaunchEvents {
  /** The launcher runs on its pty (its stop is in the store); the session makes SHELL its own at ready. */
  spawned(shell: Shell): void;
  /** Wires the pty's output to the terminal (held back until ready: session.ts); returns how to unwire it. */
  attach(pty: nodePty.IPty): Disposer;
  /** Whether SHELL is still the session's: a ready line from a shell replaced meanwhile is ignored. */
  isCurrent(shell: Shell): boolean;
  /** The launcher said ready (shell.pid is set). */
  ready(shell: Shell, line: ReadyLine, spawnToReadyUs: number): void;
  /** The launcher exited, its container torn down (cgroup, veth). */
  exited(shell: Shell, code: number): void;
  /** The launch failed; the returned promise rejects with the same error. */
  failed(err: LabError): void;
}

/**
 * Starts a shell under REQ.spec. Resolves once it is ready; rejects with a LabError. Its one OS
 * resource, the launcher, is registered in STORE (Shell.stop).
 */
export function launchShell(req: LaunchRequest, deps: LaunchDeps, store: DisposableStore, events: LaunchEvents): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const started = hrtime.bigint();
    let settled = false;
    let shell: Shell | undefined;
    // Declared before settle() can run: a launch that fails before the timer is set settles too.
    let timer: NodeJS.Timeout | undefined;
    const settle = (err?: LabError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      forget();
      if (err) {
        events.failed(err);
        reject(err);
      } else resolve();
    };
    const { token, forget } = deps.status.expect((line: StatusLine) => {
      if (line.type === 'ready') {
        if (!shell || !events.isCurrent(shell)) return;
        shell.pid = line.pid;
        events.ready(shell, line, Number((hrtime.bigint() - started) / 1000n));
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
      context = deps.containers.acquire(req.spec, req.owner, req.customProfile);
      if (req.usernsLimits) context.ctx.usernsLimits = req.usernsLimits;
      const args = [
        '--status-socket', deps.status.socketPath, '--status-token', token,
        ...launcherArgs(req.spec, context.ctx), '--', ...shellCommand(req.spec),
      ];
      // The upper layer is on the host only when the launcher was given one (not with a user namespace).
      const upperAt = args.indexOf('--overlay-upper');
      if (upperAt >= 0) upperDir = args[upperAt + 1]!;
      pty = nodePty.spawn(deps.paths.launcher, args, {
        name: 'xterm-256color',
        cols: req.size.cols,
        rows: req.size.rows,
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
    const detach = events.attach(pty);
    const stop = store.add(() => {
      detach();
      // The exit listener stays: when this launcher exits, its container's directory, bridge address and
      // uid range must still be released (it reports nothing to the page once replaced).
      settle(new LabError('not_started', 'the shell was replaced before it was ready'));
      stopPty(pty);
    });
    const launched: Shell = { pty, pid: null, stop, spec: req.spec, ctx: context.ctx, upperDir };
    shell = launched;
    pty.onExit(({ exitCode, signal }) => {
      const code = signal ? 128 + signal : exitCode;
      // The launcher has torn its container down (cgroup, veth) before exiting.
      release();
      events.exited(launched, code);
      // The launcher's error line (naming the failed step) travels on the status socket and may
      // arrive just after the exit; give it a moment before reporting a bare exit code.
      if (!settled) setTimeout(() => settle(new LabError('launch_failed', `the launcher exited with code ${code} before the shell was ready`)), EXIT_REPORT_GRACE_MS);
    });
    events.spawned(launched);
  });
}
