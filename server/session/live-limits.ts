// New cgroup limits for the running shell, written live (runtime/live-limits.ts asks the launcher's
// --cgroup-update): the same processes go on under the new limits, with no new shell.
import type { LimitsRequest } from '../../common/protocol.js';
import { describeChanges, type ContainerSpec } from '../../common/spec.js';
import { LabError } from '../base/errors.js';
import type { LabPaths } from '../base/paths.js';
import { liveLimitsUnderCeilings, refuseAboveCeilings, type Ceilings } from '../floor/ceilings.js';
import { applyLimits, withLimits } from '../runtime/live-limits.js';
import type { Shell } from './launch.js';

export interface LiveLimitsChange {
  /** The settings with the new limits. */
  spec: ContainerSpec;
  /** What changed, for the banner ("memory 64 MiB"); empty when nothing did. */
  changes: string[];
}

/**
 * Writes CHANGE into the cgroup of the shell running under SPEC. SHELL is the session's shell, read
 * again after the write; ADMIT is the change queue's rate limit.
 */
export async function changeLimitsLive(opts: {
  paths: Pick<LabPaths, 'launcher'>;
  spec: ContainerSpec;
  change: LimitsRequest;
  /** A workshop server's: a limit taken away is the ceiling, one above it refused. Null on a solo server. */
  ceilings: Ceilings | null;
  /** Whether this host accounts swap per cgroup: where it does not, memory+swap does not follow a new memory limit (the launcher would refuse it). */
  accountsSwap: boolean;
  shell: () => Shell | undefined;
  admit: () => void;
}): Promise<LiveLimitsChange> {
  const shell = opts.shell();
  if (!shell || shell.pid === null) throw new LabError('not_started', 'no shell is running');
  const change = opts.ceilings ? liveLimitsUnderCeilings(opts.spec, opts.change, opts.ceilings) : opts.change;
  if (!opts.accountsSwap && !('memorySwapBytes' in opts.change)) delete change.memorySwapBytes;
  const next = withLimits(opts.spec, change);
  // The settings as a whole, as every other path checks them (refused above, before anything is written).
  if (opts.ceilings) refuseAboveCeilings(next, opts.ceilings);
  opts.admit();
  await applyLimits(opts.paths.launcher, next, shell.ctx);
  if (opts.shell() !== shell) throw new LabError('not_started', 'the shell was replaced meanwhile');
  return { spec: next, changes: describeChanges(opts.spec, next) };
}
