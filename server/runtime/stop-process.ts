// One way to stop a process isolab started (the launcher on a pty, a throwaway launcher, runsc,
// QEMU): a polite signal first, so it can tear down what it made (the launcher kills and reaps its
// container and removes its cgroup and veth), then SIGKILL if it has not exited within a grace period.
import type { ChildProcess } from 'node:child_process';
import type { IPty } from 'node-pty';

/** After SIGHUP the launcher kills and reaps the container in well under this; past it, SIGKILL. */
export const STOP_GRACE_MS = 1_000;

/** The first signal: SIGHUP is what a closed terminal sends, SIGTERM what a supervisor sends; the launcher treats both alike. */
export type StopSignal = 'SIGHUP' | 'SIGTERM';

/** What stopping needs from a process, whatever started it. */
interface Stoppable {
  /** Whether it has already exited (then nothing is sent). */
  exited(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** Calls LISTENER once, when it exits. */
  onceExited(listener: () => void): void;
}

function stopGracefully(p: Stoppable, signal: StopSignal, graceMs: number): void {
  if (p.exited()) return;
  let exited = false;
  let timer: NodeJS.Timeout | undefined;
  p.onceExited(() => {
    exited = true;
    clearTimeout(timer);
  });
  try {
    p.kill(signal);
  } catch {
    return; // already gone
  }
  timer = setTimeout(() => {
    if (exited) return;
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }, graceMs);
  // A process that ignores its signal must not keep the server's event loop alive on shutdown.
  timer.unref();
}

/** Stops the program on PTY (the launcher, runsc): SIGNAL, then SIGKILL after GRACE_MS. */
export function stopPty(pty: IPty, signal: StopSignal = 'SIGHUP', graceMs = STOP_GRACE_MS): void {
  stopGracefully(
    {
      // node-pty keeps no exit state: a pty that is gone makes kill() throw.
      exited: () => false,
      kill: (s) => pty.kill(s),
      onceExited: (listener) => {
        const sub = pty.onExit(() => {
          sub.dispose();
          listener();
        });
      },
    },
    signal,
    graceMs,
  );
}

/** Stops CHILD (a launcher without a terminal, QEMU): SIGNAL, then SIGKILL after GRACE_MS. */
export function stopChild(child: ChildProcess, signal: StopSignal = 'SIGTERM', graceMs = STOP_GRACE_MS): void {
  stopGracefully(
    {
      exited: () => child.exitCode !== null || child.signalCode !== null,
      kill: (s) => child.kill(s),
      onceExited: (l) => child.once('exit', l),
    },
    signal,
    graceMs,
  );
}
