// The inspector strip: for the learner's shell, each namespace inode as the host sees it, next to
// the host's own (the server's), so "a namespace is just a different inode" is visible.
import { PROC_NS_NAMES } from '../common/spec.js';
import type { InspectorView } from '../common/protocol.js';
import type { Introspect } from './native.js';

export function inspectorView(containerPid: number | null, introspect: Introspect): InspectorView {
  const host = introspect.namespaces(process.pid) ?? {};
  const container = containerPid ? introspect.namespaces(containerPid) : null;
  const rows = PROC_NS_NAMES.filter((name) => host[name] !== undefined).map((name) => {
    const c = container?.[name] ?? null;
    const h = host[name] ?? null;
    return { name, container: c, host: h, differs: c !== null && h !== null && c !== h };
  });
  return { containerPid: container ? containerPid : null, rows, takenAt: new Date().toISOString() };
}
