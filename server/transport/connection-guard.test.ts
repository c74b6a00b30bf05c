// The guard against a fake engine.io server: requests go through its middleware, connections
// through its "connection" event, and what it answers is read off the stand-in response.
import { EventEmitter } from 'node:events';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CONNECTION_KEY_COOKIE, ConnectionGuard, cookieValue, type GuardedEngine } from './connection-guard.js';

type Middleware = Parameters<GuardedEngine['use']>[0];

function fakeEngine() {
  let middleware: Middleware | undefined;
  const connections = new EventEmitter();
  const engine: GuardedEngine = {
    use: (m) => void (middleware = m),
    on: (_event, listener) => void connections.on('connection', listener),
  };
  /** One polling request: whether it went through, its status and Set-Cookie otherwise. */
  const request = (url: string, headers: Record<string, string> = {}, address = '10.0.0.1') => {
    const req = { url, headers: { host: '127.0.0.1:7681', ...headers }, socket: { remoteAddress: address } } as unknown as IncomingMessage;
    const out = { passed: false, status: 0, setCookie: undefined as string | undefined, body: '' };
    // A polling request's real response type, its writes recorded.
    const res = Object.assign(Object.create(ServerResponse.prototype) as ServerResponse, {
      setHeader: (name: string, value: string) => void (name === 'Set-Cookie' && (out.setCookie = value)),
      writeHead: (status: number) => void (out.status = status),
      end: (body: string) => void (out.body = body),
    });
    middleware!(req, res, () => void (out.passed = true));
    return { req, ...out };
  };
  /** engine.io made a connection of the handshake REQ, with id SID; returns its close. */
  const connect = (req: IncomingMessage, sid: string) => {
    const socket = Object.assign(new EventEmitter(), { id: sid, request: req, close: () => socket.emit('close') });
    connections.emit('connection', socket);
    return () => socket.emit('close');
  };
  return { engine, request, connect };
}

function guarded(maxRawPerAddress = 10) {
  const f = fakeEngine();
  new ConnectionGuard({ path: '/socket.io', allowedHosts: [], maxRawPerAddress }).attach(f.engine);
  return f;
}

const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';

describe('ConnectionGuard', () => {
  it('gives a handshake a key, and lets a request continue the connection only with that key', () => {
    const f = guarded();
    const hs = f.request(HANDSHAKE);
    expect(hs.passed).toBe(true);
    expect(hs.setCookie).toMatch(new RegExp(`^${CONNECTION_KEY_COOKIE}=[A-Za-z0-9_-]{43}; Path=/socket.io; HttpOnly; SameSite=Strict$`));
    const cookie = hs.setCookie!.split(';')[0]!;
    f.connect(hs.req, 'sid1');
    expect(f.request(`${HANDSHAKE}&sid=sid1`, { cookie }).passed).toBe(true);
    expect(f.request(`${HANDSHAKE}&sid=sid1`, { cookie: `other=1; ${cookie}` }).passed).toBe(true);
    const wrong: Record<string, string>[] = [{}, { cookie: `${CONNECTION_KEY_COOKIE}=${'A'.repeat(43)}` }, { cookie: `${cookie}; ${cookie}` }];
    for (const headers of wrong) {
      const r = f.request(`${HANDSHAKE}&sid=sid1`, headers);
      expect(r).toMatchObject({ passed: false, status: 403 });
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, code: 'forbidden' });
    }
  });

  it('reuses the key a browser already has (its tabs share it), and forgets a connection once closed', () => {
    const f = guarded();
    const first = f.request(HANDSHAKE);
    const cookie = first.setCookie!.split(';')[0]!;
    const second = f.request(HANDSHAKE, { cookie });
    expect(second).toMatchObject({ passed: true, setCookie: undefined });
    const close = f.connect(second.req, 'sid2');
    expect(f.request(`${HANDSHAKE}&sid=sid2`, { cookie }).passed).toBe(true);
    close();
    expect(f.request(`${HANDSHAKE}&sid=sid2`, { cookie }).status).toBe(403);
  });

  it('checks Origin and Host on every request, and refuses an id given twice', () => {
    const f = guarded();
    expect(f.request(HANDSHAKE, { origin: 'http://evil.example' }).status).toBe(403);
    expect(f.request(HANDSHAKE, { origin: 'http://127.0.0.1:7681' }).passed).toBe(true);
    expect(f.request(HANDSHAKE, { host: 'evil.example' }).status).toBe(421);
    expect(f.request(`${HANDSHAKE}&sid=a&sid=b`).status).toBe(400);
  });

  it('bounds the connections of one address, not of the others', () => {
    const f = guarded(2);
    for (const sid of ['a', 'b']) f.connect(f.request(HANDSHAKE).req, sid);
    expect(f.request(HANDSHAKE).status).toBe(429);
    expect(f.request(HANDSHAKE, {}, '10.0.0.2').passed).toBe(true);
  });
});

describe('cookieValue', () => {
  it.each([
    [undefined, undefined],
    ['a=1', '1'],
    ['b=2; a=1', '1'],
    ['a=1; a=2', undefined],
    ['ab=1', undefined],
  ])('%j → %j', (header, value) => expect(cookieValue(header, 'a')).toBe(value));
});
