// The gate in front of socket.io: every engine.io HTTP request and every WebSocket upgrade passes
// through it, not only the handshake. engine.io asks `allowRequest` only when a connection is
// created; a polling request or an upgrade that names an existing engine.io id (`?sid=`) is
// accepted on the id alone, so whoever learns the id (a log, a proxy) could continue the
// connection: read the learner's terminal, type into their shell and push them off.
//
// Here each connection is bound, when it is created, to a key only its browser holds: a random
// value in an HttpOnly, SameSite=Strict cookie scoped to the socket.io path. The key is never in a
// URL (the id is), so what leaks an id does not leak the key. A request naming a connection must
// present that connection's key; the Host and the Origin are checked on every request as well.
// The key is per browser, not per connection, so two tabs of one browser share it (each tab's
// connections are still its own ids); a browser that never had one gets it in the handshake's
// reply. The page itself connects over WebSocket only (one request per connection), so the key
// guards what the page never needs and an attacker would: a second request under the same id.
//
// The access token is checked once per connection, at socket.io's CONNECT (app.ts): a connection
// created without it can do nothing, and no other request can reach a connection that has it
// without that connection's key.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES, ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { hostAllowed, originAllowed } from './origin.js';

/** The cookie that holds a browser's connection key. */
export const CONNECTION_KEY_COOKIE = 'isolab_conn';
/** 32 random bytes, base64url: what a key looks like (anything else in the cookie is ignored). */
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What the guard uses of engine.io's server (socket.io's `io.engine`) and of its connections. */
export interface GuardedEngine {
  use(middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: Error) => void) => void): void;
  on(event: 'connection', listener: (socket: EngineSocket) => void): void;
}
interface EngineSocket {
  id: string;
  request: IncomingMessage;
  close(): void;
  once(event: 'close', listener: () => void): void;
}

export interface ConnectionGuardOptions {
  /** socket.io's path ('/socket.io'): the cookie is sent only there. */
  path: string;
  /** Host names besides loopback; absent = any Host (the audience listener, served under whatever address the room uses). */
  allowedHosts?: string[];
  /**
   * Engine.io connections one address may hold, counting those that never finished the socket.io
   * CONNECT. The page's clear "too many connections" error comes later, from socket.io's CONNECT
   * (AddressCounts in app.ts); this bound is for raw clients that never get that far.
   */
  maxRawPerAddress: number;
}

/** Why a request was refused, as the HTTP reply says it. */
interface Refusal {
  status: number;
  message: string;
}

export class ConnectionGuard {
  /** Connection key of every live engine.io connection, by its id. */
  private readonly keys = new Map<string, string>();
  private readonly perAddress = new Map<string, number>();
  /** The key a handshake request brought or was given, until its connection exists. */
  private readonly handshakeKeys = new WeakMap<IncomingMessage, string>();

  constructor(private readonly opts: ConnectionGuardOptions) {}

  /** Installs the guard on ENGINE: its middleware runs for every request and upgrade. */
  attach(engine: GuardedEngine): void {
    engine.use((req: IncomingMessage, res: ServerResponse, next: (err?: Error) => void) => {
      const refusal = this.check(req, res);
      if (refusal) refuse(res, refusal);
      else next();
    });
    engine.on('connection', (socket: EngineSocket) => this.bind(socket));
  }

  /** How many engine.io connections ADDRESS holds now. */
  connectionsFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  private check(req: IncomingMessage, res: ServerResponse): Refusal | undefined {
    if (this.opts.allowedHosts && !hostAllowed(req.headers.host, this.opts.allowedHosts)) return { status: 421, message: 'unexpected Host header (see --allowed-host)' };
    // A web page on another origin must never reach a root shell (cross-site WebSocket hijacking).
    if (!originAllowed(req)) return { status: 403, message: 'this page may only be used from its own origin' };
    const sid = queryParam(req, 'sid');
    if (sid === null) return { status: 400, message: 'malformed query' };
    const given = cookieValue(req.headers.cookie, CONNECTION_KEY_COOKIE);
    if (sid !== undefined) {
      const bound = this.keys.get(sid);
      if (!bound || !given || !sameKey(bound, given)) return { status: 403, message: 'this connection belongs to another browser' };
      return undefined;
    }
    const address = req.socket.remoteAddress ?? '';
    if (this.connectionsFrom(address) >= this.opts.maxRawPerAddress) return { status: 429, message: 'too many connections from your address' };
    const key = given && KEY_PATTERN.test(given) ? given : randomBytes(32).toString('base64url');
    this.handshakeKeys.set(req, key);
    if (key !== given) {
      // Path-scoped and HttpOnly: no page script and no other route ever sees it.
      res.setHeader('Set-Cookie', `${CONNECTION_KEY_COOKIE}=${key}; Path=${this.opts.path}; HttpOnly; SameSite=Strict`);
    }
    return undefined;
  }

  private bind(socket: EngineSocket): void {
    const key = this.handshakeKeys.get(socket.request);
    // Every connection was created by a handshake this guard let through, so it has a key; one
    // without (impossible unless engine.io changes) is closed rather than left open to anyone.
    if (!key) {
      socket.close();
      return;
    }
    const address = socket.request.socket.remoteAddress ?? '';
    this.keys.set(socket.id, key);
    this.perAddress.set(address, this.connectionsFrom(address) + 1);
    socket.once('close', () => {
      this.keys.delete(socket.id);
      const left = this.connectionsFrom(address) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
  }
}

/** The query parameter NAME: undefined when absent, null when it is repeated (engine.io's parser would make it an array). */
function queryParam(req: IncomingMessage, name: string): string | undefined | null {
  let params: URLSearchParams;
  try {
    params = new URL(req.url ?? '/', 'http://x').searchParams;
  } catch {
    return null;
  }
  const all = params.getAll(name);
  if (all.length === 0) return undefined;
  return all.length === 1 ? all[0]! : null;
}

/** The value of cookie NAME in a Cookie header, if there is exactly one. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const values = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The refusal as an HTTP reply. A polling request has a real response; an upgrade has only the raw
 * socket (engine.io's stand-in response cannot send a status), so the reply is written on it.
 */
function refuse(res: ServerResponse, refusal: Refusal): void {
  const body = JSON.stringify({ ok: false, code: refusal.status === 429 ? 'rate_limited' : 'forbidden', message: refusal.message });
  // Told apart by the response itself: an Upgrade header on a plain request is only a header.
  if (res instanceof ServerResponse) {
    res.writeHead(refusal.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body);
    return;
  }
  const socket = (res as unknown as { socket: NetSocket }).socket;
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
