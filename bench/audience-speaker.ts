// The speaker for bench/audience.ts, in a process of its own (as the speaker's browser is not in
// the server): a session in a container, keystroke echo measured with nobody watching, then it
// shares its terminal, waits for the audience, and measures the echo again while they watch. Each
// token it types is reported with the wall-clock moment it was typed, for the viewers' lag.
//
//   node --import tsx bench/audience-speaker.ts URL TOKEN ROUNDS
import { performance } from 'node:perf_hooks';
import type { ShareInfo } from '../common/present.js';
import type { SessionInfo } from '../common/protocol.js';
import { COALESCE_WINDOW_MS } from '../server/runtime/output-pump.js';
import { LabClient } from '../test/helpers/lab.js';

const [url, token, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
/** Enough rounds for both processes' JITs and the first shells' page faults to settle. */
const WARMUP = 50;
const now = () => performance.timeOrigin + performance.now();
const send = (msg: unknown) => process.send!(msg);

async function echoRounds(client: LabClient, phase: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < rounds + WARMUP; i++) {
    const tk = `tk${phase}${i.toString(36)}x`;
    const from = client.text.length;
    // The echo is the first byte back (as npm run bench's keystroke echo measures a key): the rest of
    // the token may come a coalescing window later. The viewers look for the whole token.
    const echoed = client.nextOutput((text) => text.length > from, 5_000);
    const whole = client.nextOutput((text) => text.slice(from).includes(tk), 5_000);
    const t0 = now();
    client.type(tk);
    await echoed;
    const echo = now() - t0;
    await whole;
    if (i >= WARMUP) {
      samples.push(echo);
      send({ kind: 'typed', token: tk.slice(2, -1), at: t0 });
    }
    // Erase it again (Ctrl-U) so the line never grows.
    const erasedFrom = client.text.length;
    const erased = client.nextOutput((text) => text.length > erasedFrom, 5_000);
    client.type('\x15');
    await erased;
    // A person's next key comes later than the server's coalescing window (server/runtime/
    // output-pump.ts): a key inside it would wait for the window, which is not what a typist sees.
    await new Promise((r) => setTimeout(r, COALESCE_WINDOW_MS + 6));
  }
  return samples;
}

const client = new LabClient(url!, token!);
await client.connected();
const started = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40 });
if (!started.ok) throw new Error(started.message);
await client.waitForText(/[#$] $/);
for (const t of ['uts', 'pid', 'ipc', 'net', 'rootfs'] as const) await client.request('sandbox:toggle', { toggle: t, on: true });
await client.waitForText(/[#$] $/, { from: client.text.length - 3 });
const alone = await echoRounds(client, 'a');
const share = await client.request<ShareInfo>('share:start');
if (!share.ok) throw new Error(share.message);
send({ kind: 'shared', code: share.data.code, alone });
await new Promise<void>((resolve) => process.once('message', () => resolve()));
const watched = await echoRounds(client, 'w');
send({ kind: 'done', watched });
client.close();
process.on('disconnect', () => process.exit(0));
