// `isolab lessons verify`: walk every lesson the way a learner would. For each lesson, a real
// Session (the one the server gives a browser: same launcher, settings, facts and checks) opens
// the lesson, the scripted solution is typed into the real shell line by line, and the lesson
// passes when its checks all turn green. A lesson whose checks pass before anything is typed is
// a failure too: its checks do not look at what its tasks ask for. In workshop mode the session
// runs under the workshop floor, and only the tasks not marked `workshop: false` are held to their
// checks.
import type { CheckResult, LessonStatus, ServerMode } from '../../common/protocol.js';
import { StatusServer } from '../runtime/status-lines.js';
import { catalogOf } from '../lessons/catalog.js';
import type { LabPaths } from '../base/paths.js';
import { Session } from '../session/session.js';
import { sessionDeps } from '../session/session-deps.js';
import type { Ceilings } from '../floor/ceilings.js';
import { loadLessons, type Lesson } from '../lessons/load.js';
import { Terminal, WalkError, alive, waitUntil } from './shell-walk.js';

/** The checks' first verdict comes right after the shell is ready. */
const FIRST_STATUS_TIMEOUT_MS = 10_000;
/** How long a stopped shell may take to be gone. */
const STOP_TIMEOUT_MS = 3_000;
/** How much of the terminal a failure report shows. */
const TRANSCRIPT_CHARS = 1_500;

export const DEFAULT_VERIFY_TIMEOUT_MS = 20_000;

export interface VerifyOptions {
  /** The lessons folder. */
  dir: string;
  paths: LabPaths;
  /** After the last solution line, how long the checks may take to pass. */
  timeoutMs?: number;
  /** Verify under this server mode: `workshop` keeps the root filesystem, mount and PID namespaces on. */
  mode?: ServerMode;
  /** A workshop's ceilings to verify under (`--learner-…`); default DEFAULT_CEILINGS. */
  ceilings?: Ceilings;
  /** Only these lesson ids (all when absent). */
  only?: readonly string[];
  /** Called as each lesson finishes (for progress output). */
  onResult?: (result: LessonVerdict) => void;
}

export interface LessonVerdict {
  id: string;
  title: string;
  /** True for a skipped lesson too: nothing failed. */
  passed: boolean;
  /** Why the lesson was not walked (workshop mode, no task a workshop shell can do). */
  skipped?: string;
  /** Why it failed, in one sentence. */
  reason?: string;
  /** The checks that did not pass, with the hint a learner would have seen. */
  failing: CheckResult[];
  /** The end of the shell's output, when it failed. */
  transcript?: string;
  ms: number;
}

export interface VerifyReport {
  verdicts: LessonVerdict[];
  /** Lessons that did not load (they count as failures). */
  loadErrors: string[];
  warnings: string[];
  /** Ids named in `only` that are not in the folder. */
  unknown: string[];
}

export function verifyPassed(report: VerifyReport): boolean {
  return report.loadErrors.length === 0 && report.unknown.length === 0 && report.verdicts.every((v) => v.passed);
}

export async function verifyLessons(opts: VerifyOptions): Promise<VerifyReport> {
  const { lessons, errors, warnings } = await loadLessons(opts.dir);
  const chosen = opts.only?.length ? lessons.filter((l) => opts.only!.includes(l.id)) : lessons;
  const unknown = (opts.only ?? []).filter((id) => !lessons.some((l) => l.id === id));
  const status = await StatusServer.start();
  const verdicts: LessonVerdict[] = [];
  const deps = sessionDeps({ paths: opts.paths, status, lessons: catalogOf(lessons), mode: opts.mode ?? 'solo', ...(opts.ceilings ? { ceilings: opts.ceilings } : {}) });
  try {
    for (const lesson of chosen) {
      const verdict = await verifyOne(lesson, (out) => new Session(deps, out), opts.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS, opts.mode ?? 'solo');
      verdicts.push(verdict);
      opts.onResult?.(verdict);
    }
  } finally {
    await status.close();
    // The built seccomp programs (the guard's too) are files in the containers directory.
    deps.containers.dispose();
  }
  return { verdicts, loadErrors: errors.map((e) => e.message), warnings: warnings.map((e) => e.message), unknown };
}


async function verifyOne(
  lesson: Lesson,
  newSession: (out: ConstructorParameters<typeof Session>[1]) => Session,
  timeoutMs: number,
  mode: ServerMode,
): Promise<LessonVerdict> {
  const started = Date.now();
  // Under the workshop floor, only the tasks a workshop shell can do are held to their checks.
  const tasks = new Set(lesson.tasks.filter((t) => mode === 'solo' || t.workshop).map((t) => t.id));
  const held = new Set(lesson.checks.filter((c) => tasks.has(c.task)).map((c) => c.id));
  if (held.size === 0) {
    return { id: lesson.id, title: lesson.title, passed: true, skipped: 'no task of this lesson can be done in a workshop shell (each says workshop: false)', failing: [], ms: 0 };
  }
  const allHeldPass = (s: LessonStatus) => s.checks.every((c) => c.passed || !held.has(c.id));
  const term = new Terminal();
  const statuses: LessonStatus[] = [];
  let exited: number | undefined;
  const session = newSession({
    output: (frame) => term.write(frame),
    ready: () => {},
    exit: (e) => (exited = e.code),
    error: () => {},
    inspector: () => {},
    lessonStatus: (s) => statuses.push(s),
    limits: () => {},
    progress: () => {},
  });
  term.attach(session);
  const verdict = (passed: boolean, reason?: string): LessonVerdict => {
    const last = statuses.at(-1);
    return {
      id: lesson.id,
      title: lesson.title,
      passed,
      ...(reason && { reason }),
      failing: passed ? [] : (last?.checks.filter((c) => !c.passed && held.has(c.id)) ?? []),
      ...(!passed && { transcript: term.tail(TRANSCRIPT_CHARS) }),
      ms: Date.now() - started,
    };
  };
  try {
    await session.start({ cols: 120, rows: 40 }, lesson.id);
    await term.waitForPrompt(0, 'the shell never showed its first prompt');
    const first = await waitUntil(() => statuses[0], FIRST_STATUS_TIMEOUT_MS);
    if (!first) return verdict(false, 'the checks never reported (no lesson status after the shell was ready)');
    if (allHeldPass(first)) return verdict(false, 'every check passed before the solution was typed: the checks do not look at what the tasks ask for');
    // Verdicts from the moment the last line is entered on: the state the whole solution left.
    let fromStatus = statuses.length;
    for (const [i, line] of lesson.solution.entries()) {
      const from = term.length;
      if (i === lesson.solution.length - 1) fromStatus = statuses.length;
      session.input(`${line}\r`);
      await term.waitForPrompt(from, `solution line ${i + 1} (${line}) did not come back to the prompt`);
      if (exited !== undefined) return verdict(false, `the shell exited (code ${exited}) after solution line ${i + 1} (${line})`);
    }
    const passed = await waitUntil(() => statuses.slice(fromStatus).find(allHeldPass) ?? (exited !== undefined ? null : undefined), timeoutMs);
    if (passed) return verdict(true);
    if (exited !== undefined) return verdict(false, `the shell exited (code ${exited}) before the checks passed`);
    return verdict(false, `the checks did not all pass within ${Math.round(timeoutMs / 1000)} s of the last solution line`);
  } catch (err) {
    return verdict(false, err instanceof WalkError ? err.message : `the session failed: ${(err as Error).message}`);
  } finally {
    const pid = session.shellPid;
    session.dispose();
    if (pid) await waitUntil(() => (alive(pid) ? undefined : true), STOP_TIMEOUT_MS);
  }
}

/** The report as lines for a terminal. */
export function formatVerdict(v: LessonVerdict): string[] {
  if (v.skipped) return [`SKIP ${v.id}: ${v.skipped}`];
  const lines = [`${v.passed ? 'PASS' : 'FAIL'} ${v.id} (${(v.ms / 1000).toFixed(1)} s)`];
  if (v.passed) return lines;
  if (v.reason) lines.push(`     ${v.reason}`);
  for (const c of v.failing) {
    lines.push(`     ✗ ${c.id}: ${c.title}`);
    if (c.hint) lines.push(`       hint: ${c.hint}`);
  }
  if (v.transcript) {
    lines.push('     the shell showed:');
    for (const l of v.transcript.split('\n').slice(-15)) lines.push(`       | ${l}`);
  }
  return lines;
}
