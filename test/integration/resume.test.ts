// Sessions that survive a dropped connection (session/resumable.ts): the socket is cut, and a new
// connection with the resume token gets the same shell back (same PID, as the host sees it),
// at its new size, with its screen and what was typed on the command line; after the grace the
// shell is gone from the host and a new session gets a fresh one with the learner's progress.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionInfo, SessionResumed } from '../../common/protocol.js';
import { LabClient } from '../helpers/lab.js';
import { useLab } from '../helpers/use-lab.js';

const GRACE_MS = 3_000;
const lab = useLab({ mode: 'workshop', resumeGraceMs: GRACE_MS });
const clients: LabClient[] = [];

async function connect(): Promise<LabClient> {
  const client = new LabClient(lab.url, lab.token);
  clients.push(client);
  await client.connected();
  return client;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

afterEach(() => {
  while (clients.length) clients.pop()!.close();
});

describe('a dropped connection', () => {
  it('re-attaches to the same shell with its screen, its size and the half-typed line', async () => {
    const learnerId = randomUUID();
    const first = await connect();
    const started = await first.request<SessionInfo>('session:start', { cols: 80, rows: 24, learnerId });
    if (!started.ok) throw new Error(started.message);
    expect(started.data.resume.graceSeconds).toBe(GRACE_MS / 1000);
    await first.waitForText(/[#$] $/);
    const pid = Number((await first.run('echo $$')).trim());
    await first.run('echo before-the-drop');
    const hostPid = first.readies.at(-1)!.pid;
    first.type('echo typed-before');
    await first.waitForText(/echo typed-before$/);
    first.close(); // the socket is cut, as a Wi-Fi change cuts it

    await new Promise((r) => setTimeout(r, GRACE_MS / 3));
    expect(alive(hostPid)).toBe(true);
    const second = await connect();
    const resumed = await second.request<SessionResumed>('session:resume', { token: started.data.resume.token, cols: 100, rows: 30 });
    if (!resumed.ok) throw new Error(resumed.message);
    expect(resumed.data.shellPid).toBe(hostPid);
    expect(resumed.data.sessionId).toBe(started.data.sessionId);
    expect(resumed.data.resume.token).not.toBe(started.data.resume.token);
    // The screen comes first: a full reset, then what the terminal showed, the half-typed line included.
    await second.waitForText(/^\x1bc[\s\S]*before-the-drop[\s\S]*echo typed-before/);
    second.type('\r');
    await second.waitForText(/\ntyped-before\r?\n/);
    expect(Number((await second.run('echo $$')).trim())).toBe(pid);
    expect((await second.run('stty size')).trim()).toBe('30 100');
    // The spent token re-attaches nothing.
    const third = await connect();
    expect(await third.request('session:resume', { token: started.data.resume.token, cols: 80, rows: 24 })).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('after the grace, ends the shell; the learner starts afresh with their progress', async () => {
    const learnerId = randomUUID();
    const first = await connect();
    const started = await first.request<SessionInfo>('session:start', { cols: 80, rows: 24, learnerId, lessonId: '02-pid-namespace' });
    if (!started.ok) throw new Error(started.message);
    await first.waitForText(/[#$] $/);
    const hostPid = first.readies.at(-1)!.pid;
    expect(await first.request('lesson:open', { lessonId: '02-pid-namespace' })).toMatchObject({ ok: true });
    first.close();
    await first.waitFor(() => (alive(hostPid) ? undefined : true), 'the shell to end after the grace', GRACE_MS + 5_000);

    const second = await connect();
    expect(await second.request('session:resume', { token: started.data.resume.token, cols: 80, rows: 24 })).toMatchObject({ ok: false, code: 'not_found' });
    const fresh = await second.request<SessionInfo>('session:start', { cols: 80, rows: 24, learnerId });
    if (!fresh.ok) throw new Error(fresh.message);
    expect(fresh.data.progress.lastLesson).toBe('02-pid-namespace');
    await second.waitFor(() => second.readies.at(-1), 'a fresh shell');
    expect(second.readies.at(-1)!.pid).not.toBe(hostPid);
  });

  it('a shell that ended while the page was away: the page hears how, and the session goes on', async () => {
    const first = await connect();
    const started = await first.request<SessionInfo>('session:start', { cols: 80, rows: 24 });
    if (!started.ok) throw new Error(started.message);
    await first.waitForText(/[#$] $/);
    const hostPid = first.readies.at(-1)!.pid;
    first.type('exit 3\r');
    await first.waitFor(() => (alive(hostPid) ? undefined : true), 'the shell to exit');
    first.close();
    const second = await connect();
    const resumed = await second.request<SessionResumed>('session:resume', { token: started.data.resume.token, cols: 80, rows: 24 });
    expect(resumed).toMatchObject({ ok: true, data: { shellPid: null, ready: null, exitCode: 3 } });
    // A switch starts a new shell in the same session, as after any exit.
    expect(await second.request('sandbox:toggle', { toggle: 'uts', on: true })).toMatchObject({ ok: true });
    await second.waitFor(() => second.readies.at(-1), 'a new shell');
  });

  it('a page whose drop the server has not noticed loses the session to the one with the token', async () => {
    const first = await connect();
    const started = await first.request<SessionInfo>('session:start', { cols: 80, rows: 24 });
    if (!started.ok) throw new Error(started.message);
    await first.waitForText(/[#$] $/);
    const lost = new Promise<string>((resolve) => first.socket.once('disconnect', resolve));
    const second = await connect();
    const resumed = await second.request<SessionResumed>('session:resume', { token: started.data.resume.token, cols: 80, rows: 24 });
    expect(resumed).toMatchObject({ ok: true, data: { shellPid: first.readies.at(-1)!.pid } });
    expect(await lost).toBe('io server disconnect');
    expect((await second.run('echo still-mine')).trim()).toBe('still-mine');
  });
});
