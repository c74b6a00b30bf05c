// The escape suite's transport category: a real `isolab serve --mode workshop` attacked from the
// outside with raw HTTP and WebSocket clients, asserting from the host side (what the server
// answers, what reached the victim's shell, whether other learners go on).
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Ack, InspectorView, SessionInfo } from '../../../common/protocol.js';
import type { JobStart } from '../../../server/base/fair-queue.js';
import { MAX_EVENTS_PER_SECOND } from '../../../server/transport/connection.js';
import { LabClient } from '../../helpers/lab.js';
import { useLab } from '../../helpers/use-lab.js';

const clients: LabClient[] = [];
afterEach(() => {
  while (clients.length) clients.pop()!.close();
});

async function learner(url: string, token: string, opts: { polling?: boolean } = {}): Promise<LabClient> {
  const client = new LabClient(url, token, opts);
  clients.push(client);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 100, rows: 30 });
  if (!reply.ok) throw new Error(`session:start failed: ${reply.message}`);
  await client.waitForText(/[#$] $/);
  return client;
}

/** The engine.io id of a client's connection: what a log or a proxy could leak. */
function engineId(client: LabClient): string {
  const id = (client.socket.io.engine as unknown as { id: string | null }).id;
  if (!id) throw new Error('no engine.io id yet');
  return id;
}

/** What a raw WebSocket upgrade got: the HTTP status of a refusal, or "open" (then it is closed at once). */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number | 'open'; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 'open', body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}

/** A raw HTTP request: its status, headers and body. */
function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end(opts.body);
  });
}

/** A handshake of the attacker's own (it passes: anyone may open a connection), with the key it was given. */
async function attackerHandshake(base: string): Promise<{ sid: string; cookie: string }> {
  const res = await http(`${base}/socket.io/?EIO=4&transport=polling`);
  expect(res.status).toBe(200);
  const sid = (JSON.parse(res.body.slice(1)) as { sid: string }).sid;
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith('isolab_conn='));
  expect(cookie, 'the handshake hands out a connection key').toBeDefined();
  return { sid, cookie: cookie! };
}

describe('transport: a connection cannot be taken over by its engine.io id', () => {
  const lab = useLab({ mode: 'workshop' });

  it('refuses every request that names the victim\'s id without the victim\'s key; the victim keeps shell, output and connection', async () => {
    const victim = await learner(lab.url, lab.token, { polling: true });
    // The victim started on polling and upgraded with its key: its own second request works.
    await victim.waitFor(() => (victim.socket.io.engine.transport.name === 'websocket' ? true : undefined), 'the victim\'s upgrade to WebSocket');
    const sid = engineId(victim);
    const shellPid = victim.readies.at(-1)!.pid;
    const base = lab.url;
    const wsUrl = `${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`;
    const pollUrl = `${base}/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
    const own = await attackerHandshake(base);

    // Each attempt, and the refusal it must get (400: a query engine.io would read as two ids).
    const attempts: [string, Promise<{ status: number | 'open' }>, number?][] = [
      ['upgrade from another origin, no key', upgrade(wsUrl, { Origin: 'http://evil.example' })],
      ['upgrade with no Origin and no key', upgrade(wsUrl, {})],
      ['upgrade with the attacker\'s own key', upgrade(wsUrl, { Cookie: own.cookie })],
      ['upgrade with a forged key', upgrade(wsUrl, { Cookie: `isolab_conn=${'A'.repeat(43)}` })],
      ['upgrade with the right origin and the token in the query', upgrade(`${wsUrl}&token=${lab.token}`, { Origin: base })],
      ['upgrade with the id given twice', upgrade(`${wsUrl}&sid=${encodeURIComponent(own.sid)}`, { Cookie: own.cookie }), 400],
      ['polling read of the victim\'s output', http(pollUrl, { headers: { Cookie: own.cookie } })],
      ['polling write into the victim\'s shell', http(pollUrl, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: '42["term:input","echo TAKEN-OVER\\r"]' })],
      ['polling close of the victim\'s connection', http(pollUrl, { method: 'POST', headers: { Origin: 'http://evil.example' }, body: '1' })],
    ];
    for (const [what, attempt, refusal] of attempts) expect.soft((await attempt).status, what).toBe(refusal ?? 403);

    // Nothing of the attacker's reached the shell, and the victim's connection is the same one.
    expect(engineId(victim)).toBe(sid);
    expect(victim.socket.connected).toBe(true);
    expect(await victim.run('echo still-$((40+2))')).toBe('still-42\n');
    expect(victim.text).not.toContain('TAKEN-OVER');
    expect(victim.readies.at(-1)!.pid).toBe(shellPid);
  });

  it('a refused request from another origin is refused before any handshake, and the page\'s own origin is not', async () => {
    const url = `${lab.url}/socket.io/?EIO=4&transport=polling`;
    expect((await http(url, { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await upgrade(`${lab.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await http(url, { headers: { Origin: lab.url } })).status).toBe(200);
  });

  it('the victim\'s own reconnect (same browser, same key) works and gets a shell', async () => {
    const victim = await learner(lab.url, lab.token, { polling: true });
    const first = engineId(victim);
    victim.socket.disconnect();
    victim.socket.connect();
    await victim.connected();
    expect(engineId(victim)).not.toBe(first);
    const reply = await victim.request<SessionInfo>('session:start', { cols: 80, rows: 24 });
    expect(reply.ok).toBe(true);
    await victim.waitFor(() => (victim.readies.length >= 2 ? true : undefined), 'the reconnected shell');
    expect(await victim.run('echo back')).toBe('back\n');
  });
});

describe('transport: one learner\'s flood of expensive events slows only that learner', () => {
  const lab = useLab({ mode: 'workshop' });

  it('2,000 inspector:refresh from one socket run a few probes after its own work, and another learner\'s refresh does not wait behind them', async () => {
    const flooder = await learner(lab.url, lab.token);
    const neighbour = await learner(lab.url, lab.token);
    const starts: JobStart[] = [];
    const stopObserving = lab.session.expensive.observe((s) => starts.push(s));
    try {
      // The flooder's lane is busy with work of its own (a diagnosis of a command that takes a
      // while), so its refreshes must wait for it; the neighbour's must not.
      const diagnosis = flooder.request('diagnose:run', { command: 'sleep 2' });
      const flooderLane = (await flooder.waitFor(() => starts.find((s) => s.key === undefined), 'the diagnosis to start')).lane;
      const order: string[] = [];
      const floodReplies: Promise<Ack<unknown>>[] = [];
      for (let i = 0; i < 2000; i++) floodReplies.push(flooder.request('inspector:refresh').then((r) => (order.push(r.ok ? 'flood' : `flood:${r.code}`), r)));
      const neighbourReply = await neighbour.request<InspectorView>('inspector:refresh');
      order.push('neighbour');
      expect(neighbourReply.ok).toBe(true);
      const replies = await Promise.all(floodReplies);
      await diagnosis;

      // The neighbour's answer came while the flooder still waited for its own diagnosis.
      expect(order.filter((o) => o === 'flood' || o === 'neighbour')[0]).toBe('neighbour');
      // Every flood event was answered, with a view or a clean refusal, never "internal".
      expect(new Set(replies.map((r) => (r.ok ? 'ok' : r.code)))).toEqual(new Set(['ok', 'rate_limited']));
      // The flood's excess was coalesced: the socket is read for at most MAX_EVENTS_PER_SECOND
      // events a second, and each second's burst shares one inspection (or the one waiting).
      const inspections = starts.filter((s) => s.lane === flooderLane && s.key === 'inspect').length;
      expect(inspections).toBeGreaterThanOrEqual(1);
      expect(inspections).toBeLessThanOrEqual(Math.ceil(2000 / MAX_EVENTS_PER_SECOND));
      expect(lab.session.expensive.load.waiting).toBe(0);
    } finally {
      stopObserving();
    }
  });
});
