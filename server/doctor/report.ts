// How `isolab doctor` says it: one line per check (its verdict, what it is, what was found) and,
// under one that is not ok, what to do about it; `--json` for machines; and the refusal
// `serve --mode workshop` prints when an essential is missing.
import { judge, missingEssentials, type Check } from './checks.js';
import { gatherHostFacts, type HostFacts } from './facts.js';
import type { LabPaths } from '../base/paths.js';

export interface DoctorReport {
  /** No essential is missing: the floor can be given here. */
  ok: boolean;
  kernel: string;
  /** How long the checks took, trials included. */
  elapsedMs: number;
  checks: Check[];
}

export function doctorReport(facts: HostFacts): DoctorReport {
  const checks = judge(facts);
  return { ok: missingEssentials(checks).length === 0, kernel: facts.kernelRelease, elapsedMs: facts.elapsedMs, checks };
}

/** Gathers this host's facts (trials included) and judges them. */
export async function runDoctor(paths: LabPaths): Promise<DoctorReport> {
  return doctorReport(await gatherHostFacts(paths));
}

const VERDICT_WIDTH = 'missing'.length;

function checkLines(c: Check): string[] {
  const lines = [`  ${c.verdict.padEnd(VERDICT_WIDTH)}  ${c.title}: ${c.detail}${c.essential || c.verdict === 'ok' ? '' : ' (not essential)'}`];
  if (c.verdict !== 'ok' && c.fix) lines.push(`  ${' '.repeat(VERDICT_WIDTH)}    to fix: ${c.fix}`);
  return lines;
}

/** The report as `isolab doctor` prints it. */
export function formatDoctorReport(r: DoctorReport): string {
  const missing = missingEssentials(r.checks);
  const weaker = r.checks.filter((c) => c.verdict !== 'ok' && !missing.includes(c));
  const out = [`isolab doctor: can this host give the workshop floor? (Linux ${r.kernel}, checked in ${r.elapsedMs} ms)`, ''];
  for (const c of r.checks) out.push(...checkLines(c));
  out.push('');
  if (missing.length) {
    out.push(`No: ${missing.length} essential${missing.length === 1 ? ' is' : 's are'} missing (${missing.map((c) => c.title).join(', ')}); isolab serve --mode workshop refuses to start until they are fixed.`);
  } else {
    out.push(`Yes: every essential is here${weaker.length ? `; ${weaker.length} weaker than it could be (above)` : ''}. isolab serve --mode workshop can start.`);
  }
  return out.join('\n');
}

/** What `serve --mode workshop` prints instead of starting; null when nothing essential is missing. */
export function refusalText(r: DoctorReport): string | null {
  const missing = missingEssentials(r.checks);
  if (missing.length === 0) return null;
  return [
    `refusing to serve workshop mode: this host cannot give the floor every learner is promised. Missing:`,
    ...missing.flatMap(checkLines),
    'Run `isolab doctor` for every check.',
  ].join('\n');
}

/** The checks that are not ok but do not stop a workshop: serve prints them as warnings. */
export function warnings(r: DoctorReport): string[] {
  const missing = missingEssentials(r.checks);
  return r.checks.filter((c) => c.verdict !== 'ok' && !missing.includes(c)).map((c) => `${c.title}: ${c.detail}${c.fix ? ` (to fix: ${c.fix})` : ''}`);
}
