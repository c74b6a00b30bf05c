// YAML files authors write (lesson front matter, demos): parsed keeping positions, validated with a
// zod schema, and every problem reported as "FILE:LINE: FIELD: reason" so an author finds it.
import { isAbsolute, relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

export interface LessonLoadError {
  /** The file (or folder), relative to the working directory when it is inside it. */
  file: string;
  /** 1-based line in the file, when the problem has one. */
  line?: number;
  /** Dotted path of the field, e.g. "checks.0.all.0.op". */
  field?: string;
  reason: string;
  /** "FILE:LINE: FIELD: reason" — the whole thing, for a terminal. */
  message: string;
}

export type Path = readonly PropertyKey[];

/** An error at a field: the line of that field, or of its nearest parent when it is missing. */
export type Locate = (path: Path, reason: string) => LessonLoadError;

/** More than this many problems in one file is one mistake repeated; the first ones say enough. */
export const MAX_ERRORS_PER_FILE = 10;

/** The YAML mistakes authors make most, and what to do about them. */
const YAML_ADVICE: Partial<Record<string, string>> = {
  BLOCK_AS_IMPLICIT_KEY: ' (a value that contains ": " needs quotes, or a folded block: "text: >-")',
  TAB_AS_INDENT: ' (indent with spaces)',
  DUPLICATE_KEY: ' (a field appears twice)',
};

/**
 * YAML_TEXT (which starts on line FIRST_LINE of FILE) parsed and checked against SCHEMA. `what`
 * and `example` word the error for a document that is not a mapping ("the front matter", "id, title, …").
 */
export function parseYamlFile<S extends z.ZodType>(
  yamlText: string,
  file: string,
  schema: S,
  opts: { firstLine: number; what: string; example: string },
): { ok: true; data: z.infer<S>; at: Locate } | { ok: false; errors: LessonLoadError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line + opts.firstLine - 1;
  const at: Locate = (path, reason) => {
    const offset = offsetOf(doc, path);
    return loadError(file, reason, offset === undefined ? opts.firstLine : lineAt(offset), path.map(String).join('.') || undefined);
  };
  if (doc.errors.length) {
    return {
      ok: false,
      errors: doc.errors.slice(0, MAX_ERRORS_PER_FILE).map((e) => loadError(file, `YAML: ${e.message.split('\n')[0]}${YAML_ADVICE[e.code] ?? ''}`, lineAt(e.pos[0]))),
    };
  }
  if (!isMap(doc.contents)) return { ok: false, errors: [loadError(file, `${opts.what} must be a mapping of fields (${opts.example})`, opts.firstLine)] };
  const result = schema.safeParse(doc.toJS(), {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'required' : undefined),
  });
  if (!result.success) return { ok: false, errors: issuesToErrors(result.error, at).slice(0, MAX_ERRORS_PER_FILE) };
  return { ok: true, data: result.data, at };
}

function issuesToErrors(error: z.ZodError, at: Locate): LessonLoadError[] {
  const out: LessonLoadError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(at([...issue.path, key], 'unknown field'));
    } else if (issue.code === 'invalid_union') {
      out.push(at(issue.path, 'expected a string, number, boolean or null'));
    } else {
      out.push(at(issue.path, issue.message));
    }
  }
  return out;
}

/** Offset of the deepest YAML node on `path` (the key, for a mapping entry): where the problem is, or its nearest parent. */
function offsetOf(doc: Document, path: Path): number | undefined {
  let node: unknown = doc.contents;
  let offset = isMap(node) || isSeq(node) ? node.range?.[0] : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!item) break;
      if ((isMap(item) || isSeq(item) || isScalar(item)) && item.range) offset = item.range[0];
      node = item;
    } else break;
  }
  return offset;
}

export function loadError(file: string, reason: string, line?: number, field?: string): LessonLoadError {
  const where = line === undefined ? file : `${file}:${line}`;
  return { file, reason, ...(line !== undefined && { line }), ...(field && { field }), message: `${where}: ${field ? `${field}: ` : ''}${reason}` };
}

/** Paths in messages: relative to the working directory when inside it (clickable in a terminal), else absolute. */
export function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
