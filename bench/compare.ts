// Container vs gVisor vs VM start, side by side on this host, in the same run (bench/run.ts calls
// it; `node --import tsx bench/compare.ts` runs it alone). Each sample is exec → the sandbox's first
// line of output from a shell inside it (the first prompt), timed by a small C stopwatch: the
// launcher for a container, `runsc run` for gVisor, QEMU booting the guest kernel to its console. Memory is the PSS of every host
// process a sandbox is made of, taken while it sits idle at its prompt.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { FULL_ISOLATION, type ContainerSpec } from '../common/spec.js';
import { loadGvisor, destroySandbox, makeBundle, runscFlags } from '../server/compare/gvisor.js';
import { treePssKiB } from '../server/compare/measure.js';
import { COMPARE_CONTAINER_SPEC } from '../server/compare/places.js';
import { Vm, VmPool, loadVmImage, qemuArgs } from '../server/compare/vm.js';
import { ContainerContexts } from '../server/runtime/container-context.js';
import { launcherArgs } from '../server/runtime/launcher.js';
import { defaultPaths } from '../server/base/paths.js';
import { summarize, type Summary } from './stats.js';

const CONTAINER_ROUNDS = Number(process.env.BENCH_CONTAINER_ROUNDS ?? 40);
const GVISOR_ROUNDS = Number(process.env.BENCH_GVISOR_ROUNDS ?? 12);
const VM_ROUNDS = Number(process.env.BENCH_VM_ROUNDS ?? 5);
const FIRST_LINE = "printf '\\036UP\\n'; read -r _";

export interface CompareBench {
  container: { start: Summary; pssKiB: number; spec: string };
  containerDocker: { start: Summary; pssKiB: number; spec: string };
  gvisor: { start: Summary; pssKiB: number } | { skipped: string };
  vm: { boot: Summary; shellsReady: Summary; pssKiB: number; accel: string } | { skipped: string };
  ratios: { gvisorOverContainer: number | null; vmOverContainer: number | null; gvisorOverContainerBest: number | null; vmOverContainerBest: number | null; vmShellsOverContainer: number | null; loadAverage: number };
}

const STOPWATCH = join(defaultPaths().launcher, '..', 'isolab-first-line');

export interface FirstLineOptions {
  /** PSS of the whole tree while it rests at its first line. */
  measurePss?: boolean;
  marker?: string;
  /** Kill the program after measuring (a VM does not end when its input closes). */
  kill?: boolean;
  restMs?: number;
  /** Give the program a pipe on fd 3 (the launcher's --status-fd 3) and return what it wrote there. */
  statusFd?: boolean;
  /** Called with the program's pid while it rests at its first line (after restMs), before it is let go. */
  atRest?: (pid: number) => Promise<void>;
}

/**
 * Runs `cmd` under the stopwatch (native/bench/first-line.c: posix_spawn → the first "\x1eUP"
 * line, on CLOCK_MONOTONIC), measures the PSS of its tree while it rests, then lets it end (or, for a
 * VM, which does not end when its input closes, kills it).
 */
export function firstLine(cmd: string, args: string[], opts: FirstLineOptions): Promise<{ ms: number; pssKiB: number; pid: number; status: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(STOPWATCH, [...(opts.marker ? ['--marker', opts.marker] : []), '--', cmd, ...args], {
      stdio: ['pipe', 'pipe', 'pipe', ...(opts.statusFd ? (['pipe'] as const) : [])],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' },
    });
    let out = '';
    let err = '';
    let status = '';
    let done = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    if (opts.statusFd) (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => (status += d));
    child.stdout.setEncoding('utf8').on('data', async (d: string) => {
      out += d;
      if (done || !out.includes('\n')) return;
      done = true;
      const { pid, us } = JSON.parse(out.slice(0, out.indexOf('\n'))) as { pid: number; us: number };
      if ((opts.measurePss || opts.atRest) && opts.restMs) await new Promise((r) => setTimeout(r, opts.restMs));
      const pssKiB = opts.measurePss ? await treePssKiB(pid) : 0;
      if (opts.atRest) await opts.atRest(pid);
      // 'close', not 'exit': every pipe (the status pipe too) has been read to its end.
      child.on('close', (code) => resolve({ ms: us / 1000, pssKiB, pid, status, code }));
      if (opts.kill) process.kill(pid, 'SIGTERM');
      child.stdin.end('\n');
    });
    child.on('exit', (code) => {
      if (!done) reject(new Error(`${cmd}: no first line (stopwatch exit ${code}): ${err.slice(-300)}`));
    });
  });
}

async function containerStarts(containers: ContainerContexts, spec: ContainerSpec, rounds: number): Promise<{ start: Summary; pssKiB: number }> {
  const paths = defaultPaths();
  const samples: number[] = [];
  let pssKiB = 0;
  for (let i = 0; i < rounds + 3; i++) {
    const ctx = containers.acquire(spec, 'bench-cmp');
    try {
      const r = await firstLine(paths.launcher, [...launcherArgs(spec, ctx.ctx), '--', '/bin/sh', '-c', FIRST_LINE], { measurePss: i === 3 });
      if (i >= 3) samples.push(r.ms); // the first starts warm caches up
      if (i === 3) pssKiB = r.pssKiB;
    } finally {
      ctx.release();
    }
  }
  return { start: summarize(samples), pssKiB };
}

export async function benchCompare(log: (line: string) => void = console.log): Promise<CompareBench> {
  const paths = defaultPaths();
  const containers = ContainerContexts.forLab(paths);
  const fmt = (s: Summary) => `median ${s.median.toFixed(s.median < 100 ? 2 : 0)} ms · p90 ${s.p90.toFixed(s.p90 < 100 ? 2 : 0)} · min ${s.min.toFixed(s.min < 100 ? 2 : 0)} · n=${s.n}`;
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

  // The container the others are compared with isolates what they isolate: every namespace runsc
  // gives its sandbox, an own root filesystem, no network beyond loopback.
  const container = await containerStarts(containers, FULL_ISOLATION, CONTAINER_ROUNDS);
  log(`container start (namespaces + own rootfs, spawn → first line): ${fmt(container.start)} · PSS ${mib(container.pssKiB)}`);
  const docker = await containerStarts(containers, COMPARE_CONTAINER_SPEC, Math.ceil(CONTAINER_ROUNDS / 2));
  log(`container start (docker's defaults: + cgroup limits, caps, seccomp): ${fmt(docker.start)} · PSS ${mib(docker.pssKiB)}`);

  let gvisor: CompareBench['gvisor'];
  const rt = loadGvisor(paths);
  if (!rt.ok) gvisor = { skipped: rt.message };
  else {
    const samples: number[] = [];
    let pssKiB = 0;
    for (let i = 0; i < GVISOR_ROUNDS + 1; i++) {
      const { id, dir } = makeBundle(rt.value, { args: ['/bin/sh', '-c', FIRST_LINE], terminal: false });
      try {
        const r = await firstLine(rt.value.runsc, [...runscFlags(rt.value), 'run', '--bundle', dir, id], { measurePss: i === 1 });
        if (i >= 1) samples.push(r.ms);
        if (i === 1) pssKiB = r.pssKiB;
      } finally {
        await destroySandbox(rt.value, id, dir);
      }
    }
    gvisor = { start: summarize(samples), pssKiB };
    log(`gVisor start (runsc run, ptrace, no network → first line): ${fmt(gvisor.start)} · PSS ${mib(pssKiB)}`);
  }

  let vm: CompareBench['vm'];
  const image = loadVmImage(paths);
  if (!image.ok) vm = { skipped: image.message };
  else {
    // The pool decides KVM or TCG once (and remembers it); then every sample is a plain boot.
    const pool = new VmPool(image, { maxVms: 1, shellsPerVm: 6, idleMs: 60_000, runDir: paths.compareRun });
    const first = await pool.anyVm();
    const accel = first.accel;
    const shells = first.shells;
    pool.close();
    await new Promise((r) => setTimeout(r, 500));
    const samples: number[] = [];
    let pssKiB = 0;
    const socketDir = join(paths.compareRun, `vm-${process.pid}-bench`);
    mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    try {
      for (let i = 0; i < VM_ROUNDS; i++) {
        rmSync(socketDir, { recursive: true, force: true });
        mkdirSync(socketDir, { recursive: true, mode: 0o700 });
        const r = await firstLine(image.value.qemu, qemuArgs(image.value, { accel, shells, socketDir }), { measurePss: i === 0, marker: '\x1eISOLAB-VM-READY', kill: true, restMs: 1000 });
        samples.push(r.ms);
        if (i === 0) pssKiB = r.pssKiB;
      }
    } finally {
      rmSync(socketDir, { recursive: true, force: true });
    }
    // The learners' shells come up behind the console (virtio console driver, one login shell per
    // port): boot → the first learner prompt can be typed at, through the server's own Vm class.
    const shellSamples: number[] = [];
    for (let i = 0; i < Math.max(1, Math.ceil(VM_ROUNDS / 2)); i++) {
      const t0 = process.hrtime.bigint();
      const v = new Vm(image.value, accel, shells, paths.compareRun);
      await v.boot(60_000);
      await v.run('while [ ! -e /run/isolab/shells-ready ]; do sleep 0.01; done');
      shellSamples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const exited = new Promise((r) => v.onExit(r));
      v.shutdown();
      await exited;
    }
    vm = { boot: summarize(samples), shellsReady: summarize(shellSamples), pssKiB, accel: pool.accelNote };
    log(`VM boot → console prompt (QEMU microvm, ${accel.toUpperCase()}, PVH vmlinux + initramfs): ${fmt(vm.boot)} · PSS ${mib(pssKiB)}   [target ≤ ${accel === 'kvm' ? '1 s (KVM)' : '4 s (TCG)'}]`);
    log(`VM boot → learner shells ready (virtio console ports up): ${fmt(vm.shellsReady)}`);
  }

  const c = container.start.median;
  const ratios = {
    gvisorOverContainer: 'start' in gvisor ? gvisor.start.median / c : null,
    vmOverContainer: 'boot' in vm ? vm.boot.median / c : null,
    gvisorOverContainerBest: 'start' in gvisor ? gvisor.start.min / container.start.min : null,
    vmOverContainerBest: 'boot' in vm ? vm.boot.min / container.start.min : null,
    vmShellsOverContainer: 'boot' in vm ? vm.shellsReady.median / c : null,
    loadAverage: loadavg()[0]!,
  };
  // Medians against medians; "best" is fastest against fastest (what a quiet machine gives). Other
  // work on the machine inflates a container's few milliseconds far more than a VM's seconds.
  const load = `(1-min load average ${ratios.loadAverage.toFixed(2)} on ${cpus().length} CPUs)`;
  if (ratios.gvisorOverContainer !== null) log(`container vs gVisor start: ${ratios.gvisorOverContainer.toFixed(1)}× faster (median), ${ratios.gvisorOverContainerBest!.toFixed(1)}× (best)   [target ≥ 20×] ${load}`);
  if (ratios.vmOverContainer !== null) log(`container vs VM boot-to-prompt: ${ratios.vmOverContainer.toFixed(0)}× faster (median), ${ratios.vmOverContainerBest!.toFixed(0)}× (best)   [target ≥ 500×] ${load}`);
  if (ratios.vmShellsOverContainer !== null) log(`container vs VM boot-to-learner-shell: ${ratios.vmShellsOverContainer.toFixed(0)}× faster (median)`);
  return {
    container: { ...container, spec: 'namespaces (mount, uts, ipc, pid, net) + own rootfs' },
    containerDocker: { ...docker, spec: "docker's defaults + 256 MiB / 0.5 CPU (cgroup v1 or v2), caps, seccomp" },
    gvisor,
    vm,
    ratios,
  };
}

if (process.argv[1]?.endsWith('bench/compare.ts')) {
  await benchCompare();
  process.exit(0);
}
