// Connection.on is the one way an event reaches a handler: these drive it through a stand-in
// socket (the events socket.io would deliver) and read what goes back.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import type { Ack, SideResize } from '../../common/protocol.js';
import { LabError } from '../base/errors.js';
import { Connection, type LabSocket } from './connection.js';

/** A socket as socket.io hands it over: listeners in, emits recorded. */
function fakeSocket() {
  const incoming = new EventEmitter();
  const emitted: [string, unknown][] = [];
  /** The WebSocket under it: whether reading it is paused. */
  const ws = { paused: false, pause: () => void (ws.paused = true), resume: () => void (ws.paused = false) };
  const socket = {
    conn: { transport: { name: 'websocket', socket: ws } },
    on: (e: string, l: (...a: unknown[]) => void) => incoming.on(e, l),
    once: (e: string, l: (...a: unknown[]) => void) => incoming.once(e, l),
    emit: (e: string, payload: unknown) => emitted.push([e, payload]),
  } as unknown as LabSocket;
  /** Sends EVENT with ARGS and an ack; resolves with the reply. */
  const request = (event: string, ...args: unknown[]) => new Promise<Ack<unknown>>((resolve) => incoming.emit(event, ...args, resolve));
  const send = (event: string, ...args: unknown[]) => incoming.emit(event, ...args);
  return { socket, ws, emitted, request, send, disconnect: () => incoming.emit('disconnect') };
}

afterEach(() => vi.restoreAllMocks());

describe('Connection.on', () => {
  it('hands the handler the parsed payload and acks its result', async () => {
    const s = fakeSocket();
    const conn = new Connection(s.socket, undefined);
    const seen: unknown[] = [];
    conn.on('lesson:open', (req) => {
      seen.push(req);
      throw new LabError('not_found', `no lesson "${req.lessonId}"`);
    });
    conn.on('sideterm:close', (req) => (seen.push(req), null));
    expect(await s.request('sideterm:close', { target: 'vm' })).toEqual({ ok: true, data: null });
    expect(await s.request('lesson:open', { lessonId: '01-uts-namespace' })).toEqual({ ok: false, code: 'not_found', message: 'no lesson "01-uts-namespace"' });
    expect(seen).toEqual([{ target: 'vm' }, { lessonId: '01-uts-namespace' }]);
  });

  it('refuses a payload its schema does not accept, naming the fields, before any handler runs', async () => {
    const s = fakeSocket();
    const conn = new Connection(s.socket, undefined);
    const handler = vi.fn();
    conn.on('sideterm:input', handler);
    conn.on('inspector:refresh', handler);
    const reply = await s.request('sideterm:input', { target: 'vm', cols: 80, rows: 24 });
    expect(reply).toMatchObject({ ok: false, code: 'bad_request', issues: expect.arrayContaining([expect.objectContaining({ path: ['data'] })]) });
    expect(await s.request('inspector:refresh', { extra: 1 })).toMatchObject({ ok: false, code: 'bad_request', message: 'inspector:refresh takes no payload' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('sends an unexpected error as "internal" (logged, not shown), and without an ack as session:error', async () => {
    const s = fakeSocket();
    const conn = new Connection(s.socket, undefined);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    conn.on('export:get', () => {
      throw new Error('ENOENT /secret/path');
    });
    conn.on('term:input', () => {
      throw new Error('EIO');
    });
    expect(await s.request('export:get')).toEqual({ ok: false, code: 'internal', message: 'internal error (logged on the server)' });
    s.send('term:input', 'ls\r');
    await new Promise((r) => setTimeout(r, 0));
    expect(s.emitted).toEqual([['session:error', { code: 'internal', message: 'internal error (logged on the server)', event: 'term:input' }]]);
    expect(logged).toHaveBeenCalledTimes(2);
  });

  it('drops events past 500 a second with rate_limited, and stops reading the socket until the second ends', async () => {
    vi.useFakeTimers();
    try {
      const s = fakeSocket();
      const conn = new Connection(s.socket, undefined);
      let handled = 0;
      conn.on('term:ack', () => void handled++);
      for (let i = 0; i < 501; i++) s.send('term:ack', { bytes: 1 });
      await vi.advanceTimersByTimeAsync(0);
      expect(handled).toBe(500);
      expect(s.emitted).toEqual([['session:error', { code: 'rate_limited', message: 'too many messages; slow down', event: 'term:ack' }]]);
      expect(s.ws.paused).toBe(true);
      await vi.advanceTimersByTimeAsync(1000);
      expect(s.ws.paused).toBe(false);
      s.send('term:ack', { bytes: 1 });
      await vi.advanceTimersByTimeAsync(0);
      expect(handled).toBe(501);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses an expensive event while two of its kind are unanswered, and takes one again once answered', async () => {
    const s = fakeSocket();
    const conn = new Connection(s.socket, undefined);
    const answers: (() => void)[] = [];
    conn.on('inspector:refresh', () => new Promise((resolve) => answers.push(() => resolve({} as never))));
    const first = s.request('inspector:refresh');
    const second = s.request('inspector:refresh');
    expect(await s.request('inspector:refresh')).toMatchObject({ ok: false, code: 'rate_limited', message: 'inspector:refresh: the answer to your last one is on its way; wait for it' });
    await new Promise((r) => setTimeout(r, 0));
    answers.shift()!();
    expect(await first).toMatchObject({ ok: true });
    const third = s.request('inspector:refresh');
    await new Promise((r) => setTimeout(r, 0));
    for (const answer of answers.splice(0)) answer();
    expect(await second).toMatchObject({ ok: true });
    expect(await third).toMatchObject({ ok: true });
  });

  it('answers not_started before session:start, and not_found for the comparison on a server without it', async () => {
    const s = fakeSocket();
    const conn = new Connection(s.socket, undefined);
    conn.on('term:resize', (size, c) => c.started().resize(size));
    conn.on('compare:open', () => conn.comparison().open(false));
    expect(await s.request('term:resize', { cols: 80, rows: 24 })).toMatchObject({ ok: false, code: 'not_started' });
    expect(await s.request('compare:open', {})).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('releases what the socket holds when the browser goes', () => {
    const s = fakeSocket();
    const conn = new Connection(s.socket, undefined);
    const released: string[] = [];
    conn.onClose(() => released.push('session'));
    const early = conn.onClose(() => released.push('early'));
    conn.release(early);
    s.disconnect();
    expect(released).toEqual(['early', 'session']);
  });

  it('types each handler by its event', () => {
    const conn = new Connection(fakeSocket().socket, undefined);
    // @ts-expect-error sideterm:input carries { target, data }, not SideResize's { target, cols, rows }
    conn.on('sideterm:input', (req: z.infer<typeof SideResize>) => void req.cols);
    // @ts-expect-error export:get replies with an ExportView
    conn.on('export:get', () => 'docker run');
    expect(conn.session).toBeUndefined();
  });
});
