// Composition root of the web server: express serves the built page, socket.io carries the
// protocol of common/protocol.ts. Every incoming payload is parsed (zod) before any handler sees it;
// a malformed message gets an error reply and touches nothing else.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as IoServer, type Socket } from 'socket.io';
import type { z } from 'zod';
import type { CompareColumn } from '../../common/compare.js';
import {
  CompareOpenRequest,
  DiagnoseRequest,
  LessonOpenRequest,
  PredictionRequest,
  SandboxApplyRequest,
  SeccompApplyRequest,
  SessionStartRequest,
  SideAck,
  SideClose,
  SideInput,
  SideOpenRequest,
  SideResize,
  TermAck,
  TermInput,
  TermSize,
  LimitsRequest,
  ToggleRequest,
  describeZodError,
  fieldIssues,
  type Ack,
  type ClientToServerEvents,
  type ErrorCode,
  type FieldIssue,
  type ServerToClientEvents,
} from '../../common/protocol.js';
import type { CompareService } from '../compare/service.js';
import { SideTerminals } from '../compare/side-terminals.js';
import { LabError } from '../base/errors.js';
import { Session, type SessionDeps } from '../session/session.js';
import { SourceReader } from '../lessons/source-view.js';
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
  /** The comparison panel (container vs host vs gVisor vs VM) and its terminals; absent = not offered. */
  compare?: CompareService;
}

export interface LabApp {
  http: HttpServer;
  io: IoServer<ClientToServerEvents, ServerToClientEvents>;
  sessions: ReadonlyMap<string, Session>;
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Events per second one browser may send (typing and pasting included); beyond it, messages are dropped with an error. */
const MAX_EVENTS_PER_SECOND = 500;
/**
 * Socket.io message size: the largest message is a seccomp profile (at most 256 KiB of JSON,
 * common/seccomp-profile.ts); 64 KiB more leaves room for framing and nothing else.
 */
const MAX_HTTP_BUFFER_BYTES = 320 * 1024;

type LabSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

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
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
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
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    serveClient: false,
    // A web page on another origin must never reach a root shell (cross-site WebSocket hijacking):
    // browsers always send Origin, and it has to name this very server.
    allowRequest: (req, callback) => callback(null, originAllowed(req) && hostAllowed(req.headers.host, deps.allowedHosts)),
  });

  if (deps.accessToken) {
    io.use((socket, next) => {
      const raw: unknown = socket.handshake.auth?.token;
      const ok = tokenMatches(deps.accessToken, typeof raw === 'string' ? raw : '');
      next(ok ? undefined : new Error('unauthorized: open the URL printed by `isolab serve` (it carries the access token)'));
    });
  }

  const sessions = new Map<string, Session>();

  io.on('connection', (socket: LabSocket) => {
    let session: Session | undefined;
    // The comparison panel: while it is open, every change of a column reaches this learner.
    let watchingCompare = false;
    let containerColumn: CompareColumn | undefined;
    let lastSpawnToReadyMs: number | null = null;
    let sides: SideTerminals | undefined;
    const compare = deps.compare;
    let windowStart = Date.now();
    let eventsInWindow = 0;

    const reply = <T>(ack: unknown, result: Ack<T>) => {
      if (typeof ack === 'function') (ack as (r: Ack<T>) => void)(result);
    };

    const fail = (event: string, ack: unknown, code: ErrorCode, message: string, issues?: FieldIssue[]) => {
      if (typeof ack === 'function') reply(ack, { ok: false, code, message, ...(issues?.length ? { issues } : {}) });
      else socket.emit('session:error', { code, message, event });
    };

    /** Registers a handler that receives only a validated payload; its errors become error acks. */
    function on<S extends z.ZodType, R>(
      event: keyof ClientToServerEvents,
      schema: S | null,
      handler: (payload: z.infer<S>, s: Session | undefined) => R | Promise<R>,
    ): void {
      (socket as unknown as { on(e: string, l: (...a: unknown[]) => void): void }).on(event, (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
        const now = Date.now();
        if (now - windowStart >= 1000) {
          windowStart = now;
          eventsInWindow = 0;
        }
        if (++eventsInWindow > MAX_EVENTS_PER_SECOND) return fail(event, ack, 'rate_limited', 'too many messages; slow down');
        let payload: unknown = undefined;
        if (schema) {
          const parsed = schema.safeParse(args[0]);
          if (!parsed.success) return fail(event, ack, 'bad_request', `${event}: ${describeZodError(parsed.error)}`, fieldIssues(parsed.error));
          payload = parsed.data;
        } else if (args.length > 0) {
          return fail(event, ack, 'bad_request', `${event} takes no payload`);
        }
        Promise.resolve()
          .then(() => handler(payload as z.infer<S>, session))
          .then(
            (data) => reply(ack, { ok: true, data }),
            (err: unknown) => {
              if (err instanceof LabError) return fail(event, ack, err.code, err.message, err.issues);
              console.error(`[isolab] ${event} failed:`, err);
              fail(event, ack, 'internal', 'internal error (logged on the server)');
            },
          );
      });
    }

    const started = (s: Session | undefined): Session => {
      if (!s) throw new LabError('not_started', 'send session:start first');
      return s;
    };

    const comparing = (): CompareService => {
      if (!compare) throw new LabError('not_found', 'this server does not offer the comparison');
      return compare;
    };

    /** The learner's container's column, computed again (serialised: toggles can come fast). */
    let containerRefresh: Promise<CompareColumn> | undefined;
    let containerStale = false;
    const refreshContainerColumn = (): Promise<CompareColumn> => {
      if (containerRefresh) {
        containerStale = true;
        return containerRefresh;
      }
      const s = session;
      const c = comparing();
      containerRefresh = (async () => {
        let col: CompareColumn;
        do {
          containerStale = false;
          col = s
            ? await c.containerColumn({ spec: s.currentSpec, shellPid: s.shellPid, launcherPid: s.launcherPid, joinOptions: s.joinOptions, spawnToReadyMs: lastSpawnToReadyMs })
            : { place: 'container', title: 'Container', state: 'error', message: 'no session', cached: false };
        } while (containerStale);
        containerColumn = col;
        return col;
      })().finally(() => (containerRefresh = undefined));
      return containerRefresh;
    };

    const pushCompare = async (): Promise<void> => {
      if (!compare || !watchingCompare || !containerColumn) return;
      const host = await compare.hostColumn();
      const { gvisor, vm } = compare.sharedColumns();
      socket.emit('compare:update', { columns: [containerColumn, host, gvisor, vm], generatedAt: new Date().toISOString() });
    };
    const offColumn = compare?.onColumn(() => void pushCompare());
    socket.once('disconnect', () => {
      offColumn?.();
      sides?.dispose();
    });

    const sideTerminals = (): SideTerminals =>
      (sides ??= new SideTerminals(comparing(), {
        output: (target, frame) => socket.emit('sideterm:output', { target, data: frame }),
        exit: (target, message) => socket.emit('sideterm:exit', { target, message }),
      }));

    on('session:start', SessionStartRequest, async (req) => {
      if (session) throw new LabError('bad_request', 'this connection already has a session');
      if (sessions.size >= deps.maxSessions) throw new LabError('server_full', `this server is full (${deps.maxSessions} learners); try again later`);
      const id = randomUUID();
      session = new Session(deps.session, {
        output: (frame) => socket.emit('term:output', frame),
        ready: (r) => {
          socket.emit('sandbox:ready', r);
          lastSpawnToReadyMs = r.spawnToReadyUs / 1000;
          // A toggle replaced the shell: its column follows at once.
          if (watchingCompare) void refreshContainerColumn().then(pushCompare, () => undefined);
        },
        exit: (e) => socket.emit('sandbox:exit', e),
        error: (e) => socket.emit('sandbox:error', e),
        inspector: (v) => socket.emit('inspector:update', v),
        lessonStatus: (s) => socket.emit('lesson:status', s),
        limits: (u) => socket.emit('sandbox:updated', u),
        progress: (p) => socket.emit('progress:update', p),
      });
      sessions.set(id, session);
      const s = session;
      socket.once('disconnect', () => {
        sessions.delete(id);
        s.dispose();
      });
      try {
        await s.start({ cols: req.cols, rows: req.rows }, req.lessonId, req.learnerId);
      } catch (err) {
        // A failed start owns nothing any more: free the slot so the learner can simply retry.
        sessions.delete(id);
        s.dispose();
        session = undefined;
        throw err;
      }
      return {
        sessionId: id,
        mode: deps.session.mode,
        spec: s.currentSpec,
        lessons: deps.session.lessons.summaries(),
        lockedOn: [...s.lockedOn],
        progress: s.progress(),
      };
    });
    on('term:input', TermInput, (data, s) => started(s).input(data));
    on('term:resize', TermSize, (size, s) => started(s).resize(size));
    on('term:ack', TermAck, (a, s) => started(s).ack(a.bytes));
    on('sandbox:toggle', ToggleRequest, async (req, s) => ({ spec: await started(s).toggle(req.toggle, req.on) }));
    on('sandbox:limits', LimitsRequest, async (req, s) => ({ spec: await started(s).updateLimits(req) }));
    on('lesson:open', LessonOpenRequest, (req, s) => started(s).openLesson(req.lessonId));
    on('inspector:refresh', null, (_none, s) => started(s).inspect());
    on('export:get', null, (_none, s) => started(s).exports());
    on('sandbox:apply', SandboxApplyRequest, (req, s) => started(s).applySpec(req.spec));
    on('seccomp:get', null, (_none, s) => started(s).seccompView());
    on('seccomp:apply', SeccompApplyRequest, (req, s) => started(s).applySeccompProfile(req.profile));
    on('progress:predict', PredictionRequest, (req, s) => started(s).predictionAnswered(req.lessonId, req.predictionId, req.choice));
    on('compare:open', CompareOpenRequest, async (req, s) => {
      started(s);
      const c = comparing();
      watchingCompare = true;
      const [container, host] = await Promise.all([refreshContainerColumn(), c.hostColumn()]);
      return c.view(container, host, req.refresh ?? false);
    });
    on('compare:close', null, () => {
      watchingCompare = false;
    });
    on('sideterm:open', SideOpenRequest, (req, s) => {
      started(s);
      return sideTerminals().openTerminal(req.target, { cols: req.cols, rows: req.rows });
    });
    on('sideterm:input', SideInput, (req, s) => {
      started(s);
      sides?.input(req.target, req.data);
    });
    on('sideterm:resize', SideResize, (req, s) => {
      started(s);
      sides?.resize(req.target, { cols: req.cols, rows: req.rows });
    });
    on('sideterm:ack', SideAck, (req, s) => {
      started(s);
      sides?.ack(req.target, req.bytes);
    });
    on('sideterm:close', SideClose, (req, s) => {
      started(s);
      sides?.close(req.target);
      return null;
    });
    on('diagnose:run', DiagnoseRequest, (req, s) => started(s).diagnose(req.command));
  });

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
      for (const s of sessions.values()) s.dispose();
      sessions.clear();
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

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Host header check against DNS rebinding: the page is only served under names we expect. */
export function hostAllowed(hostHeader: string | undefined, extra: string[] = []): boolean {
  if (!hostHeader) return true; // HTTP/1.0 clients and tools without Host; browsers always send it
  const name = hostHeader.replace(/:\d+$/, '').toLowerCase();
  return LOOPBACK_NAMES.includes(name) || name.startsWith('127.') || extra.map((h) => h.toLowerCase()).includes(name);
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
