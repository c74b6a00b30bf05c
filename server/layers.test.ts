// The server's folders form one chain (server/README.md): a folder may import only from folders
// before it in LAYERS, its own folder, and common/. A backwards import is how a low-level module
// ends up depending on lesson or transport code; this test reads every import and refuses it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './base/paths.js';

/** Lowest first. Folders on one row are peers: they may not import each other either. */
export const LAYERS: readonly (readonly string[])[] = [
  ['base'],
  ['progress'],
  ['runtime'],
  ['floor'],
  ['observe'],
  ['lessons'],
  ['diagnose', 'compare', 'demos', 'doctor'],
  ['session'],
  ['transport'],
  ['main'],
];

/** Imports allowed against the chain, each with its reason. Empty: keep it that way. */
const EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [];

const SERVER = join(REPO_ROOT, 'server');

export interface ImportEdge {
  file: string; // repo-relative, e.g. server/runtime/launcher.ts
  spec: string;
  fromLayer: string;
  toLayer: string; // a server folder, or 'common', or an outside path
}

/** Every relative import (static, dynamic and type-only) of one TypeScript source. */
export function relativeImports(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:from\s+|import\s*\(\s*|import\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
  for (let m = re.exec(source); m; m = re.exec(source)) specs.push(m[2]!);
  return specs;
}

/** The layer a repo path belongs to: its first folder under server/, or what lies outside. */
export function layerOf(absPath: string): string {
  const rel = relative(SERVER, absPath);
  if (rel.startsWith('..')) return relative(REPO_ROOT, absPath).split(sep)[0]!;
  const parts = rel.split(sep);
  return parts.length === 1 ? '(top level)' : parts[0]!;
}

function rank(layer: string): number {
  return LAYERS.findIndex((row) => row.includes(layer));
}

/** Why an import breaks the chain, or null when it is allowed. */
export function violation(fromLayer: string, toLayer: string): string | null {
  if (fromLayer === toLayer) return null;
  if (toLayer === 'common') return null;
  const from = rank(fromLayer);
  const to = rank(toLayer);
  if (from < 0) return `${fromLayer} is not a layer`;
  if (to < 0) return `${toLayer} is outside server/ and common/`;
  if (to === from) return `${fromLayer} and ${toLayer} are peers`;
  if (to > from) return `${fromLayer} is below ${toLayer}`;
  return null;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.split(sep).includes('fixtures'))
    .map((f) => join(dir, f));
}

function edges(): ImportEdge[] {
  return sources(SERVER).flatMap((file) =>
    relativeImports(readFileSync(file, 'utf8')).map((spec) => ({
      file: relative(REPO_ROOT, file),
      spec,
      fromLayer: layerOf(file),
      toLayer: layerOf(resolve(dirname(file), spec)),
    })),
  );
}

describe('server layers', () => {
  it('keeps no module at the top of server/', () => {
    const top = readdirSync(SERVER).filter((f) => f.endsWith('.ts') && f !== 'layers.test.ts');
    expect(top).toEqual([]);
  });

  it('has a row in LAYERS for every folder and a line in server/README.md for each', () => {
    const folders = readdirSync(SERVER, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.filter((f) => rank(f) < 0)).toEqual([]);
    const readme = readFileSync(join(SERVER, 'README.md'), 'utf8');
    expect(folders.filter((f) => !readme.includes(`\`${f}/\``))).toEqual([]);
  });

  it('imports only downwards (or from common/)', () => {
    const bad = edges()
      .filter((e) => !e.file.endsWith('layers.test.ts'))
      .map((e) => ({ ...e, why: violation(e.fromLayer, e.toLayer) }))
      .filter((e) => e.why && !EXCEPTIONS.some((x) => x.from === e.fromLayer && x.to === e.toLayer))
      .map((e) => `${e.file} imports ${e.spec}: ${e.why}`);
    expect(bad).toEqual([]);
  });

  // The check above is only as good as its parts: prove they see a backwards import when one exists.
  it('sees a backwards import in a source', () => {
    const src = `import { x } from '../session/session.js';\nimport type { Y } from "../base/errors.js";\nconst z = await import('./own.js');`;
    expect(relativeImports(src)).toEqual(['../session/session.js', '../base/errors.js', './own.js']);
    const file = join(SERVER, 'runtime', 'launcher.ts');
    const to = layerOf(resolve(dirname(file), '../session/session.js'));
    expect(violation(layerOf(file), to)).toBe('runtime is below session');
    expect(violation('diagnose', 'compare')).toBe('diagnose and compare are peers');
    expect(violation('session', 'runtime')).toBeNull();
    expect(violation('observe', 'common')).toBeNull();
    expect(violation('runtime', 'web')).toBe('web is outside server/ and common/');
  });
});
