// One learner who floods the server, in a process of its own (as a browser would be): a session,
// then burst after burst of the expensive events (2,000 inspector:refresh, diagnoses), typing and pasting,
// as fast as the socket takes them. bench/health.ts measures the health endpoint meanwhile.
//
//   node --import tsx bench/health-flooder.ts BASE_URL TOKEN
import type { SessionInfo } from '../common/protocol.js';
import { LabClient } from '../test/helpers/lab.js';

const [base, token] = process.argv.slice(2);
const BURST = 2000;
const send = (msg: unknown) => process.send!(msg);

const client = new LabClient(base!, token!);
await client.connected();
const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40 });
if (!reply.ok) send({ kind: 'error', message: reply.message });
await client.waitForText(/[#$] $/);
send({ kind: 'ready' });

let answered = 0;
let stopped = false;
process.on('message', (m: { kind: string }) => {
  if (m.kind === 'stop') stopped = true;
});
while (!stopped) {
  const replies: Promise<unknown>[] = [];
  for (let i = 0; i < BURST; i++) replies.push(client.request('inspector:refresh'));
  replies.push(client.request('diagnose:run', { command: 'cat /proc/self/status' }));
  client.type('ls -la /proc/self/ >/dev/null\r');
  // And a paste of 3 MB (50 lines of 60 KB, a comment to the shell): typing costs the server too.
  for (let i = 0; i < 50; i++) client.type(`#${'x'.repeat(60_000)}\r`);
  await Promise.all(replies);
  answered += replies.length;
}
send({ kind: 'done', answered });
client.close();
process.exit(0);
