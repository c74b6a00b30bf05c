// The health endpoint while one learner floods the server with expensive events (issue #11: "the
// health endpoint answers within 50 ms whatever a learner sends"). A workshop server runs here;
// the flooder runs in a process of its own (bench/health-flooder.ts); this process asks /healthz
// every 10 ms, first with nobody flooding, then through the flood, and times each answer.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../server/base/paths.js';
import type { JobStart } from '../server/base/fair-queue.js';
import { startLab } from '../test/helpers/lab.js';
import { summarize, type Summary } from './stats.js';

const SECONDS = Number(process.env.BENCH_HEALTH_SECONDS ?? 5);
const INTERVAL_MS = 10;

export interface HealthResult {
  alone: Summary;
  flooded: Summary;
  /** Events the flooder had answered, and the expensive jobs its lane ran for them. */
  floodAnswered: number;
  floodJobs: number;
  /** The machine's load average after the run: other work on the box shows in the tail. */
  load: number[];
}

function healthz(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    request(`${url}/healthz`, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`/healthz: ${res.statusCode}`))));
    })
      .once('error', reject)
      .end();
  });
}

async function sample(url: string, seconds: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    out.push(await healthz(url));
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
  return out;
}

export async function benchHealth(): Promise<HealthResult> {
  const lab = await startLab({ mode: 'workshop' });
  const alone = await sample(lab.url, Math.min(2, SECONDS));
  const flooder = fork(join(REPO_ROOT, 'bench', 'health-flooder.ts'), [lab.url, lab.token], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    // Each kind of message the flooder sends, as a promise made before it can arrive.
    const waits = new Map<string, { promise: Promise<Record<string, unknown>>; resolve: (m: Record<string, unknown>) => void }>();
    const wait = (kind: string) => {
      if (!waits.has(kind)) {
        let resolve!: (m: Record<string, unknown>) => void;
        const promise = new Promise<Record<string, unknown>>((r) => (resolve = r));
        waits.set(kind, { promise, resolve });
      }
      return waits.get(kind)!;
    };
    const failed = new Promise<never>((_, reject) => {
      flooder.once('exit', (code) => reject(new Error(`the flooder exited (${code})`)));
      wait('error').promise.then((m) => reject(new Error(String(m['message']))));
    });
    failed.catch(() => undefined);
    flooder.on('message', (m: { kind: string }) => wait(m.kind).resolve(m as Record<string, unknown>));
    const next = (kind: string) => Promise.race([wait(kind).promise, failed]);
    await next('ready');
    let floodJobs = 0;
    const stop = lab.session.expensive.observe((_s: JobStart) => floodJobs++);
    const flooded = await sample(lab.url, SECONDS);
    stop();
    const done = next('done');
    flooder.send({ kind: 'stop' });
    const { answered } = await done;
    return { alone: summarize(alone), flooded: summarize(flooded), floodAnswered: Number(answered), floodJobs, load: loadavg() };
  } finally {
    flooder.kill();
    await lab.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchHealth();
  console.log(JSON.stringify(r, null, 2));
}
