// isolab's launcher against the OCI runtimes, every primitive on, side by side in the same run
// (bench/run.ts calls it; `node --import tsx bench/runtimes.ts` runs it alone).
//
// The settings: docker's defaults (mount, UTS, IPC, PID, network and cgroup namespaces, pivot_root
// into an own root, docker's 14 capabilities and seccomp profile, masked and read-only paths) plus
// a user namespace, a veth onto the bridge, Landlock, memory/pids/CPU limits and no_new_privs.
// isolab runs them as the server does (launcherArgs with a ContainerContexts context: overlay upper
// directory, cgroup name, bridge address, the precompiled BPF filter); runc, crun and runsc run the
// config.json `isolab export --format oci` writes for the same settings (toOciConfig).
//
// Every sample is exec → the first line the container's shell prints, timed by the C stopwatch
// (native/bench/first-line.c) that bench/compare.ts uses, so every runtime pays the same spawn. The
// rounds go round-robin over the runtimes, so a busy moment of this (shared) machine lands on all
// of them alike. isolab also reports its own main() → ready time (the `ready` line's
// timings_us.total, on --status-fd 3) and where it went, step by step.
//
// Memory: what a container costs beyond its program, while the shell idles: the launcher (the
// shell's parent for the container's life); runc or crun (`run` in the foreground stays the parent
// too); runsc's whole tree (run, sandbox, gofer: the shell lives inside the Sentry's memory).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, machine, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ociConfigJson, toOciConfig } from '../common/export.js';
import { ContainerSpec, DOCKER_RUN_DEFAULT, TEACHING_LIMITS, applySpecChange } from '../common/spec.js';
import { processPssKiB, processTree } from '../server/compare/measure.js';
import { ContainerContexts } from '../server/runtime/container-context.js';
import { ownCapabilities } from '../server/runtime/host-capabilities.js';
import { launcherArgs } from '../server/runtime/launcher.js';
import { ReadyLine } from '../server/runtime/status-lines.js';
import { REPO_ROOT, defaultPaths } from '../server/base/paths.js';
import { listProcesses } from '../server/observe/proc.js';
import { parseSeccompProfileJson } from '../server/runtime/seccomp/profile.js';
import { firstLine, type FirstLineOptions } from './compare.js';
import { summarize, type Summary } from './stats.js';

const ROUNDS = Number(process.env.BENCH_RUNTIME_ROUNDS ?? 30);
const RUNSC_ROUNDS = Number(process.env.BENCH_RUNSC_ROUNDS ?? 8);
const WARMUP = 3;
/** PSS is read in this many rounds (after the warm-up) and the median kept. */
const PSS_ROUNDS = 5;
const FIRST_LINE = "printf '\\036UP\\n'; read -r _";
const PROGRAM = ['/bin/sh', '-c', FIRST_LINE];

const RUNC = '/usr/sbin/runc';
const CRUN = '/usr/bin/crun';
const RUNSC = '/usr/bin/runsc';
/** cgroup v2's mount on a hybrid host: crun 1.8 takes it for a v2 host and then finds no controllers in it. */
const HYBRID_UNIFIED = '/sys/fs/cgroup/unified';

const TARGET_READY_MS = 5;
const TARGET_OVER_CRUN = 3;
const TARGET_OVER_RUNC = 7;
const TARGET_OVERHEAD_KIB = 1024;

/**
 * "Every primitive": docker's defaults, plus a user namespace, a veth onto the bridge (docker's
 * default already), Landlock (read anywhere, write /tmp and /dev), the teaching limits, no_new_privs.
 */
export const EVERY_PRIMITIVE: ContainerSpec = ContainerSpec.parse(
  applySpecChange(DOCKER_RUN_DEFAULT, {
    namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, user: true, cgroup: true },
    network: { mode: 'bridge', rate: null },
    landlock: { enabled: true, readOnly: ['/'], readWrite: ['/tmp', '/dev'] },
    resources: { ...DOCKER_RUN_DEFAULT.resources, cgroup: true, ...TEACHING_LIMITS },
    noNewPrivs: true,
  }),
);

interface PeerResult {
  /** exec → first line of the shell's output. */
  start: Summary;
  /** PSS of what runs besides the container's program (median of PSS_ROUNDS readings). */
  overheadPssKiB: number;
  /** PSS of the container's program itself, for scale (0 where it cannot be told apart). */
  programPssKiB: number;
}

export interface RuntimesBench {
  spec: string;
  notInPeersConfig: string[];
  isolab: PeerResult & { readyTotal: Summary; cgroupVia: string; readyAttachAfterClone: Summary; favordynmods: boolean; topSteps: { step: string; phase: string; medianUs: number }[] };
  runc: PeerResult | { skipped: string };
  crun: (PeerResult & { startMinusWorkaround: Summary; workaround: Summary }) | { skipped: string };
  runsc: PeerResult | { skipped: string };
  ratios: { crunOverIsolab: number | null; crunMinusWorkaroundOverIsolab: number | null; runcOverIsolab: number | null; runscOverIsolab: number | null; loadAverage: number; cpus: number };
  targets: { readyMedianMs: number; overCrun: number; overRunc: number; overheadKiB: number };
}

const median = (xs: number[]) => (xs.length ? summarize(xs).median : 0);

/** Host processes of `root`'s tree, split into the container's program (busybox sh) and the rest. */
async function pssSplit(root: number): Promise<{ overhead: number; program: number }> {
  const tree = new Set(await processTree(root));
  const comm = new Map((await listProcesses()).map((p) => [p.pid, p.comm]));
  let overhead = 0;
  let program = 0;
  for (const pid of tree) {
    const kib = processPssKiB(pid);
    if (pid !== root && comm.get(pid) === 'sh') program += kib;
    else overhead += kib;
  }
  return { overhead, program };
}

export async function benchRuntimes(log: (line: string) => void = console.log): Promise<RuntimesBench> {
  const paths = defaultPaths();
  const run = randomBytes(3).toString('hex');
  const work = join(REPO_ROOT, 'build', 'bench', `runtimes-${process.pid}-${run}`);
  mkdirSync(work, { recursive: true });
  // The peers' root in a user namespace must be able to walk to its bundle.
  chmodSync(work, 0o755);
  const containers = new ContainerContexts(paths.rootfs, join(work, 'containers'), paths.dockerSeccompProfile, paths.launcher);
  const spec = EVERY_PRIMITIVE;

  // ---- the peers' bundle: the exported config.json and a copy of the image -------------------
  // A uid range of the peers' own, far above the ranges the server hands out from 100000 up.
  const peerHostId = 100000 + 65536 * (16000 + (process.pid % 300));
  const peerSpec = applySpecChange(spec, { userns: { hostId: peerHostId } });
  const hostCaps = ownCapabilities();
  const seccompProfile = parseSeccompProfileJson(readFileSync(paths.dockerSeccompProfile, 'utf8'));
  const rootfs = join(work, 'rootfs');
  if (spawnSync('cp', ['-a', paths.rootfs, rootfs]).status !== 0) throw new Error(`cannot copy ${paths.rootfs}`);
  // Root of the user namespace owns its image, as dockerd --userns-remap chowns the layers (runc
  // 1.1 cannot idmap a mount); isolab's launcher gets the same from an idmapped overlay.
  if (spawnSync('chown', ['-R', `${peerHostId}:${peerHostId}`, rootfs]).status !== 0) throw new Error('cannot chown the peers\' image');
  let bundles = 0;
  /** A bundle for one container: its own config.json (own cgroupsPath), the shared image copy. */
  const bundle = (name: string): { id: string; dir: string; cgroupsPath: string } => {
    const id = `isolab-bench-${run}-${name}-${++bundles}`;
    const dir = join(work, id);
    mkdirSync(dir, { mode: 0o755 });
    const cgroupsPath = `/${id}`;
    const { config } = toOciConfig(peerSpec, { args: PROGRAM, rootfsPath: rootfs, seccompProfile, machine: machine(), kernelRelease: release(), cgroupsPath, allCapabilities: hostCaps });
    writeFileSync(join(dir, 'config.json'), ociConfigJson(config));
    return { id, dir, cgroupsPath };
  };
  const { unsupported } = toOciConfig(peerSpec, { args: PROGRAM, seccompProfile, machine: machine(), kernelRelease: release(), allCapabilities: hostCaps });
  const notInPeersConfig = [
    ...unsupported,
    "the overlay: the peers get the image as a plain directory (a runtime makes no overlay; docker's snapshotter does, before the runtime starts)",
  ];

  // Whether moving a task between cgroups skips the RCU grace period (the kernel's
  // CONFIG_CGROUP_FAVOR_DYNMODS, or cgroup mounted with favordynmods).
  const favordynmods = readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => / cgroup2? .*favordynmods/.test(l));
  const hybrid = existsSync(join(HYBRID_UNIFIED, 'cgroup.controllers')) && existsSync('/sys/fs/cgroup/memory');
  type Sample = { ms: number; overhead?: number; program?: number };
  const want = (i: number) => i >= WARMUP && i < WARMUP + PSS_ROUNDS;

  // ---- one start of each ------------------------------------------------------------------------
  const isolab = { start: [] as number[], ready: [] as number[], via: new Set<string>(), readyAttach: [] as number[], steps: new Map<string, number[]>(), overhead: [] as number[], program: [] as number[] };
  /** One start of isolab's launcher with the spec's arguments and EXTRA: its stopwatch result and ready line. */
  async function startIsolab(extra: string[], opts: FirstLineOptions) {
    const context = containers.acquire(spec, `bench-rt-${run}`);
    try {
      const r = await firstLine(paths.launcher, ['--status-fd', '3', ...launcherArgs(spec, context.ctx), ...extra, '--', ...PROGRAM], { ...opts, statusFd: true });
      const line = r.status.split('\n').find((l) => l.includes('"ready"'));
      if (!line) throw new Error(`isolab-launcher ${extra.join(' ')}: no ready line (exit ${r.code}): ${r.status.slice(-300)}`);
      return { ms: r.ms, ready: ReadyLine.parse(JSON.parse(line)) };
    } finally {
      context.release();
    }
  }

  async function isolabOnce(i: number): Promise<void> {
    let split: { overhead: number; program: number } | undefined;
    const { ms, ready } = await startIsolab([], want(i) ? { restMs: 100, atRest: async (pid: number) => void (split = await pssSplit(pid)) } : {});
    if (i < WARMUP) return;
    isolab.start.push(ms);
    isolab.ready.push(ready.timings_us.total! / 1000);
    isolab.via.add(ready.cgroup_via ?? 'none');
    for (const [step, us] of Object.entries(ready.timings_us)) {
      if (step === 'total') continue;
      const list = isolab.steps.get(step) ?? [];
      list.push(us);
      isolab.steps.set(step, list);
    }
    if (split) {
      isolab.overhead.push(split.overhead);
      isolab.program.push(split.program);
    }
  }

  /** The same container started runc's way: the parent writes the child's PID into cgroup.procs. */
  async function isolabAttachOnce(i: number): Promise<void> {
    const { ready } = await startIsolab(['--cgroup-attach-after-clone'], {});
    if (i >= WARMUP) isolab.readyAttach.push(ready.timings_us.total! / 1000);
  }

  async function ociOnce(
    name: string,
    i: number,
    samples: Sample[],
    command: (b: { id: string; dir: string }) => [string, string[]],
    remove: (id: string) => void,
  ): Promise<void> {
    const b = bundle(name);
    try {
      let split: { overhead: number; program: number } | undefined;
      const [cmd, args] = command(b);
      const r = await firstLine(cmd, args, want(i) ? { restMs: 100, atRest: async (pid) => void (split = await pssSplit(pid)) } : {});
      // sh's `read` meets EOF when the stopwatch lets it go: status 1 is the normal end.
      if (r.code !== 1 && r.code !== 0) throw new Error(`${name}: exit ${r.code}`);
      if (i >= WARMUP) samples.push({ ms: r.ms, ...(split ? { overhead: split.overhead, program: split.program } : {}) });
    } finally {
      remove(b.id);
      rmSync(b.dir, { recursive: true, force: true });
    }
  }

  const runcRoot = join(work, 'runc-state');
  const crunRoot = join(work, 'crun-state');
  const runscRoot = join(work, 'runsc-state');
  const runcSamples: Sample[] = [];
  const crunSamples: Sample[] = [];
  const runscSamples: Sample[] = [];
  const workaround: number[] = [];
  const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const runcOnce = (i: number) =>
    ociOnce('runc', i, runcSamples, (b) => [RUNC, ['--root', runcRoot, 'run', '--bundle', b.dir, b.id]], (id) => void spawnSync(RUNC, ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore' }));
  // crun 1.8 refuses this hybrid layout (it sees cgroup2 mounted and expects its controllers there):
  // in a mount namespace of its own, without that mount, it finds the v1 hierarchies.
  const crunCommand = (b: { id: string; dir: string }): [string, string[]] => {
    const argv = [CRUN, '--root', crunRoot, 'run', '--bundle', b.dir, b.id].map(sh).join(' ');
    return hybrid ? ['unshare', ['-m', 'sh', '-c', `umount ${HYBRID_UNIFIED} && exec ${argv}`]] : [CRUN, ['--root', crunRoot, 'run', '--bundle', b.dir, b.id]];
  };
  const crunOnce = (i: number) => ociOnce('crun', i, crunSamples, crunCommand, (id) => void spawnSync(CRUN, ['--root', crunRoot, 'delete', '--force', id], { stdio: 'ignore' }));
  // The workaround alone: the same unshare, sh and umount, then the first line from sh's builtin
  // printf where crun would have been exec'd.
  const workaroundOnce = async (i: number) => {
    const r = await firstLine('unshare', ['-m', 'sh', '-c', `umount ${HYBRID_UNIFIED} && printf '\\036UP\\n'`], {});
    if (i >= WARMUP) workaround.push(r.ms);
  };
  const runscOnce = (i: number) =>
    ociOnce(
      'runsc',
      i,
      runscSamples,
      (b) => [RUNSC, ['--root', runscRoot, '--platform=ptrace', '--network=none', '--oci-seccomp', 'run', '--bundle', b.dir, b.id]],
      (id) => void spawnSync(RUNSC, ['--root', runscRoot, 'delete', '--force', id], { stdio: 'ignore', timeout: 20_000 }),
    );

  // A runtime that cannot run here is reported as skipped with its message, not guessed at.
  const skipped: Record<string, string> = {};
  for (const [name, bin] of [['runc', RUNC], ['crun', CRUN], ['runsc', RUNSC]] as const) if (!existsSync(bin)) skipped[name] = `${bin} is not installed: npm run bench installs it (setup --for-bench)`;
  const guard = async (name: string, f: () => Promise<void>) => {
    if (skipped[name]) return;
    try {
      await f();
    } catch (e) {
      skipped[name] = (e as Error).message;
      log(`${name}: skipped: ${skipped[name]}`);
    }
  };

  const t0 = performance.now();
  try {
    const runscEvery = Math.max(1, Math.floor((ROUNDS + WARMUP) / (RUNSC_ROUNDS + WARMUP)));
    let runscDone = 0;
    for (let i = 0; i < ROUNDS + WARMUP; i++) {
      await isolabOnce(i);
      await isolabAttachOnce(i);
      await guard('runc', () => runcOnce(i));
      await guard('crun', () => crunOnce(i));
      if (hybrid && !skipped.crun) await workaroundOnce(i);
      if (i % runscEvery === 0 && runscDone < RUNSC_ROUNDS + WARMUP) await guard('runsc', () => runscOnce(runscDone++));
    }
    while (runscDone < RUNSC_ROUNDS + WARMUP && !skipped.runsc) await guard('runsc', () => runscOnce(runscDone++));
  } finally {
    containers.dispose();
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;

  // ---- results ----------------------------------------------------------------------------------
  const peer = (samples: Sample[]): PeerResult => ({
    start: summarize(samples.map((s) => s.ms)),
    overheadPssKiB: median(samples.flatMap((s) => (s.overhead === undefined ? [] : [s.overhead]))),
    programPssKiB: median(samples.flatMap((s) => (s.program === undefined ? [] : [s.program]))),
  });
  // Who takes each step (the child's wait_go spans the parent's steps after clone).
  const phases = new Map(
    (spawnSync(paths.launcher, ['--list-steps'], { encoding: 'utf8' }).stdout ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]),
  );
  const topSteps = [...isolab.steps]
    .map(([step, us]) => ({ step, phase: phases.get(step) ?? '?', medianUs: median(us) }))
    .sort((a, b) => b.medianUs - a.medianUs)
    .slice(0, 5);
  const result: RuntimesBench = {
    spec: 'docker defaults (mount, uts, ipc, pid, net + veth on the bridge, cgroup ns; pivot_root; overlay; caps docker-14; seccomp docker-default; masked/read-only paths) + user ns, Landlock (ro /, rw /tmp /dev), 256 MiB / 64 pids / 0.5 CPU, no_new_privs',
    notInPeersConfig,
    isolab: { ...peer(isolab.start.map((ms, k) => ({ ms, overhead: isolab.overhead[k], program: isolab.program[k] }))), readyTotal: summarize(isolab.ready), cgroupVia: [...isolab.via].join(','), readyAttachAfterClone: summarize(isolab.readyAttach), favordynmods, topSteps },
    runc: skipped.runc ? { skipped: skipped.runc } : peer(runcSamples),
    crun: skipped.crun
      ? { skipped: skipped.crun }
      : {
          ...peer(crunSamples),
          workaround: summarize(workaround.length ? workaround : [0]),
          startMinusWorkaround: summarize(crunSamples.map((s) => s.ms - (workaround.length ? median(workaround) : 0))),
        },
    runsc: skipped.runsc ? { skipped: skipped.runsc } : peer(runscSamples),
    ratios: { crunOverIsolab: null, crunMinusWorkaroundOverIsolab: null, runcOverIsolab: null, runscOverIsolab: null, loadAverage: loadavg()[0]!, cpus: cpus().length },
    targets: { readyMedianMs: TARGET_READY_MS, overCrun: TARGET_OVER_CRUN, overRunc: TARGET_OVER_RUNC, overheadKiB: TARGET_OVERHEAD_KIB },
  };
  const base = result.isolab.start.median;
  if ('start' in result.crun) {
    result.ratios.crunOverIsolab = result.crun.start.median / base;
    result.ratios.crunMinusWorkaroundOverIsolab = result.crun.startMinusWorkaround.median / base;
  }
  if ('start' in result.runc) result.ratios.runcOverIsolab = result.runc.start.median / base;
  if ('start' in result.runsc) result.ratios.runscOverIsolab = result.runsc.start.median / base;

  // ---- the table --------------------------------------------------------------------------------
  const ms = (x: number) => x.toFixed(x < 100 ? 2 : 0).padStart(8);
  const kib = (x: number) => (x ? `${(x / 1024).toFixed(2)} MiB` : '—').padStart(10);
  const ok = (pass: boolean) => (pass ? 'met' : 'NOT met');
  const row = (name: string, s: Summary, r: PeerResult | null, ratio: number | null, target: string) =>
    log(`${name.padEnd(52)}${ms(s.median)}${ms(s.p90)}${String(s.n).padStart(5)}${kib(r?.overheadPssKiB ?? 0)}${kib(r?.programPssKiB ?? 0)}  ${ratio === null ? '' : `${ratio.toFixed(1)}×`.padStart(6)}  ${target}`);
  log(`\nisolab vs OCI runtimes, every primitive on — ${result.spec}`);
  log(`${ROUNDS} rounds (runsc ${RUNSC_ROUNDS}) after ${WARMUP} warm-up, round-robin, in ${seconds.toFixed(0)} s; 1-min load average ${result.ratios.loadAverage.toFixed(2)} on ${result.ratios.cpus} CPUs`);
  log(`${''.padEnd(52)}${'median'.padStart(8)}${'p90'.padStart(8)}${'n'.padStart(5)}${'overhead'.padStart(10)}${'program'.padStart(10)}  ${'×isolab'.padStart(6)}  target`);
  log(`${''.padEnd(52)}${'ms'.padStart(8)}${'ms'.padStart(8)}${''.padStart(5)}${'PSS'.padStart(10)}${'PSS'.padStart(10)}`);
  row('isolab: launcher main() → ready (its own)', result.isolab.readyTotal, null, null, `≤ ${TARGET_READY_MS} ms: ${ok(result.isolab.readyTotal.median <= TARGET_READY_MS)}`);
  row('  the same, --cgroup-attach-after-clone (runc\'s move)', result.isolab.readyAttachAfterClone, null, null, '(diagnostic, not the target)');
  log(
    `  (cgroup_via ${result.isolab.cgroupVia}: on v2 clone3 creates the child in its cgroup, on v1 the child moves itself in with "0" into tasks; both skip the kernel's global cgroup_threadgroup_rwsem. --cgroup-attach-after-clone writes the child's PID into cgroup.procs as runc and crun do: that takes the rwsem for writing, which waits for an RCU grace period unless cgroups favour dynamic changes — favordynmods ${favordynmods ? 'on' : 'off'} here)`,
  );
  row('isolab: exec → first line', result.isolab.start, result.isolab, 1, `overhead ≤ 1 MiB: ${ok(result.isolab.overheadPssKiB <= TARGET_OVERHEAD_KIB)}`);
  if ('start' in result.crun) {
    row('crun run (raw: incl. the hybrid-cgroup workaround)', result.crun.start, result.crun, result.ratios.crunOverIsolab, `≥ ${TARGET_OVER_CRUN}×: ${ok(result.ratios.crunOverIsolab! >= TARGET_OVER_CRUN)}`);
    if (hybrid) {
      row('  the workaround alone (unshare -m; umount)', result.crun.workaround, null, null, '');
      row('crun run minus the workaround', result.crun.startMinusWorkaround, null, result.ratios.crunMinusWorkaroundOverIsolab, `≥ ${TARGET_OVER_CRUN}×: ${ok(result.ratios.crunMinusWorkaroundOverIsolab! >= TARGET_OVER_CRUN)}`);
    }
  } else log(`crun: skipped: ${result.crun.skipped}`);
  if ('start' in result.runc) row('runc run', result.runc.start, result.runc, result.ratios.runcOverIsolab, `≥ ${TARGET_OVER_RUNC}×: ${ok(result.ratios.runcOverIsolab! >= TARGET_OVER_RUNC)}`);
  else log(`runc: skipped: ${result.runc.skipped}`);
  if ('start' in result.runsc) row('runsc run (ptrace, no network, --oci-seccomp)', result.runsc.start, result.runsc, result.ratios.runscOverIsolab, '');
  else log(`runsc: skipped: ${result.runsc.skipped}`);
  log(`overhead PSS: isolab the launcher; runc/crun the runtime process (foreground \`run\` stays the parent); runsc run + sandbox + gofer, all of it (the shell runs inside the Sentry: not separable). program PSS: the shell.`);
  log(`not in the peers' config (OCI cannot say it): ${notInPeersConfig.map((u) => `\n  - ${u}`).join('')}`);
  log(`isolab's slowest steps (median of timings_us; the parent's net_* steps run beside the child's root filesystem steps, and the child's wait_net is what it waited for them):`);
  for (const s of topSteps) log(`  ${s.step.padEnd(16)} ${s.phase.padEnd(7)} ${(s.medianUs / 1000).toFixed(2).padStart(7)} ms`);
  return result;
}

if (process.argv[1]?.endsWith('bench/runtimes.ts')) {
  await benchRuntimes();
  process.exit(0);
}
