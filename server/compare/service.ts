// The comparison, server-wide: the host's column (cheap, cached a few seconds), gVisor's and the VM's
// (expensive: a sandbox start, a VM boot; cached and shared by every learner, each with the time it
// was taken), and the learner's container's column (their own shell, computed on demand).
// Missing pieces (no QEMU, no guest kernel, no runsc) make a column "unavailable" with the exact
// thing to install; nothing else depends on them.
import { PLACES, PLACE_TITLES, type CompareColumn, type CompareView, type Place } from '../../common/compare.js';
import type { ContainerSpec } from '../../common/spec.js';
import type { SysviewReport } from '../../common/sysview.js';
import type { LabPaths } from '../base/paths.js';
import type { Prober } from '../observe/probe.js';
import { gvisorLimitsUnder, loadGvisor, type GvisorRuntime } from './gvisor.js';
import type { Ceilings } from '../floor/ceilings.js';
import { treePssKiB } from './measure.js';
import { cgroupLimits, describeContainer, gvisorAnswers, hostAnswers, joinedSysview, toFacts, vmAnswers, type PlaceAnswers } from './places.js';
import { DEFAULT_VM_POOL, VmPool, loadVmImage, type Availability, type VmPoolOptions } from './vm.js';

/** The host's own answers change slowly; one reading serves every learner for this long. */
const HOST_TTL_MS = 5_000;
/** A refresh of gVisor's column sooner than this after the last one returns the cached one. */
const GVISOR_MIN_REFRESH_MS = 15_000;
/** Likewise the VM's (its probe runs on the shared VM's console). */
const VM_MIN_REFRESH_MS = 30_000;
/** gVisor shells at once on this server (each sandbox is some 35 MB and a Sentry). */
export const DEFAULT_GVISOR_SHELLS = 8;

export interface CompareDeps {
  paths: LabPaths;
  prober: Prober;
  vm?: Partial<Omit<VmPoolOptions, 'runDir'>>;
  gvisorShells?: number;
  /** A workshop server's ceilings: the gVisor sandboxes stay under them too. */
  ceilings?: Ceilings;
}

interface SharedColumn {
  column: CompareColumn;
  running: Promise<void> | undefined;
  lastRun: number;
}

export class CompareService {
  readonly vmPool: VmPool;
  readonly gvisor: Availability<GvisorRuntime>;
  readonly maxGvisorShells: number;
  gvisorShells = 0;
  private host: { at: number; answers: Promise<PlaceAnswers> } | undefined;
  private readonly shared: Record<'gvisor' | 'vm', SharedColumn>;
  private readonly listeners = new Set<(column: CompareColumn) => void>();

  constructor(private readonly deps: CompareDeps) {
    const pool = { ...DEFAULT_VM_POOL, ...deps.vm, runDir: deps.paths.compareRun };
    const image = pool.maxVms > 0 ? loadVmImage(deps.paths) : ({ ok: false, message: 'this server runs no VM (--vm-pool 0)' } as const);
    this.vmPool = new VmPool(image, pool);
    this.gvisor = loadGvisor(deps.paths, undefined, deps.ceilings ? gvisorLimitsUnder(deps.ceilings) : undefined);
    this.maxGvisorShells = deps.gvisorShells ?? DEFAULT_GVISOR_SHELLS;
    const initial = (place: 'gvisor' | 'vm', avail: Availability<unknown>): SharedColumn => ({
      column: avail.ok ? { place, title: PLACE_TITLES[place], state: 'pending', cached: false, message: 'not measured yet' } : { place, title: PLACE_TITLES[place], state: 'unavailable', cached: false, message: avail.message },
      running: undefined,
      lastRun: 0,
    });
    this.shared = { gvisor: initial('gvisor', this.gvisor), vm: initial('vm', this.vmPool.image) };
    this.vmPool.onChange(() => this.emit(this.vmColumnNow()));
  }

  /** Called with a column whenever gVisor's or the VM's changes (every watching learner gets it). */
  onColumn(listener: (column: CompareColumn) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(column: CompareColumn): void {
    for (const l of this.listeners) l(column);
  }

  private hostAnswers(): Promise<PlaceAnswers> {
    const now = Date.now();
    if (!this.host || now - this.host.at > HOST_TTL_MS) {
      const answers = hostAnswers(this.deps.paths);
      answers.catch(() => (this.host = undefined));
      this.host = { at: now, answers };
    }
    return this.host.answers;
  }

  private async hostSysview(): Promise<SysviewReport | null> {
    return this.hostAnswers().then((a) => a.sysview, () => null);
  }

  async hostColumn(): Promise<CompareColumn> {
    try {
      const a = await this.hostAnswers();
      return { place: 'host', title: PLACE_TITLES.host, state: 'ready', facts: toFacts('host', a, a.sysview), takenAt: new Date(this.host!.at).toISOString(), cached: false };
    } catch (err) {
      return { place: 'host', title: PLACE_TITLES.host, state: 'error', message: (err as Error).message, cached: false };
    }
  }

  /**
   * A learner's container: the probe and the sysview join their very shell, confined as it is
   * (`joinOptions`: its cgroup, capabilities, seccomp filter — docker exec's), so even the system
   * call sweep answers as the learner's own commands would.
   */
  async containerColumn(c: { spec: ContainerSpec; shellPid: number | null; launcherPid: number | null; joinOptions: readonly string[] | null; spawnToReadyMs: number | null }): Promise<CompareColumn> {
    const base = { place: 'container' as const, title: PLACE_TITLES.container, cached: false };
    if (!c.shellPid || !c.joinOptions) return { ...base, state: 'error', message: 'the shell is not running: restart it to compare' };
    try {
      const [probe, sysview, host, pss] = await Promise.all([
        this.deps.prober.container(c.shellPid, c.joinOptions),
        joinedSysview(this.deps.paths, c.shellPid, c.joinOptions),
        this.hostSysview(),
        c.launcherPid ? treePssKiB(c.launcherPid) : Promise.resolve(null),
      ]);
      const limits = cgroupLimits(c.shellPid);
      const answers: PlaceAnswers = {
        probe,
        sysview,
        startMs: c.spawnToReadyMs,
        startWhat: 'spawn → shell ready',
        pssKiB: pss,
        pssWhat: 'launcher + shell',
        memLimitBytes: limits.memoryBytes,
        cpuLimit: limits.cpus,
        ...describeContainer(c.spec),
      };
      return { ...base, state: 'ready', facts: toFacts('container', answers, host), takenAt: new Date().toISOString() };
    } catch (err) {
      return { ...base, state: 'error', message: (err as Error).message };
    }
  }

  /** gVisor's column now (cached or pending); with `refresh`, or when never measured, measures it again in the background. */
  gvisorColumn(refresh = false): CompareColumn {
    const s = this.shared.gvisor;
    if (!this.gvisor.ok) return s.column;
    const rt = this.gvisor.value;
    const due = s.lastRun === 0 || (refresh && Date.now() - s.lastRun >= GVISOR_MIN_REFRESH_MS);
    if (due && !s.running) {
      s.lastRun = Date.now();
      s.column = { ...s.column, state: 'pending' };
      s.running = (async () => {
        try {
          const [a, host] = await Promise.all([gvisorAnswers(rt), this.hostSysview()]);
          s.column = { place: 'gvisor', title: PLACE_TITLES.gvisor, state: 'ready', facts: toFacts('gvisor', a, host), takenAt: new Date().toISOString(), cached: true, detail: 'runsc --platform=ptrace --network=none' };
        } catch (err) {
          s.column = { place: 'gvisor', title: PLACE_TITLES.gvisor, state: 'error', message: (err as Error).message, cached: false, ...(s.column.facts ? { facts: s.column.facts, takenAt: s.column.takenAt } : {}) };
        } finally {
          s.running = undefined;
          this.emit(s.column);
        }
      })();
    }
    return s.column;
  }

  /** The VM's column now; measuring boots the shared VM if none runs (and leaves it to the idle timer). */
  vmColumn(refresh = false): CompareColumn {
    const s = this.shared.vm;
    if (!this.vmPool.image.ok) return s.column;
    const due = s.lastRun === 0 || (refresh && Date.now() - s.lastRun >= VM_MIN_REFRESH_MS);
    if (due && !s.running) {
      s.lastRun = Date.now();
      s.column = { ...s.column, state: 'pending', message: this.vmPool.running.length ? 'probing the VM…' : 'booting the shared VM…' };
      s.running = (async () => {
        try {
          const vm = await this.vmPool.anyVm();
          const [a, host] = await Promise.all([vmAnswers(vm, this.vmPool.accelNote), this.hostSysview()]);
          s.column = { place: 'vm', title: PLACE_TITLES.vm, state: 'ready', facts: toFacts('vm', a, host), takenAt: new Date().toISOString(), cached: true, detail: this.vmDetail() };
        } catch (err) {
          s.column = { place: 'vm', title: PLACE_TITLES.vm, state: 'error', message: (err as Error).message, cached: false, ...(s.column.facts ? { facts: s.column.facts, takenAt: s.column.takenAt } : {}) };
        } finally {
          s.running = undefined;
          this.emit(s.column);
        }
      })();
    }
    return this.vmColumnNow();
  }

  private vmDetail(): string {
    const running = this.vmPool.running;
    const image = this.vmPool.image.ok ? this.vmPool.image.value.kernelPackage : '';
    const state = this.vmPool.isBooting ? 'booting' : running.length ? `${running.length} running, ${running.reduce((n, v) => n + v.leasedPorts, 0)} learner shell(s)` : 'off (boots on demand, stops when idle)';
    return [image, this.vmPool.accelNote, state].filter(Boolean).join(' · ');
  }

  private vmColumnNow(): CompareColumn {
    const c = this.shared.vm.column;
    return this.vmPool.image.ok ? { ...c, detail: this.vmDetail() } : c;
  }

  /** Waits for gVisor's and the VM's measurements in flight (the CLI, tests). */
  async settled(): Promise<void> {
    await Promise.all([this.shared.gvisor.running, this.shared.vm.running]);
  }

  /** The four columns in order, given the container's. */
  view(container: CompareColumn, host: CompareColumn, refresh = false): CompareView {
    const notice = refresh ? this.refreshNotice() : undefined;
    const columns: Record<Place, CompareColumn> = { container, host, gvisor: this.gvisorColumn(refresh), vm: this.vmColumn(refresh) };
    return { columns: PLACES.map((p) => columns[p]), generatedAt: new Date().toISOString(), ...(notice ? { notice } : {}) };
  }

  /**
   * A refresh asked for sooner than a column may be measured again keeps the last measurement;
   * the page says so, with when it can be done, instead of appearing to do nothing.
   */
  private refreshNotice(): string | undefined {
    const wait = (s: SharedColumn, minMs: number) => (s.running || s.lastRun === 0 ? 0 : Math.ceil((s.lastRun + minMs - Date.now()) / 1000));
    const waits = [
      ['gVisor', this.gvisor.ok ? wait(this.shared.gvisor, GVISOR_MIN_REFRESH_MS) : 0, GVISOR_MIN_REFRESH_MS],
      ['the VM', this.vmPool.image.ok ? wait(this.shared.vm, VM_MIN_REFRESH_MS) : 0, VM_MIN_REFRESH_MS],
    ] as const;
    const deferred = waits.filter(([, s]) => s > 0);
    if (!deferred.length) return undefined;
    return deferred.map(([what, s, min]) => `${what} is measured again at most every ${min / 1000} s: this is its last measurement (again in ${s} s)`).join('; ');
  }

  /** The shared columns as they are now, without starting anything. */
  sharedColumns(): { gvisor: CompareColumn; vm: CompareColumn } {
    return { gvisor: this.shared.gvisor.column, vm: this.vmColumnNow() };
  }

  close(): void {
    this.vmPool.close();
  }
}
