// Composition root of the web server: express serves the built page, socket.io carries the
// protocol of common/protocol.ts. Each socket gets one Connection (transport/connection.ts); the
// handler modules of transport/handlers/ are built once from the injected components and
// registered on each, as socket.io's own examples do. Every incoming payload is parsed (zod) before
// any handler sees it; a malformed message gets an error reply and touches nothing else.
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as IoServer } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../common/protocol.js';
import type { CompareService } from '../compare/service.js';
import { DEFAULT_RESUME_GRACE_MS, ResumableSessions } from '../session/resumable.js';
import type { Session, SessionDeps } from '../session/session.js';
import { SourceReader } from '../lessons/source-view.js';
import { Connection, type Handlers, type LabSocket } from './connection.js';
import { ConnectionGuard } from './connection-guard.js';
import { hostAllowed } from './origin.js';
import { InterleavingWsServer } from './ws-engine.js';
import type { SessionLimits } from './session-clock.js';
import { compareHandlers } from './handlers/compare.js';
import { diagnoseHandlers } from './handlers/diagnose.js';
import { presentHandlers, type PresentDeps } from './handlers/present.js';
import { exportHandlers } from './handlers/export.js';
import { inspectorHandlers } from './handlers/inspector.js';
import { lessonHandlers } from './handlers/lesson.js';
import { sandboxHandlers } from './handlers/sandbox.js';
import { seccompHandlers } from './handlers/seccomp.js';
import { sessionHandlers } from './handlers/session.js';
import { sidetermHandlers } from './handlers/sideterm.js';
import { termHandlers } from './handlers/term.js';
import { staticFiles } from './static-files.js';

export interface AppDeps {
  session: SessionDeps;
  /** Directory of the built page (vite output). */
  webDir: string;
  /** More learners than this get "server_full" instead of a shell. */
  maxSessions: number;
  /**
   * Host names the page may be served under (Host header), guarding against DNS rebinding.
   * Loopback names are always allowed.
   */
  allowedHosts?: string[];
  /**
   * Secret the page must present (the `?token=` of the URL the server prints), as Jupyter does:
   * without it any local user, or any web page, could open a root shell. Absent = no check (tests).
   */
  accessToken?: string;
  /** How long a learner's shell waits for their page after its connection dropped; default 60 s (session/resumable.ts). */
  resumeGraceMs?: number;
  /** The comparison panel (container vs host vs gVisor vs VM) and its terminals; absent = not offered. */
  compare?: CompareService;
  /** Presenter mode: demos, recordings, the audience's view. */
  present: PresentDeps;
  /**
   * Connections one address may hold at once; the one over it gets "too many connections" and the
   * others go on. A room behind one NAT shares one address, so a workshop's cap is generous.
   */
  maxConnectionsPerAddress: number;
  /** Idle timeout and maximum session length; absent = none (a solo lab). */
  sessionLimits?: SessionLimits;
}

export interface LabApp {
  http: HttpServer;
  io: IoServer<ClientToServerEvents, ServerToClientEvents>;
  sessions: ReadonlyMap<string, Session>;
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/**
 * Socket.io message size: the largest message is a seccomp profile (at most 256 KiB of JSON,
 * common/seccomp-profile.ts); 64 KiB more leaves room for framing and nothing else.
 */
const MAX_HTTP_BUFFER_BYTES = 320 * 1024;

/** socket.io's path, which the connection key's cookie is scoped to. */
const SOCKET_PATH = '/socket.io';

/**
 * A connection that has not finished socket.io's CONNECT (the token) by then is closed: a refused
 * or raw connection holds its place under the per-address cap for at most this long.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Engine.io connections an address may hold, as a multiple of the cap on finished connections: the
 * slack covers a page's reconnects while its dead connection has not timed out yet.
 */
const RAW_CONNECTIONS_SLACK = 2;

export function createApp(deps: AppDeps): LabApp {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (!hostAllowed(req.headers.host, deps.allowedHosts)) {
      res.status(421).type('text/plain').send('isolab: unexpected Host header (see --allowed-host)\n');
      return;
    }
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    // 'wasm-unsafe-eval': the replay player (asciinema-player) runs its terminal emulator as
    // WebAssembly compiled from its own bundled bytes; it allows compiling WebAssembly, not eval().
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, sessions: sessions.size });
  });

  // The code view: the launcher's C source for one primitive. Read-only and from a fixed table
  // (server/lessons/source-view.ts), but still only for the page that holds the access token, like the socket.
  // File names are shown relative to the checkout (native/launcher/ns.c).
  const sources = new SourceReader(deps.session.paths.launcherSource, dirname(dirname(deps.session.paths.launcherSource)));
  app.get('/api/source/:primitive', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (!tokenMatches(deps.accessToken, bearerToken(req.headers.authorization))) {
      res.status(401).json({ ok: false, code: 'forbidden', message: 'unauthorized: this needs the access token (Authorization: Bearer TOKEN)' });
      return;
    }
    sources.read(req.params.primitive).then(
      (view) => {
        if (view) res.json(view);
        else res.status(404).json({ ok: false, code: 'not_found', message: 'no source view for that primitive' });
      },
      (err: unknown) => {
        console.error('[isolab] source view failed:', err);
        res.status(500).json({ ok: false, code: 'internal', message: 'internal error (logged on the server)' });
      },
    );
  });
  if (existsSync(deps.webDir)) app.use(...staticFiles(deps.webDir));
  else {
    app.get('/', (_req, res) => {
      res.status(503).type('text/plain').send('isolab: the page has not been built; run `npm start` (it builds web/).\n');
    });
  }

  const http = createServer(app);
  const io = new IoServer<ClientToServerEvents, ServerToClientEvents>(http, {
    path: SOCKET_PATH,
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    serveClient: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    wsEngine: InterleavingWsServer,
  });
  // Every request and upgrade, not only the handshake: Host, Origin, and the connection's key.
  const guard = new ConnectionGuard({
    path: SOCKET_PATH,
    allowedHosts: deps.allowedHosts ?? [],
    maxRawPerAddress: deps.maxConnectionsPerAddress * RAW_CONNECTIONS_SLACK,
  });
  guard.attach(io.engine);

  if (deps.accessToken) {
    io.use((socket, next) => {
      const raw: unknown = socket.handshake.auth?.token;
      const ok = tokenMatches(deps.accessToken, typeof raw === 'string' ? raw : '');
      next(ok ? undefined : new Error('unauthorized: open the URL printed by `isolab serve` (it carries the access token)'));
    });
  }
  // After the token: the connection over the cap is told why (the page shows the message).
  io.use((socket, next) => {
    const address = socket.conn.remoteAddress;
    const cap = deps.maxConnectionsPerAddress;
    next(guard.connectionsFrom(address) > cap ? new Error(`too many connections from your address (at most ${cap}); close another tab of this lab and reload`) : undefined);
  });

  const sessions = new Map<string, Session>();
  const resumable = new ResumableSessions(sessions, deps.resumeGraceMs ?? DEFAULT_RESUME_GRACE_MS);
  // Every client event has its handler (Handlers names them all), each module built once.
  const handlers: Handlers = {
    ...sessionHandlers({ session: deps.session, sessions, resumable, maxSessions: deps.maxSessions }),
    ...termHandlers(),
    ...sandboxHandlers(),
    ...lessonHandlers(),
    ...seccompHandlers(),
    ...inspectorHandlers(),
    ...exportHandlers(),
    ...compareHandlers(),
    ...sidetermHandlers(),
    ...diagnoseHandlers(),
    ...presentHandlers(deps.present),
  };
  io.on('connection', (socket: LabSocket) => new Connection(socket, deps.compare, deps.session.mode === 'solo', deps.sessionLimits).register(handlers));

  return {
    http,
    io,
    sessions,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => resolve(http.address() as AddressInfo));
      });
    },
    async close() {
      deps.compare?.close();
      // Each session's machine goes once its shells have exited (a learner's uid range with it).
      const closing = [...sessions.values()].map((s) => s.close());
      resumable.close();
      await Promise.all(closing);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}

/** No configured token: no check (tests). Otherwise a constant-time comparison. */
function tokenMatches(expected: string | undefined, given: string | undefined): boolean {
  if (!expected) return true;
  const a = Buffer.from(expected);
  const b = Buffer.from(given ?? '');
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  return m?.[1];
}
