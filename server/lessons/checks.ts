// Evaluates a lesson's checks against the facts the server gathered. The conditions are data
// (lessons/README.md, "Conditions"), evaluated here on the server: the browser gets only the result.
import type { CheckResult, LessonStatus } from '../../common/protocol.js';
import { factValue, type CheckFacts } from './facts.js';
import type { Lesson } from './load.js';
import { renderInlineMarkdown, escapeHtml } from './render.js';
import { interpolate, type Condition, type Literal } from './schema.js';

const isPresent = (v: unknown) => v !== undefined && v !== null;

/** Does one condition hold? A fact (or ref) that is missing — a path through `container` with no shell running — makes it false. */
export function holds(c: Condition, facts: CheckFacts): boolean {
  const fact = factValue(facts, c.fact);
  switch (c.op) {
    case 'exists':
      return isPresent(fact);
    case 'absent':
      return !isPresent(fact);
    case 'some':
    case 'none': {
      if (!Array.isArray(fact)) return false;
      const found = fact.some((element) => matches(element, c));
      return c.op === 'some' ? found : !found;
    }
  }
  const other = c.ref !== undefined ? factValue(facts, c.ref) : c.value;
  if (fact === undefined || other === undefined) return false;
  switch (c.op) {
    case 'eq':
      return fact === other;
    case 'neq':
      return fact !== other;
    case 'gt':
      return typeof fact === 'number' && typeof other === 'number' && fact > other;
    case 'lt':
      return typeof fact === 'number' && typeof other === 'number' && fact < other;
  }
}

function matches(element: unknown, c: Condition): boolean {
  if (c.where) {
    if (element === null || typeof element !== 'object') return false;
    return Object.entries(c.where).every(([key, v]: [string, Literal]) => (element as Record<string, unknown>)[key] === v);
  }
  return c.value === undefined || element === c.value;
}

export function allHold(conditions: readonly Condition[], facts: CheckFacts): boolean {
  return conditions.every((c) => holds(c, facts));
}

export function evaluateLesson(lesson: Lesson, facts: CheckFacts, now: Date = new Date()): LessonStatus {
  const checks: CheckResult[] = lesson.checks.map((check) => {
    const passed = allHold(check.all, facts);
    const result: CheckResult = { id: check.id, title: check.title, passed };
    if (!passed) {
      const hint = check.hints.find((h) => !h.when || allHold(h.when, facts));
      if (hint) {
        result.hint = interpolate(hint.text, (path) => factValue(facts, path));
        result.hintHtml = hintHtml(hint.text, facts);
      }
    }
    return result;
  });
  return { lessonId: lesson.id, checks, allPassed: checks.every((c) => c.passed), checkedAt: now.toISOString() };
}

/** Private-use characters around a fact's number: inert in markdown, so a value cannot turn into markup. */
const SLOT_OPEN = '\uE000';
const SLOT_CLOSE = '\uE001';
const SLOT_RE = /\uE000(\d+)\uE001/g;

/**
 * A hint as the lesson's text is rendered (`code`, **bold**), with the facts it shows put in after
 * the markdown is rendered, HTML-escaped: a hostname like "*x*" stays text.
 */
export function hintHtml(text: string, facts: CheckFacts): string {
  const values: string[] = [];
  const template = interpolate(text, (path) => {
    values.push(String(factValue(facts, path) ?? '(unknown)'));
    return `${SLOT_OPEN}${values.length - 1}${SLOT_CLOSE}`;
  });
  return renderInlineMarkdown(template).replace(SLOT_RE, (_, i: string) => escapeHtml(values[Number(i)]!));
}
