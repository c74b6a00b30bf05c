// The facts a lesson's checks look at: what the probe sees inside the shell's namespaces, what it
// sees on the host, what the host can read about the shell from /proc/PID/… without entering it,
// and what the server knows about the session. The server gathers them (Session.gatherFacts);
// lesson files name them by path, e.g. `container.namespaces.uts`.
import { z } from 'zod';
import { ProbeProcess, ProbeReport } from '../../common/probe.js';
import { ContainerSpec, PROC_NS_NAMES } from '../../common/spec.js';

const Int = z.number().int();

/** A process below the shell, as the host's /proc shows it, with the numbers it has in its own PID namespace. */
export const HostProcess = ProbeProcess.extend({
  /** Its PID in its own (innermost) PID namespace: the last number of NSpid. */
  nsPid: Int,
  /** Its parent's PID in that namespace (what getppid() returns): 0 when the parent is outside it. */
  nsPpid: Int,
});
export type HostProcess = z.infer<typeof HostProcess>;

/** One line of /proc/PID/mountinfo. */
export const ShellMount = z.object({
  source: z.string(),
  target: z.string(),
  fstype: z.string(),
  readOnly: z.boolean(),
  /** As findmnt writes it: "shared", "private", "slave", "shared,slave", "private,unbindable". */
  propagation: z.string(),
});
export type ShellMount = z.infer<typeof ShellMount>;

/** The host's view of the shell process, from /proc/SHELL/… (no namespace entered). */
export const ShellView = z.object({
  /** NSpid: the shell's PID in each PID namespace it is in, from the host's inwards. */
  nsPids: z.array(Int),
  /** Its PID in its own PID namespace (the last of nsPids): 1 with the PID namespace on. */
  nsPid: Int,
  /** Inode of the PID namespace that the /proc in the shell's mount namespace shows; null without a /proc. */
  procPidNs: Int.nullable(),
  /** The shell's mount table (/proc/SHELL/mountinfo), with each mount's propagation. */
  mounts: z.array(ShellMount),
});
export type ShellView = z.infer<typeof ShellView>;

/** System V IPC objects of one IPC namespace, from /proc/sysvipc/* read inside it. Keys are unsigned (write them in hex: 0x414e4547). */
export const SysvIpc = z.object({
  shm: z.array(z.object({ key: Int, id: Int, bytes: Int, attached: Int, creatorPid: Int })),
  sem: z.array(z.object({ key: Int, id: Int, semaphores: Int })),
  msg: z.array(z.object({ key: Int, id: Int, messages: Int, bytes: Int })),
});
export type SysvIpc = z.infer<typeof SysvIpc>;

export interface CheckFacts {
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
  };
}

/**
 * The same shape as a schema. Lesson files are checked against it when they load, so a misspelt
 * fact (`container.hostnmae`) or a comparison of the wrong type (`gt` on a hostname) is an error
 * naming the file and line, not a check that silently never passes.
 */
export const CheckFactsSchema = z.object({
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
