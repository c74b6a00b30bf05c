// "Why did that fail?" without the DOM: which command line to offer (the last one run at a prompt
// in the terminal), whether a line may be sent, and how the server's verdict reads on the page.
import { DiagnoseRequest, describeZodError, type DiagnoseLayer, type DiagnoseRun, type DiagnoseVerdict } from '../../../common/protocol.js';
import { typedAtPrompt } from '../terminal/prompt.js';

/**
 * The last command line typed at a prompt, from the terminal's text (one logical line per line).
 * The last line is where the cursor is — a fresh prompt or a half-typed command, not one that ran —
 * so it is skipped. '' when there is none (or the prompt was changed beyond recognition).
 */
export function lastCommandLine(terminalText: string): string {
  const lines = terminalText.split('\n');
  for (let i = lines.length - 2; i >= 0; i--) {
    const command = typedAtPrompt(lines[i]!)?.trim();
    if (command) return command;
  }
  return '';
}

/** Why this line cannot be sent (the server's own rules: common/protocol.ts), or null. */
export function commandProblem(command: string): string | null {
  const parsed = DiagnoseRequest.safeParse({ command });
  return parsed.success ? null : describeZodError(parsed.error).replace(/^command: /, '');
}

/** Whether there is a session to ask: being set up (connected, no shell yet), there, refused by the server, or gone with the connection. */
export type Availability = 'starting' | 'ready' | 'failed' | 'offline';

/**
 * The panel's status line. It follows the session as it is now — a note from an earlier state
 * (the connection was down) must not stay once it is back — and otherwise shows the panel's own
 * message (what it is re-running).
 */
export function panelStatus(availability: Availability, problem: string | null, message: string): string {
  if (problem) return `This line cannot be re-run: ${problem}.`;
  if (availability === 'offline') return 'No session: the connection to the server is down.';
  if (availability === 'starting') return 'Waiting for the shell to start…';
  if (availability === 'failed') return 'No session: the server could not start a shell.';
  return message;
}

export type Tone = 'culprit' | 'neutral' | 'unknown';

export interface LayerRow {
  id: string;
  title: string;
  lifted: string;
  effect: DiagnoseLayer['effect'];
  /** The effect in words ("it worked", "still refused"). */
  label: string;
  tone: Tone;
  excerpt: string;
  /** The seccomp filter's refusals in this run, e.g. "mount(2) EPERM from mount". */
  calls: string[];
}

export interface VerdictView {
  headline: string;
  /** found: a layer refused it; none: it failed, but no layer did; other: it did not fail, or could not be run. */
  kind: 'found' | 'none' | 'other';
  conclusion: string;
  baseline: { label: string; excerpt: string; calls: string[] };
  rows: LayerRow[];
  notLifted: { title: string; reason: string }[];
  combination: string | null;
  adjustments: string[];
  /** "5 throwaway containers, 0.4 s". */
  footer: string;
}

const callsOf = (run: DiagnoseRun) => run.seccompRefused.map((c) => `${c.call} → ${c.errno}${c.program ? `, from ${c.program}` : ''}`);

function effectLabel(effect: DiagnoseLayer['effect'], baseline: DiagnoseRun): string {
  switch (effect) {
    case 'works':
      return 'it worked';
    case 'gets-past':
      return 'got past the refusal (then failed for another reason)';
    case 'no-change':
      return baseline.outcome === 'refused' ? 'still refused' : 'failed the same way';
    case 'changed':
      return 'failed differently';
    case 'timeout':
      return 'still running at the time limit';
    case 'not-started':
      return 'the container did not start';
    case 'not-run':
      return 'not tried: the diagnosis ran out of time';
  }
}

/** What the output said, as the messages say it (busybox prints "permission denied" for EPERM too). */
const REFUSAL_WORDS: Record<DiagnoseRun['refusals'][number], string> = {
  EPERM: '"Operation not permitted"',
  EACCES: '"Permission denied"',
  EROFS: '"Read-only file system"',
  SIGSYS: 'killed by SIGSYS',
};

function baselineLabel(run: DiagnoseRun): string {
  switch (run.outcome) {
    case 'refused':
      return `refused: ${run.refusals.map((r) => REFUSAL_WORDS[r]).join(', ')}`;
    case 'failed':
      return `failed (exit ${run.exitCode}) without a refusal`;
    case 'succeeded':
      return 'succeeded (exit 0)';
    case 'timeout':
      return 'still running at the time limit';
    case 'not-started':
      return `the container did not start: ${run.note ?? ''}`;
    case 'not-run':
      return 'not run';
  }
}

export function verdictView(v: DiagnoseVerdict): VerdictView {
  const titles = new Map(v.layers.map((l) => [l.layer, l.title] as const));
  const kind: VerdictView['kind'] = v.culprits.length ? 'found' : v.reproduced ? 'none' : 'other';
  let headline: string;
  if (kind === 'found') headline = `Refused by: ${v.culprits.map((id) => titles.get(id) ?? id).join(v.combination && !v.layers.some((l) => l.succeeded || l.effect === 'gets-past') ? ' + ' : ', ')}`;
  else if (kind === 'none') headline = 'No isolation layer refused it';
  else if (v.baseline.outcome === 'timeout') headline = 'It did not finish';
  else if (v.baseline.outcome === 'not-started') headline = 'It could not be re-run';
  else headline = 'It did not fail here';
  const seconds = (v.elapsedMs / 1000).toFixed(1);
  return {
    headline,
    kind,
    conclusion: v.conclusion,
    baseline: { label: baselineLabel(v.baseline), excerpt: v.baseline.excerpt, calls: callsOf(v.baseline) },
    rows: v.layers.map((l) => ({
      id: l.layer,
      title: l.title,
      lifted: l.lifted,
      effect: l.effect,
      label: effectLabel(l.effect, v.baseline),
      tone: l.effect === 'works' || l.effect === 'gets-past' ? 'culprit' : l.effect === 'no-change' || l.effect === 'changed' ? 'neutral' : 'unknown',
      excerpt: l.excerpt,
      calls: callsOf(l),
    })),
    notLifted: v.notLifted.map((n) => ({ title: n.title, reason: n.reason })),
    combination: v.combination ? `${v.combination.layers.map((id) => titles.get(id) ?? id).join(' + ')} lifted together: ${baselineLabel(v.combination.run)}` : null,
    adjustments: v.adjustments,
    footer: `${v.runs} throwaway container${v.runs === 1 ? '' : 's'}, ${seconds} s`,
  };
}
