// The page's files: vite writes them to build/web, content-hashed under assets/, each text file
// with a .br and a .gz copy beside it (web/precompress.ts). This sends the smallest copy the
// browser accepts, and lets hashed files be cached for good: a room of learners loading the page
// at once moves a quarter of the bytes, once.
//
// What may be sent is fixed when the server starts: an index of the files in the directory,
// looked up by exact URL path. A request never becomes a file path, so no "..", symlink or
// encoding trick can reach outside the directory.
import { readdirSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import express, { type RequestHandler } from 'express';

interface Entry {
  /** The file as written (absolute). */
  path: string;
  br: boolean;
  gz: boolean;
}

/** Vite puts content-hashed names under assets/: a new build means new names, so cache them for good. */
const HASHED = /^\/assets\//;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and anything unhashed: use it, but ask first (ETag) each time. */
const REVALIDATE = 'no-cache';

/** "/assets/x.js" for DIR/assets/x.js. */
const urlPathOf = (dir: string, path: string) => `/${relative(dir, path).split(sep).join('/')}`;

/** URL path → file, for every file under DIR that has a compressed copy. */
export function indexCompressed(dir: string): Map<string, Entry> {
  const all = new Set(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name)),
  );
  const index = new Map<string, Entry>();
  for (const path of all) {
    if (path.endsWith('.br') || path.endsWith('.gz')) continue;
    const br = all.has(`${path}.br`);
    const gz = all.has(`${path}.gz`);
    if (!br && !gz) continue;
    index.set(urlPathOf(dir, path), { path, br, gz });
  }
  return index;
}

/**
 * Which coding to send, from an Accept-Encoding header: "br" before "gzip" (smaller), and neither
 * when the browser says q=0 or does not list it ("*" counts for both).
 */
export function chooseEncoding(header: string | undefined, has: { br: boolean; gz: boolean }): 'br' | 'gzip' | null {
  const accepted = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key === 'q') q = Number(value);
    }
    accepted.set(name, Number.isFinite(q) ? q : 0);
  }
  const ok = (coding: string) => (accepted.get(coding) ?? accepted.get('*') ?? 0) > 0;
  if (has.br && ok('br')) return 'br';
  if (has.gz && ok('gzip')) return 'gzip';
  return null;
}

/**
 * Serves DIR: compressed copies when the browser takes them, caching by whether a name is hashed.
 * With ONLY, just the URL paths it matches (the audience listener serves the assets, not the lab).
 */
export function staticFiles(dir: string, only?: RegExp): RequestHandler[] {
  const index = indexCompressed(dir);
  const cacheControl = (urlPath: string) => (HASHED.test(urlPath) ? IMMUTABLE : REVALIDATE);
  const allowed: RequestHandler = (req, _res, next) => (only && !only.test(req.path) ? next('router') : next());
  const compressed: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const urlPath = req.path === '/' ? '/index.html' : req.path;
    const entry = index.get(urlPath);
    if (!entry) return next();
    // Whatever we send, a cache must keep one copy per Accept-Encoding.
    res.setHeader('Vary', 'Accept-Encoding');
    const coding = chooseEncoding(req.headers['accept-encoding'], entry);
    if (!coding) return next();
    // The type of the file itself, not of its .br/.gz copy; send() keeps a type already set.
    res.type(extname(entry.path));
    res.setHeader('Content-Encoding', coding);
    res.setHeader('Cache-Control', cacheControl(urlPath));
    res.sendFile(`${entry.path}.${coding === 'br' ? 'br' : 'gz'}`, { cacheControl: false }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  };
  const plain = express.static(dir, {
    index: 'index.html',
    cacheControl: false,
    setHeaders: (res, path) => {
      const urlPath = urlPathOf(dir, path);
      res.setHeader('Cache-Control', cacheControl(urlPath));
      if (index.has(urlPath)) res.setHeader('Vary', 'Accept-Encoding');
    },
  });
  return only ? [allowed, compressed, plain] : [compressed, plain];
}
