// The audience's listener: a second HTTP server that offers only the read-only view of what a
// presenter shares (/w/CODE and the /watch socket namespace) and the page's static files. It holds
// no token and can do nothing but watch, so it may listen where the lab itself must not (a solo
// lab stays on loopback; phones in the room reach this one).
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { Server as IoServer, type Socket } from 'socket.io';
import { WatchAck, WatchAuth, type WatchClientEvents, type WatchServerEvents } from '../../common/watch.js';
import type { Viewer } from '../base/terminal-broadcast.js';
import type { AudienceShares } from '../session/audience.js';
import { SlidingWindow } from '../base/rate-window.js';
import { staticFiles } from './static-files.js';
import { ConnectionGuard } from './connection-guard.js';

/** The most viewers one server feeds at once (a large room; each costs a socket and a small buffer). */
export const MAX_VIEWERS = 1000;
/** Connections one address may hold: a whole room can share one NAT address, a flood cannot. */
export const MAX_VIEWERS_PER_ADDRESS = 300;
/** socket.io's path on this listener (the connection key's cookie is scoped to it). */
const WATCH_SOCKET_PATH = '/socket.io';
/** Wrong or expired codes one address may try a minute: a room mistypes a few, a guesser needs millions. */
export const MAX_WRONG_CODES_PER_MINUTE = 30;
/** Past this many addresses with wrong codes on record, the ones quiet for a minute are dropped. */
const MAX_GUESSING_ADDRESSES = 1000;

/** What is shared now, by code (session/audience.ts AudienceShares). */
export type Shares = Pick<AudienceShares, 'broadcast' | 'onEnded'>;

export interface AudienceServer {
  http: HttpServer;
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly viewers: number;
}

type WatchSocket = Socket<WatchClientEvents, WatchServerEvents>;

export function createAudienceServer(deps: { webDir: string; shares: Shares }): AudienceServer {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; font-src 'self' data:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    next();
  });
  const watchPage = join(deps.webDir, 'watch.html');
  app.get('/healthz', (_req, res) => void res.json({ ok: true, viewers: viewerCount }));
  // The short link on the slide: the page reads the code from its own path.
  app.get(/^\/w\/[A-Za-z0-9]{1,16}$/, (_req, res) => {
    if (!existsSync(watchPage)) return void res.status(503).type('text/plain').send('isolab: the page has not been built\n');
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(readFileSync(watchPage));
  });
  app.get('/', (_req, res) => void res.type('text/plain').send('isolab audience view: open the link on the speaker\'s slide (/w/CODE)\n'));
  // Only the page's assets: the lab's own index.html is not this listener's to serve.
  // The page is built with relative links (vite's base './'): at /w/CODE it asks for /w/assets/….
  if (existsSync(deps.webDir)) {
    app.use(express.Router().use(...staticFiles(deps.webDir, /^\/assets\//)));
    app.use('/w', express.Router().use(...staticFiles(deps.webDir, /^\/assets\//)));
  }

  const http = createServer(app);
  // WebSocket only: one long-lived connection per phone, no polling requests from a whole room.
  const io = new IoServer<WatchClientEvents, WatchServerEvents>(http, { path: WATCH_SOCKET_PATH, serveClient: false, transports: ['websocket'], maxHttpBufferSize: 1024 });
  // As the lab's own (transport/connection-guard.ts): Origin on every request, and a viewer's
  // connection continued by nobody who only knows its id.
  new ConnectionGuard({ path: WATCH_SOCKET_PATH, maxRawPerAddress: 2 * MAX_VIEWERS_PER_ADDRESS }).attach(io.engine);
  // Only the watch namespace: the default one answers nothing.
  io.of('/').use((_socket, next) => next(new Error('nothing here: the audience view is /watch')));
  let viewerCount = 0;
  const perAddress = new Map<string, number>();
  const watch = io.of('/watch');
  const wrongCodes = new Map<string, SlidingWindow>();
  watch.use((socket, next) => {
    const address = socket.handshake.address;
    const guesses = wrongCodes.get(address);
    if (guesses && guesses.limitReached()) return next(new Error('too many wrong codes from this address; wait a minute'));
    const auth = WatchAuth.safeParse(socket.handshake.auth);
    const shared = auth.success && deps.shares.broadcast(auth.data.code);
    if (!shared) {
      // Addresses whose last wrong code is a minute old are forgotten: the map stays as big as the guessing.
      if (!guesses && wrongCodes.size >= MAX_GUESSING_ADDRESSES) for (const [a, w] of wrongCodes) if (w.isEmpty()) wrongCodes.delete(a);
      const window = guesses ?? new SlidingWindow(MAX_WRONG_CODES_PER_MINUTE, 60_000);
      wrongCodes.set(address, window);
      window.take();
      return next(new Error(auth.success ? 'nothing is shared under that code (the speaker may have stopped sharing)' : 'that is not a watch code'));
    }
    if (viewerCount >= MAX_VIEWERS || (perAddress.get(address) ?? 0) >= MAX_VIEWERS_PER_ADDRESS) return next(new Error('the audience view is full'));
    next();
  });
  watch.on('connection', (socket: WatchSocket) => {
    const { code } = WatchAuth.parse(socket.handshake.auth);
    const broadcast = deps.shares.broadcast(code);
    if (!broadcast) return void socket.disconnect(true);
    const address = socket.handshake.address;
    viewerCount++;
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    // The viewers who are up to date share a room: live output is one broadcast to it.
    const room = `live:${code}`;
    broadcast.useGroup((data) => watch.to(room).volatile.emit('watch:output', data));
    const viewer: Viewer = {
      send: (frame) => {
        if (frame.kind === 'screen') socket.emit('watch:screen', { cols: frame.cols, rows: frame.rows, data: frame.data });
        else socket.volatile.emit('watch:output', frame.data);
      },
      setLive: (live) => void (live ? socket.join(room) : socket.leave(room)),
    };
    const detach = broadcast.add(viewer);
    const stopEnded = deps.shares.onEnded(code, () => {
      socket.emit('watch:ended', { message: 'the speaker stopped sharing' });
      socket.disconnect(true);
    });
    socket.on('watch:ack', (raw: unknown) => {
      const ack = WatchAck.safeParse(raw);
      if (ack.success) broadcast.ack(viewer, ack.data.bytes);
    });
    socket.on('disconnect', () => {
      detach();
      stopEnded();
      viewerCount--;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });

  return {
    http,
    get viewers() {
      return viewerCount;
    },
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => resolve(http.address() as AddressInfo));
      }),
    close: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
