// The audience for bench/audience.ts, in a process of its own (as the phones in a room are not in
// the server): N viewers on the /watch namespace, each acknowledging what it got as the watch page
// does (common/watch.ts WATCH_ACK: every 64 KiB, or once output has been quiet for a quarter second). The parent types tokens into the speaker's shell; each viewer
// reports when a token first reached it (wall clock, same machine), so the parent can tell lag.
//
//   node --import tsx bench/audience-viewers.ts BASE_URL CODE N
import { performance } from 'node:perf_hooks';
import { io as connect } from 'socket.io-client';
import { WATCH_ACK } from '../common/watch.js';

const [base, code, countText] = process.argv.slice(2);
const count = Number(countText);
const TOKEN_RE = /tk([0-9a-z]+)x/g;
const now = () => performance.timeOrigin + performance.now();
const send = (msg: unknown) => process.send!(msg);

let connected = 0;
const seen = new Set<string>();
for (let v = 0; v < count; v++) {
  const socket = connect(`${base}/watch`, { auth: { code }, transports: ['websocket'], reconnection: false, forceNew: true });
  let tail = '';
  let unacked = 0;
  let idle: NodeJS.Timeout | undefined;
  const ack = (bytes: number) => {
    unacked += bytes;
    clearTimeout(idle);
    const flush = () => {
      if (unacked > 0) socket.emit('watch:ack', { bytes: unacked });
      unacked = 0;
    };
    if (unacked >= WATCH_ACK.everyBytes) flush();
    else idle = setTimeout(flush, WATCH_ACK.idleMs);
  };
  const take = (text: string) => {
    const all = tail + text;
    for (const m of all.matchAll(TOKEN_RE)) {
      const key = `${v}:${m[1]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      send({ kind: 'token', viewer: v, token: m[1], at: now() });
    }
    tail = all.slice(-16); // a token cut between two frames
  };
  socket.on('connect', () => {
    if (++connected === count) send({ kind: 'ready' });
  });
  socket.on('connect_error', (e) => send({ kind: 'error', message: e.message }));
  socket.on('watch:screen', (s) => {
    take(s.data);
    ack(Math.max(1, Buffer.byteLength(s.data)));
  });
  socket.on('watch:output', (d: ArrayBuffer | Uint8Array) => {
    const bytes = Buffer.from(d instanceof Uint8Array ? d : new Uint8Array(d));
    take(bytes.toString('latin1'));
    ack(bytes.length);
  });
}
process.on('disconnect', () => process.exit(0));
