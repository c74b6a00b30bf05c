// Loads demos/ID.yaml files: validated like lessons (FILE:LINE: FIELD: reason), each step's settings
// resolved from the one before (the first from a plain process), its notes rendered once.
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_ID_RE, type DemoSummary, type DemoView } from '../../common/demo.js';
import { ContainerSpec, PLAIN_PROCESS, describeChanges } from '../../common/spec.js';
import { renderMarkdown } from '../lessons/render.js';
import { applySettingsChange } from '../lessons/schema.js';
import { display, loadError, parseYamlFile, type LessonLoadError } from '../lessons/yaml-file.js';
import { DemoFile } from './schema.js';

export const DEMO_EXTENSION = '.yaml';

/** A demo as the server keeps it: the page's view, and each step's setup script. */
export interface Demo {
  view: DemoView;
  setup: (string | null)[];
  file: string;
}

/** One demo file's text, checked and resolved; `id` is its file name without .yaml. */
export function compileDemo(source: string, id: string, file: string): { ok: true; demo: Demo } | { ok: false; errors: LessonLoadError[] } {
  const parsed = parseYamlFile(source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'), file, DemoFile, { firstLine: 1, what: 'a demo file', example: 'title, summary, minutes, steps' });
  if (!parsed.ok) return parsed;
  const { data, at } = parsed;
  const errors: LessonLoadError[] = [];
  let previous = PLAIN_PROCESS;
  const steps: DemoView['steps'] = [];
  data.steps.forEach((step, index) => {
    const resolved = ContainerSpec.safeParse(applySettingsChange(previous, step.settings));
    if (!resolved.success) {
      for (const issue of resolved.error.issues) errors.push(at(['steps', index, 'settings', ...issue.path], `${issue.message} (after applying this change to the previous step's settings)`));
      return;
    }
    steps.push({
      index,
      id: step.id,
      title: step.title,
      notesHtml: step.notes.trim() ? renderMarkdown(step.notes) : '',
      settings: resolved.data,
      changes: index === 0 ? [] : describeChanges(previous, resolved.data),
      commands: step.commands,
      hostCommands: step.hostCommands,
      hasSetup: step.setup !== undefined,
    });
    previous = resolved.data;
  });
  if (errors.length) return { ok: false, errors };
  return { ok: true, demo: { view: { id, title: data.title, summary: data.summary, minutes: data.minutes, steps }, setup: data.steps.map((s) => s.setup ?? null), file } };
}

/** Every demo in DIR that loads, by id; `errors` are the files left out and why. */
export async function loadDemos(dir: string): Promise<{ demos: Demo[]; errors: LessonLoadError[] }> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    return { demos: [], errors: [loadError(display(dir), `cannot read the demos folder: ${(err as Error).message}`)] };
  }
  const demos: Demo[] = [];
  const errors: LessonLoadError[] = [];
  const files = entries.filter((e) => e.isFile() && e.name.endsWith(DEMO_EXTENSION)).sort((a, b) => a.name.localeCompare(b.name));
  if (!files.length) errors.push(loadError(display(dir), `no demos here (expected files like containers-are-processes${DEMO_EXTENSION})`));
  for (const entry of files) {
    const id = entry.name.slice(0, -DEMO_EXTENSION.length);
    const file = display(join(dir, entry.name));
    if (!DEMO_ID_RE.test(id)) {
      errors.push(loadError(file, 'a demo file is named "slug.yaml", e.g. "containers-are-processes.yaml"'));
      continue;
    }
    const compiled = compileDemo(await readFile(join(dir, entry.name), 'utf8'), id, file);
    if (compiled.ok) demos.push(compiled.demo);
    else errors.push(...compiled.errors);
  }
  return { demos, errors };
}

/** The demos a server offers, loaded once at start-up. */
export class DemoCatalog {
  private readonly byId: Map<string, Demo>;

  constructor(demos: Demo[], readonly errors: string[] = []) {
    this.byId = new Map(demos.map((d) => [d.view.id, d]));
  }

  static async load(dir: string): Promise<DemoCatalog> {
    const { demos, errors } = await loadDemos(dir);
    return new DemoCatalog(demos, errors.map((e) => e.message));
  }

  summaries(): DemoSummary[] {
    return [...this.byId.values()].map(({ view }) => ({ id: view.id, title: view.title, summary: view.summary, minutes: view.minutes, steps: view.steps.length }));
  }

  get(id: string): Demo | undefined {
    return this.byId.get(id);
  }
}
