// The audience of a talk: N viewers (default 200, in a process of their own) watch the speaker's
// terminal live while the speaker types. Measured: the speaker's keystroke echo with the audience
// attached, against the same echo with nobody watching, in the same run; and each viewer's lag,
// from the keystroke to the token on its screen. Targets (issue #13): echo p99 ≤ 5 ms, lag p99 ≤ 500 ms.
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ShareInfo } from '../common/present.js';
import type { SessionInfo } from '../common/protocol.js';
import { REPO_ROOT } from '../server/base/paths.js';
import { LabClient, startLab } from '../test/helpers/lab.js';
import { summarize, type Summary } from './stats.js';

const VIEWERS = Number(process.env.BENCH_AUDIENCE_VIEWERS ?? 200);
const ROUNDS = Number(process.env.BENCH_AUDIENCE_ROUNDS ?? 200);
const WARMUP = 20;

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

async function echoRounds(client: LabClient, rounds: number, onToken?: (token: string, t0: number) => void): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < rounds + WARMUP; i++) {
    const token = `tk${i.toString(36)}x`;
    const from = client.text.length;
    const echoed = client.nextOutput((text) => text.slice(from).includes(token), 5_000);
    const t0 = performance.timeOrigin + performance.now();
    client.type(token);
    await echoed;
    const dt = performance.timeOrigin + performance.now() - t0;
    if (i >= WARMUP) {
      samples.push(dt);
      onToken?.(token.slice(2, -1), t0);
    }
    // Erase the token again (Ctrl-U), so the line never grows; and a breath between keystrokes, as a person types.
    client.type('\x15');
    await new Promise((r) => setTimeout(r, 15));
  }
  return samples;
}

export async function benchAudience(): Promise<AudienceResult> {
  const lab = await startLab({ audience: true, maxSessions: 4 });
  let viewers: ReturnType<typeof fork> | undefined;
  try {
    const speaker = new LabClient(lab.url, lab.token);
    await speaker.connected();
    const started = await speaker.request<SessionInfo>('session:start', { cols: 120, rows: 40 });
    if (!started.ok) throw new Error(started.message);
    await speaker.waitForText(/[#$] $/);
    for (const t of ['uts', 'pid', 'ipc', 'net', 'rootfs'] as const) await speaker.request('sandbox:toggle', { toggle: t, on: true });
    await speaker.waitForText(/[#$] $/, { from: speaker.text.length - 3 });
    const echoAlone = summarize(await echoRounds(speaker, ROUNDS));

    const share = await speaker.request<ShareInfo>('share:start');
    if (!share.ok) throw new Error(share.message);
    viewers = fork(join(REPO_ROOT, 'bench', 'audience-viewers.ts'), [lab.audienceUrls[0]!, share.data.code, String(VIEWERS)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = viewers;
    const arrivals = new Map<string, number[]>();
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: { kind: string; token?: string; at?: number; message?: string }) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'error') reject(new Error(`a viewer could not connect: ${m.message}`));
        else if (m.kind === 'token') arrivals.set(m.token!, [...(arrivals.get(m.token!) ?? []), m.at!]);
      });
    });
    await ready;
    const sent = new Map<string, number>();
    const echoWatched = summarize(await echoRounds(speaker, ROUNDS, (token, t0) => sent.set(token, t0)));
    await new Promise((r) => setTimeout(r, 1_000)); // the last tokens reach the slowest viewer
    const lags: number[] = [];
    let missed = 0;
    for (const [token, t0] of sent) {
      const got = arrivals.get(token) ?? [];
      missed += VIEWERS - got.length;
      for (const at of got) lags.push(at - t0);
    }
    return { viewers: VIEWERS, echoAlone, echoWatched, viewerLag: summarize(lags), missed, load: loadavg() };
  } finally {
    viewers?.kill();
    await lab.close();
  }
}
