import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputRelay } from './output-relay.js';
import { ResumableSessions } from './resumable.js';
import type { Session, SessionOutput } from './session.js';

function fakeSession() {
  return { dispose: vi.fn() } as unknown as Session & { dispose: ReturnType<typeof vi.fn> };
}
function holder() {
  return { lose: vi.fn() };
}
function sink() {
  const frames: string[] = [];
  const out = { output: (f: Buffer) => frames.push(f.toString()) } as unknown as SessionOutput;
  return { out, frames };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ResumableSessions', () => {
  it('keeps a detached session for the grace period, then ends it', () => {
    vi.useFakeTimers();
    const sessions = new Map<string, Session>();
    const r = new ResumableSessions(sessions, 5_000);
    const s = fakeSession();
    const page = holder();
    r.add('a', s, new OutputRelay(), page);
    r.detach('a', page);
    vi.advanceTimersByTime(4_999);
    expect(s.dispose).not.toHaveBeenCalled();
    expect(sessions.has('a')).toBe(true);
    expect(r.detachedCount).toBe(1);
    vi.advanceTimersByTime(1);
    expect(s.dispose).toHaveBeenCalledOnce();
    expect(sessions.has('a')).toBe(false);
  });

  it('re-attaches by token within the grace, once per token, and the session then outlives the old timer', () => {
    vi.useFakeTimers();
    const sessions = new Map<string, Session>();
    const r = new ResumableSessions(sessions, 5_000);
    const s = fakeSession();
    const first = holder();
    const token = r.add('a', s, new OutputRelay(), first);
    r.detach('a', first);
    vi.advanceTimersByTime(3_000);
    const second = holder();
    const resumed = r.take(token, second);
    expect(resumed?.session).toBe(s);
    expect(resumed?.token).not.toBe(token);
    // The token presented is spent: a copy of it re-attaches nothing.
    expect(r.take(token, holder())).toBeUndefined();
    vi.advanceTimersByTime(10_000);
    expect(s.dispose).not.toHaveBeenCalled();
    // The first page's late close does not detach the session the second one holds.
    r.detach('a', first);
    vi.advanceTimersByTime(10_000);
    expect(s.dispose).not.toHaveBeenCalled();
  });

  it('takes the session from a holder whose drop was not noticed yet, and tells it', () => {
    const r = new ResumableSessions(new Map(), 5_000);
    const stale = holder();
    const token = r.add('a', fakeSession(), new OutputRelay(), stale);
    r.take(token, holder());
    expect(stale.lose).toHaveBeenCalledOnce();
  });

  it('knows no token it did not grant, nor one of an ended session', () => {
    const r = new ResumableSessions(new Map(), 5_000);
    const page = holder();
    const token = r.add('a', fakeSession(), new OutputRelay(), page);
    expect(r.take('B'.repeat(43), holder())).toBeUndefined();
    r.end('a');
    expect(r.take(token, holder())).toBeUndefined();
  });

  it('ends every session on close', () => {
    const sessions = new Map<string, Session>();
    const r = new ResumableSessions(sessions, 5_000);
    const a = fakeSession();
    const b = fakeSession();
    r.add('a', a, new OutputRelay(), holder());
    r.add('b', b, new OutputRelay(), holder());
    r.close();
    expect(a.dispose).toHaveBeenCalledOnce();
    expect(b.dispose).toHaveBeenCalledOnce();
    expect(sessions.size).toBe(0);
  });
});

describe('OutputRelay', () => {
  it('drops output while detached, and sends a re-attached page its screen before what came meanwhile', () => {
    const relay = new OutputRelay();
    relay.output(Buffer.from('lost'));
    const { out, frames } = sink();
    relay.attach(out);
    relay.output(Buffer.from('after'));
    expect(frames).toEqual([]);
    relay.open(Buffer.from('SCREEN'));
    relay.output(Buffer.from('live'));
    expect(frames).toEqual(['SCREEN', 'after', 'live']);
    relay.detach();
    relay.output(Buffer.from('gone'));
    expect(frames).toHaveLength(3);
  });
});

describe('OutputRelay, for a page that re-attaches', () => {
  it('remembers the running shell, or how the last one ended, even while detached', () => {
    const relay = new OutputRelay();
    const ready = { pid: 7 } as Parameters<SessionOutput['ready']>[0];
    relay.ready(ready);
    expect(relay.shellReady).toBe(ready);
    expect(relay.shellExitCode).toBeNull();
    relay.exit({ code: 130 });
    expect(relay.shellReady).toBeNull();
    expect(relay.shellExitCode).toBe(130);
    relay.ready(ready);
    expect(relay.shellExitCode).toBeNull();
  });
});
