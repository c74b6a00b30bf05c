import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { MIN_BYTES, precompressDir } from './precompress.js';

describe('precompressDir (the build step)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'isolab-precompress-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes .br and .gz beside each text file worth it, and leaves maps, small and binary files alone', () => {
    mkdirSync(join(dir, 'assets'));
    const js = 'export const a = 1;\n'.repeat(500);
    writeFileSync(join(dir, 'index.html'), '<!doctype html>' + ' '.repeat(MIN_BYTES));
    writeFileSync(join(dir, 'assets', 'a.js'), js);
    writeFileSync(join(dir, 'assets', 'a.js.map'), '{}'.padEnd(5000));
    writeFileSync(join(dir, 'assets', 'small.css'), 'a{}');
    writeFileSync(join(dir, 'assets', 'logo.png'), Buffer.alloc(5000));
    expect(precompressDir(dir)).toBe(2);
    expect(brotliDecompressSync(readFileSync(join(dir, 'assets', 'a.js.br'))).toString()).toBe(js);
    expect(gunzipSync(readFileSync(join(dir, 'assets', 'a.js.gz'))).toString()).toBe(js);
    expect(existsSync(join(dir, 'index.html.br'))).toBe(true);
    for (const left of ['a.js.map', 'small.css', 'logo.png']) {
      expect(existsSync(join(dir, 'assets', `${left}.br`)), left).toBe(false);
      expect(existsSync(join(dir, 'assets', `${left}.gz`)), left).toBe(false);
    }
  });
});
