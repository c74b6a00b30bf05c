// Names the changes between two settings that the toggle board's wording (describeChanges) does
// not cover — what the settings editor can change beyond the switches: "network.rate 1mbit".
import type { ContainerSpec } from '../../common/spec.js';

/** A banner line stays readable: beyond this many, the rest are counted. */
const MAX_NAMED = 4;
/** Values longer than this are elided in the banner. */
const MAX_VALUE_CHARS = 40;

export function describeOtherChanges(before: ContainerSpec, after: ContainerSpec): string[] {
  const found: string[] = [];
  walk(before, after, [], found);
  if (found.length <= MAX_NAMED) return found;
  return [...found.slice(0, MAX_NAMED), `${found.length - MAX_NAMED} more settings`];
}

function walk(a: unknown, b: unknown, path: string[], out: string[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], [...path, key], out);
    return;
  }
  // Arrays are one setting (a list of paths, of rules): named whole.
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  out.push(`${path.join('.')} ${show(b)}`);
}

function show(value: unknown): string {
  const text = value === undefined ? 'removed' : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
