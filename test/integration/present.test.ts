// Presenter mode's server side, through the real socket and launcher: scripted demos (reset to a
// step with its settings and setup), a recording read back with Debian's asciinema, the audience's
// live view, and the host terminal a solo lab gives its speaker and a workshop server refuses.
// Asserted from the shell's side (what it prints), the file's (asciinema cat) and the host's.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as nodePty from 'node-pty';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoSummary, DemoView } from '../../common/demo.js';
import type { Recording, ShareInfo } from '../../common/present.js';
import type { SessionInfo, SideOpened } from '../../common/protocol.js';
import type { ContainerSpec } from '../../common/spec.js';
import type { WatchClientEvents, WatchServerEvents } from '../../common/watch.js';
import { parseAsciicast } from '../../common/asciicast.js';
import { descendantsOf, listProcesses } from '../../server/observe/proc.js';
import { LabClient, startLab, type RunningLab } from '../helpers/lab.js';

const scratch = mkdtempSync(join(tmpdir(), 'isolab-present-'));
const STAGED = `/tmp/isolab-staged-${process.pid}`;
let lab: RunningLab;
const clients: LabClient[] = [];

async function presenter(of: RunningLab = lab): Promise<LabClient> {
  const client = new LabClient(of.url, of.token);
  clients.push(client);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 100, rows: 30 });
  if (!reply.ok) throw new Error(`session:start failed: ${reply.message}`);
  await client.waitForText(/[#$] $/);
  return client;
}

/**
 * `asciinema cat FILE`, its standard output as bytes. asciinema opens /dev/tty, which a CI run has
 * none of: it runs on a pty of its own, with its output to a file (no tty processing on the bytes).
 */
async function asciinemaCat(file: string): Promise<Buffer> {
  const out = `${file}.out`;
  const pty = nodePty.spawn('/bin/sh', ['-c', 'exec asciinema cat "$1" > "$2"', 'sh', file, out], { cols: 80, rows: 24, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: scratch } });
  let said = '';
  pty.onData((d) => (said += d));
  const code = await new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  if (code !== 0) throw new Error(`asciinema cat exited ${code}: ${said}`);
  return readFileSync(out);
}

const quiet = (client: LabClient, ms = 150) =>
  new Promise<void>((resolve) => {
    let last = client.text.length;
    const tick = setInterval(() => {
      if (client.text.length === last) {
        clearInterval(tick);
        resolve();
      }
      last = client.text.length;
    }, ms);
  });

beforeAll(async () => {
  writeFileSync(
    join(scratch, 'stage.yaml'),
    [
      'title: Stage',
      'summary: Two steps, the second set up before it is shown.',
      'minutes: 2',
      'steps:',
      '  - { id: plain, title: A plain process, commands: [hostname] }',
      `  - { id: own-root, title: Its own root, settings: { namespaces: { mount: true, uts: true }, hostname: stage, rootfs: true }, setup: "echo staged > ${STAGED}", commands: ["cat ${STAGED}"] }`,
    ].join('\n'),
  );
  lab = await startLab({ demos: scratch, audience: true });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await lab.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('scripted demos', () => {
  it('lists and opens a demo, and resets to a step: its settings in a fresh shell, its setup run inside it', async () => {
    const client = await presenter();
    const list = await client.request<DemoSummary[]>('demo:list');
    expect(list).toEqual({ ok: true, data: [{ id: 'stage', title: 'Stage', summary: expect.any(String), minutes: 2, steps: 2 }] });
    const open = await client.request<DemoView>('demo:open', { demoId: 'stage' });
    if (!open.ok) throw new Error(open.message);
    expect(open.data.steps.map((s) => s.hasSetup)).toEqual([false, true]);
    const readies = client.readies.length;
    const reset = await client.request<{ spec: ContainerSpec }>('demo:reset', { demoId: 'stage', step: 1 });
    if (!reset.ok) throw new Error(reset.message);
    expect(reset.data.spec).toMatchObject({ rootfs: true, hostname: 'stage' });
    expect(client.readies.length).toBe(readies + 1);
    await client.waitForText(/Step 2: Its own root/);
    // Inside: the setup's file is there; outside: it went to the container's own root, not the host's /tmp.
    expect((await client.run(`cat ${STAGED}; hostname`)).trim().split(/\r?\n/)).toEqual(['staged', 'stage']);
    expect(existsSync(STAGED)).toBe(false);
    // A reset to the same step is a fresh shell again, with the setup again.
    await client.request('demo:reset', { demoId: 'stage', step: 1 });
    expect(client.readies.length).toBe(readies + 2);
  });

  it('refuses an unknown demo, a step past the end and a malformed request, keeping the shell', async () => {
    const client = await presenter();
    const pid = client.readies.at(-1)!.pid;
    expect(await client.request('demo:open', { demoId: 'nope' })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await client.request('demo:reset', { demoId: 'stage', step: 7 })).toMatchObject({ ok: false, code: 'not_found', message: expect.stringMatching(/has 2 steps/) });
    expect(await client.request('demo:reset', { demoId: 'Stage!', step: -1 })).toMatchObject({ ok: false, code: 'bad_request' });
    expect(client.readies.at(-1)!.pid).toBe(pid);
    expect((await client.run('echo still here')).trim()).toBe('still here');
  });
});

describe('recording', () => {
  it('records what the terminal received, with markers, as a file asciinema plays back byte for byte', async () => {
    const client = await presenter();
    await quiet(client);
    let received = Buffer.alloc(0);
    const take = (data: ArrayBuffer | Uint8Array) => (received = Buffer.concat([received, Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data))]));
    const started = await client.request<{ maxBytes: number }>('record:start', { input: true });
    expect(started).toMatchObject({ ok: true, data: { maxBytes: 8 * 1024 * 1024, input: true } });
    client.socket.on('term:output', take);
    await client.run('echo recorded-µ-line');
    expect(await client.request('record:marker', { label: 'a chapter' })).toEqual({ ok: true, data: null });
    expect(await client.request('demo:step', { demoId: 'stage', step: 0 })).toEqual({ ok: true, data: null });
    await client.request('demo:reset', { demoId: 'stage', step: 1 });
    await client.waitForText(/[#$] $/, { from: client.text.lastIndexOf('Step 2') });
    await quiet(client);
    const stopped = await client.request<Recording>('record:stop');
    client.socket.off('term:output', take);
    if (!stopped.ok) throw new Error(stopped.message);
    const cast = parseAsciicast(stopped.data.cast);
    if (!cast.ok) throw new Error(cast.error);
    expect(cast.header).toMatchObject({ version: 2, width: 100, height: 30 });
    const markers = cast.events.filter((e) => e[1] === 'm').map((e) => e[2]);
    expect(markers).toEqual(['a chapter', 'Step 1: A plain process', expect.stringMatching(/^Step 2: Its own root · .*a fresh shell \(new shell\)$/)]);
    expect(cast.events.some((e) => e[1] === 'i' && e[2].includes('recorded-µ-line'))).toBe(true);
    // The real client: asciinema cat writes the output events, which are the bytes the page got.
    const file = join(scratch, 'session.cast');
    writeFileSync(file, stopped.data.cast);
    const replayed = await asciinemaCat(file);
    expect(replayed.equals(received)).toBe(true);
    expect(replayed.toString()).toContain('recorded-µ-line');
    expect(await client.request('record:stop')).toMatchObject({ ok: false, code: 'bad_request' });
  });
});

describe('the audience', () => {
  it('shares the terminal under a code: a viewer sees the screen, then what is typed, until sharing stops', async () => {
    const client = await presenter();
    await client.run('echo before-sharing');
    const share = await client.request<ShareInfo>('share:start');
    if (!share.ok) throw new Error(share.message);
    expect(share.data.code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
    expect(share.data.urls).toEqual([`${lab.audienceUrls[0]}/w/${share.data.code}`]);
    const viewer = connect(`${lab.audienceUrls[0]}/watch`, { auth: { code: share.data.code }, transports: ['websocket'], reconnection: false }) as unknown as import('socket.io-client').Socket<WatchServerEvents, WatchClientEvents>;
    let seen = '';
    const screen = new Promise<string>((resolve) => viewer.on('watch:screen', (s) => resolve(s.data)));
    viewer.on('watch:output', (d) => (seen += Buffer.from(d instanceof Uint8Array ? d : new Uint8Array(d)).toString()));
    expect(await screen).toContain('before-sharing');
    await client.run('echo to-the-room');
    for (let i = 0; i < 100 && !seen.includes('to-the-room'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toContain('to-the-room');
    const ended = new Promise<string>((resolve) => viewer.on('watch:ended', (e) => resolve(e.message)));
    expect(await client.request('share:stop')).toEqual({ ok: true, data: null });
    expect(await ended).toMatch(/stopped sharing/);
    viewer.close();
  });
});

describe('the host terminal', () => {
  const hostOutput = (client: LabClient) => {
    let text = '';
    client.socket.on('sideterm:output', ({ target, data }) => {
      if (target === 'host') text += Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data)).toString();
    });
    return () => text;
  };

  it("a solo lab gives its speaker a shell on the host, beside the container's", async () => {
    const client = await presenter();
    const text = hostOutput(client);
    const opened = await client.request<SideOpened>('sideterm:open', { target: 'host', cols: 80, rows: 24 });
    expect(opened).toMatchObject({ ok: true, data: { target: 'host' } });
    client.socket.emit('sideterm:input', { target: 'host', data: 'echo "on $(hostname)"\r' });
    for (let i = 0; i < 100 && !text().includes(`on ${hostname()}`); i++) await new Promise((r) => setTimeout(r, 20));
    expect(text()).toContain(`on ${hostname()}`);
    expect(await client.request('sideterm:close', { target: 'host' })).toMatchObject({ ok: true });
  });

  it('a workshop server refuses it, and starts nothing on the host', async () => {
    const workshop = await startLab({ mode: 'workshop' });
    try {
      const client = await presenter(workshop);
      const before = descendantsOf(process.pid, await listProcesses()).filter((p) => p.comm === 'bash' || p.comm === 'sh').length;
      expect(await client.request('sideterm:open', { target: 'host', cols: 80, rows: 24 })).toMatchObject({ ok: false, code: 'forbidden' });
      const after = descendantsOf(process.pid, await listProcesses()).filter((p) => p.comm === 'bash' || p.comm === 'sh').length;
      expect(after).toBe(before);
    } finally {
      await workshop.close();
    }
  });
});
