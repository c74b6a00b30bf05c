// The inspector: everything the probe reports about the learner's shell — namespaces, credentials,
// capabilities, seccomp, cgroup limits, mounts, masked paths, devices, limits, LSMs, network —
// next to the same report for the host, so "a container is a process with a different view" is
// visible row by row. The page lays the two reports out (web/src/board/inspector-model.ts).
import type { InspectorView } from '../../common/protocol.js';
import type { PartialProbeReport } from '../../common/probe.js';
import type { Introspect } from '../runtime/native-addon.js';
import type { Prober } from './probe.js';

/** MACHINE_PID: a workshop learner's machine, which stands for the host beside their shell (Prober.hostFor). */
export async function inspectorView(containerPid: number | null, prober: Prober, introspect: Introspect, machinePid?: number): Promise<InspectorView> {
  const errors: string[] = [];
  const [host, container] = await Promise.all([
    prober.hostFor(machinePid).catch((err: Error) => {
      errors.push(`host: ${err.message}`);
      return null;
    }),
    containerPid === null
      ? null
      : prober.container(containerPid).catch((err: Error): PartialProbeReport | null => {
          errors.push(`shell: ${err.message}`);
          // The namespaces can still be read from the host (/proc/PID/ns), without entering them.
          const namespaces = introspect.namespaces(containerPid);
          return namespaces ? { probe: 2, sections: ['ns'], subject: null, namespaces } : null;
        }),
  ]);
  return { containerPid, container, host, hostIs: machinePid === undefined ? 'host' : 'machine', error: errors.length ? errors.join('; ') : null, takenAt: new Date().toISOString() };
}
