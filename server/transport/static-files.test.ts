import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync, gunzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseEncoding, indexCompressed, staticFiles } from './static-files.js';

describe('chooseEncoding', () => {
  const both = { br: true, gz: true };
  it.each([
    ['gzip, deflate, br', both, 'br'],
    ['gzip, deflate', both, 'gzip'],
    ['br;q=0, gzip', both, 'gzip'],
    ['br;q=0, gzip;q=0', both, null],
    ['*', both, 'br'],
    ['*;q=0', both, null],
    ['identity', both, null],
    [undefined, both, null],
    ['BR', both, 'br'],
    ['br', { br: false, gz: true }, null],
    ['br, gzip', { br: false, gz: true }, 'gzip'],
    ['br;q=abc, gzip', both, 'gzip'],
  ] as const)('%s → %s', (header, has, expected) => {
    expect(chooseEncoding(header, has)).toBe(expected);
  });
});

describe('the page, compressed', () => {
  let dir: string;
  let base: string;
  let close: () => void;
  const js = `console.log(${JSON.stringify('isolab '.repeat(2000))});\n`;
  const css = `body { color: red; }\n`.repeat(200);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'isolab-static-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), `<!doctype html><title>isolab</title>${'<!-- pad -->'.repeat(200)}`);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), js);
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), css);
    writeFileSync(join(dir, 'assets', 'tiny-abc.js'), 'x');
    writeFileSync(join(dir, 'assets', 'index-abc123.js.map'), '{"version":3}'.padEnd(4000));
    // As the build leaves them (web/precompress.ts): copies of the html, the js and the css only.
    for (const name of ['index.html', 'assets/index-abc123.js', 'assets/index-abc123.css']) {
      const data = readFileSync(join(dir, name));
      writeFileSync(join(dir, `${name}.br`), brotliCompressSync(data));
      writeFileSync(join(dir, `${name}.gz`), gzipSync(data));
    }
    const app = express();
    app.use(...staticFiles(dir));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => {
    close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** fetch() decompresses on its own; node's http does not, so the raw bytes can be checked. */
  async function raw(path: string, acceptEncoding: string | null, method = 'GET') {
    const { request } = await import('node:http');
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const req = request(`${base}${path}`, { method, headers: acceptEncoding === null ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('indexes only files with a compressed copy, by URL path', () => {
    expect([...indexCompressed(dir).keys()].sort()).toEqual(['/assets/index-abc123.css', '/assets/index-abc123.js', '/index.html']);
  });

  it('sends brotli to a browser that takes it: the type of the file, the bytes of the original, cached for good', async () => {
    const res = await raw('/assets/index-abc123.js', 'gzip, deflate, br');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body.length).toBeLessThan(js.length / 10);
    expect(brotliDecompressSync(res.body).toString()).toBe(js);
  });

  it('gzip when brotli is not taken; the original when neither is', async () => {
    const gz = await raw('/assets/index-abc123.css', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toMatch(/^text\/css/);
    expect(gunzipSync(gz.body).toString()).toBe(css);
    const plain = await raw('/assets/index-abc123.css', null);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.toString()).toBe(css);
  });

  it('the page itself: compressed, but revalidated each time (its name is not hashed)', async () => {
    for (const path of ['/', '/index.html']) {
      const res = await raw(path, 'br');
      expect(res.headers['content-encoding']).toBe('br');
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(brotliDecompressSync(res.body).toString()).toContain('<title>isolab</title>');
    }
  });

  it('HEAD: the headers without a body', async () => {
    const res = await raw('/assets/index-abc123.js', 'br', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.body.length).toBe(0);
  });

  it('files without a copy, and the copies themselves, go out as they are', async () => {
    const tiny = await raw('/assets/tiny-abc.js', 'br');
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.body.toString()).toBe('x');
    const map = await raw('/assets/index-abc123.js.map', 'br');
    expect(map.headers['content-encoding']).toBeUndefined();
  });

  it('nothing outside the directory, however the path is spelled', async () => {
    for (const path of ['/../../etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/index-abc123.js%00.br']) {
      const res = await raw(path, 'br');
      expect(res.status, path).not.toBe(200);
      expect(res.body.toString()).not.toContain('root:');
    }
  });
});
