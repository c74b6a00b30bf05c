// The socket.io protocol between the page and the server: event names ("area:verb"), payload
// schemas (validated at runtime on arrival — types are not validation), and acknowledgement shapes.
// Imported by server/ and web/; imports neither.
import { z } from 'zod';
import type { PartialProbeReport } from './probe.js';
import { ContainerSpec, Resources, TOGGLE_IDS } from './spec.js';

/** Terminal geometry is clamped to what a real screen can show; anything else is a bad request. */
export const TERM_LIMITS = { minCols: 2, maxCols: 500, minRows: 1, maxRows: 200 } as const;
/** One input message is a keystroke or a paste; 64 KiB covers any sane paste. */
export const MAX_INPUT_BYTES = 64 * 1024;

const LessonId = z.string().regex(/^[0-9]{2}-[a-z0-9-]{1,60}$/, 'lesson id looks like "01-uts-namespace"');

export const TermSize = z
  .object({
    cols: z.number().int().min(TERM_LIMITS.minCols).max(TERM_LIMITS.maxCols),
    rows: z.number().int().min(TERM_LIMITS.minRows).max(TERM_LIMITS.maxRows),
  })
  .strict();
export type TermSize = z.infer<typeof TermSize>;

export const SessionStartRequest = TermSize.extend({ lessonId: LessonId.optional() }).strict();
export type SessionStartRequest = z.infer<typeof SessionStartRequest>;

export const TermInput = z.string().max(MAX_INPUT_BYTES);
export const TermAck = z.object({ bytes: z.number().int().positive().max(64 * 1024 * 1024) }).strict();
export type TermAck = z.infer<typeof TermAck>;

export const ToggleRequest = z.object({ toggle: z.enum(TOGGLE_IDS), on: z.boolean() }).strict();
export type ToggleRequest = z.infer<typeof ToggleRequest>;

/**
 * New limits for the running container's cgroup, applied live (no new shell). Only the fields that
 * change; null removes a limit where the kernel allows it (pids, CPU quota, I/O throttles).
 */
export const LimitsRequest = Resources.pick({
  memoryBytes: true,
  memorySwapBytes: true,
  cpus: true,
  cpuShares: true,
  cpusetCpus: true,
  pidsLimit: true,
  rootfsReadBps: true,
  rootfsWriteBps: true,
})
  .partial()
  .strict()
  .refine((r) => Object.keys(r).length > 0, 'name at least one limit to change');
export type LimitsRequest = z.infer<typeof LimitsRequest>;

export const LessonOpenRequest = z.object({ lessonId: LessonId }).strict();
export type LessonOpenRequest = z.infer<typeof LessonOpenRequest>;

/** Error codes that may reach the browser. Anything else is logged server-side and sent as "internal". */
export const ERROR_CODES = [
  'bad_request',
  'not_found',
  'not_started',
  'forbidden',
  'rate_limited',
  'server_full',
  'launch_failed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type Ack<T> = { ok: true; data: T } | { ok: false; code: ErrorCode; message: string };
export type AckFn<T> = (reply: Ack<T>) => void;

/** "solo": one learner on their own machine, every switch may be off. "workshop": shared server, a floor of isolation is enforced. */
export type ServerMode = 'solo' | 'workshop';

export interface LessonSummary {
  id: string;
  number: number;
  title: string;
  primitive: string;
}

export interface LessonTask {
  id: string;
  title: string;
}

export interface LessonView extends LessonSummary {
  /** Lesson text rendered from markdown on the server (raw HTML in lesson files is escaped). */
  html: string;
  tasks: LessonTask[];
  /** The settings the lesson starts from (already applied to the shell when the lesson opens). */
  settings: ContainerSpec;
}

export interface CheckResult {
  id: string;
  title: string;
  passed: boolean;
  /** A hint that depends on the current state, present only while the check fails. */
  hint?: string;
}

export interface LessonStatus {
  lessonId: string;
  checks: CheckResult[];
  allPassed: boolean;
  /** ISO time the real state was read. */
  checkedAt: string;
}

export interface SessionInfo {
  sessionId: string;
  mode: ServerMode;
  spec: ContainerSpec;
  lessons: LessonSummary[];
  /** Switches the server will not let this learner turn off (workshop mode). */
  lockedOn: string[];
}

export interface SandboxReady {
  spec: ContainerSpec;
  /** Host PID of the shell. */
  pid: number;
  /** Namespace inodes of the shell as seen from the host. */
  namespaces: Record<string, number>;
  /** Launcher step timings in microseconds, from the launcher's own clock. */
  timingsUs: Record<string, number>;
  /** Server-side time from spawning the launcher to its "ready" line, in microseconds. */
  spawnToReadyUs: number;
  /** What changed relative to the previous shell (empty for the first one). */
  changes: string[];
}

export interface SandboxExit {
  code: number;
}

export interface SandboxError {
  code: ErrorCode;
  message: string;
  /** Launcher step that failed, when the launcher reported one. */
  step?: string;
}

/**
 * The inspector: the probe's report from inside the shell's namespaces (about the shell) next to
 * the probe's report on the host (about the server's own process). The page lays them out side
 * by side (web/src/inspector-model.ts) and marks what differs and what changed since last time.
 */
export interface InspectorView {
  /** Host PID of the shell; null when none runs. */
  containerPid: number | null;
  /** What the shell sees and is; null when no shell runs or the probe failed (see `error`). */
  container: PartialProbeReport | null;
  /** What the host sees. */
  host: PartialProbeReport | null;
  /** Why a report is missing while it should be there. */
  error: string | null;
  takenAt: string;
}

export interface ClientToServerEvents {
  'session:start': (req: SessionStartRequest, ack: AckFn<SessionInfo>) => void;
  'term:input': (data: string) => void;
  'term:resize': (size: TermSize) => void;
  'term:ack': (ack: TermAck) => void;
  'sandbox:toggle': (req: ToggleRequest, ack: AckFn<{ spec: ContainerSpec }>) => void;
  'sandbox:limits': (req: LimitsRequest, ack: AckFn<{ spec: ContainerSpec }>) => void;
  'lesson:open': (req: LessonOpenRequest, ack: AckFn<LessonView>) => void;
  'inspector:refresh': (ack: AckFn<InspectorView>) => void;
}

export interface ServerToClientEvents {
  /** Raw terminal bytes (a binary frame). The client acks processed bytes with term:ack. */
  'term:output': (data: ArrayBuffer | Uint8Array) => void;
  'sandbox:ready': (ready: SandboxReady) => void;
  /** The running shell's settings changed without a new shell (live cgroup limits). */
  'sandbox:updated': (update: { spec: ContainerSpec }) => void;
  'sandbox:exit': (exit: SandboxExit) => void;
  'sandbox:error': (err: SandboxError) => void;
  'inspector:update': (view: InspectorView) => void;
  'lesson:status': (status: LessonStatus) => void;
  /** Reply to a malformed event that had no ack callback. */
  'session:error': (err: { code: ErrorCode; message: string; event: string }) => void;
}

/** Flow control: the server pauses the pty above HIGH unacked bytes and resumes below LOW. */
export const FLOW_CONTROL = {
  /** 128 KiB in flight is ~60 ms of output at 2 MB/s: deep enough to keep a fast client busy, shallow enough that Ctrl-C feels instant. */
  highWatermarkBytes: 128 * 1024,
  lowWatermarkBytes: 32 * 1024,
  /** The client acks after this many bytes have been written to the screen (and on idle). */
  ackEveryBytes: 16 * 1024,
} as const;

/** Turn a zod error into one human sentence naming the field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'payload'}: ${i.message}`)
    .join('; ');
}
