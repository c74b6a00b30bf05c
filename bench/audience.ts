// The audience of a talk: N viewers (default 200) watch the speaker's terminal live while the
// speaker types. The server runs here; the speaker and the audience each run in a process of
// their own, as a browser and a room of phones would. Measured: the speaker's keystroke echo with
// nobody watching and with the audience attached, in the same run; and each viewer's lag, from
// the keystroke to the token on its screen. Targets (issue #13): echo p99 ≤ 5 ms, lag p99 ≤ 500 ms.
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../server/base/paths.js';
import { startLab } from '../test/helpers/lab.js';
import { summarize, type Summary } from './stats.js';

const VIEWERS = Number(process.env.BENCH_AUDIENCE_VIEWERS ?? 200);
const ROUNDS = Number(process.env.BENCH_AUDIENCE_ROUNDS ?? 200);

export interface AudienceResult {
  viewers: number;
  /** The speaker's echo with nobody watching, then with the audience attached. */
  echoAlone: Summary;
  echoWatched: Summary;
  /** Keystroke → the token on a viewer's screen, over every viewer and round. */
  viewerLag: Summary;
  /** Tokens a viewer never showed (lossy by design: a slow viewer is skipped, then resynchronised). */
  missed: number;
  load: number[];
}

type Message = { kind: string; [k: string]: unknown };
const child = (script: string, args: string[]) =>
  fork(join(REPO_ROOT, 'bench', script), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const next = (p: ChildProcess, kind: string) =>
  new Promise<Message>((resolve, reject) => {
    const on = (m: Message) => {
      if (m.kind === kind) {
        p.off('message', on);
        resolve(m);
      } else if (m.kind === 'error') reject(new Error(String(m['message'])));
    };
    p.on('message', on);
    p.once('exit', (code) => reject(new Error(`${kind}: the child exited (${code})`)));
  });

export async function benchAudience(): Promise<AudienceResult> {
  const lab = await startLab({ audience: true, maxSessions: 4 });
  const children: ChildProcess[] = [];
  try {
    const speaker = child('audience-speaker.ts', [lab.url, lab.token, String(ROUNDS)]);
    children.push(speaker);
    const typed = new Map<string, number>();
    speaker.on('message', (m: Message) => m.kind === 'typed' && typed.set(String(m['token']), Number(m['at'])));
    const shared = await next(speaker, 'shared');
    typed.clear(); // the rounds alone have no audience
    const viewers = child('audience-viewers.ts', [lab.audienceUrls[0]!, String(shared['code']), String(VIEWERS)]);
    children.push(viewers);
    const arrivals = new Map<string, number[]>();
    viewers.on('message', (m: Message) => {
      if (m.kind !== 'token') return;
      const token = String(m['token']);
      arrivals.set(token, [...(arrivals.get(token) ?? []), Number(m['at'])]);
    });
    await next(viewers, 'ready');
    speaker.send('go');
    const done = await next(speaker, 'done');
    await new Promise((r) => setTimeout(r, 1_000)); // the last tokens reach the slowest viewer
    const lags: number[] = [];
    let missed = 0;
    for (const [token, t0] of typed) {
      const got = arrivals.get(token) ?? [];
      missed += VIEWERS - got.length;
      for (const at of got) lags.push(at - t0);
    }
    return {
      viewers: VIEWERS,
      echoAlone: summarize(shared['alone'] as number[]),
      echoWatched: summarize(done['watched'] as number[]),
      viewerLag: summarize(lags),
      missed,
      load: loadavg(),
    };
  } finally {
    for (const c of children) c.kill();
    await lab.close();
  }
}
