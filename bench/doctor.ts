// `node --import tsx bench/doctor.ts` (as root, after `npm run setup`): what `isolab doctor`'s
// checks cost — the time `serve --mode workshop` adds before it serves. Each round gathers every
// fact (sysctls, mountinfo, the launcher's trials, all at once) as the doctor does; the first
// round is reported apart (libseccomp's first build of docker's profile, cold caches).
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { defaultPaths } from '../server/base/paths.js';
import { gatherHostFacts } from '../server/doctor/facts.js';
import { judge } from '../server/doctor/checks.js';
import { summarize } from './stats.js';

const ROUNDS = Number(process.env.BENCH_DOCTOR_ROUNDS ?? 30);

const paths = defaultPaths();
const samples: number[] = [];
let first = 0;
for (let i = 0; i <= ROUNDS; i++) {
  const t0 = performance.now();
  judge(await gatherHostFacts(paths));
  const ms = performance.now() - t0;
  if (i === 0) first = ms;
  else samples.push(ms);
}
const s = summarize(samples);
console.log(`isolab doctor's checks, ${ROUNDS} rounds (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}):`);
console.log(`  first ${first.toFixed(0)} ms; then median ${s.median.toFixed(0)} ms, p90 ${s.p90.toFixed(0)} ms, min ${s.min.toFixed(0)} ms, max ${s.max.toFixed(0)} ms`);
