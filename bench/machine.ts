// What a workshop learner's machine (runtime/learner-machine.ts) costs: making one (spawn to its
// machine-ready line), the memory each holder keeps (PSS), and a container start built in a
// machine beside the same start on the host, in the same run. Part of `npm run bench`; alone:
// `node --import tsx bench/machine.ts`.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { defaultPaths } from '../server/base/paths.js';
import { startMachine, type LearnerMachine } from '../server/runtime/learner-machine.js';
import { UidRanges } from '../server/runtime/uid-ranges.js';
import { IMAGE, start } from '../test/helpers/launcher-run.js';
import { summarize, type Summary } from './stats.js';

const ROUNDS = Number(process.env.BENCH_MACHINE_ROUNDS ?? 40);
/** Held at once, for their memory: a class's worth is the point, a small one says it. */
const HELD = Number(process.env.BENCH_MACHINE_HELD ?? 20);

export interface MachineBench {
  make: Summary;
  pssKiBPerMachine: number;
  startOnHost: Summary;
  startInMachine: Summary;
  load: number[];
}

const pssKiB = (pid: number) => Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);

/** A workshop shell's namespaces, user namespace owned as the server makes it, started ROUNDS times. */
async function containerStarts(extra: () => string[], hostId: number): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const started = start(
      ['--unshare', 'mount,pid,user', '--userns-map', `0:${hostId}:65536`, '--userns-owner', String(hostId), '--rootfs', IMAGE, ...extra()],
      ['/bin/true'],
    );
    await started.ready;
    samples.push(performance.now() - t0);
    await started.done;
  }
  return summarize(samples);
}

export async function benchMachine(): Promise<MachineBench> {
  const paths = defaultPaths();
  const uidRanges = new UidRanges();
  const options = { launcher: paths.launcher, uidRanges, hostname: 'my-machine', usernsLimits: {} };
  const make: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const machine = await startMachine(options);
    make.push(performance.now() - t0);
    await machine.stop();
  }
  const held: LearnerMachine[] = [];
  try {
    for (let i = 0; i < HELD; i++) held.push(await startMachine(options));
    const pss = held.reduce((sum, m) => sum + pssKiB(m.pid), 0) / held.length;
    const range = uidRanges.acquire();
    try {
      const startOnHost = await containerStarts(() => [], range.hostId);
      const startInMachine = await containerStarts(() => ['--machine', String(held[0]!.pid)], range.hostId);
      return { make: summarize(make), pssKiBPerMachine: pss, startOnHost, startInMachine, load: loadavg() };
    } finally {
      range.release();
    }
  } finally {
    await Promise.all(held.map((m) => m.stop()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fmt = (s: Summary) => `median ${s.median.toFixed(2)} ms · p90 ${s.p90.toFixed(2)} · p99 ${s.p99.toFixed(2)} · n=${s.n}`;
  const r = await benchMachine();
  console.log(`a learner's machine: made in ${fmt(r.make)}; ${r.pssKiBPerMachine.toFixed(0)} KiB PSS each (${HELD} held)`);
  console.log(`  a workshop container start on the host ${fmt(r.startOnHost)}; in a machine ${fmt(r.startInMachine)} (ratio ${(r.startInMachine.median / r.startOnHost.median).toFixed(2)}); load ${r.load.map((l) => l.toFixed(2)).join(' ')}`);
}
