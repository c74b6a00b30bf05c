// `isolab compare [--json] [--no-gvisor] [--no-vm]`: the comparison panel's table from the command
// line, measured now: a container of its own (docker's defaults with the teaching limits, started by
// the launcher), the host, a fresh gVisor sandbox and a freshly booted VM, one after the other so
// that none of them slows another's start down.
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { PLACES, PLACE_TITLES, compareRows, type CompareColumn, type CompareView, type Place } from '../../common/compare.js';
import { ContainerContexts } from '../runtime/container-context.js';
import { loadGvisor } from '../compare/gvisor.js';
import { COMPARE_CONTAINER_SPEC, containerAnswers, containerStartMs, gvisorAnswers, gvisorStartMs, hostAnswers, median, toFacts, vmAnswers, type PlaceAnswers } from '../compare/places.js';
import { VmPool, loadVmImage } from '../compare/vm.js';
import { defaultPaths } from '../base/paths.js';

export const COMPARE_USAGE = '  isolab compare [--json] [--no-gvisor] [--no-vm]';

export class CompareUsageError extends Error {}

/** Container and gVisor starts are cheap: the table shows the median of this many (a VM boots once). */
const STARTS = 3;

async function sequence<T>(n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

export async function compareCommand(args: string[]): Promise<number> {
  let values: { json?: boolean; 'no-gvisor'?: boolean; 'no-vm'?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean' }, 'no-gvisor': { type: 'boolean' }, 'no-vm': { type: 'boolean' } }, strict: true }));
  } catch (err) {
    throw new CompareUsageError((err as Error).message);
  }
  if (process.getuid?.() !== 0) throw new CompareUsageError('isolab compare needs root: the launcher creates namespaces and mounts, runsc and QEMU start sandboxes (try: sudo npx isolab compare)');
  const paths = defaultPaths();
  for (const f of [paths.launcher, paths.probe, paths.sysview, paths.rootfs]) {
    if (!existsSync(f)) throw new CompareUsageError(`${f} is missing; run \`npm run setup\` first`);
  }
  const progress = (msg: string) => {
    if (!values.json) process.stderr.write(`… ${msg}\n`);
  };
  const column = (place: Place, a: PlaceAnswers, host: PlaceAnswers, detail?: string): CompareColumn => ({
    place,
    title: PLACE_TITLES[place],
    state: 'ready',
    facts: toFacts(place, a, host.sysview),
    takenAt: new Date().toISOString(),
    cached: false,
    ...(detail ? { detail } : {}),
  });
  const failed = (place: Place, state: 'unavailable' | 'error', message: string): CompareColumn => ({ place, title: PLACE_TITLES[place], state, message, cached: false });

  progress('the host');
  const host = await hostAnswers(paths);
  const columns: Partial<Record<Place, CompareColumn>> = { host: column('host', host, host) };

  progress('a container (isolab-launcher)');
  const containers = ContainerContexts.forLab(paths);
  try {
    const deps = { paths, containers };
    const a = await containerAnswers(deps, COMPARE_CONTAINER_SPEC, 'isolab-compare');
    // Start times: the median of three starts (one of them the start that answered).
    const starts = [a.startMs!, ...(await sequence(STARTS - 1, () => containerStartMs(deps, COMPARE_CONTAINER_SPEC, 'isolab-compare')))];
    columns.container = column('container', { ...a, startMs: median(starts), startWhat: `spawn → first line, median of ${STARTS}` }, host, "docker's defaults, 256 MiB, 0.5 CPU, no bridge");
  } catch (err) {
    columns.container = failed('container', 'error', (err as Error).message);
  }

  /** A sandbox's column: skipped when asked, unavailable when its runtime is missing, an error when measuring fails. */
  const measured = async <T>(place: Place, skip: boolean, avail: { ok: true; value: T } | { ok: false; message: string }, what: string, measure: (value: T) => Promise<CompareColumn>): Promise<CompareColumn> => {
    if (skip) return failed(place, 'unavailable', `skipped (--no-${place})`);
    if (!avail.ok) return failed(place, 'unavailable', avail.message);
    progress(what);
    try {
      return await measure(avail.value);
    } catch (err) {
      return failed(place, 'error', (err as Error).message);
    }
  };
  columns.gvisor = await measured('gvisor', !!values['no-gvisor'], loadGvisor(paths), 'a gVisor sandbox (runsc --platform=ptrace)', async (rt) => {
    const a = await gvisorAnswers(rt);
    const starts = [a.startMs!, ...(await sequence(STARTS - 1, () => gvisorStartMs(rt)))];
    return column('gvisor', { ...a, startMs: median(starts), startWhat: `runsc run → first line, median of ${STARTS}` }, host, 'runsc --platform=ptrace --network=none');
  });
  const image = values['no-vm'] ? undefined : loadVmImage(paths);
  columns.vm = await measured('vm', !!values['no-vm'], image ?? { ok: false, message: '' }, 'booting a VM (QEMU)', async (img) => {
    // No learner ports: this VM only answers the probe, then it is shut down.
    const pool = new VmPool(image!, { maxVms: 1, shellsPerVm: 0, idleMs: 60_000, runDir: paths.compareRun });
    try {
      const vm = await pool.anyVm();
      return column('vm', await vmAnswers(vm, pool.accelNote), host, `${img.kernelPackage} · ${pool.accelNote}`);
    } finally {
      pool.close();
    }
  });

  // Every sandbox of this command has been deleted: its runsc state directory goes too.
  const rt = loadGvisor(paths);
  if (rt.ok) rmSync(dirname(rt.value.stateDir), { recursive: true, force: true });

  const view: CompareView = { columns: PLACES.map((p) => columns[p]!), generatedAt: new Date().toISOString() };
  if (values.json) console.log(JSON.stringify(view, null, 2));
  else console.log(renderTable(view));
  return view.columns.every((c) => c.state === 'ready' || c.state === 'unavailable') ? 0 : 1;
}

/** The table as plain text: one row per question, one column per place. */
export function renderTable(view: CompareView): string {
  const rows = compareRows(view);
  const header = ['', ...view.columns.map((c) => c.title)];
  const body = rows.map((r) => [r.label, ...r.cells]);
  const width = (i: number) => Math.min(44, Math.max(...[header, ...body].map((r) => r[i]!.length)));
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (r: string[]) => r.map((cell, i) => fit(cell, width(i))).join('  ').trimEnd();
  const notes = view.columns.filter((c) => c.message || c.detail).map((c) => `${c.title}: ${c.message ?? c.detail}`);
  return [line(header), ...body.map(line), '', ...notes].join('\n');
}
