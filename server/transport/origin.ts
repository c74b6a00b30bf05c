// Where a request comes from: the Host header (against DNS rebinding) and a browser's Origin
// (against cross-site WebSocket hijacking). The page's server and the audience listener both ask.
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../base/loopback.js';

/** Host header check against DNS rebinding: the page is only served under names we expect. */
export function hostAllowed(hostHeader: string | undefined, extra: string[] = []): boolean {
  if (!hostHeader) return true; // HTTP/1.0 clients and tools without Host; browsers always send it
  const name = hostHeader.replace(/:\d+$/, '').toLowerCase();
  return isLoopbackHost(name) || extra.map((h) => h.toLowerCase()).includes(name);
}

/** A browser's Origin must be this server itself; clients without Origin (CLI, tests, bench) are not browsers. */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
