// `node --import tsx bench/seccomp.ts` (as root, after `npm run setup`): the cost of the seccomp step
// with Docker's default profile (x86_64 + x86 + x32 on x86-64), built by libseccomp at every start
// (--seccomp PROFILE) against a program built once and loaded as it is (--seccomp-bpf FILE), read
// from the launcher's own step timings (ready line, timings_us.seccomp and total). Also the one-off
// build (--seccomp-compile). Rounds alternate the two ways, so machine load hits both alike. And a
// workshop server's guard filter (--seccomp-guard, loaded just before the profile's): its step and
// the launcher's total with it, and its one-off build (--seccomp-guard-compile).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_DEFAULT_CAPABILITIES } from '../common/capabilities.js';
import { REPO_ROOT } from '../server/base/paths.js';
import { compileSeccompProfile, nativeArch, parseSeccompProfileJson } from '../server/runtime/seccomp/profile.js';
import { summarize, type Summary } from './stats.js';

const ROUNDS = Number(process.env.BENCH_SECCOMP_ROUNDS ?? 200);
const LAUNCHER = join(REPO_ROOT, 'native', 'build', 'Release', 'isolab-launcher');
/** Docker's preset: the container keeps its 14 capabilities, so the filter goes in before they drop. */
const CAPS = ['--cap-drop', 'ALL', '--cap-add', DOCKER_DEFAULT_CAPABILITIES.join(',')];

function timings(args: string[]): Record<string, number> {
  const out = spawnSync(LAUNCHER, ['--status-fd', '3', ...CAPS, ...args, '--', '/bin/true'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ready = (out.output[3] as unknown as string).split('\n').map((l) => (l ? JSON.parse(l) : null)).find((l) => l?.type === 'ready');
  if (!ready) throw new Error(`no ready line: ${out.stderr}`);
  return ready.timings_us as Record<string, number>;
}

const dir = mkdtempSync(join(tmpdir(), 'isolab-bench-seccomp-'));
try {
  const profile = parseSeccompProfileJson(readFileSync(join(REPO_ROOT, 'profiles/seccomp/docker-default.json'), 'utf8'));
  const text = compileSeccompProfile(profile, { arch: nativeArch(), capabilities: DOCKER_DEFAULT_CAPABILITIES.map((c) => `CAP_${c}`), kernelRelease: release() })!;
  const textFile = join(dir, 'docker.seccomp');
  const bpf = join(dir, 'docker.bpf');
  writeFileSync(textFile, text);

  const compileUs: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 50); i++) {
    const out = spawnSync(LAUNCHER, ['--seccomp-compile', textFile, '--seccomp-out', bpf], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
    compileUs.push((JSON.parse(out.stdout) as { us: number }).us);
  }
  const instructions = readFileSync(bpf).length / 8;
  const guard = join(dir, 'guard.bpf');
  const guardCompileUs: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 50); i++) {
    const out = spawnSync(LAUNCHER, ['--seccomp-guard-compile', guard], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
    guardCompileUs.push((JSON.parse(out.stdout) as { us: number }).us);
  }
  const guardInstructions = readFileSync(guard).length / 8;

  const step = { text: [] as number[], bpf: [] as number[], guard: [] as number[] };
  const total = { text: [] as number[], bpf: [] as number[], guarded: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    const t = timings(['--seccomp', textFile]);
    const b = timings(['--seccomp-bpf', bpf]);
    const g = timings(['--seccomp-guard', guard, '--seccomp-bpf', bpf]);
    step.text.push(t.seccomp!);
    total.text.push(t.total!);
    step.bpf.push(b.seccomp!);
    total.bpf.push(b.total!);
    step.guard.push(g.seccomp_guard!);
    total.guarded.push(g.total!);
  }
  const ms = (s: Summary) => `median ${(s.median / 1000).toFixed(3)} ms, p90 ${(s.p90 / 1000).toFixed(3)} ms, min ${(s.min / 1000).toFixed(3)} ms`;
  console.log(`Docker's default profile for ${nativeArch()}: ${instructions} BPF instructions; ${ROUNDS} starts each way`);
  console.log(`  --seccomp-compile (once per profile)     ${ms(summarize(compileUs))}`);
  console.log(`  step seccomp, --seccomp PROFILE (before) ${ms(summarize(step.text))}`);
  console.log(`  step seccomp, --seccomp-bpf FILE (after) ${ms(summarize(step.bpf))}`);
  console.log(`  launcher total, before                   ${ms(summarize(total.text))}`);
  console.log(`  launcher total, after                    ${ms(summarize(total.bpf))}`);
  console.log(`The workshop's guard filter: ${guardInstructions} BPF instructions`);
  console.log(`  --seccomp-guard-compile (once per server) ${ms(summarize(guardCompileUs))}`);
  console.log(`  step seccomp_guard                        ${ms(summarize(step.guard))}`);
  console.log(`  launcher total, --seccomp-bpf with guard  ${ms(summarize(total.guarded))}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
