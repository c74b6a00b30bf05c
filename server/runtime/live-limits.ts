// Live limits: rewrite a running container's cgroup through the launcher's --cgroup-update mode
// (the same v1/v2 code that set the limits at start), without a new shell.
import { execFile } from 'node:child_process';
import { describeZodError, type LimitsRequest } from '../../common/protocol.js';
import { ContainerSpec } from '../../common/spec.js';
import { LabError } from '../base/errors.js';
import { refuseBeyondHost } from './host-limits.js';
import { limitArgs, type LaunchContext } from './launcher.js';
import { statusLinesOf } from './status-lines.js';

/** A cgroup write takes microseconds; a launcher that has not answered by then is stuck. */
const UPDATE_TIMEOUT_MS = 3_000;

/** The settings with the new limits, validated as a whole (memory+swap ≥ memory, …). */
export function withLimits(spec: ContainerSpec, change: LimitsRequest): ContainerSpec {
  if (!spec.resources.cgroup) {
    throw new LabError('bad_request', 'the container has no cgroup of its own: turn on the "cgroup limits" switch first');
  }
  if ('memoryBytes' in change && change.memoryBytes === null && spec.resources.memoryBytes !== null) {
    // Neither docker update nor the kernel's v1 memory controller takes a limit away from a running cgroup cleanly.
    throw new LabError('bad_request', 'a memory limit cannot be removed from a running container: switch cgroup limits off and on again');
  }
  const next = { ...spec, resources: { ...spec.resources, ...change } };
  const parsed = ContainerSpec.safeParse(next);
  if (!parsed.success) throw new LabError('bad_request', `invalid limits: ${describeZodError(parsed.error)}`);
  refuseBeyondHost(parsed.data.resources, []);
  return parsed.data;
}

/** Writes `spec`'s limits into the running container's cgroup. */
export function applyLimits(launcher: string, spec: ContainerSpec, ctx: LaunchContext): Promise<void> {
  if (!ctx.cgroupName) return Promise.reject(new LabError('bad_request', 'the running shell has no cgroup of its own'));
  const args = ['--cgroup-update', ctx.cgroupName, ...limitArgs(spec.resources, ctx, { unsetAsUnlimited: true })];
  return new Promise((resolve, reject) => {
    // No status channel: the launcher prints its one status line on stdout.
    execFile(launcher, args, { timeout: UPDATE_TIMEOUT_MS, env: {} }, (err, stdout) => {
      const line = statusLinesOf(stdout)[0];
      if (line?.type === 'updated') return resolve();
      if (line?.type === 'error') return reject(new LabError('launch_failed', `the limits could not be changed: ${line.message}`, line.step));
      reject(new LabError('launch_failed', `the limits could not be changed: ${err?.message ?? 'no answer from the launcher'}`));
    });
  });
}
