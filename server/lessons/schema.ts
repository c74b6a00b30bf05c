// The front matter of a lesson file (lessons/README.md is the reference for authors). Validation
// goes as far as the types of the facts a condition compares, so a mistake in a check is reported
// when the lesson loads, with its file and line, instead of a check that can never pass.
import { z } from 'zod';
import { CHOICE_LETTERS } from '../../common/protocol.js';
import { ContainerSpec, TOGGLE_IDS, applySpecChange, type SpecChange } from '../../common/spec.js';
import { factType, type FactType } from './facts.js';

/** Comparison operators of the condition language. Every condition is false when its fact is missing. */
export const OPS = ['eq', 'neq', 'gt', 'lt', 'exists', 'absent', 'some', 'none'] as const;
export type Op = (typeof OPS)[number];

/** What a lesson is about: one of the toggle board's switches, or `process` for the lesson before any of them. */
export const PRIMITIVES = [...TOGGLE_IDS, 'process'] as const;

export const LESSON_ID_RE = /^([0-9]{2})-[a-z0-9]+(?:-[a-z0-9]+)*$/;
const Slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected a slug like "change-hostname" (a-z, 0-9, "-")');
const FactPath = z.string().regex(/^[a-zA-Z]+(?:\.[a-zA-Z0-9_]+)*$/, 'expected a fact path like "container.hostname"');
const Text = z.string().trim().min(1, 'must not be empty');

export const Literal = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Literal = z.infer<typeof Literal>;

const CONDITION_SHAPE = {
  fact: FactPath,
  op: z.enum(OPS, { error: `expected one of ${OPS.join('|')}` }),
  /** Compare with this literal… */
  value: Literal.optional(),
  /** …or with another fact. */
  ref: FactPath.optional(),
  /** For `some`/`none` over a list of records: field → value every matching element has. */
  where: z.record(z.string(), Literal).optional(),
};

export const Condition = z.object(CONDITION_SHAPE).strict().superRefine(typeCheckCondition);
export type Condition = z.infer<typeof Condition>;

const INTERPOLATION_RE = /\{\{\s*([^}]*?)\s*\}\}/g;

export const Hint = z
  .object({
    /** Shown while the check fails, if every condition here holds (no `when`: always). `{{fact.path}}` is replaced by the fact's value. */
    text: Text,
    when: z.array(Condition).min(1, 'must not be empty').optional(),
  })
  .strict()
  .superRefine((hint, ctx) => {
    for (const [, path] of hint.text.matchAll(INTERPOLATION_RE)) {
      const found = factType(path ?? '');
      if (!found.ok) ctx.addIssue({ code: 'custom', path: ['text'], message: `{{${path}}}: ${found.reason}` });
      else if (!isScalar(found.type)) ctx.addIssue({ code: 'custom', path: ['text'], message: `{{${path}}}: only a string, number or boolean fact can be shown in a hint` });
    }
  });
export type Hint = z.infer<typeof Hint>;

/** Replace each `{{fact.path}}` in a hint with the value of that fact (validated at load). */
export function interpolate(text: string, value: (path: string) => unknown): string {
  return text.replace(INTERPOLATION_RE, (_, path: string) => {
    const v = value(path);
    return v === undefined || v === null ? '(unknown)' : String(v);
  });
}

export const Task = z
  .object({
    id: Slug,
    title: Text,
    /**
     * false: the task needs more than a workshop shell may do (CAP_SYS_ADMIN, which `mount`,
     * `unshare` and `sethostname` need, is among what the workshop floor takes away), so on a
     * workshop server the learner reads along. `isolab lessons verify --mode workshop` leaves its
     * checks out.
     */
    workshop: z.boolean().default(true),
  })
  .strict();
export type Task = z.infer<typeof Task>;

export const Check = z
  .object({
    id: Slug,
    /** The task this check verifies. */
    task: Slug,
    title: Text,
    /** Passes when every condition holds. */
    all: z.array(Condition).min(1, 'must not be empty'),
    /** Tried in order while the check fails; the first whose `when` holds is shown. The last has no `when`. */
    hints: z.array(Hint).min(1, 'must not be empty'),
  })
  .strict()
  .superRefine((check, ctx) => {
    const last = check.hints.length - 1;
    if (check.hints[last]?.when) {
      ctx.addIssue({ code: 'custom', path: ['hints', last, 'when'], message: 'the last hint must have no "when", so a failing check always has a hint' });
    }
  });
export type Check = z.infer<typeof Check>;

/** "B" → 1. */
export function choiceIndex(letter: string): number {
  return CHOICE_LETTERS.indexOf(letter);
}

export const Predict = z
  .object({
    /** Placed in the text with a ```predict fence containing this id. */
    id: Slug,
    question: Text,
    choices: z.array(Text).min(2, 'give at least two choices').max(CHOICE_LETTERS.length, `at most ${CHOICE_LETTERS.length} choices`).optional(),
    /** The right choice's letter, as the page shows it ("A" is the first): the learner picks, then learns whether it was right. */
    correct: z.string().regex(/^[A-H]$/, 'the letter of the right choice, "A" for the first').optional(),
    /** Markdown, revealed on request: the answer and why. */
    answer: Text,
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.choices && p.correct === undefined) ctx.addIssue({ code: 'custom', path: ['correct'], message: 'a prediction with choices names the right one: correct: A (the first), B, …' });
    if (!p.choices && p.correct !== undefined) ctx.addIssue({ code: 'custom', path: ['correct'], message: 'correct names a choice, and this prediction has no choices' });
    if (p.choices && p.correct !== undefined && choiceIndex(p.correct) >= p.choices.length) {
      ctx.addIssue({ code: 'custom', path: ['correct'], message: `there are only ${p.choices.length} choices (A–${CHOICE_LETTERS[p.choices.length - 1]})` });
    }
  });
export type Predict = z.infer<typeof Predict>;

/**
 * A change to the previous lesson's settings: only what differs. Objects (namespaces, filesystem,
 * resources, …) merge field by field; lists and values replace.
 */
export const SettingsChange = z
  .object(
    Object.fromEntries(
      Object.entries(ContainerSpec.shape).map(([key, field]) => [key, (field instanceof z.ZodObject ? field.partial() : field).optional()]),
    ) as unknown as { [K in keyof typeof ContainerSpec.shape]: z.ZodOptional<z.ZodType<SpecChange[K]>> },
  )
  .strict();
export type SettingsChange = z.infer<typeof SettingsChange>;

export function applySettingsChange(spec: ContainerSpec, change: SettingsChange): ContainerSpec {
  return applySpecChange(spec, change);
}

export const FrontMatter = z
  .object({
    id: z.string().regex(LESSON_ID_RE, 'expected "NN-slug", e.g. "01-uts-namespace"'),
    title: Text,
    primitive: z.enum(PRIMITIVES, { error: `expected one of ${PRIMITIVES.join('|')}` }),
    settings: SettingsChange.default({}),
    predict: z.array(Predict).default([]),
    tasks: z.array(Task).min(1, 'must not be empty'),
    checks: z.array(Check).min(1, 'must not be empty'),
    /** Shell lines that complete every task, typed in order into a shell with the lesson's settings. */
    solution: z.array(Text).min(1, 'must not be empty'),
  })
  .strict()
  .superRefine((fm, ctx) => {
    unique(fm.tasks, 'tasks', ctx);
    unique(fm.checks, 'checks', ctx);
    unique(fm.predict, 'predict', ctx);
    const taskIds = new Set(fm.tasks.map((t) => t.id));
    fm.checks.forEach((c, i) => {
      if (!taskIds.has(c.task)) ctx.addIssue({ code: 'custom', path: ['checks', i, 'task'], message: `no task "${c.task}" (expected one of ${[...taskIds].join('|')})` });
    });
    fm.tasks.forEach((t, i) => {
      if (!fm.checks.some((c) => c.task === t.id)) ctx.addIssue({ code: 'custom', path: ['tasks', i, 'id'], message: `task "${t.id}" has no check` });
    });
  });
export type FrontMatter = z.infer<typeof FrontMatter>;

function unique(items: { id: string }[], field: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [field, i, 'id'], message: `duplicate id "${item.id}"` });
    seen.add(item.id);
  });
}

function isScalar(t: FactType): boolean {
  return t.kind === 'string' || t.kind === 'number' || t.kind === 'boolean';
}

function literalFits(value: Literal, t: FactType): boolean {
  return value === null ? t.nullable : typeof value === t.kind;
}

function describe(t: FactType): string {
  const base = t.kind === 'list' ? `a list of ${t.element.kind === 'object' ? 'records' : `${t.element.kind}s`}` : `a ${t.kind}`;
  return t.nullable ? `${base} (or null)` : base;
}

/** The type rules of the condition language (lessons/README.md, "Conditions"). */
function typeCheckCondition(c: z.infer<z.ZodObject<typeof CONDITION_SHAPE>>, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const found = factType(c.fact);
  if (!found.ok) return issue('fact', found.reason);
  const fact = found.type;
  const hasValue = 'value' in c && c.value !== undefined;
  const hasRef = c.ref !== undefined;
  let refType: FactType | undefined;
  if (hasRef) {
    const r = factType(c.ref!);
    if (!r.ok) return issue('ref', r.reason);
    refType = r.type;
  }
  const operand = (accepts: (t: FactType) => boolean, what: string) => {
    if (hasValue === hasRef) return issue(hasValue ? 'ref' : 'op', `"${c.op}" needs exactly one of "value" or "ref"`);
    if (!accepts(fact)) return issue('fact', `"${c.op}" compares ${what}, but ${c.fact} is ${describe(fact)}`);
    if (hasValue && !literalFits(c.value!, fact)) return issue('value', `${c.fact} is ${describe(fact)}, got ${JSON.stringify(c.value)}`);
    if (refType && refType.kind !== fact.kind) return issue('ref', `${c.fact} is ${describe(fact)} but ${c.ref} is ${describe(refType)}`);
  };
  if (c.where !== undefined && c.op !== 'some' && c.op !== 'none') return issue('where', `"where" only goes with "some" or "none"`);
  switch (c.op) {
    case 'eq':
    case 'neq':
      return operand(isScalar, 'strings, numbers or booleans');
    case 'gt':
    case 'lt':
      return operand((t) => t.kind === 'number', 'numbers');
    case 'exists':
    case 'absent':
      if (hasValue || hasRef) return issue(hasValue ? 'value' : 'ref', `"${c.op}" takes no "value" or "ref"`);
      return;
    case 'some':
    case 'none': {
      if (fact.kind !== 'list') return issue('fact', `"${c.op}" looks into a list, but ${c.fact} is ${describe(fact)}`);
      if (hasRef) return issue('ref', `"${c.op}" takes no "ref"`);
      const element = fact.element;
      if (element.kind === 'object') {
        if (hasValue) return issue('value', `${c.fact} is a list of records: match them with "where"`);
        for (const [key, v] of Object.entries(c.where ?? {})) {
          const field = element.fields[key];
          if (!field) return ctx.addIssue({ code: 'custom', path: ['where', key], message: `the elements of ${c.fact} have no field "${key}" (expected one of ${Object.keys(element.fields).join('|')})` });
          if (!isScalar(field) || !literalFits(v, field)) return ctx.addIssue({ code: 'custom', path: ['where', key], message: `${key} is ${describe(field)}, got ${JSON.stringify(v)}` });
        }
      } else {
        if (c.where !== undefined) return issue('where', `${c.fact} is ${describe(fact)}: match an element with "value"`);
        if (hasValue && !literalFits(c.value!, element)) return issue('value', `the elements of ${c.fact} are ${element.kind}s, got ${JSON.stringify(c.value)}`);
      }
      return;
    }
  }
}
