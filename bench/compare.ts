// Container vs gVisor vs VM start, side by side on this host, in the same run (bench/run.ts calls
// it; `node --import tsx bench/compare.ts` runs it alone). Each sample is spawn → the sandbox's first
// line of output from a shell inside it (the first prompt): the launcher for a container, `runsc run`
// for gVisor, QEMU booting the guest kernel to its console for the VM. Memory is the PSS of every host
// process a sandbox is made of, taken while it sits idle at its prompt.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import type { Readable } from 'node:stream';
import { FULL_ISOLATION, type ContainerSpec } from '../common/spec.js';
import { loadGvisor, destroySandbox, makeBundle, runscFlags } from '../server/compare/gvisor.js';
import { treePssKiB } from '../server/compare/measure.js';
import { COMPARE_CONTAINER_SPEC } from '../server/compare/places.js';
import { Vm, VmPool, loadVmImage } from '../server/compare/vm.js';
import { ContainerContexts } from '../server/container-context.js';
import { launcherArgs } from '../server/launcher.js';
import { defaultPaths } from '../server/paths.js';
import { summarize, type Summary } from './stats.js';

const CONTAINER_ROUNDS = Number(process.env.BENCH_CONTAINER_ROUNDS ?? 40);
const GVISOR_ROUNDS = Number(process.env.BENCH_GVISOR_ROUNDS ?? 12);
const VM_ROUNDS = Number(process.env.BENCH_VM_ROUNDS ?? 5);
const FIRST_LINE = "printf '\\036UP\\n'; read -r _";

export interface CompareBench {
  container: { start: Summary; pssKiB: number; spec: string };
  containerDocker: { start: Summary; pssKiB: number; spec: string };
  gvisor: { start: Summary; pssKiB: number } | { skipped: string };
  vm: { boot: Summary; pssKiB: number; accel: string } | { skipped: string };
  ratios: { gvisorOverContainer: number | null; vmOverContainer: number | null; gvisorOverContainerBest: number | null; vmOverContainerBest: number | null; loadAverage: number };
}

/** Spawns `cmd`, resolves at the first "\x1eUP" line with the elapsed time and the tree's PSS, then lets it end. */
function firstLine(cmd: string, args: string[], opts: { measurePss: boolean; extraFd?: boolean }): Promise<{ ms: number; pssKiB: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: opts.extraFd ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' } });
    if (opts.extraFd) (child.stdio[3] as Readable).resume();
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd}: no first line in 30 s: ${err.slice(-300)}`));
    }, 30_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', async (d: string) => {
      out += d;
      if (done || !out.includes('\x1eUP')) return;
      done = true;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      clearTimeout(timer);
      const pssKiB = opts.measurePss ? await treePssKiB(child.pid!) : 0;
      child.stdin!.end('\n');
      child.on('exit', () => resolve({ ms, pssKiB }));
    });
    child.on('exit', (code) => {
      if (!done) {
        clearTimeout(timer);
        reject(new Error(`${cmd} exited ${code} before its first line: ${err.slice(-300)}`));
      }
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
      const r = await firstLine(paths.launcher, ['--status-fd', '3', ...launcherArgs(spec, ctx.ctx), '--', '/bin/sh', '-c', FIRST_LINE], { measurePss: i === 3, extraFd: true });
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
  const containers = new ContainerContexts(paths.rootfs, paths.containers, paths.dockerSeccompProfile);
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
    for (let i = 0; i < VM_ROUNDS; i++) {
      const v = new Vm(image.value, accel, shells, paths.compareRun);
      await v.boot(60_000);
      samples.push(v.bootMs);
      if (i === 0) {
        await new Promise((r) => setTimeout(r, 1000)); // idle: the learners' shells are up
        pssKiB = (await v.pssKiB()) ?? 0;
      }
      const exited = new Promise((r) => v.onExit(r));
      v.shutdown();
      await exited;
    }
    vm = { boot: summarize(samples), pssKiB, accel: pool.accelNote };
    log(`VM boot → prompt (QEMU microvm, ${accel.toUpperCase()}, PVH vmlinux + initramfs): ${fmt(vm.boot)} · PSS ${mib(pssKiB)}   [target ≤ ${accel === 'kvm' ? '1 s (KVM)' : '4 s (TCG)'}]`);
  }

  const c = container.start.median;
  const ratios = {
    gvisorOverContainer: 'start' in gvisor ? gvisor.start.median / c : null,
    vmOverContainer: 'boot' in vm ? vm.boot.median / c : null,
    gvisorOverContainerBest: 'start' in gvisor ? gvisor.start.min / container.start.min : null,
    vmOverContainerBest: 'boot' in vm ? vm.boot.min / container.start.min : null,
    loadAverage: loadavg()[0]!,
  };
  // Medians against medians; "best" is fastest against fastest (what a quiet machine gives). Other
  // work on the machine inflates a container's few milliseconds far more than a VM's seconds.
  const load = `(1-min load average ${ratios.loadAverage.toFixed(2)} on ${cpus().length} CPUs)`;
  if (ratios.gvisorOverContainer !== null) log(`container vs gVisor start: ${ratios.gvisorOverContainer.toFixed(1)}× faster (median), ${ratios.gvisorOverContainerBest!.toFixed(1)}× (best)   [target ≥ 20×] ${load}`);
  if (ratios.vmOverContainer !== null) log(`container vs VM boot-to-prompt: ${ratios.vmOverContainer.toFixed(0)}× faster (median), ${ratios.vmOverContainerBest!.toFixed(0)}× (best)   [target ≥ 500×] ${load}`);
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
