// Loads lessons/NN-slug/lesson.md files: YAML front matter (validated, with line numbers kept for
// error messages) and a markdown body (rendered once). A broken lesson is reported as
// "FILE:LINE: FIELD: reason" and left out; the others load.
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerSpec, PLAIN_PROCESS } from '../../common/spec.js';
import { findFences, fenceKind, renderMarkdown } from './render.js';
import { applySettingsChange, FrontMatter, LESSON_ID_RE, type Check, type Predict, type SettingsChange, type Task } from './schema.js';
import { MAX_ERRORS_PER_FILE, display, loadError, parseYamlFile, type LessonLoadError, type Locate } from './yaml-file.js';

export type { LessonLoadError } from './yaml-file.js';

export const LESSON_FILE = 'lesson.md';

export interface Lesson {
  /** Equals the folder name, e.g. "01-uts-namespace". */
  id: string;
  /** The NN of the id: the position in the course. */
  number: number;
  title: string;
  primitive: FrontMatter['primitive'];
  /** The full settings the lesson opens with: the previous lesson's, with this lesson's change applied. */
  settings: ContainerSpec;
  /** This lesson's change, as written. */
  settingsChange: SettingsChange;
  predict: Predict[];
  tasks: Task[];
  checks: Check[];
  solution: string[];
  /** The body rendered to HTML (raw HTML escaped). */
  html: string;
  /** The file it came from, as shown in error messages. */
  file: string;
}

/**
 * Every lesson in `dir` that loads, in course order. `errors` are lessons (or folders) left out and
 * why; `warnings` are worth knowing but leave the lesson in: a gap in the numbering, which is normal
 * while a course is written out of order (lesson 09 can land before 04–08 exist).
 */
export async function loadLessons(dir: string, host: { hostCgroupVersion?: 1 | 2 } = {}): Promise<{ lessons: Lesson[]; errors: LessonLoadError[]; warnings: LessonLoadError[] }> {
  const errors: LessonLoadError[] = [];
  const warnings: LessonLoadError[] = [];
  const lessons: Lesson[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    return { lessons, errors: [loadError(display(dir), `cannot read the lessons folder: ${(err as Error).message}`)], warnings };
  }
  // Folders starting with "_" or "." are free for authors (drafts, shared images).
  const folders = entries
    .filter((e) => e.isDirectory() && !/^[_.]/.test(e.name))
    .map((e) => e.name)
    .sort();
  const texts = await Promise.all(
    folders.map((name) =>
      readFile(join(dir, name, LESSON_FILE), 'utf8').then(
        (text) => ({ text }),
        (err: NodeJS.ErrnoException) => ({ error: err.code === 'ENOENT' ? `missing ${LESSON_FILE}` : err.message }),
      ),
    ),
  );

  let spec = PLAIN_PROCESS;
  let expectedNumber = 0;
  const numbersSeen = new Set<number>();
  for (const [i, name] of folders.entries()) {
    const read = texts[i]!;
    const file = display(join(dir, name, LESSON_FILE));
    const idMatch = LESSON_ID_RE.exec(name);
    if (!idMatch) {
      errors.push(loadError(display(join(dir, name)), 'a lesson folder is named "NN-slug", e.g. "01-uts-namespace" (folders starting with "_" are ignored)'));
      continue;
    }
    const number = Number(idMatch[1]);
    const numbering = numbersSeen.has(number) ? 'duplicate' : number === expectedNumber ? 'next' : 'gap';
    numbersSeen.add(number);
    expectedNumber = number + 1;
    if ('error' in read) {
      errors.push(loadError(file, read.error));
      continue;
    }
    const compiled = compileLesson(read.text, { file, folder: name, previous: spec, ...host });
    if (!compiled.ok) {
      errors.push(...compiled.errors);
      continue;
    }
    const { lesson, at } = compiled;
    if (numbering === 'duplicate') {
      errors.push(at(['id'], `lesson number ${idMatch[1]} is used by another lesson; each number is one place in the course`));
      continue;
    }
    if (numbering === 'gap') {
      // Reported, but the lesson still loads: a gap does not make this lesson wrong.
      const before = lastNumberBefore(numbersSeen, number);
      const shownBefore = before === undefined ? 'nothing' : String(before).padStart(2, '0');
      warnings.push(at(['id'], `lesson number ${idMatch[1]} follows ${shownBefore}: the lessons in between are missing, so its settings change applies to ${before === undefined ? 'the plain process' : `${shownBefore}'s settings`}`));
    }
    spec = lesson.settings;
    lessons.push(lesson);
  }
  if (!folders.length) errors.push(loadError(display(dir), `no lessons here (expected folders like 00-just-a-process/${LESSON_FILE})`));
  return { lessons, errors, warnings };
}

/** For `isolab lessons validate`: every problem as one line; the lessons are fine when `errors` is empty. */
export async function validateLessonsDir(dir: string): Promise<{ errors: string[]; warnings: string[] }> {
  const { errors, warnings } = await loadLessons(dir);
  return { errors: errors.map((e) => e.message), warnings: warnings.map((e) => e.message) };
}

/** The highest lesson number below `n` seen so far. */
function lastNumberBefore(seen: Set<number>, n: number): number | undefined {
  const below = [...seen].filter((x) => x < n);
  return below.length ? Math.max(...below) : undefined;
}

/**
 * One lesson file, on its own: front matter, body, and its settings change applied to the previous
 * lesson's settings. `at` places further errors (e.g. numbering) on a front-matter field's line.
 */
export function compileLesson(
  source: string,
  where: { file: string; folder: string; previous: ContainerSpec; hostCgroupVersion?: 1 | 2 },
): { ok: true; lesson: Lesson; at: Locate } | { ok: false; errors: LessonLoadError[] } {
  const { file, folder } = where;
  const parsed = parseLessonFile(source, file);
  if (!parsed.ok) return parsed;
  const { fm, at } = parsed;
  const errors: LessonLoadError[] = [];
  if (fm.id !== folder) errors.push(at(['id'], `must equal the folder name "${folder}"`));
  errors.push(...checkBody(parsed.body, parsed.bodyLine, fm.predict, file, at));
  const resolved = ContainerSpec.safeParse(applySettingsChange(where.previous, fm.settings));
  if (!resolved.success) {
    for (const issue of resolved.error.issues) {
      errors.push(at(['settings', ...issue.path], `${issue.message} (after applying this change to the previous lesson's settings)`));
    }
  }
  if (errors.length || !resolved.success) return { ok: false, errors: errors.slice(0, MAX_ERRORS_PER_FILE) };
  const lesson: Lesson = {
    id: fm.id,
    number: Number(fm.id.slice(0, 2)),
    title: fm.title,
    primitive: fm.primitive,
    settings: resolved.data,
    settingsChange: fm.settings,
    predict: fm.predict,
    tasks: fm.tasks,
    checks: fm.checks,
    solution: fm.solution,
    html: renderMarkdown(parsed.body, { predict: fm.predict, settings: resolved.data, ...(where.hostCgroupVersion ? { hostCgroupVersion: where.hostCgroupVersion } : {}) }),
    file,
  };
  return { ok: true, lesson, at };
}

type Parsed =
  | { ok: true; fm: FrontMatter; body: string; bodyLine: number; at: Locate }
  | { ok: false; errors: LessonLoadError[] };

/** Split the front matter from the body, parse the YAML keeping positions, and validate it. */
export function parseLessonFile(source: string, file: string): Parsed {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '---') return { ok: false, errors: [loadError(file, 'a lesson file starts with YAML front matter: a line "---", the fields, and another "---"', 1)] };
  const end = lines.findIndex((l, i) => i > 0 && (l.trim() === '---' || l.trim() === '...'));
  if (end < 0) return { ok: false, errors: [loadError(file, 'the front matter has no closing "---" line', 1)] };
  // The YAML starts on the file's second line.
  const parsed = parseYamlFile(lines.slice(1, end).join('\n'), file, FrontMatter, { firstLine: 2, what: 'the front matter', example: 'id, title, …' });
  if (!parsed.ok) return parsed;
  const { data: fm, at } = parsed;
  return { ok: true, fm, body: lines.slice(end + 1).join('\n'), bodyLine: end + 2, at };
}

/** Predictions are placed with ```predict fences: each id once, none unknown; commands are not empty. */
function checkBody(body: string, bodyLine: number, predict: Predict[], file: string, at: Locate): LessonLoadError[] {
  const errors: LessonLoadError[] = [];
  const placed = new Set<string>();
  const ids = new Set(predict.map((p) => p.id));
  for (const fence of findFences(body)) {
    const line = bodyLine + fence.line - 1;
    const kind = fenceKind(fence.info).kind;
    if (kind === 'predict') {
      const id = fence.text.trim();
      if (!ids.has(id)) errors.push(loadError(file, `a predict fence names "${id}", which is not in predict (expected one of ${[...ids].join('|') || 'none'})`, line));
      else if (placed.has(id)) errors.push(loadError(file, `prediction "${id}" is placed twice`, line));
      placed.add(id);
    } else if (kind === 'run' && !fence.text.trim()) {
      errors.push(loadError(file, 'a run fence has no command', line));
    } else if (kind === 'docker-run' && !fence.text.trim()) {
      errors.push(loadError(file, 'a docker-run fence names no image: write the image (and a command) in it', line));
    }
  }
  predict.forEach((p, i) => {
    if (!placed.has(p.id)) errors.push(at(['predict', i, 'id'], `not placed in the text: add a fence \`\`\`predict with "${p.id}" in it`));
  });
  return errors;
}

