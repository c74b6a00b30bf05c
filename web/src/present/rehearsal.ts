// Plan B: when a live step fails on stage, play that step's part of the rehearsal instead. A
// recording (asciicast v2) carries a marker at every step ("Step 3: Its own root", from demo:step,
// and "Step 3: Its own root · PID namespace on (new shell)" from a reset); a step's part runs from
// its marker to the next step's. A rehearsal may visit a step more than once (back, then on
// again): the longest visit is the one to show.
import { parseAsciicast, type AsciicastEvent } from '../../../common/asciicast.js';

const STEP_MARKER = /^Step (\d+): /;

/** The step (0-based) a marker label starts, or null for another marker (a toggle, a lesson). */
export function stepOfMarker(label: string): number | null {
  const m = STEP_MARKER.exec(label);
  return m ? Number(m[1]) - 1 : null;
}

export interface CastSegment {
  /** A cast of its own: the screen as it was when the step began (at time 0), then the step. */
  cast: string;
  /** Seconds. */
  duration: number;
  /** Where in the source recording it was, in seconds. */
  from: number;
  to: number;
}

interface Visit {
  from: number;
  to: number;
}

function visitsOf(events: readonly AsciicastEvent[], step: number): Visit[] {
  const end = events.at(-1)?.[0] ?? 0;
  const visits: Visit[] = [];
  let open: number | null = null;
  for (const [time, code, data] of events) {
    if (code !== 'm') continue;
    const at = stepOfMarker(data);
    if (at === null) continue;
    if (at === step) open ??= time;
    else if (open !== null) {
      visits.push({ from: open, to: time });
      open = null;
    }
  }
  if (open !== null) visits.push({ from: open, to: end });
  return visits;
}

/** Which steps (0-based) the recording has a part of. */
export function recordedSteps(text: string): Set<number> {
  const parsed = parseAsciicast(text);
  const steps = new Set<number>();
  if (!parsed.ok) return steps;
  for (const [, code, data] of parsed.events) {
    const at = code === 'm' ? stepOfMarker(data) : null;
    if (at !== null) steps.add(at);
  }
  return steps;
}

/** STEP's part of the recording TEXT, or null when it has none (or is not a recording). */
export function stepSegment(text: string, step: number): CastSegment | null {
  const parsed = parseAsciicast(text);
  if (!parsed.ok) return null;
  const visit = visitsOf(parsed.events, step).reduce<Visit | null>((best, v) => (!best || v.to - v.from > best.to - best.from ? v : best), null);
  if (!visit) return null;
  const lines = [JSON.stringify(parsed.header)];
  for (const [time, code, data] of parsed.events) {
    // Before the step: what was on the screen (output and size), all at once; keystrokes and other chapters are not.
    if (time < visit.from) {
      if (code === 'o' || code === 'r') lines.push(JSON.stringify([0, code, data]));
    } else if (time < visit.to || (time === visit.to && code !== 'm')) {
      lines.push(JSON.stringify([Math.round((time - visit.from) * 1000) / 1000, code, data]));
    }
  }
  return { cast: `${lines.join('\n')}\n`, duration: visit.to - visit.from, from: visit.from, to: visit.to };
}
