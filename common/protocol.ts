// The socket.io protocol between the page and the server: event names ("area:verb"), payload
// schemas (validated at runtime on arrival — types are not validation), and acknowledgement shapes.
// Imported by server/ and web/; imports neither.
import { z } from 'zod';
import { TERMINAL_TARGETS, type CompareView, type SideTarget } from './compare.js';
import type { PresentClientEvents, PresentServerEvents } from './present.js';
import type { PartialProbeReport } from './probe.js';
import { MAX_SECCOMP_PROFILE_BYTES, SeccompProfile, seccompProfileBytes, utf8Length } from './seccomp-profile.js';
import { ContainerSpec, Resources, TOGGLE_IDS } from './spec.js';

/** Terminal geometry is clamped to what a real screen can show; anything else is a bad request. */
export const TERM_LIMITS = { minCols: 2, maxCols: 500, minRows: 1, maxRows: 200 } as const;
/** One input message is a keystroke or a paste; 64 KiB covers any sane paste. */
export const MAX_INPUT_BYTES = 64 * 1024;

const LessonId = z.string().regex(/^[0-9]{2}-[a-z0-9-]{1,60}$/, 'lesson id looks like "01-uts-namespace"');
const Slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'an id like "first-look" (a-z, 0-9, "-")').max(60);

/**
 * Who is learning, across visits: a random UUID the page keeps in localStorage. It only keys saved
 * progress (several learners share a workshop server); it grants nothing, so it needs no secrecy
 * beyond being unguessable.
 */
export const LearnerId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a learner id is a random UUID (crypto.randomUUID())');

export const TermSize = z
  .object({
    cols: z.number().int().min(TERM_LIMITS.minCols).max(TERM_LIMITS.maxCols),
    rows: z.number().int().min(TERM_LIMITS.minRows).max(TERM_LIMITS.maxRows),
  })
  .strict();
export type TermSize = z.infer<typeof TermSize>;

export const SessionStartRequest = TermSize.extend({ lessonId: LessonId.optional(), learnerId: LearnerId.optional() }).strict();
export type SessionStartRequest = z.infer<typeof SessionStartRequest>;

/**
 * What re-attaches a browser to its session after its connection dropped (a laptop asleep, a Wi-Fi
 * change): 32 random bytes, base64url, given with the session and replaced by a new one at every
 * re-attach. It is the learner's shell to whoever holds it, so the page keeps it in the tab's
 * sessionStorage only; it is never the engine.io id, which proxies and logs see.
 */
export const ResumeToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a resume token is 32 random bytes, base64url');
export const SessionResumeRequest = TermSize.extend({ token: ResumeToken }).strict();
export type SessionResumeRequest = z.infer<typeof SessionResumeRequest>;

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

/** The settings editor's Apply: the whole spec, validated field by field (errors come back with their paths). */
export const SandboxApplyRequest = z.object({ spec: ContainerSpec }).strict();
export type SandboxApplyRequest = z.infer<typeof SandboxApplyRequest>;

/** The seccomp editor's Apply: a Docker-format profile, size-checked before it is looked at field by field. */
export const SeccompApplyRequest = z
  .object({
    profile: z
      .unknown()
      .refine((p) => seccompProfileBytes(p) <= MAX_SECCOMP_PROFILE_BYTES, `a profile may be at most ${MAX_SECCOMP_PROFILE_BYTES / 1024} KiB of JSON`)
      .pipe(SeccompProfile),
  })
  .strict();
export type SeccompApplyRequest = z.infer<typeof SeccompApplyRequest>;

/** A prediction's choices are lettered A, B, C… (lessons name the right one by its letter; the page shows them so). */
export const CHOICE_LETTERS = 'ABCDEFGH';

/**
 * The learner answered a "Predict, then verify" question: picked a choice (0 is A), which is saved
 * before the page shows the answer, or opened the answer without picking. The first answer stays.
 */
export const PredictionRequest = z
  .object({ lessonId: LessonId, predictionId: Slug, choice: z.number().int().min(0).max(CHOICE_LETTERS.length - 1).optional() })
  .strict();
export type PredictionRequest = z.infer<typeof PredictionRequest>;

/** The comparison panel: open it (optionally re-measuring gVisor and the VM), or stop its updates. */
export const CompareOpenRequest = z.object({ refresh: z.boolean().optional() }).strict();
export type CompareOpenRequest = z.infer<typeof CompareOpenRequest>;

/**
 * The other terminals (the tabs next to the container's shell): a gVisor shell or a shell on the
 * shared VM. Each has its own stream and flow control, as term:* has for the container's shell.
 */
export const SideTargetSchema = z.enum(TERMINAL_TARGETS);
export const SideOpenRequest = TermSize.extend({ target: SideTargetSchema }).strict();
export type SideOpenRequest = z.infer<typeof SideOpenRequest>;
export const SideInput = z.object({ target: SideTargetSchema, data: TermInput }).strict();
export const SideResize = TermSize.extend({ target: SideTargetSchema }).strict();
export const SideAck = TermAck.extend({ target: SideTargetSchema }).strict();
export const SideClose = z.object({ target: SideTargetSchema }).strict();

export interface SideOpened {
  target: SideTarget;
  /** One line on what this shell is ("gVisor sandbox, runsc --platform=ptrace", "VM shell 2 of 6, user learner2"). */
  description: string;
}

export interface SideOutput {
  target: SideTarget;
  data: ArrayBuffer | Uint8Array;
}

export interface SideExit {
  target: SideTarget;
  message: string;
}

/** "Why did that fail?": one command line, as typed (UTF-8), at most 1 KiB. */
export const MAX_DIAGNOSE_COMMAND_BYTES = 1024;
export const DiagnoseRequest = z
  .object({
    command: z
      .string()
      .refine((c) => utf8Length(c) <= MAX_DIAGNOSE_COMMAND_BYTES, `at most ${MAX_DIAGNOSE_COMMAND_BYTES} bytes`)
      .refine((c) => c.trim() !== '', 'an empty command line')
      // One line of a shell, as typed: no newline (that would be a script) and no other control character.
      .refine((c) => !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(c), 'one line without control characters'),
  })
  .strict();
export type DiagnoseRequest = z.infer<typeof DiagnoseRequest>;

/** The isolation layers a diagnosis lifts one at a time, in the order it tries them. */
export const DIAGNOSE_LAYERS = [
  'seccomp', 'capabilities', 'read-only-root', 'masked-paths', 'landlock', 'device-cgroup',
  'user-namespace', 'no-new-privs', 'lsm', 'rlimits', 'user',
] as const;
export type DiagnoseLayerId = (typeof DIAGNOSE_LAYERS)[number];

/**
 * How one re-run ended: exit 0 without a refusal in its output ("succeeded"); an EPERM, EACCES or
 * EROFS message or a SIGSYS ("refused"); any other failure ("failed"); killed at the time limit
 * ("timeout"); the throwaway container did not start ("not-started"); not tried ("not-run").
 */
export type DiagnoseOutcome = 'succeeded' | 'refused' | 'failed' | 'timeout' | 'not-started' | 'not-run';
/** What the output says was refused: errno names ("Operation not permitted" is EPERM) or SIGSYS. */
export type DiagnoseRefusal = 'EPERM' | 'EACCES' | 'EROFS' | 'SIGSYS';

/** A system call the seccomp filter refused during a re-run (the launcher's supervisor saw it). */
export interface DiagnoseSyscall {
  /** "unshare", or "syscall 1234" when it has no name. */
  syscall: string;
  /** How it reads with its telling argument decoded, e.g. "unshare(CLONE_NEWUSER)". */
  call: string;
  /** The errno it got, e.g. "EPERM". */
  errno: string;
  /** The program that made it. */
  program: string;
}

export interface DiagnoseRun {
  outcome: DiagnoseOutcome;
  /** The command's exit status (128 + signal when killed), null when it did not run to an end. */
  exitCode: number | null;
  refusals: DiagnoseRefusal[];
  /** The last lines it printed (stdout and stderr together, escape sequences removed), bounded. */
  excerpt: string;
  /** System calls the seccomp filter refused (empty when the run had no filter). */
  seccompRefused: DiagnoseSyscall[];
  /** Why it did not start or was not run. */
  note?: string;
}

export interface DiagnoseLayer extends DiagnoseRun {
  layer: DiagnoseLayerId;
  title: string;
  /** What this re-run changed, e.g. "seccomp: unconfined (was Docker's default profile)". */
  lifted: string;
  /** With this layer lifted the command succeeded. */
  succeeded: boolean;
  /**
   * Compared with the re-run under your settings: "works" (it succeeded), "gets-past" (no refusal
   * any more, though it fails for another reason), "no-change", "changed" (fails differently, still
   * refused), or the run's own "timeout" / "not-started" / "not-run".
   */
  effect: 'works' | 'gets-past' | 'no-change' | 'changed' | 'timeout' | 'not-started' | 'not-run';
}

export interface DiagnoseVerdict {
  command: string;
  /** Under your settings, in a throwaway container, it failed too. */
  reproduced: boolean;
  baseline: DiagnoseRun;
  /** Each layer that is on in your settings, lifted alone (empty when it was not reproduced). */
  layers: DiagnoseLayer[];
  /** Layers that are on but were not lifted, and why (a workshop server keeps some on). */
  notLifted: { layer: DiagnoseLayerId; title: string; reason: string }[];
  /** When no single lift cleared it but lifting several did: the smallest set found, and that run. */
  combination: { layers: DiagnoseLayerId[]; run: DiagnoseRun } | null;
  /** The layers found to refuse it (each alone, or together as the combination). */
  culprits: DiagnoseLayerId[];
  /** The answer, in a few sentences for the learner. */
  conclusion: string;
  /** What every re-run had on top of your settings, for safety (so you can judge the answer). */
  adjustments: string[];
  runs: number;
  elapsedMs: number;
}

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

/** One problem with one field of a request, for showing next to the field (the settings editor's markers). */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}
/** A bad request names at most this many fields: enough to fix a paste, not a flood. */
export const MAX_FIELD_ISSUES = 20;

export type Ack<T> = { ok: true; data: T } | { ok: false; code: ErrorCode; message: string; issues?: FieldIssue[] };
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
  /** Whether it is true now, in the real state. */
  passed: boolean;
  /**
   * When it first passed for this learner (ISO), kept while it is not true now: following a lesson
   * may undo an earlier step (lesson 16's own `rm`), and a passed check stays passed for progress.
   * Absent when it never passed.
   */
  passedAt?: string;
  /** A hint that depends on the current state, present only while the check fails. */
  hint?: string;
  /** The same hint rendered from its markdown on the server (raw HTML escaped), for the page. */
  hintHtml?: string;
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
  /** Switches the server will not let this learner turn off: its floor (workshop mode). (Named on the wire as the page knows it; the server calls them floorToggles.) */
  lockedOn: string[];
  /** This workshop server's ceilings on the learner's limits, in words ("memory 256 MiB"); empty on a solo server. The session enforces them; the page only shows them. */
  ceilings: string[];
  /** What this learner did on earlier visits (empty when the page sent no learner id). */
  progress: LearnerProgress;
  /** How this page gets the same shell back after its connection drops (session:resume). */
  resume: ResumeGrant;
}

export interface ResumeGrant {
  /** For the next session:resume only: each re-attach grants a new one. */
  token: string;
  /** How long the shell waits for its page after the connection dropped; then it ends. */
  graceSeconds: number;
}

/**
 * session:resume's reply: the session as session:start gave it, as it is now. Its screen comes as
 * the first term:output frame after the reply (a full reset, then the screen at the requested size).
 */
export interface SessionResumed extends SessionInfo {
  /** The lesson the session has open: the page shows it again without reopening it (that could replace the shell). */
  lesson: LessonView | null;
  /** The shell's host PID (the same shell as before the drop), or null when none runs. */
  shellPid: number | null;
  /** The running shell's ready report (the line above the terminal shows it), or null when none runs. */
  ready: SandboxReady | null;
  /** How the last shell ended, when none runs now (it exited while the page was away); else null. */
  exitCode: number | null;
  /** Characters of term:input the session has received: the page sends again whatever it sent beyond them. */
  inputChars: number;
}

export interface LessonProgress {
  /** ISO times. */
  firstOpenedAt: string;
  lastOpenedAt: string;
  /** When every check of the lesson passed for the first time; null until then. */
  completedAt: string | null;
  /** Check id → when it first passed. */
  checks: Record<string, string>;
  /** Prediction id → when its answer was first opened. */
  predictions: Record<string, string>;
  /** Prediction id → the choice the learner picked before seeing the answer (0 is A); absent when they did not pick. */
  picks: Record<string, number>;
}

export interface LearnerProgress {
  /** Whether progress is being saved: false without a learner id, or when the server's database is unusable. */
  saving: boolean;
  /** Why not, for the learner, when saving is false. */
  problem?: string;
  /** The lesson the learner had open last; the page reopens it. */
  lastLesson: string | null;
  lessons: Record<string, LessonProgress>;
}

/** What the seccomp editor starts from: the learner's own profile, or the one isolab ships (Docker's default). */
export interface SeccompProfileView {
  profile: SeccompProfile;
  source: 'custom' | 'docker-default' | 'template';
}

/** Everything the code view can show: a switch of the board, or the plain process of lesson 0. */
export const CODE_VIEW_PRIMITIVES = [...TOGGLE_IDS, 'process'] as const;
export type CodeViewPrimitive = (typeof CODE_VIEW_PRIMITIVES)[number];

/** A function of the launcher's source, 1-based inclusive lines. */
export interface SourceRange {
  function: string;
  startLine: number;
  endLine: number;
}

/** GET /api/source/:primitive — the launcher's real C source for a primitive, and where its functions are. */
export interface SourceView {
  primitive: CodeViewPrimitive;
  /** Repository-relative path, e.g. "native/launcher/ns.c". */
  file: string;
  text: string;
  ranges: SourceRange[];
}

/** Applying new settings: the settings the new shell runs with, and what changed. */
export interface ApplyResult {
  spec: ContainerSpec;
  changes: string[];
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
 * by side (web/src/board/inspector-model.ts) and marks what differs and what changed since last time.
 */
export interface InspectorView {
  /** Host PID of the shell; null when none runs. */
  containerPid: number | null;
  /** What the shell sees and is; null when no shell runs or the probe failed (see `error`). */
  container: PartialProbeReport | null;
  /** What the host sees. */
  host: PartialProbeReport | null;
  /**
   * Who `host` is: the host itself, or (on a workshop server) the learner's machine — their own
   * network, IPC and UTS namespaces, which a shell shares when a lesson switches its own off.
   */
  hostIs: 'host' | 'machine';
  /** Why a report is missing while it should be there. */
  error: string | null;
  takenAt: string;
}

/** The running container's settings as a `docker run` line and an OCI config.json (server/session/at-work.ts). */
export interface ExportView {
  /** lines: the command one option a line (common/export.ts DockerRunExport.lines). */
  docker: { commandLine: string; lines: string[]; unsupported: string[] };
  oci: { json: string; unsupported: string[] };
}

/**
 * Why a workshop session ends on its own: nothing came from the learner for the idle timeout, or
 * the session reached the server's maximum length (`isolab serve --idle-timeout`, `--max-session`).
 */
export const SessionEndReason = z.enum(['idle', 'max_length']);
export type SessionEndReason = z.infer<typeof SessionEndReason>;

/** The warning before that end; `endsInMs: null` withdraws an idle warning (the learner is back). */
export const SessionExpiring = z.object({ reason: SessionEndReason, endsInMs: z.number().int().nonnegative().nullable() }).strict();
export type SessionExpiring = z.infer<typeof SessionExpiring>;

/** The end itself, just before the server closes the connection. */
export const SessionEnded = z.object({ reason: SessionEndReason, message: z.string().max(500) }).strict();
export type SessionEnded = z.infer<typeof SessionEnded>;

export interface ClientToServerEvents extends PresentClientEvents {
  'session:start': (req: SessionStartRequest, ack: AckFn<SessionInfo>) => void;
  /** Re-attach to the session a dropped connection left behind (within its grace), at this size. */
  'session:resume': (req: SessionResumeRequest, ack: AckFn<SessionResumed>) => void;
  'term:input': (data: string) => void;
  'term:resize': (size: TermSize) => void;
  'term:ack': (ack: TermAck) => void;
  'sandbox:toggle': (req: ToggleRequest, ack: AckFn<{ spec: ContainerSpec }>) => void;
  'sandbox:limits': (req: LimitsRequest, ack: AckFn<{ spec: ContainerSpec }>) => void;
  'lesson:open': (req: LessonOpenRequest, ack: AckFn<LessonView>) => void;
  'inspector:refresh': (ack: AckFn<InspectorView>) => void;
  'export:get': (ack: AckFn<ExportView>) => void;
  'sandbox:apply': (req: SandboxApplyRequest, ack: AckFn<ApplyResult>) => void;
  'seccomp:get': (ack: AckFn<SeccompProfileView>) => void;
  'seccomp:apply': (req: SeccompApplyRequest, ack: AckFn<ApplyResult>) => void;
  'progress:predict': (req: PredictionRequest, ack: AckFn<LearnerProgress>) => void;
  'compare:open': (req: CompareOpenRequest, ack: AckFn<CompareView>) => void;
  'compare:close': () => void;
  'sideterm:open': (req: SideOpenRequest, ack: AckFn<SideOpened>) => void;
  'sideterm:input': (req: z.infer<typeof SideInput>) => void;
  'sideterm:resize': (req: z.infer<typeof SideResize>) => void;
  'sideterm:ack': (req: z.infer<typeof SideAck>) => void;
  'sideterm:close': (req: z.infer<typeof SideClose>, ack: AckFn<null>) => void;

  /** "Why did that fail?": re-run the command in throwaway containers, lifting one layer at a time. */
  'diagnose:run': (req: DiagnoseRequest, ack: AckFn<DiagnoseVerdict>) => void;
}

export interface ServerToClientEvents extends PresentServerEvents {
  /** Raw terminal bytes (a binary frame). The client acks processed bytes with term:ack. */
  'term:output': (data: ArrayBuffer | Uint8Array) => void;
  'sandbox:ready': (ready: SandboxReady) => void;
  /** The running shell's settings changed without a new shell (live cgroup limits). */
  'sandbox:updated': (update: { spec: ContainerSpec }) => void;
  'sandbox:exit': (exit: SandboxExit) => void;
  'sandbox:error': (err: SandboxError) => void;
  'inspector:update': (view: InspectorView) => void;
  'lesson:status': (status: LessonStatus) => void;
  /** Progress was saved (a check passed for the first time, a lesson was opened), or saving stopped. */
  'progress:update': (progress: LearnerProgress) => void;
  /** The comparison table changed (a column finished measuring, the shell was replaced). */
  'compare:update': (view: CompareView) => void;
  /** Bytes of a side terminal; acked with sideterm:ack. */
  'sideterm:output': (out: SideOutput) => void;
  'sideterm:exit': (exit: SideExit) => void;
  /** The session ends soon (idle or at its maximum length), or an idle warning is withdrawn. */
  'session:expiring': (warning: SessionExpiring) => void;
  /** The session ended on its own; the connection closes right after. */
  'session:ended': (end: SessionEnded) => void;
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

/** A zod error as field issues (capped), for the ack of a bad request. */
export function fieldIssues(err: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of err.issues) {
    const path = issue.path.filter((p) => typeof p !== 'symbol') as (string | number)[];
    // An unknown key is reported on its object; the editor wants to underline the key itself.
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown field ${JSON.stringify(key)}` });
    else out.push({ path, message: issue.message });
  }
  return out.slice(0, MAX_FIELD_ISSUES);
}

/** Turn a zod error into one human sentence naming the field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'payload'}: ${i.message}`)
    .join('; ');
}
