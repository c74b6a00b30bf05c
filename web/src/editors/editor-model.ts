// The editors' logic that needs no Monaco and no DOM (unit-tested): parsing what the learner wrote,
// and turning the server's field issues into paths within the editor's own JSON.
import type { FieldIssue } from '../../../common/protocol.js';

/** `resources.memoryBytes`, `syscalls[3].action`; the whole document is "(the whole document)". */
export function formatIssuePath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${p}`;
  return out || '(the whole document)';
}

/**
 * The server names fields by their path in the request ({ spec: … } or { profile: … }); the editor
 * holds only the inside. Issues outside it (none expected) keep their path.
 */
export function relativeIssues(issues: readonly FieldIssue[], prefix: string): FieldIssue[] {
  return issues.map((i) => (i.path[0] === prefix ? { path: i.path.slice(1), message: i.message } : i));
}

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** The editor's text as a value to send; JSON only (the server's schemas take no comments). */
export function parseJsonForApply(text: string): Parsed {
  if (text.trim() === '') return { ok: false, message: 'the editor is empty' };
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'expected a JSON object ({ … })' };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, message: `not valid JSON (${(err as Error).message}); the editor underlines where` };
  }
}
