// The live cgroup limits form without the DOM: the running shell's limits as form fields, and the
// fields back as a sandbox:limits request with only what changed — checked with the server's own
// schema first, so a typo is named next to its field instead of coming back as an error.
import { LimitsRequest } from '../../../common/protocol.js';
import type { ContainerSpec } from '../../../common/spec.js';

const MIB = 1024 * 1024;

/** The form's fields, as typed: memory in MiB, CPUs (0.5 is half of one), processes. '' is "no limit". */
export interface LimitFields {
  memoryMiB: string;
  cpus: string;
  pids: string;
}
export type LimitField = keyof LimitFields;

export const LIMIT_FIELD_NAMES: Record<LimitField, keyof LimitsRequest> = { memoryMiB: 'memoryBytes', cpus: 'cpus', pids: 'pidsLimit' };

export function fieldsOf(spec: ContainerSpec): LimitFields {
  const r = spec.resources;
  return {
    memoryMiB: r.memoryBytes === null ? '' : String(+(r.memoryBytes / MIB).toFixed(2)),
    cpus: r.cpus === null ? '' : String(r.cpus),
    pids: r.pidsLimit === null ? '' : String(r.pidsLimit),
  };
}

export type LimitsChange = { ok: true; request: LimitsRequest | null } | { ok: false; field: LimitField; message: string };

/** The request for what differs from SPEC (null: nothing does), or the first field that is wrong. */
export function limitsChange(fields: LimitFields, spec: ContainerSpec): LimitsChange {
  const parsed: Partial<Record<LimitField, number | null>> = {};
  for (const field of Object.keys(LIMIT_FIELD_NAMES) as LimitField[]) {
    const text = fields[field].trim();
    if (text === '') {
      parsed[field] = null;
      continue;
    }
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) return { ok: false, field, message: 'a number above 0, or empty for no limit' };
    parsed[field] = field === 'memoryMiB' ? Math.round(n * MIB) : n;
  }
  const r = spec.resources;
  const request: Record<string, number | null> = {};
  if (parsed.memoryMiB !== r.memoryBytes) request['memoryBytes'] = parsed.memoryMiB ?? null;
  if (parsed.cpus !== r.cpus) request['cpus'] = parsed.cpus ?? null;
  if (parsed.pids !== r.pidsLimit) request['pidsLimit'] = parsed.pids ?? null;
  if (Object.keys(request).length === 0) return { ok: true, request: null };
  const checked = LimitsRequest.safeParse(request);
  if (checked.success) return { ok: true, request: checked.data };
  const issue = checked.error.issues[0]!;
  const field = (Object.keys(LIMIT_FIELD_NAMES) as LimitField[]).find((f) => LIMIT_FIELD_NAMES[f] === issue.path[0]) ?? 'memoryMiB';
  return { ok: false, field, message: issue.message };
}
