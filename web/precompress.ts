// Build step: a gzip and a brotli copy beside every text asset vite writes, so the server can send
// the page compressed without compressing on each request. A workshop loads the page 20–500 times
// at once; the editors' chunk (Monaco) is about 4 MB as written and under 1 MB compressed. Source
// maps are left alone (only devtools fetch them).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** What is worth compressing: text (and the icon font, which is mostly tables). */
export const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.ttf', '.txt']);
/** Below this a compressed copy saves less than its headers cost. */
export const MIN_BYTES = 1024;

/** Writes FILE.gz and FILE.br for every compressible file under DIR; returns how many files. */
export function precompressDir(dir: string): number {
  let count = 0;
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  for (const path of files.map((e) => join(e.parentPath, e.name))) {
    if (!COMPRESSIBLE.has(extname(path)) || statSync(path).size < MIN_BYTES) continue;
    const data = readFileSync(path);
    writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
    // Quality 9, not 11: within a few percent of the best, and the build stays seconds, not tens.
    writeFileSync(`${path}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
    count++;
  }
  return count;
}

export function precompress(outDir: string): Plugin {
  return {
    name: 'isolab-precompress',
    apply: 'build',
    closeBundle() {
      precompressDir(outDir);
    },
  };
}
