// Bombs in one workshop learner while a neighbour types: on a real workshop server with its default
// ceilings, the neighbour's keystroke echo (client → server → pty → shell → client) with nobody
// bombing, then during each bomb in another learner's shell — a fork bomb, busy loops, a memory bomb (dd's
// buffer OOM-killed at the ceiling, again and again), a tmpfs fill (/dev/shm and the overlay,
// filled and emptied in a loop), open files and inotify held at their ceilings — and all of them
// at once. Beside each: the host's own fork+exec of /bin/true, and the load average. Target (issue
// #11): the neighbour's echo p99 ≤ 25 ms.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { SessionInfo } from '../common/protocol.js';
import { formatBytes } from '../common/spec.js';
import { DEFAULT_CEILINGS } from '../server/floor/ceilings.js';
import { cgroupDir, memoryPeak, readCgroup } from '../test/helpers/cgroup-of.js';
import { installHoldFds } from '../test/helpers/hold-fds.js';
import { LabClient, startLab, type RunningLab } from '../test/helpers/lab.js';
import { echoRoundTrips } from './echo.js';
import { summarize, type Summary } from './stats.js';

const ROUNDS = Number(process.env.BENCH_BOMB_ROUNDS ?? 300);
/** How long a bomb runs before the neighbour starts typing: long enough to reach its ceiling. */
const BOMB_SETTLE_MS = 1_500;
const HOST_FORK_ROUNDS = 50;

/** What each bomb types into the bomber's shell (busybox ash); the fork bomb comes last, for after it nothing forks. */
const BOMBS: Record<string, string[]> = {
  'fork bomb': ['bomb() { bomb | bomb & }; bomb'],
  // At its ceiling a fork bomb's shells wait for children that never come: busy loops are the CPU bomb.
  'busy loops': ['for i in 1 2 3 4 5 6 7 8; do while :; do :; done & done'],
  'memory bomb': ['while :; do dd if=/dev/zero of=/dev/null bs=400M count=1 2>/dev/null; done &'],
  'tmpfs fill': ['while :; do dd if=/dev/zero of=/dev/shm/f bs=1M count=100 2>/dev/null; dd if=/dev/zero of=/fill bs=1M count=100 2>/dev/null; rm -f /dev/shm/f /fill; done &'],
  'open files + inotify': ['cd /tmp; for i in 1 2 3 4; do ./hold-fds files 100000 & ./hold-fds inotify 1000 & done; mkdir -p w; (cd w && ../hold-fds watches 100000 &)'],
};
BOMBS['all at once'] = [...BOMBS['busy loops']!, ...BOMBS['memory bomb']!, ...BOMBS['tmpfs fill']!, ...BOMBS['open files + inotify']!, ...BOMBS['fork bomb']!];

export interface BombPhase {
  echo: Summary;
  /** The host's own spawnSync('/bin/true'), in ms. */
  hostFork: Summary;
  load: number[];
  /** The bomber's cgroup, read from the host as the phase ends: what the bombs reached. */
  bomber: { pids: number; peakMemoryBytes: number | null; oomKills: number } | null;
}

export interface BombsResult {
  ceilings: typeof DEFAULT_CEILINGS;
  phases: Record<string, BombPhase>;
}

async function learner(lab: RunningLab): Promise<{ client: LabClient; pid: number }> {
  const client = new LabClient(lab.url, lab.token);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40 });
  if (!reply.ok) throw new Error(reply.message);
  await client.waitForText(/[#$] $/);
  return { client, pid: client.readies.at(-1)!.pid };
}


function hostFork(): Summary {
  const samples: number[] = [];
  for (let i = 0; i < HOST_FORK_ROUNDS; i++) {
    const t0 = performance.now();
    spawnSync('/bin/true');
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

async function phase(lab: RunningLab, neighbour: LabClient, commands: string[]): Promise<BombPhase> {
  const bomber = commands.length ? await learner(lab) : undefined;
  try {
    if (bomber) {
      installHoldFds(bomber.pid);
      for (const line of commands) bomber.client.type(`${line}\r`);
      await new Promise((r) => setTimeout(r, BOMB_SETTLE_MS));
    }
    const result = { echo: await echoRoundTrips(neighbour, ROUNDS), hostFork: hostFork(), load: loadavg() };
    if (!bomber) return { ...result, bomber: null };
    const memory = memoryPeak(cgroupDir(bomber.pid, 'memory'));
    const pids = Number(readCgroup(cgroupDir(bomber.pid, 'pids'), 'pids.current'));
    return { ...result, bomber: { pids, peakMemoryBytes: memory.peakBytes, oomKills: memory.oomKills } };
  } finally {
    // The bomber's session ends: its launcher tears the container and its cgroup down.
    bomber?.client.close();
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function benchBombs(): Promise<BombsResult> {
  const lab = await startLab({ mode: 'workshop', maxSessions: 4 });
  try {
    const { client: neighbour } = await learner(lab);
    const phases: Record<string, BombPhase> = { 'no bomb': await phase(lab, neighbour, []) };
    for (const [name, commands] of Object.entries(BOMBS)) phases[name] = await phase(lab, neighbour, commands);
    neighbour.close();
    return { ceilings: DEFAULT_CEILINGS, phases };
  } finally {
    await lab.close();
  }
}

const fmt = (s: Summary) => `p50 ${s.median.toFixed(2)} ms · p99 ${s.p99.toFixed(2)} · n=${s.n}`;

export function printBombs(r: BombsResult): void {
  console.log('bombs in one workshop learner (default ceilings) while a neighbour types   [target: the neighbour\'s echo p99 ≤ 25 ms]');
  for (const [name, p] of Object.entries(r.phases)) {
    const b = p.bomber;
    const reached = b ? `; bomber at ${b.pids} processes, memory peak ${b.peakMemoryBytes === null ? '?' : formatBytes(b.peakMemoryBytes)}, ${b.oomKills} OOM kills` : '';
    console.log(`  ${name.padEnd(22)} neighbour's echo ${fmt(p.echo)}; host's fork+exec ${fmt(p.hostFork)}; load ${p.load.map((l) => l.toFixed(2)).join(' ')}${reached}`);
  }
}

// Alone: node --import tsx bench/bombs.ts
if (process.argv[1]?.endsWith('bench/bombs.ts')) {
  benchBombs().then(printBombs, (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
