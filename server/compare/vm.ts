// The comparison's virtual machine: QEMU booting Debian's kernel (build/vm, see scripts/vm-image.mjs)
// straight into a busybox initramfs, no firmware and no network.
//
// One QEMU process is one VM. Its serial console (ttyS0, on QEMU's stdio) belongs to the server: a
// root shell in the guest that runs one command per line (the probe) and marks where each output
// begins and ends. The learners get their own shells on virtio console ports (/dev/hvcN in the
// guest, a unix socket each on the host), each as its own unprivileged guest user: they share the
// VM read-only and cannot disturb one another. A port that changes hands is reset from the console
// (every process of its user killed, its home emptied, a fresh login shell).
//
// The pool boots at most `maxVms` of them, only when asked (a learner opens the VM tab, or the panel
// needs the VM's column), shuts a VM down after it has been idle, and never makes anything else wait
// for it: QEMU runs at a lower CPU priority and no container path awaits a VM.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { release as hostRelease, setPriority } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { LabPaths } from '../base/paths.js';
import { stopChild } from '../runtime/stop-process.js';
import { msSince, treePssKiB } from './measure.js';

export const QEMU = '/usr/bin/qemu-system-x86_64';
const SETPRIV = '/usr/bin/setpriv';
/** The hvc driver allocates eight consoles: at most eight learner shells per VM (scripts/vm-image.mjs). */
export const MAX_VM_SHELLS = 8;
/** The guest's memory and CPUs: what its /proc/meminfo and nproc will truthfully report. */
export const VM_MEMORY_MIB = 256;
export const VM_CPUS = 1;
/** A working KVM boots this kernel in well under a second; a KVM that hangs (this machine) is given up after this. */
const KVM_PROBE_TIMEOUT_MS = 2_500;
/** TCG boots in about three seconds on a quiet machine; a loaded one gets ample slack before we call it failed. */
const BOOT_TIMEOUT_MS = 30_000;
/** A console command (the probe, a port reset) that has not answered by then has hung. */
const COMMAND_TIMEOUT_MS = 15_000;
/** Niceness of QEMU: a booting VM must not slow the learners' containers down. */
const QEMU_NICE = 10;
/** QEMU exits at once on SIGTERM; one that has not exited by then is hung and gets SIGKILL. */
const QEMU_STOP_GRACE_MS = 2_000;
/** Console output kept while looking for markers; more is a runaway command. */
const MAX_CONSOLE_BUFFER = 4 * 1024 * 1024;

const VmManifest = z.object({
  kernel: z.string(),
  initramfs: z.string(),
  kernelRelease: z.string(),
  kernelPackage: z.string(),
  maxShells: z.number().int().positive(),
});

export interface VmImage {
  qemu: string;
  kernel: string;
  initramfs: string;
  kernelRelease: string;
  kernelPackage: string;
  maxShells: number;
  /** Uncompressed ELF (booted through PVH) or a bzImage. */
  pvh: boolean;
}

export type Availability<T> = { ok: true; value: T } | { ok: false; message: string };

/** The VM's image, or exactly what to install or run to get it. */
export function loadVmImage(paths: Pick<LabPaths, 'vmDir'>, qemu = QEMU): Availability<VmImage> {
  if (!existsSync(qemu)) {
    return { ok: false, message: `QEMU is not installed (${qemu}). Install it with: apt-get install qemu-system-x86 — or run \`npm start\` as root, which installs it.` };
  }
  const manifestFile = join(paths.vmDir, 'vm.json');
  if (!existsSync(manifestFile)) {
    let reason = 'it has not been prepared yet';
    try {
      reason = readFileSync(join(paths.vmDir, 'UNAVAILABLE'), 'utf8').trim();
    } catch {
      /* setup never ran its VM step */
    }
    return {
      ok: false,
      message: `The guest kernel and initramfs are missing (${reason}). Run \`npm run setup\` as root with access to Debian's package mirror: it downloads linux-image-amd64 with apt-get download and extracts the kernel under build/vm (nothing is installed on the host).`,
    };
  }
  const m = VmManifest.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
  const kernel = join(paths.vmDir, m.kernel);
  const initramfs = join(paths.vmDir, m.initramfs);
  for (const f of [kernel, initramfs]) {
    if (!existsSync(f)) return { ok: false, message: `${f} is missing: run \`npm run setup\` as root to prepare the VM again.` };
  }
  return { ok: true, value: { qemu, kernel, initramfs, kernelRelease: m.kernelRelease, kernelPackage: m.kernelPackage, maxShells: m.maxShells, pvh: !m.kernel.endsWith('bzImage') } };
}

export type Accel = 'kvm' | 'tcg';

/** The QEMU command line for one VM (exported for tests and the README). */
export function qemuArgs(image: VmImage, opts: { accel: Accel; shells: number; socketDir: string }): string[] {
  const cmdline = [
    'console=ttyS0',
    'panic=-1',
    'quiet',
    // Boot speed under TCG, where every instruction is emulated: no crypto self-tests, one UART to
    // probe, only the capability LSM, no audit, and no read-only remapping of the kernel's data
    // (its W+X check alone costs a quarter of a second). The VM's boundary is the hypervisor.
    'cryptomgr.notests',
    '8250.nr_uarts=1',
    'lsm=capability',
    'audit=0',
    'rodata=off',
    `isolab.shells=${opts.shells}`,
  ];
  // microvm has no HPET: under TCG the TSC calibration would spin for ever without these.
  if (opts.accel === 'tcg') cmdline.push('tsc_early_khz=2000000', 'lpj=8000000');
  const args = [
    '-M', 'microvm',
    ...(opts.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', 'qemu64']),
    '-m', `${VM_MEMORY_MIB}M`,
    '-smp', String(VM_CPUS),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    // No -netdev/-nic: the guest has no network device at all.
    '-chardev', 'stdio,id=console,signal=off',
    '-serial', 'chardev:console',
    '-kernel', image.kernel,
    '-initrd', image.initramfs,
    '-append', cmdline.join(' '),
  ];
  if (opts.shells > 0) {
    args.push('-device', `virtio-serial-device,max_ports=${opts.shells + 1}`);
    for (let n = 1; n <= opts.shells; n++) {
      args.push(
        '-chardev', `socket,id=shell${n},path=${join(opts.socketDir, `shell${n}.sock`)},server=on,wait=off`,
        '-device', `virtconsole,chardev=shell${n},nr=${n},name=isolab.shell.${n}`,
      );
    }
  }
  return args;
}

export class VmBootError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

interface PendingCommand {
  id: string;
  resolve(r: { output: string; code: number }): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** One running QEMU. */
export class Vm {
  readonly id = randomBytes(4).toString('hex');
  readonly socketDir: string;
  bootMs = 0;
  /** ISO time the VM answered its first prompt. */
  bootedAt = '';
  private child: ChildProcess | undefined;
  private buffer = '';
  private chain: Promise<unknown> = Promise.resolve();
  private pending: PendingCommand | undefined;
  private exited = false;
  private readonly leased = new Set<number>();
  private readonly exitListeners = new Set<(code: number | null) => void>();
  lastUsed = Date.now();

  constructor(
    readonly image: VmImage,
    readonly accel: Accel,
    readonly shells: number,
    runDir: string,
  ) {
    this.socketDir = join(runDir, `vm-${process.pid}-${this.id}`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return !!this.child && !this.exited;
  }

  get freePorts(): number {
    return this.shells - this.leased.size;
  }

  get leasedPorts(): number {
    return this.leased.size;
  }

  /** Spawns QEMU and resolves once the guest's console answers (boot time measured to that line). */
  boot(timeoutMs: number): Promise<void> {
    mkdirSync(this.socketDir, { recursive: true, mode: 0o700 });
    const started = process.hrtime.bigint();
    const args = qemuArgs(this.image, { accel: this.accel, shells: this.shells, socketDir: this.socketDir });
    // A server killed with SIGKILL must not leave a VM running: QEMU gets SIGKILL when its parent
    // dies (util-linux's setpriv sets PR_SET_PDEATHSIG and execs it; plain spawn cannot).
    const [file, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', this.image.qemu, ...args]] : [this.image.qemu, args];
    const child = spawn(file, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    this.child = child;
    try {
      if (child.pid) setPriority(child.pid, QEMU_NICE);
    } catch {
      /* not permitted: it still works, only at normal priority */
    }
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    child.stdout!.setEncoding('latin1');
    child.stdin!.on('error', () => {});
    return new Promise<void>((resolve, reject) => {
      let booted = false;
      const timer = setTimeout(() => {
        if (booted) return;
        this.shutdown();
        reject(new VmBootError(`the VM (${this.accel.toUpperCase()}) printed no prompt within ${timeoutMs} ms`, true));
      }, timeoutMs);
      child.stdout!.on('data', (chunk: string) => {
        this.buffer += chunk;
        if (this.buffer.length > MAX_CONSOLE_BUFFER) this.buffer = this.buffer.slice(-MAX_CONSOLE_BUFFER / 2);
        if (!booted) {
          const at = this.buffer.indexOf('\x1eISOLAB-VM-READY');
          if (at >= 0 && this.buffer.indexOf('\n', at) >= 0) {
            booted = true;
            this.bootMs = msSince(started);
            this.bootedAt = new Date().toISOString();
            this.buffer = this.buffer.slice(this.buffer.indexOf('\n', at) + 1);
            clearTimeout(timer);
            resolve();
          }
          return;
        }
        this.scan();
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new VmBootError(`QEMU could not be started: ${err.message}`, false));
      });
      child.on('exit', (code, signal) => {
        this.exited = true;
        clearTimeout(timer);
        rmSync(this.socketDir, { recursive: true, force: true });
        if (!booted) reject(new VmBootError(`QEMU exited (${signal ?? code}) before the guest was ready: ${stderr.trim().split('\n').slice(-2).join(' ')}`, false));
        this.pending?.reject(new Error('the VM stopped'));
        for (const l of this.exitListeners) l(code);
      });
    });
  }

  onExit(listener: (code: number | null) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Runs one shell command line as root in the guest; resolves with its output (stdout+stderr) and exit code. */
  run(command: string, timeoutMs = COMMAND_TIMEOUT_MS): Promise<{ output: string; code: number }> {
    if (command.includes('\n')) return Promise.reject(new Error('a console command is one line'));
    const exec = () =>
      new Promise<{ output: string; code: number }>((resolve, reject) => {
        if (!this.alive) return reject(new Error('the VM is not running'));
        this.lastUsed = Date.now();
        const id = randomBytes(6).toString('hex');
        const timer = setTimeout(() => {
          this.pending = undefined;
          reject(new Error(`the VM did not answer "${command.slice(0, 60)}" within ${timeoutMs} ms`));
        }, timeoutMs);
        this.pending = { id, resolve, reject, timer };
        this.child!.stdin!.write(`printf '\\036B%s\\n' ${id}; { ${command} ; } 2>&1; printf '\\036E%s %s\\n' ${id} "$?"\n`);
        this.scan();
      });
    const result = this.chain.then(exec, exec);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private scan(): void {
    const p = this.pending;
    if (!p) return;
    const begin = this.buffer.indexOf(`\x1eB${p.id}`);
    if (begin < 0) return;
    const bodyStart = this.buffer.indexOf('\n', begin);
    const end = this.buffer.indexOf(`\x1eE${p.id} `, begin);
    if (bodyStart < 0 || end < 0) return;
    const endLine = this.buffer.indexOf('\n', end);
    if (endLine < 0) return;
    const code = Number(this.buffer.slice(end + p.id.length + 3, endLine).trim());
    // The console is latin1-decoded (one char per byte); the body goes back to bytes, then UTF-8.
    const output = Buffer.from(this.buffer.slice(bodyStart + 1, end), 'latin1').toString('utf8').replace(/\r/g, '');
    this.buffer = this.buffer.slice(endLine + 1);
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve({ output, code });
  }

  /** Takes a free learner port (1-based), or null when all are taken. */
  leasePort(): number | null {
    for (let n = 1; n <= this.shells; n++) {
      if (!this.leased.has(n)) {
        this.leased.add(n);
        this.lastUsed = Date.now();
        return n;
      }
    }
    return null;
  }

  releasePort(n: number): void {
    if (!this.leased.delete(n)) return;
    this.lastUsed = Date.now();
    // Nothing the learner started keeps running after they leave.
    if (this.alive) void this.run(`/etc/isolab/reset ${n}`).catch(() => undefined);
  }

  /** Connects to port n's socket and gives it a fresh shell (whose first prompt arrives on the socket, paused: resume it). */
  async openPort(n: number): Promise<Socket> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(join(this.socketDir, `shell${n}.sock`));
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    // Whatever the port's previous shell wrote (its banner, from boot) is dropped: the learner's
    // terminal starts with their own new shell.
    const drop = () => {};
    socket.on('data', drop);
    try {
      // The shells come up behind the console at boot: wait for them (10 s at most), then end this
      // port's shell and hold the next one back until the old output is drained.
      await this.run(`i=0; while [ ! -e /run/isolab/shells-ready ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; /etc/isolab/reset ${n} hold`);
      socket.off('data', drop);
      socket.pause(); // the caller attaches its listener, then resumes
      await this.run(`rm -f /run/isolab/hold${n}`);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return socket;
  }

  /** The guest tty has no window size of its own: set it from the console (SIGWINCH follows). */
  resizePort(n: number, cols: number, rows: number): void {
    if (this.alive) void this.run(`stty -F /dev/hvc${n - 1} rows ${Math.trunc(rows)} cols ${Math.trunc(cols)}`).catch(() => undefined);
  }

  /** PSS of the QEMU process (guest memory it has touched, plus QEMU itself), in KiB. */
  async pssKiB(): Promise<number | null> {
    return this.child?.pid && this.alive ? treePssKiB(this.child.pid) : null;
  }

  shutdown(): void {
    const child = this.child;
    if (!child || this.exited) return;
    stopChild(child, 'SIGTERM', QEMU_STOP_GRACE_MS);
  }
}

/** Socket directories of servers that are gone (killed): nothing else owns them. */
export function removeStaleRunDirs(runDir: string, pattern: RegExp, onStale?: (dir: string) => void): void {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = pattern.exec(name)?.[1];
    if (!owner || Number(owner) === process.pid || existsSync(`/proc/${owner}`)) continue;
    onStale?.(join(runDir, name));
    rmSync(join(runDir, name), { recursive: true, force: true });
  }
}

/** Where a KVM that did not boot is remembered (tmpfs: forgotten at reboot), so only the first boot pays the probe. */
function accelCacheFile(runDir: string): string {
  return join(runDir, 'accel.json');
}

/** The gist of a failed KVM boot: a timeout, or QEMU's own last words. */
function shortReason(err: unknown): string {
  if (err instanceof VmBootError && err.timedOut) return `no prompt within ${KVM_PROBE_TIMEOUT_MS / 1000} s`;
  const msg = (err as Error).message;
  const qemuSays = /error: ([^.:]+)/.exec(msg);
  return (qemuSays ? qemuSays[1]! : msg).slice(0, 80);
}

function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', fsConstants.R_OK | fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export interface VmPoolOptions {
  /** At most this many VMs at once (each costs hundreds of MB). */
  maxVms: number;
  /** Learner shells per VM (virtio console ports; at most the image's maxShells). */
  shellsPerVm: number;
  /** A VM with no learner and no command for this long is shut down. */
  idleMs: number;
  runDir: string;
}

export const DEFAULT_VM_POOL: Omit<VmPoolOptions, 'runDir'> = { maxVms: 1, shellsPerVm: 6, idleMs: 5 * 60_000 };

/** What a learner holds while their VM tab is open. */
export interface VmShellLease {
  vm: Vm;
  port: number;
  release(): void;
}

export class VmPool {
  private readonly vms = new Set<Vm>();
  private booting: Promise<Vm> | undefined;
  private accel: Accel | undefined;
  /** Why KVM is not used, when it is not. */
  accelNote = '';
  private readonly idleTimer: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(
    readonly image: Availability<VmImage>,
    readonly opts: VmPoolOptions,
  ) {
    removeStaleRunDirs(opts.runDir, /^vm-(\d+)-/);
    this.idleTimer = setInterval(() => this.reapIdle(), Math.min(10_000, Math.max(1_000, opts.idleMs / 4)));
    this.idleTimer.unref();
    try {
      const cached = JSON.parse(readFileSync(accelCacheFile(opts.runDir), 'utf8')) as { key: string; accel: Accel; note: string };
      if (cached.key === this.accelKey()) {
        this.accel = cached.accel;
        this.accelNote = cached.note;
      }
    } catch {
      /* not probed yet on this boot */
    }
  }

  get running(): Vm[] {
    return [...this.vms].filter((v) => v.alive);
  }

  get isBooting(): boolean {
    return this.booting !== undefined;
  }

  /** Called whenever a VM starts or stops (the panel shows it). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private accelKey(): string {
    const image = this.image.ok ? `${this.image.value.kernelPackage}` : '';
    return `${hostRelease()}|${image}`;
  }

  /** A running VM (booting one if none runs), for commands such as the probe. */
  async anyVm(): Promise<Vm> {
    const vm = this.running[0];
    if (vm) return vm;
    return this.bootOne();
  }

  /** A learner shell: a free port on a running VM, or on a VM booted for it while the pool has room. */
  async leaseShell(): Promise<VmShellLease> {
    for (;;) {
      for (const vm of this.running) {
        const port = vm.leasePort();
        if (port !== null) return { vm, port, release: () => vm.releasePort(port) };
      }
      if (this.booting) {
        await this.booting.catch(() => undefined);
        if (this.running.some((v) => v.freePorts > 0)) continue;
      }
      if (this.running.length >= this.opts.maxVms) {
        throw new Error(`all ${this.opts.maxVms * this.opts.shellsPerVm} VM shells are in use (the server runs at most ${this.opts.maxVms} VM${this.opts.maxVms > 1 ? 's' : ''} of ${this.opts.shellsPerVm} shells); try again when someone leaves`);
      }
      await this.bootOne();
    }
  }

  private bootOne(): Promise<Vm> {
    if (!this.image.ok) return Promise.reject(new Error(this.image.message));
    if (this.closed) return Promise.reject(new Error('the server is shutting down'));
    if (this.booting) return this.booting;
    if (this.running.length >= this.opts.maxVms) {
      const vm = this.running[0]!;
      return Promise.resolve(vm);
    }
    const image = this.image.value;
    mkdirSync(this.opts.runDir, { recursive: true, mode: 0o700 });
    const shells = Math.min(this.opts.shellsPerVm, image.maxShells);
    const attempt = async (): Promise<Vm> => {
      if (this.accel === undefined) {
        if (!kvmUsable()) this.remember('tcg', 'TCG (software emulation): /dev/kvm is missing or not usable');
        else {
          const vm = new Vm(image, 'kvm', shells, this.opts.runDir);
          try {
            await vm.boot(KVM_PROBE_TIMEOUT_MS);
            this.remember('kvm', 'KVM');
            return vm;
          } catch (err) {
            vm.shutdown();
            this.remember('tcg', `TCG (software emulation): KVM did not boot the guest here (${shortReason(err)})`);
          }
        }
      }
      const vm = new Vm(image, this.accel!, shells, this.opts.runDir);
      await vm.boot(BOOT_TIMEOUT_MS);
      return vm;
    };
    const booting = attempt().then(
      (vm) => {
        this.booting = undefined;
        if (this.closed) {
          vm.shutdown();
          throw new Error('the server is shutting down');
        }
        this.vms.add(vm);
        vm.onExit(() => {
          this.vms.delete(vm);
          this.changed();
        });
        this.changed();
        return vm;
      },
      (err: unknown) => {
        this.booting = undefined;
        this.changed();
        throw err;
      },
    );
    this.booting = booting;
    this.changed();
    return booting;
  }

  private remember(accel: Accel, note: string): void {
    this.accel = accel;
    this.accelNote = note;
    try {
      mkdirSync(this.opts.runDir, { recursive: true, mode: 0o700 });
      writeFileSync(accelCacheFile(this.opts.runDir), JSON.stringify({ key: this.accelKey(), accel, note }));
    } catch {
      /* only a cache */
    }
  }

  private reapIdle(): void {
    const now = Date.now();
    for (const vm of this.running) {
      if (vm.leasedPorts === 0 && now - vm.lastUsed >= this.opts.idleMs) vm.shutdown();
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.idleTimer);
    for (const vm of this.vms) vm.shutdown();
  }
}
