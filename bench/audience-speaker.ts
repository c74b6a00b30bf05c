// The speaker for bench/audience.ts, in a process of its own (as the speaker's browser is not in
// the server): a session in a container, keystroke echo measured with nobody watching, then it
// shares its terminal, waits for the audience, and measures the echo again while they watch. Each
// token it types is reported with the wall-clock moment it was typed, for the viewers' lag.
//
//   node --import tsx bench/audience-speaker.ts URL TOKEN ROUNDS
import { performance } from 'node:perf_hooks';
import type { ShareInfo } from '../common/present.js';
import type { SessionInfo } from '../common/protocol.js';
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
    const echoed = client.nextOutput((text) => text.slice(from).includes(tk), 5_000);
    const t0 = now();
    client.type(tk);
    await echoed;
    if (i >= WARMUP) {
      samples.push(now() - t0);
      send({ kind: 'typed', token: tk.slice(2, -1), at: t0 });
    }
    // Erase it (Ctrl-U) so the line never grows, and a breath between keystrokes, as a person types.
    client.type('\x15');
    await new Promise((r) => setTimeout(r, 15));
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
