// The one place that loads the introspection addon; everything else uses this typed interface.
// The addon only reads (/proc/PID/ns, capget): Node never enters a namespace.
import { createRequire } from 'node:module';
import { defaultPaths } from '../base/paths.js';

export interface Introspect {
  /** Inode of each /proc/PID/ns/* entry, or null when the process is gone. */
  namespaces(pid: number): Record<string, number> | null;
  /** Capability sets of PID as hex strings, or null when the process is gone. */
  capabilities(pid: number): { effective: string; permitted: string; inheritable: string } | null;
}

let loaded: Introspect | undefined;

export function introspect(addonPath = defaultPaths().addon): Introspect {
  loaded ??= createRequire(import.meta.url)(addonPath) as Introspect;
  return loaded;
}
