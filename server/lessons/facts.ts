// The facts a lesson's checks look at: what the probe sees inside the shell's namespaces, what it
// sees on the host, what the host can read about the shell from /proc/PID/… without entering it,
// and what the server knows about the session. The server gathers them (Session.gatherFacts);
// lesson files name them by path, e.g. `container.namespaces.uts`.
import { z } from 'zod';
import { ProbeReport } from '../../common/probe.js';
import { ContainerSpec, PROC_NS_NAMES } from '../../common/spec.js';
import {
  ContainerViewFactsSchema,
  HostProcess,
  OpenFile,
  ShellView,
  SysvIpc,
  type ContainerViewFacts,
} from '../observe/views.js';


export interface CheckFacts extends ContainerViewFacts {
  /** The probe run inside the shell's namespaces (null: no shell running). */
  container: ProbeReport | null;
  /** The probe run on the host by the server. */
  host: ProbeReport;
  /** The host's view of the shell from /proc/SHELL/… (null: no shell running). */
  shell: ShellView | null;
  /** System V IPC objects in the host's IPC namespace and, read from inside, in the shell's (null: no shell running). */
  sysvipc: { host: SysvIpc; container: SysvIpc | null };
  /** POSIX message queues in the mqueue filesystem on /dev/mqueue, on the host and (listed from inside) in the shell's mount namespace; null where none is mounted. */
  mqueue: { host: string[] | null; container: string[] | null };
  session: {
    /** Host PID of the shell. */
    shellPid: number | null;
    /** Settings the shell runs with. */
    spec: ContainerSpec;
    /** The host's hostname when the server started. */
    hostHostnameAtStart: string;
    /** The host's view of the shell's process tree (excluding the shell). */
    descendants: HostProcess[];
    /** The files the processes below the shell hold open (at most 256). */
    openFiles: OpenFile[];
  };
}

/**
 * The same shape as a schema. Lesson files are checked against it when they load, so a misspelt
 * fact (`container.hostnmae`) or a comparison of the wrong type (`gt` on a hostname) is an error
 * naming the file and line, not a check that silently never passes.
 */
export const CheckFactsSchema = z.object({
  ...ContainerViewFactsSchema,
  container: ProbeReport.nullable(),
  host: ProbeReport,
  shell: ShellView.nullable(),
  sysvipc: z.object({ host: SysvIpc, container: SysvIpc.nullable() }),
  mqueue: z.object({ host: z.array(z.string()).nullable(), container: z.array(z.string()).nullable() }),
  session: z.object({
    shellPid: z.number().int().nullable(),
    spec: ContainerSpec,
    hostHostnameAtStart: z.string(),
    descendants: z.array(HostProcess),
    openFiles: z.array(OpenFile),
  }),
});

// The interface above is the contract; this line fails to compile if the schema drifts from it.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesInterface: Same<CheckFacts, z.infer<typeof CheckFactsSchema>> = true;
void schemaMatchesInterface;

/** The keys a map-shaped fact may be indexed with (the only one is `namespaces`: /proc/self/ns names). */
const MAP_KEYS: Record<string, readonly string[]> = { namespaces: PROC_NS_NAMES };

/** What a fact path points at, as far as a condition cares. */
export type FactType =
  | { kind: 'string' | 'number' | 'boolean'; nullable: boolean }
  | { kind: 'object'; nullable: boolean; fields: Record<string, FactType> }
  | { kind: 'list'; nullable: boolean; element: FactType };

/** The type of the fact at a dotted path, or why there is no such fact. */
export function factType(path: string): { ok: true; type: FactType } | { ok: false; reason: string } {
  let schema: z.ZodType = CheckFactsSchema;
  let nullable = false;
  let parentKey = '';
  const walked: string[] = [];
  for (const segment of path.split('.')) {
    ({ schema, nullable } = unwrap(schema, nullable));
    const here = walked.length ? walked.join('.') : 'the facts';
    const def = schema.def as { type: string; shape?: Record<string, z.ZodType>; valueType?: z.ZodType };
    if (def.type === 'object' && def.shape) {
      const next = def.shape[segment];
      if (!next) return { ok: false, reason: `no fact "${segment}" in ${here} (expected one of ${Object.keys(def.shape).join('|')})` };
      schema = next;
    } else if (def.type === 'record' && def.valueType) {
      const keys = MAP_KEYS[parentKey];
      if (keys && !keys.includes(segment)) return { ok: false, reason: `no fact "${segment}" in ${here} (expected one of ${keys.join('|')})` };
      schema = def.valueType;
      // A map entry may be missing (e.g. a kernel without time namespaces): treat it like a nullable field.
      nullable = true;
    } else {
      return { ok: false, reason: `${here} has no fields, so "${segment}" cannot follow it` };
    }
    walked.push(segment);
    parentKey = segment;
  }
  return { ok: true, type: typeOf(schema, nullable) };
}

function unwrap(schema: z.ZodType, nullable: boolean): { schema: z.ZodType; nullable: boolean } {
  let s = schema;
  let n = nullable;
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType };
    if ((def.type === 'nullable' || def.type === 'optional') && def.innerType) {
      s = def.innerType;
      n = true;
    } else return { schema: s, nullable: n };
  }
}

function typeOf(schema: z.ZodType, nullableSoFar: boolean): FactType {
  const { schema: s, nullable } = unwrap(schema, nullableSoFar);
  const def = s.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; values?: unknown[] };
  switch (def.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return { kind: def.type, nullable };
    case 'enum':
      // z.enum(['v1', 'v2']): compared as the strings it allows.
      return { kind: 'string', nullable };
    case 'literal': {
      const kind = typeof def.values?.[0];
      if (kind === 'string' || kind === 'number' || kind === 'boolean') return { kind, nullable };
      break;
    }
    case 'object': {
      const fields: Record<string, FactType> = {};
      for (const [key, field] of Object.entries(def.shape ?? {})) fields[key] = typeOf(field, false);
      return { kind: 'object', nullable, fields };
    }
    case 'record':
      return { kind: 'object', nullable, fields: {} };
    case 'array':
      if (def.element) return { kind: 'list', nullable, element: typeOf(def.element, false) };
  }
  throw new Error(`facts schema: unsupported type "${def.type}"`);
}

/** The value at a dotted path; undefined when the path runs through a null (e.g. `container.hostname` with no shell). */
export function factValue(facts: CheckFacts, path: string): unknown {
  let value: unknown = facts;
  for (const segment of path.split('.')) {
    if (value === null || value === undefined || typeof value !== 'object') return undefined;
    value = Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return value;
}
