// The escape suite's transport category: a real `isolab serve --mode workshop` attacked from the
// outside with raw HTTP and WebSocket clients, asserting from the host side (what the server
// answers, what reached the victim's shell, whether other learners go on).
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLIENT_EVENT_SCHEMAS, type ClientEvent } from '../../../common/client-events.js';
import { ERROR_CODES, type Ack, type InspectorView, type SessionInfo } from '../../../common/protocol.js';
import type { JobStart } from '../../../server/base/fair-queue.js';
import { MAX_EVENTS_PER_SECOND } from '../../../server/transport/connection.js';
import { clientEventSamples } from '../../../common/client-event-samples.js';
import { Rng, fuzzSeed, mutate, randomString, randomValue } from '../../helpers/fuzz.js';
import { LabClient } from '../../helpers/lab.js';
import { useLab } from '../../helpers/use-lab.js';

const clients: LabClient[] = [];
afterEach(() => {
  while (clients.length) clients.pop()!.close();
});

/** What session:start told each learner. */
const sessionInfos = new WeakMap<LabClient, SessionInfo>();

async function learner(url: string, token: string, opts: { polling?: boolean } = {}): Promise<LabClient> {
  const client = new LabClient(url, token, opts);
  clients.push(client);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 100, rows: 30 });
  if (!reply.ok) throw new Error(`session:start failed: ${reply.message}`);
  sessionInfos.set(client, reply.data);
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

  it.each([
    ['WebSocket only, as the page connects', false],
    ['long-polling, then upgraded', true],
  ])('a victim on %s: every request naming its id without its key is refused; it keeps shell, output and connection', async (_how, polling) => {
    const victim = await learner(lab.url, lab.token, { polling });
    // A polling victim upgraded with its key: its own second request under the id works.
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

describe('transport: connections per address are capped', () => {
  const CAP = 3;
  const lab = useLab({ mode: 'workshop', maxConnectionsPerAddress: CAP });

  it('the connection over the cap gets a clear error, the others keep their shells, and a freed place can be taken', async () => {
    const room = [await learner(lab.url, lab.token), await learner(lab.url, lab.token), await learner(lab.url, lab.token)];
    const over = new LabClient(lab.url, lab.token);
    clients.push(over);
    await expect(over.connected()).rejects.toThrow(`too many connections from your address (at most ${CAP})`);
    for (const [i, l] of room.entries()) expect(await l.run(`echo learner-${i}`)).toBe(`learner-${i}\n`);
    room[0]!.close();
    await room[1]!.waitFor(() => (room[0]!.socket.connected ? undefined : true), 'the first learner to leave');
    const next = await learner(lab.url, lab.token);
    expect(await next.run('echo in')).toBe('in\n');
  });

  it('raw engine.io handshakes that never CONNECT are bounded too, with a 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < CAP * 2 + 2; i++) statuses.push((await http(`${lab.url}/socket.io/?EIO=4&transport=polling`)).status);
    expect(statuses.slice(-1)).toEqual([429]);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(CAP * 2);
  });
});

/** A valid payload of every client event for the session INFO describes, to mutate from. */
const samplesOf = (info: SessionInfo) => clientEventSamples(info.lessons[0]!.id, info.spec);

/** S with lone surrogates replaced: a URL can only carry well-formed text (the client would throw). */
const wellFormed = (s: string) => s.replace(/[\ud800-\udfff]/g, '?');

/** Whether REPLY is an ack as common/protocol.ts defines it, with a whitelisted code when it fails. */
function isAck(reply: unknown): boolean {
  if (reply === null || typeof reply !== 'object') return false;
  const r = reply as { ok?: unknown; code?: unknown; message?: unknown };
  return r.ok === true || (r.ok === false && (ERROR_CODES as readonly unknown[]).includes(r.code) && typeof r.message === 'string');
}

describe('transport: fuzzing every event, route, handshake and upgrade', () => {
  const lab = useLab({ mode: 'workshop' });
  const seed = fuzzSeed(20261208);
  const where = `(seed ${seed}; ISOLAB_FUZZ_SEED=${seed} reproduces it)`;

  /** The neighbour must be untouched: the same shell, answering, with nothing of the fuzz in it. */
  async function expectUntouched(neighbour: LabClient, pid: number) {
    expect(neighbour.socket.connected, `the neighbour is still connected ${where}`).toBe(true);
    expect(await neighbour.run('echo neighbour-$((6*7))')).toBe('neighbour-42\n');
    expect(neighbour.readies.at(-1)!.pid).toBe(pid);
    expect(neighbour.text).not.toContain('fuzz');
    const health = await http(`${lab.url}/healthz`);
    expect(health.status).toBe(200);
  }

  it('every socket event with malformed, oversized and wrong-typed payloads: only whitelisted errors, never "internal"', { timeout: 240_000 }, async () => {
    const neighbour = await learner(lab.url, lab.token);
    const neighbourPid = neighbour.readies.at(-1)!.pid;
    const rng = new Rng(seed);
    let fuzzer = await learner(lab.url, lab.token);
    const problems: string[] = [];
    const events = Object.keys(CLIENT_EVENT_SCHEMAS) as ClientEvent[];
    const ROUNDS = 40;
    const tally = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const event of events) {
        if (!fuzzer.socket.connected) fuzzer = await learner(lab.url, lab.token);
        const valid = samplesOf(sessionInfos.get(fuzzer)!)[event];
        const payload = mutate(rng, valid);
        const extra = rng.chance(0.1) ? [randomValue(rng)] : [];
        const withAck = rng.chance(0.9);
        const errorsBefore = fuzzer.errors.length;
        if (withAck) {
          // Untyped on purpose: what is sent is whatever the fuzz made, payload or not.
          const untyped = fuzzer.socket.timeout(60_000) as unknown as { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
          const args = valid === undefined && rng.chance(0.5) ? extra : [payload, ...extra];
          const reply = await untyped.emitWithAck(event, ...args).catch((err: Error) => ({ timedOut: err.message }));
          tally.set(`${(reply as { code?: string }).code ?? 'ok'}`, (tally.get(`${(reply as { code?: string }).code ?? 'ok'}`) ?? 0) + 1);
          if (!isAck(reply)) problems.push(`${event} round ${round}: not an ack: ${JSON.stringify(reply).slice(0, 200)}`);
          else if ((reply as { code?: string }).code === 'internal') problems.push(`${event} round ${round}: internal error for ${JSON.stringify(payload)?.slice(0, 200)}`);
        } else {
          (fuzzer.socket as unknown as { emit(...a: unknown[]): void }).emit(event, payload, ...extra);
          await new Promise((r) => setTimeout(r, 5));
        }
        for (const e of fuzzer.errors.slice(errorsBefore)) {
          if ((e as { code?: string }).code === 'internal') problems.push(`${event} round ${round}: internal error event ${JSON.stringify(e).slice(0, 200)}`);
        }
      }
    }
    expect(problems, where).toEqual([]);
    // The fuzz reached the handlers, not only the schemas: some payloads passed and did work.
    expect(tally.get('ok') ?? 0, where).toBeGreaterThan(0);
    expect(tally.get('bad_request') ?? 0, where).toBeGreaterThan(0);
    await expectUntouched(neighbour, neighbourPid);
  });

  it('every HTTP route with hostile methods, paths, headers and bodies: never a 5xx, never a file outside the page', { timeout: 120_000 }, async () => {
    const neighbour = await learner(lab.url, lab.token);
    const neighbourPid = neighbour.readies.at(-1)!.pid;
    const rng = new Rng(seed ^ 0x5eed);
    const problems: string[] = [];
    const paths = ['/', '/healthz', '/index.html', '/assets/', '/api/source/ns', '/api/source/', '/socket.io/', '/watch', '/favicon.ico'];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND'];
    for (let i = 0; i < 400; i++) {
      const base = rng.pick(paths);
      const tail = rng.chance(0.6) ? encodeURI(wellFormed(randomString(rng, 2000))).replace(/^\/*/, '') : '';
      const path = rng.chance(0.1) ? `/${'%2e%2e/'.repeat(rng.int(12))}etc/passwd` : `${base}${tail}`;
      const headers: Record<string, string> = {};
      if (rng.chance(0.3)) headers['Authorization'] = rng.chance(0.5) ? `Bearer ${lab.token}` : `Bearer ${randomString(rng, 64).replace(/[^\x21-\x7e]/g, 'x')}`;
      if (rng.chance(0.2)) headers['Origin'] = rng.pick(['http://evil.example', 'null', lab.url, 'garbage']);
      if (rng.chance(0.1)) headers['Host'] = rng.pick(['evil.example', '127.0.0.1', 'localhost:1']);
      if (rng.chance(0.2)) headers['Content-Type'] = rng.pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream']);
      if (rng.chance(0.05)) headers['X-Big'] = 'b'.repeat(20_000 + rng.int(60_000));
      const method = rng.pick(methods);
      const body = method === 'GET' || method === 'HEAD' ? undefined : rng.chance(0.5) ? JSON.stringify(randomValue(rng)) : randomString(rng, 100_000);
      const res = await http(`${lab.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }).catch((err: Error) => ({ status: -1, headers: {}, body: err.message }));
      const what = `${method} ${path.slice(0, 80)}`;
      if (res.status === -1 && !/socket hang up|ECONNRESET/.test(res.body)) problems.push(`${what}: ${res.body}`);
      if (res.status >= 500) problems.push(`${what}: status ${res.status} ${res.body.slice(0, 200)}`);
      if (/root:.*:0:0:/.test(res.body)) problems.push(`${what}: served a host file`);
    }
    expect(problems, where).toEqual([]);
    await expectUntouched(neighbour, neighbourPid);
  });

  it('the handshake and the upgrade with hostile queries, headers and frames: refused or closed, never a crash', { timeout: 120_000 }, async () => {
    const neighbour = await learner(lab.url, lab.token);
    const neighbourPid = neighbour.readies.at(-1)!.pid;
    const rng = new Rng(seed ^ 0xface);
    const problems: string[] = [];
    const wsBase = lab.url.replace(/^http/, 'ws');
    const query = () => {
      const parts: string[] = [];
      if (rng.chance(0.8)) parts.push(`EIO=${rng.pick(['4', '3', '5', '', 'x', '4&EIO=3'])}`);
      if (rng.chance(0.8)) parts.push(`transport=${rng.pick(['polling', 'websocket', 'webtransport', '', 'flashsocket', 'polling&transport=websocket'])}`);
      if (rng.chance(0.4)) parts.push(`sid=${encodeURIComponent(rng.chance(0.5) ? wellFormed(randomString(rng, 40)) : 'A'.repeat(20))}`);
      if (rng.chance(0.2)) parts.push(`${encodeURIComponent(wellFormed(randomString(rng, 20)))}=${encodeURIComponent(wellFormed(randomString(rng, 200)))}`);
      if (rng.chance(0.1)) parts.push(`b64=1&j=${rng.int(10)}`);
      return parts.join('&');
    };
    // Handshakes and polling requests.
    for (let i = 0; i < 200; i++) {
      const method = rng.pick(['GET', 'POST', 'PUT', 'OPTIONS']);
      const body = method === 'POST' ? rng.pick(['1', '4x', '40', `42${JSON.stringify(['session:start', randomValue(rng)])}`, randomString(rng, 50_000), '\x1e'.repeat(100)]) : undefined;
      const res = await http(`${lab.url}/socket.io/?${query()}`, { method, ...(body !== undefined ? { body } : {}) }).catch((err: Error) => ({ status: -1, headers: {}, body: err.message }));
      if (res.status >= 500 || (res.status === -1 && !/socket hang up|ECONNRESET/.test(res.body))) problems.push(`${method} handshake: ${res.status} ${res.body.slice(0, 200)}`);
    }
    // Upgrades, then hostile frames on the connections that open.
    for (let i = 0; i < 60; i++) {
      const headers: Record<string, string> = {};
      if (rng.chance(0.2)) headers['Origin'] = rng.pick(['http://evil.example', lab.url, 'null']);
      if (rng.chance(0.1)) headers['Sec-WebSocket-Protocol'] = randomString(rng, 30).replace(/[^a-z]/g, 'p') || 'p';
      const ws = new WebSocket(`${wsBase}/socket.io/?${rng.chance(0.7) ? 'EIO=4&transport=websocket' : query()}`, { headers, maxPayload: 1024 * 1024 });
      const outcome = await new Promise<string>((resolve) => {
        ws.once('open', () => {
          const frames: (string | Buffer)[] = [
            '40' + JSON.stringify({ token: lab.token }),
            '42' + JSON.stringify([rng.pick(Object.keys(CLIENT_EVENT_SCHEMAS)), randomValue(rng)]),
            '42' + '['.repeat(50_000) + ']'.repeat(50_000),
            '451-' + JSON.stringify(['term:input', { _placeholder: true, num: rng.int(100) }]),
            '4' + randomString(rng, 100),
            Buffer.from(randomString(rng, 500)),
            'A'.repeat(400 * 1024), // over maxHttpBufferSize: the connection is closed
            '2probe',
            '5',
            '6',
            '1',
          ];
          for (let f = rng.int(6) + 1; f > 0; f--) ws.send(rng.pick(frames));
          setTimeout(() => resolve('sent'), 50);
        });
        ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        ws.once('error', (err) => resolve(`error ${err.message}`));
      });
      if (/refused 5\d\d/.test(outcome)) problems.push(`upgrade: ${outcome}`);
      ws.terminate();
    }
    expect(problems, where).toEqual([]);
    await expectUntouched(neighbour, neighbourPid);
  });
});
