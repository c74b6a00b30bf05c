// The real state a lesson's checks look at (server/lessons/facts.ts names every fact): the probe
// inside the shell's namespaces and on the host, the host's view of the shell and its process tree
// from /proc, System V IPC and POSIX message queues on both sides.
import type { ContainerSpec } from '../../common/spec.js';
import type { LabPaths } from '../base/paths.js';
import type { CheckFacts } from '../lessons/facts.js';
import { gatherContainerView } from '../observe/container-view.js';
import { hasMqueueMount, hostMqueues, hostSysvIpc, shellView, withNsPids } from '../observe/host-view.js';
import type { Prober } from '../observe/probe.js';
import { descendantsOf, listProcesses } from '../observe/proc.js';
import { openFiles, shellIdentity, withIdentity } from '../observe/process-view.js';
import { joinArgs } from '../runtime/launcher.js';
import type { LearnerMachine } from '../runtime/learner-machine.js';
import type { Shell } from './launch.js';

/** The session whose facts are gathered: its shell and settings now (read again after the waits). */
export interface FactsSubject {
  shell(): Shell | undefined;
  spec(): ContainerSpec;
}

export interface FactsDeps {
  paths: Pick<LabPaths, 'rootfs'>;
  prober: Prober;
  hostHostnameAtStart: string;
  /**
   * A workshop learner's machine: what stands for the host beside their shell (its network, IPC
   * and UTS namespaces are what a shell shares with a switch off), so "host" facts are its.
   */
  machine?: LearnerMachine | undefined;
}

export async function gatherFacts(subject: FactsSubject, deps: FactsDeps): Promise<CheckFacts> {
  const current = subject.shell();
  const pid = current?.pid ?? null;
  const { prober, machine } = deps;
  const [host, container, processes, shell, hostIpc, containerIpc, hostQueues] = await Promise.all([
    prober.hostFor(machine?.pid),
    // Confined as the shell is (its cgroup, capabilities, seccomp...), as docker exec would be.
    pid && current ? prober.container(pid, joinArgs(current.spec, current.ctx)).catch(() => null) : Promise.resolve(null),
    listProcesses(),
    pid ? shellView(pid) : Promise.resolve(null),
    machine ? prober.containerSysvIpc(machine.pid) : hostSysvIpc(),
    pid ? prober.containerSysvIpc(pid).catch(() => null) : Promise.resolve(null),
    // A machine mounts no message queue filesystem: it has none to show.
    machine ? Promise.resolve(null) : hostMqueues(),
  ]);
  const containerQueues = pid && shell && hasMqueueMount(shell.mounts) ? await prober.containerMqueues(pid).catch(() => null) : null;
  // A shell replaced meanwhile has no upper layer of its own to show.
  const still = subject.shell();
  // Lessons 4–8: roots, the upper layer, the cgroup's counters, sockets, /tmp (server/observe/container-view.ts).
  const containerView = await gatherContainerView({
    shellPid: pid,
    descendants: pid ? descendantsOf(pid, processes) : [],
    upperDir: still?.pid === pid ? still.upperDir : null,
    imageDir: deps.paths.rootfs,
    ownCgroup: subject.spec().resources.cgroup,
    rootfs: subject.spec().rootfs,
    hostCgroupOf: (p) => prober.hostCgroupOf(p),
    containerFiles: (p, dir) => prober.containerFiles(p, dir),
  });
  const identity = pid ? await shellIdentity(pid) : null;
  const below = pid ? await withNsPids(pid, descendantsOf(pid, processes)) : [];
  // A workshop server's guard filter sits under every shell's own (docs/floor.md). The lessons count
  // the filters the settings and the learner stacked, so the guard is not counted (lessons/README.md).
  const guard = current?.ctx.seccompGuard ? 1 : 0;
  const descendants = pid ? (await withIdentity(pid, below)).map((p) => ({ ...p, seccompFilters: Math.max(0, p.seccompFilters - guard) })) : [];
  return {
    ...containerView,
    container: container && guard && container.seccomp.filters !== null
      ? { ...container, seccomp: { ...container.seccomp, filters: Math.max(0, container.seccomp.filters - guard) } }
      : container,
    host,
    shell: shell && identity ? { ...shell, ...identity } : null,
    sysvipc: { host: hostIpc, container: containerIpc },
    mqueue: { host: hostQueues, container: containerQueues },
    session: {
      shellPid: pid,
      spec: subject.spec(),
      hostHostnameAtStart: machine?.hostname ?? deps.hostHostnameAtStart,
      descendants,
      openFiles: await openFiles(below),
    },
  };
}
