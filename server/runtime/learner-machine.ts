// A workshop learner's machine (native/launcher/machine.c): a network, IPC and UTS namespace of
// the learner's own, held by one small launcher process for as long as the learner's session
// lasts, plus the learner's host uid range. Each of the learner's containers is built in it: what
// a lesson switches off is then shared with the learner's machine, never with the host or with
// another learner.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { LabError } from '../base/errors.js';
import { failedStep, readStatusLines, type MachineReadyLine } from './status-lines.js';
import { stopChild } from './stop-process.js';
import type { UidRanges } from './uid-ranges.js';

/** Making three namespaces takes about a millisecond; a holder silent for this long is stuck. */
const MACHINE_READY_TIMEOUT_MS = 5_000;

export interface LearnerMachine {
  /** The holder's host PID: containers join its namespaces by it (--machine PID). */
  readonly pid: number;
  /** Its hostname: what a shell with the UTS namespace switched off sees. */
  readonly hostname: string;
  /** The inodes of its namespaces: the "host" a lesson compares a container's with. */
  readonly namespaces: MachineReadyLine['namespaces'];
  /** uid 0 of every container of this learner's, on the host; the uid that creates their user namespaces. */
  readonly usernsHostId: number;
  /** /proc/sys/user's max_* for each container's user namespace (--userns-limit). */
  readonly usernsLimits: Readonly<Record<string, number>>;
  /** Ends the holder (its namespaces go with the last container in them), then frees the uid range. */
  stop(): Promise<void>;
}

export interface MachineOptions {
  launcher: string;
  uidRanges: UidRanges;
  hostname: string;
  usernsLimits: Readonly<Record<string, number>>;
}

export function startMachine(opts: MachineOptions): Promise<LearnerMachine> {
  const range = opts.uidRanges.acquire();
  const child = spawn(opts.launcher, ['--machine-hold', '--unshare', 'net,ipc,uts', '--hostname', opts.hostname, '--status-fd', '3'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: {},
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopChild(child, 'SIGTERM');
      await exited;
      range.release();
    })();
    return stopping;
  };
  return new Promise<LearnerMachine>((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new LabError('launch_failed', `your machine could not be made: ${message}`, 'machine'));
    };
    const timer = setTimeout(() => fail(`the launcher said nothing for ${MACHINE_READY_TIMEOUT_MS} ms`), MACHINE_READY_TIMEOUT_MS);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(stderr.trim() || `the launcher exited (${signal ?? code}) before it was ready`));
    readStatusLines(child.stdio[3] as Readable, (line) => {
      if (line.type === 'error') fail(`${failedStep(line)}: ${line.message}`);
      if (line.type !== 'machine-ready' || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        pid: line.pid,
        hostname: opts.hostname,
        namespaces: line.namespaces,
        usernsHostId: range.hostId,
        usernsLimits: opts.usernsLimits,
        stop,
      });
    });
  });
}
