// A workshop session's machine (runtime/learner-machine.ts): made with the learner's first shell,
// kept while the session lasts, and ended — its uid range given back — only once no launcher of
// the session still runs in it, so the range is never handed to another learner while anything
// of this one's could still own a file or a process under it.
import type { IPty } from 'node-pty';
import { startMachine, type LearnerMachine, type MachineOptions } from '../runtime/learner-machine.js';

/** Stopped launchers exit within stopPty's grace (1 s, then SIGKILL); one still there after this is lost. */
const RETIRE_WAIT_MS = 5_000;

export class MachineKeeper {
  private starting: Promise<LearnerMachine> | undefined;
  private machine: LearnerMachine | undefined;
  private readonly launchers = new Set<IPty>();
  private retired = false;
  private retiring: Promise<void> | undefined;
  private allGone: (() => void) | undefined;

  constructor(private readonly options: MachineOptions) {}

  /** The learner's machine, made on first use. A failure is not kept: the next shell tries again. */
  get(): Promise<LearnerMachine> {
    if (this.retired) return Promise.reject(new Error('the session has ended'));
    this.starting ??= startMachine(this.options).then(
      (machine) => {
        this.machine = machine;
        if (this.retired) void machine.stop();
        return machine;
      },
      (err: unknown) => {
        this.starting = undefined;
        throw err;
      },
    );
    return this.starting;
  }

  /** The machine once made (facts and the inspector read it), else undefined. */
  get current(): LearnerMachine | undefined {
    return this.machine;
  }

  /** A launcher now runs in the machine: it is ended only after PTY has exited. */
  track(pty: IPty): void {
    this.launchers.add(pty);
    pty.onExit(() => {
      this.launchers.delete(pty);
      if (this.launchers.size === 0) this.allGone?.();
    });
  }

  /** The session ended (its shells are being stopped): end the machine once they have exited. Idempotent. */
  retire(): Promise<void> {
    this.retiring ??= this.retireOnce();
    return this.retiring;
  }

  private async retireOnce(): Promise<void> {
    this.retired = true;
    if (this.launchers.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RETIRE_WAIT_MS);
        this.allGone = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.machine?.stop();
  }
}
