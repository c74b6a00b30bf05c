// "Why did that fail?": a command that failed in the learner's shell is run again in throwaway
// containers — first with the learner's exact settings (it must fail there too), then with one
// isolation layer lifted at a time — and the layers whose lifting lets it through are named. The
// seccomp filter of every re-run hands its refusals to the launcher's supervisor
// (--seccomp-notify, server/runtime/seccomp/notify.ts), so the refused system call is named as well, even
// where the filter may not be lifted.
//
// Safety. Re-running a command repeats its side effects, so it only ever runs in a container of
// its own: its own root filesystem (an overlay whose writes live on a tmpfs in the container's
// mount namespace and vanish with it — never the host's /), its own mount, PID, IPC, UTS and
// network namespaces (loopback only), a cgroup with memory, process and CPU limits, and a time
// limit after which the whole container is killed. Settings without an own root filesystem are
// refused: the command would touch the machine's real files again. One layer lifted is what the
// learner could switch off themselves; on a workshop server the layers it keeps on for everyone
// are never lifted (their refusals are still named through the seccomp supervisor).
//
// Pure parts (tested in diagnose.test.ts): throwawaySpec, liftsFor, classifyRun, effectOf,
// describeNotice, conclusionFor. The Diagnoser runs the containers.
import { ownCapabilities } from '../runtime/host-capabilities.js';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type {
  DiagnoseLayer,
  DiagnoseLayerId,
  DiagnoseRefusal,
  DiagnoseRun,
  DiagnoseSyscall,
  DiagnoseVerdict,
} from '../../common/protocol.js';
import { errnoName } from '../../common/errno.js';
import { CAPABILITIES, type Capability } from '../../common/capabilities.js';
import { ContainerSpec, type ToggleId } from '../../common/spec.js';
import type { ContainerContexts } from '../runtime/container-context.js';
import { LabError } from '../base/errors.js';
import { capToCeilings, type Ceilings } from '../floor/ceilings.js';
import type { LearnerMachine } from '../runtime/learner-machine.js';
import { launcherArgs, shellEnv } from '../runtime/launcher.js';
import { failedStep, readStatusLines, type SeccompNotifyLine } from '../runtime/status-lines.js';
import type { SeccompProfile } from '../runtime/seccomp/profile.js';
import { stopChild } from '../runtime/stop-process.js';

/** One re-run: a container starts in tens of milliseconds and a refused call fails at once; a command still running after this is killed with its whole container. */
export const RUN_TIMEOUT_MS = 3_000;
/** A whole diagnosis; the page waits longer than this for the answer (web/src/app/socket.ts). */
export const DIAGNOSIS_BUDGET_MS = 20_000;
/** Re-runs per diagnosis: the baseline, ≤ 11 single lifts, ≤ 10 to name the capability, all lifted, ≤ 11 to find the smallest set. */
export const MAX_RUNS = 34;
/** Runs spent narrowing "capabilities" down to the one capability (halving Docker's 27 missing ones takes 5 to 10). */
const MAX_CAPABILITY_RUNS = 10;
/** Output kept per run: its first and its last 16 KiB (a flood in between is counted, not kept). */
const OUTPUT_HEAD_BYTES = 16 * 1024;
const OUTPUT_TAIL_BYTES = 16 * 1024;
/**
 * Output read per run. Beyond it the server stops reading: a flood (`yes`) then blocks on its full
 * pipe instead of keeping the server busy, until the time limit ends it.
 */
const OUTPUT_READ_MAX_BYTES = 1024 * 1024;
/** The launcher's own stderr kept per run (its complaints are a line or two). */
const STDERR_BYTES = 2 * 1024;
/** What the page shows of a run's output: its last lines, this many characters at most. */
export const EXCERPT_CHARS = 600;
/** Diagnoses running at once on one server (each starts its containers one after another). */
export const MAX_CONCURRENT_DIAGNOSES = 2;
/** Diagnoses one session may start per minute. */
export const MAX_DIAGNOSES_PER_MINUTE = 6;
/** Limits of a throwaway container: the learner's, but never more than these. */
export const THROWAWAY_LIMITS = { memoryBytes: 256 * 1024 * 1024, pidsLimit: 64, cpus: 1 } as const;
const SIGSYS_EXIT = 128 + 31;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

// ---- the throwaway container's settings ----

export const NO_ROOTFS_REFUSAL =
  'A diagnosis re-runs your command several times in throwaway containers, each with its own root filesystem that is thrown ' +
  'away afterwards. Your shell has no own root filesystem, so the command would run against this machine\'s real files, ' +
  'again and again. Switch on "Own root filesystem" (it needs the mount namespace), run the command there, and ask again.';

/**
 * The learner's settings made safe to re-run a command in: their own root filesystem is required
 * (else the reason is returned), and what the re-run adds on top is listed for the learner.
 */
export function throwawaySpec(spec: ContainerSpec): { spec: ContainerSpec; adjustments: string[] } | { refused: string } {
  if (!spec.rootfs) return { refused: NO_ROOTFS_REFUSAL };
  const next = clone(spec);
  const adjustments: string[] = [];
  const namespaces = [['mount', 'mount'], ['pid', 'PID'], ['ipc', 'IPC'], ['uts', 'UTS'], ['net', 'network']] as const;
  const added = namespaces.filter(([ns]) => !next.namespaces[ns]);
  for (const [ns] of added) next.namespaces[ns] = true;
  if (added.length) adjustments.push(`its own ${added.map(([, label]) => label).join(', ')} namespace${added.length > 1 ? 's' : ''} (your shell has none)`);
  if (next.network.mode === 'bridge') {
    next.network = { mode: 'loopback', rate: null };
    adjustments.push('network: loopback only (your shell is on the isolab bridge)');
  }
  if (next.filesystem.rootMode === 'chroot') {
    next.filesystem.rootMode = 'pivot';
    adjustments.push('root switch: pivot_root instead of your chroot (a chroot leaves this machine\'s files within reach)');
  }
  const r = next.resources;
  const L = THROWAWAY_LIMITS;
  const limits = `${L.memoryBytes / 1024 / 1024} MiB of memory, ${L.pidsLimit} processes, ${L.cpus} CPU`;
  if (!r.cgroup) {
    next.resources = { ...r, cgroup: true, memoryBytes: L.memoryBytes, memorySwapBytes: null, cpus: L.cpus, pidsLimit: L.pidsLimit, devices: 'allow-all', deviceRules: [] };
    adjustments.push(`a cgroup of its own: ${limits} (device access unrestricted, as in your shell)`);
  } else {
    const lowered: string[] = [];
    if (r.memoryBytes === null || r.memoryBytes > L.memoryBytes) {
      r.memoryBytes = L.memoryBytes;
      if (r.memorySwapBytes !== null && r.memorySwapBytes !== -1 && r.memorySwapBytes < r.memoryBytes) r.memorySwapBytes = r.memoryBytes;
      lowered.push(`${L.memoryBytes / 1024 / 1024} MiB of memory`);
    }
    if (r.pidsLimit === null || r.pidsLimit > L.pidsLimit) {
      r.pidsLimit = L.pidsLimit;
      lowered.push(`${L.pidsLimit} processes`);
    }
    if (r.cpus === null || r.cpus > L.cpus) {
      r.cpus = L.cpus;
      lowered.push(`${L.cpus} CPU`);
    }
    if (lowered.length) adjustments.push(`your cgroup limits, at most ${lowered.join(', ')}`);
  }
  adjustments.push(`killed after ${RUN_TIMEOUT_MS / 1000} s; its writes go to a copy of the image that is thrown away`);
  return { spec: ContainerSpec.parse(next), adjustments };
}

// ---- the layers ----

interface LayerDef {
  id: DiagnoseLayerId;
  title: string;
  /** The switch that governs it: a workshop server that keeps this switch on never lifts it. */
  toggle: ToggleId | null;
  isOn(spec: ContainerSpec): boolean;
  lift(spec: ContainerSpec): ContainerSpec;
  /** What lifting changes, in the learner's terms. */
  describe(spec: ContainerSpec): string;
  /** The verdict's sentence when lifting it lets the command through. */
  blame: string;
}

const listed = (names: readonly string[], max = 4) => (names.length > max ? `${names.slice(0, max).join(', ')}, …` : names.join(', '));
const with_ = <K extends keyof ContainerSpec>(spec: ContainerSpec, key: K, value: ContainerSpec[K]): ContainerSpec => ({ ...clone(spec), [key]: value });

const LAYERS: readonly LayerDef[] = [
  {
    id: 'seccomp',
    title: 'seccomp filter',
    toggle: 'seccomp',
    isOn: (s) => s.seccomp !== 'unconfined',
    lift: (s) => with_(s, 'seccomp', 'unconfined'),
    describe: (s) => `seccomp: unconfined (was ${s.seccomp === 'custom' ? 'your own profile' : 'Docker\'s default profile'})`,
    blame: 'The seccomp filter refused it',
  },
  {
    id: 'capabilities',
    title: 'capabilities',
    toggle: 'caps',
    isOn: (s) => s.capabilities !== 'all',
    lift: (s) => with_(s, 'capabilities', 'all'),
    describe: (s) => {
      const kept = s.capabilities === 'all' ? CAPABILITIES : s.capabilities;
      const note = s.seccomp === 'docker-default' ? '; Docker\'s seccomp profile, compiled for the container\'s capabilities, then allows what they unlock' : '';
      return `capabilities: all ${CAPABILITIES.length} (was ${kept.length}${kept.length ? `: ${listed(kept)}` : ''})${note}`;
    },
    blame: 'A missing capability refused it',
  },
  {
    id: 'read-only-root',
    title: 'read-only root',
    toggle: 'readonly',
    isOn: (s) => s.filesystem.readOnly,
    lift: (s) => with_(s, 'filesystem', { ...s.filesystem, readOnly: false }),
    describe: () => 'root filesystem: writable (was read-only)',
    blame: 'The read-only root filesystem refused it',
  },
  {
    id: 'masked-paths',
    title: 'masked and read-only paths',
    toggle: 'masked',
    isOn: (s) => s.filesystem.maskedPaths || s.filesystem.readonlyPaths,
    lift: (s) => with_(s, 'filesystem', { ...s.filesystem, maskedPaths: false, readonlyPaths: false }),
    describe: (s) =>
      `masked and read-only paths: none (was Docker's: ${[s.filesystem.maskedPaths && '/proc/kcore, /proc/keys, … hidden', s.filesystem.readonlyPaths && '/proc/sys, /proc/sysrq-trigger, … read-only'].filter(Boolean).join('; ')})`,
    blame: 'Docker\'s masked and read-only paths refused it',
  },
  {
    id: 'landlock',
    title: 'Landlock',
    toggle: 'landlock',
    isOn: (s) => s.landlock.enabled,
    lift: (s) => with_(s, 'landlock', { enabled: false, readOnly: [], readWrite: [] }),
    describe: (s) => `Landlock: off (was read-only ${listed(s.landlock.readOnly) || 'nothing'}; read-write ${listed(s.landlock.readWrite) || 'nothing'})`,
    blame: 'Landlock refused it',
  },
  {
    id: 'device-cgroup',
    title: 'device cgroup',
    toggle: 'limits',
    isOn: (s) => s.resources.cgroup && s.resources.devices !== 'allow-all',
    lift: (s) => with_(s, 'resources', { ...s.resources, devices: 'allow-all', deviceRules: [] }),
    describe: (s) =>
      `device access: every device (was Docker's list: null, zero, full, random, urandom, tty, console, ptmx, pts${s.resources.deviceRules.length ? `, and ${s.resources.deviceRules.join('; ')}` : ''})`,
    blame: 'The device cgroup refused it',
  },
  {
    id: 'user-namespace',
    title: 'user namespace',
    toggle: 'user',
    isOn: (s) => s.namespaces.user,
    lift: (s) => with_(s, 'namespaces', { ...s.namespaces, user: false }),
    describe: () => 'user namespace: none, so root inside is root on this machine (was: an unprivileged uid outside)',
    blame: 'The user namespace refused it: root inside it is not root on this machine',
  },
  {
    id: 'no-new-privs',
    title: 'no_new_privs',
    toggle: 'nnp',
    isOn: (s) => s.noNewPrivs,
    lift: (s) => with_(s, 'noNewPrivs', false),
    describe: () => 'no_new_privs: off (setuid programs and file capabilities work again)',
    blame: 'no_new_privs refused it',
  },
  {
    id: 'lsm',
    title: 'LSM labels',
    toggle: null,
    isOn: (s) => s.apparmor !== null || s.selinuxLabel !== null,
    lift: (s) => ({ ...clone(s), apparmor: null, selinuxLabel: null }),
    describe: (s) => `LSM labels: none (was ${[s.apparmor && `AppArmor profile ${s.apparmor}`, s.selinuxLabel && `SELinux label ${s.selinuxLabel}`].filter(Boolean).join(', ')})`,
    blame: 'The LSM (AppArmor or SELinux) refused it',
  },
  {
    id: 'rlimits',
    title: 'resource limits',
    toggle: null,
    isOn: (s) => Object.keys(s.rlimits).length > 0,
    lift: (s) => with_(s, 'rlimits', {}),
    describe: (s) => `resource limits (ulimit): none (was ${Object.keys(s.rlimits).join(', ')})`,
    blame: 'A resource limit (ulimit) refused it',
  },
  {
    id: 'user',
    title: 'non-root user',
    toggle: null,
    isOn: (s) => s.user !== null,
    lift: (s) => with_(s, 'user', null),
    describe: (s) => `user: root (was uid ${s.user?.uid}, gid ${s.user?.gid})`,
    blame: 'Running as a non-root user refused it',
  },
];

export interface Lift {
  layer: DiagnoseLayerId;
  title: string;
  lifted: string;
  apply(spec: ContainerSpec): ContainerSpec;
}

export const FLOOR_KEEPS_ON =
  'kept on by this workshop server for everyone: lifting it, even in a throwaway container, would give the command powers the server withholds';

export const CEILINGS_KEEP =
  "kept at this workshop server's ceilings for everyone: what is left of it once lifted is the ceiling itself";

/**
 * The layers that are on in SPEC, in DIAGNOSE_LAYERS order; those governed by a switch of the floor
 * (FLOOR_TOGGLES) are not lifted. With a workshop's CEILINGS a lift goes no higher than they do
 * (open files stay at the ceiling), and a layer that is nothing but a ceiling is not lifted.
 */
export function liftsFor(spec: ContainerSpec, floorToggles: readonly string[], ceilings?: Ceilings): { lifts: Lift[]; notLifted: DiagnoseVerdict['notLifted'] } {
  const lifts: Lift[] = [];
  const notLifted: DiagnoseVerdict['notLifted'] = [];
  for (const def of LAYERS) {
    if (!def.isOn(spec)) continue;
    if (def.toggle && floorToggles.includes(def.toggle)) {
      notLifted.push({ layer: def.id, title: def.title, reason: FLOOR_KEEPS_ON });
      continue;
    }
    const apply = ceilings ? (s: ContainerSpec) => capToCeilings(def.lift(s), ceilings) : def.lift;
    if (ceilings && JSON.stringify(apply(spec)) === JSON.stringify(spec)) {
      notLifted.push({ layer: def.id, title: def.title, reason: CEILINGS_KEEP });
      continue;
    }
    lifts.push({ layer: def.id, title: def.title, lifted: def.describe(spec), apply });
  }
  return { lifts, notLifted };
}

// ---- what a run's output says ----

const REFUSALS: readonly [DiagnoseRefusal, RegExp][] = [
  ['EPERM', /operation not permitted|\bEPERM\b/i],
  ['EACCES', /permission denied|\bEACCES\b/i],
  ['EROFS', /read-only file ?system|\bEROFS\b/i],
  ['SIGSYS', /bad system call|\bSIGSYS\b/i],
];

export interface RawRun {
  /** The launcher's exit code (PROGRAM's, or 128 + signal); null when it was killed. */
  exitCode: number | null;
  output: string;
  timedOut: boolean;
  /** It printed more than OUTPUT_READ_MAX_BYTES; reading stopped there. */
  flooded?: boolean;
  /** The launcher's error line (or why it could not be started): the container never ran. */
  launchError: string | null;
  notices: SeccompNotifyLine[];
}

const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** The last lines of OUTPUT as a page may show them: no escape sequences, at most EXCERPT_CHARS. */
export function excerptOf(output: string): string {
  const clean = output.replace(/\r\n?/g, '\n').replace(ESCAPES, '').replace(CONTROLS, '').replace(/\n+$/, '');
  if (clean.length <= EXCERPT_CHARS) return clean;
  const tail = clean.slice(-EXCERPT_CHARS);
  const nl = tail.indexOf('\n');
  return `…${nl >= 0 && nl < tail.length - 1 ? tail.slice(nl) : tail}`;
}

const CLONE_FLAGS: readonly [number, string][] = [
  [0x00000080, 'CLONE_NEWTIME'], [0x00020000, 'CLONE_NEWNS'], [0x02000000, 'CLONE_NEWCGROUP'], [0x04000000, 'CLONE_NEWUTS'],
  [0x08000000, 'CLONE_NEWIPC'], [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'], [0x40000000, 'CLONE_NEWNET'],
];
const ADDRESS_FAMILIES: Record<number, string> = { 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET', 38: 'AF_ALG', 40: 'AF_VSOCK' };

/** A refused call as the learner reads it: "unshare(CLONE_NEWUSER)", its errno, its program. */
export function describeNotice(n: SeccompNotifyLine): DiagnoseSyscall {
  const name = n.syscall ?? `syscall ${n.nr}`;
  const arg = (i: number) => Number(BigInt(n.args[i] ?? '0x0') & 0xffffffffn);
  let detail = '';
  if (n.syscall === 'unshare' || n.syscall === 'clone' || n.syscall === 'setns') {
    const flags = arg(n.syscall === 'setns' ? 1 : 0);
    detail = CLONE_FLAGS.filter(([bit]) => flags & bit).map(([, label]) => label).join('|');
  } else if (n.syscall === 'socket') {
    const family = arg(0);
    detail = ADDRESS_FAMILIES[family] ?? `family ${family}`;
  }
  return {
    syscall: name,
    // man-page style when there is nothing telling to show: mount(2)
    call: detail ? `${name}(${detail})` : `${name}(2)`,
    errno: errnoName(n.errno),
    program: n.comm,
  };
}

export function classifyRun(raw: RawRun): DiagnoseRun {
  const seccompRefused = raw.notices.map(describeNotice);
  const excerpt = excerptOf(raw.output);
  if (raw.launchError !== null) {
    return { outcome: 'not-started', exitCode: null, refusals: [], excerpt, seccompRefused, note: raw.launchError };
  }
  const refusals = REFUSALS.filter(([, re]) => re.test(raw.output)).map(([name]) => name);
  if (raw.exitCode === SIGSYS_EXIT && !refusals.includes('SIGSYS')) refusals.push('SIGSYS');
  const outcome = raw.timedOut ? 'timeout' : refusals.length ? 'refused' : raw.exitCode === 0 ? 'succeeded' : 'failed';
  const note = raw.flooded ? `it printed more than ${OUTPUT_READ_MAX_BYTES / 1024 / 1024} MiB; the rest was not read` : undefined;
  return { outcome, exitCode: raw.timedOut ? null : raw.exitCode, refusals, excerpt, seccompRefused, ...(note ? { note } : {}) };
}

/** The same text, give or take numbers (PIDs, addresses) that differ from run to run. */
const sameText = (a: string, b: string) => a.replace(/\d+/g, '#') === b.replace(/\d+/g, '#');

/** What lifting a layer did, compared with the run under the learner's settings. */
export function effectOf(baseline: DiagnoseRun, run: DiagnoseRun): DiagnoseLayer['effect'] {
  if (run.outcome === 'not-run' || run.outcome === 'not-started' || run.outcome === 'timeout') return run.outcome;
  if (run.outcome === 'succeeded') return 'works';
  if (baseline.outcome === 'refused' && run.outcome === 'failed') return 'gets-past';
  const same =
    run.outcome === baseline.outcome &&
    run.exitCode === baseline.exitCode &&
    run.refusals.join() === baseline.refusals.join() &&
    sameText(run.excerpt, baseline.excerpt);
  return same ? 'no-change' : 'changed';
}

const clears = (effect: DiagnoseLayer['effect']) => effect === 'works' || effect === 'gets-past';

// ---- the answer, in words ----

const quote = (command: string) => `\`${command.length > 80 ? `${command.slice(0, 77)}…` : command}\``;
const titleOf = (id: DiagnoseLayerId) => LAYERS.find((l) => l.id === id)!.title;
const blameOf = (id: DiagnoseLayerId) => LAYERS.find((l) => l.id === id)!.blame;
/**
 * The refusals worth a sentence. An ENOSYS answer is the filter saying "no such call" (Docker's
 * for clone3), which programs take as a cue to fall back to an older call, not as a failure.
 */
const calls = (run: DiagnoseRun) =>
  [...new Set(run.seccompRefused.filter((c) => c.errno !== 'ENOSYS').map((c) => `${c.call} (${c.errno}, from ${c.program || 'a process that has gone'})`))];
const andList = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
/** The first line of the output that says what was refused, for quoting. */
const refusalLine = (run: DiagnoseRun) => run.excerpt.split('\n').find((l) => REFUSALS.some(([, re]) => re.test(l)))?.trim();

export type VerdictFacts = Omit<DiagnoseVerdict, 'conclusion'> & {
  /** The capability that alone lets it through, when the bisection found one (null: no single one). */
  capability?: Capability | null;
  /** Every layer was also lifted at once (when no single one cleared it). */
  allLiftedTried?: boolean;
  /**
   * A workshop server's guard filter was under every re-run (docs/floor.md). It answers with an
   * errno of its own, before any profile's supervisor is asked, so its refusals are never named.
   */
  guarded?: boolean;
};

export function conclusionFor(v: VerdictFacts): string {
  const b = v.baseline;
  if (b.outcome === 'not-started') return `The throwaway container did not start, so nothing could be tried: ${b.note ?? 'no reason given'}.`;
  if (b.outcome === 'timeout') {
    return `${quote(v.command)} was still running after ${RUN_TIMEOUT_MS / 1000} seconds under your settings${b.note ? ` (${b.note})` : ''}, so it was stopped with its container. A diagnosis needs a command that ends by itself (a refused call usually fails at once).`;
  }
  if (!v.reproduced) {
    return `It did not fail here: under your settings, in a fresh throwaway container, ${quote(v.command)} exited 0 with no refusal. What made it fail in your shell is probably something your shell had changed (files, the current directory, variables, a process it needed), or one of the re-run's own additions listed below.`;
  }
  const sentences: string[] = [];
  const seccompCalls = calls(b);
  const layer = (id: DiagnoseLayerId) => v.layers.find((l) => l.layer === id);
  const single = v.layers.filter((l) => clears(l.effect));
  const how = (l: DiagnoseLayer) => (l.effect === 'works' ? 'it worked' : 'it got past the refusal (and then failed for another reason)');
  if (single.length === 1) {
    const l = single[0]!;
    sentences.push(`${blameOf(l.layer)}: with the ${l.title} lifted, ${how(l)}.`);
  } else if (single.length > 1) {
    sentences.push(`Lifting any one of these lets it through: ${andList(single.map((l) => `the ${l.title} (${how(l)})`))}.`);
  } else if (v.combination) {
    const names = v.combination.layers.map(titleOf);
    sentences.push(
      v.combination.layers.length === 1
        ? `${blameOf(v.combination.layers[0]!)}.`
        : `No single layer is to blame: it took the ${andList(names)} lifted together (${v.combination.run.outcome === 'succeeded' ? 'then it worked' : 'then it got past the refusal'}).`,
    );
  } else {
    const quoted = refusalLine(b);
    sentences.push(
      v.layers.length
        ? `No isolation layer you can switch refused it: with each of the ${v.layers.length} layers that are on lifted in turn${v.allLiftedTried ? ', and with all of them at once,' : ''} it still failed${quoted ? ` ("${quoted}")` : ''}.`
        : `None of the layers that could refuse it is switched on (or may be lifted here), so there was nothing to lift.`,
    );
    sentences.push(
      b.outcome === 'refused'
        ? v.guarded
          ? 'The refusal comes from something the switches do not control: the file\'s own owner and mode, the kernel itself, the namespaces the re-run adds for safety, or this workshop server\'s guard filter, which refuses io_uring, the keyrings, bpf, perf events, userfaultfd, rare socket families and 32-bit calls under every profile.'
          : 'The refusal comes from something the switches do not control: the file\'s own owner and mode, the kernel itself, or the namespaces the re-run adds for safety.'
        : 'It fails for another reason than isolation: read its message.',
    );
  }
  // The filter and the capabilities are tied: Docker's profile (moby's "includes") allows some calls
  // only to a container holding the capability they need, and it is compiled for the container's
  // capabilities. A run with every capability whose filter refused nothing shows that tie.
  const filterLayer = layer('seccomp');
  const capsLayer = layer('capabilities');
  const filterClears = !!filterLayer && clears(filterLayer.effect);
  const capsThroughFilter = seccompCalls.length > 0 && !!capsLayer && clears(capsLayer.effect) && capsLayer.seccompRefused.length === 0;
  const capName = v.capability ? `CAP_${v.capability}` : null;
  if (seccompCalls.length) sentences.push(`The seccomp filter refused ${andList(seccompCalls)}.`);
  if (capsThroughFilter && filterClears) {
    sentences.push(
      `The capabilities count only through the filter: its profile allows that call only to a container holding ${capName ?? 'a capability this one lacks'}, while the kernel asked for none (with the filter lifted it worked with your capabilities).`,
    );
  } else {
    if (capsLayer && clears(capsLayer.effect) && v.capability !== undefined) {
      sentences.push(capName ? `The capability it needs is ${capName}: with only that one added, it went through.` : 'No single capability was enough on its own; it needs several.');
    }
    if (capsThroughFilter) {
      sentences.push(`The profile allows that call only to a container holding ${capName ?? 'the capability it needs'}, so lifting capabilities lifted the filter's refusal too.`);
    }
  }
  if (v.notLifted.length) {
    const filterKept = v.notLifted.some((n) => n.layer === 'seccomp');
    sentences.push(
      `Not lifted, because this workshop server keeps them on: ${andList(v.notLifted.map((n) => `the ${n.title}`))}${filterKept && seccompCalls.length ? ' (the filter\'s refusal above is still real: it is what you would have to allow)' : ''}.`,
    );
  }
  return sentences.join(' ');
}

// ---- running it ----


export interface DiagnoseRequestContext {
  /** The learner's shell's settings, as they are now. */
  spec: ContainerSpec;
  command: string;
  /** Names the throwaway containers' cgroups (and so whose they are). */
  owner: string;
  /** Switches the server keeps on for this learner (workshop mode). */
  floorToggles: readonly string[];
  /** A workshop server's ceilings: no throwaway container goes above them. */
  ceilings?: Ceilings;
  customSeccomp?: SeccompProfile;
  /** A workshop learner's machine: the throwaway containers are built in it, as the shell is. */
  machine?: LearnerMachine | undefined;
  /** Aborted when the session ends: the running container is killed, nothing more is started. */
  signal: AbortSignal;
}

/** Bytes kept from a stream: the first HEAD and the last TAIL, and how many were dropped between. */
class BoundedOutput {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;

  constructor(
    private readonly headMax: number,
    private readonly tailMax: number,
  ) {}

  push(chunk: Buffer): void {
    if (this.headBytes < this.headMax) {
      const take = chunk.subarray(0, this.headMax - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes - (this.tail[0]?.length ?? 0) >= this.tailMax) {
      const gone = this.tail.shift()!;
      this.tailBytes -= gone.length;
      this.dropped += gone.length;
    }
  }

  text(): string {
    const decode = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');
    return decode(this.head) + (this.dropped ? `\n[… ${this.dropped} bytes not kept …]\n` : '') + decode(this.tail);
  }
}

export class Diagnoser {
  private running = 0;

  constructor(
    private readonly launcher: string,
    private readonly containers: ContainerContexts,
  ) {}

  get active(): number {
    return this.running;
  }

  async diagnose(req: DiagnoseRequestContext): Promise<DiagnoseVerdict> {
    const started = Date.now();
    const prepared = throwawaySpec(req.spec);
    if ('refused' in prepared) throw new LabError('forbidden', prepared.refused);
    if (this.running >= MAX_CONCURRENT_DIAGNOSES) {
      throw new LabError('server_full', `${MAX_CONCURRENT_DIAGNOSES} diagnoses are running on this server already; ask again in a few seconds`);
    }
    this.running++;
    try {
      return await this.work(req, prepared.spec, prepared.adjustments, started);
    } finally {
      this.running--;
    }
  }

  private async work(req: DiagnoseRequestContext, spec: ContainerSpec, adjustments: string[], started: number): Promise<DiagnoseVerdict> {
    const deadline = started + DIAGNOSIS_BUDGET_MS;
    let runs = 0;
    const run = async (s: ContainerSpec): Promise<DiagnoseRun> => {
      if (req.signal.aborted) throw new LabError('not_started', 'the session ended during the diagnosis');
      if (runs >= MAX_RUNS || Date.now() + RUN_TIMEOUT_MS > deadline) {
        return { outcome: 'not-run', exitCode: null, refusals: [], excerpt: '', seccompRefused: [], note: 'not tried: the diagnosis had used its time' };
      }
      runs++;
      return classifyRun(await this.runOnce(s, req));
    };

    const baseline = await run(spec);
    const reproduced = baseline.outcome === 'refused' || baseline.outcome === 'failed';
    const { lifts, notLifted } = liftsFor(spec, req.floorToggles, req.ceilings);
    const layers: DiagnoseLayer[] = [];
    let combination: DiagnoseVerdict['combination'] = null;
    let capability: Capability | null | undefined;
    let allLiftedTried = false;
    if (reproduced) {
      for (const lift of lifts) {
        const result = await run(lift.apply(spec));
        const effect = effectOf(baseline, result);
        layers.push({ ...result, layer: lift.layer, title: lift.title, lifted: lift.lifted, succeeded: effect === 'works', effect });
      }
      const capsLayer = layers.find((l) => l.layer === 'capabilities');
      if (capsLayer && clears(capsLayer.effect) && spec.capabilities !== 'all') {
        capability = await this.narrowCapability(spec, spec.capabilities, baseline, run);
      }
      if (!layers.some((l) => clears(l.effect)) && lifts.length > 1) {
        const found = await this.smallestSet(spec, lifts, baseline, run);
        allLiftedTried = found.tried;
        combination = found.combination;
      }
    }
    const culprits = layers.filter((l) => clears(l.effect)).map((l) => l.layer);
    if (culprits.length === 0 && combination) culprits.push(...combination.layers);
    const facts: VerdictFacts = {
      command: req.command,
      reproduced,
      baseline,
      layers,
      notLifted,
      combination,
      culprits,
      adjustments,
      runs,
      elapsedMs: Date.now() - started,
      ...(capability !== undefined ? { capability } : {}),
      allLiftedTried,
      guarded: this.containers.guarded,
    };
    const conclusion = conclusionFor(facts);
    // Said in the conclusion; not part of the protocol.
    delete facts.capability;
    delete facts.allLiftedTried;
    delete facts.guarded;
    return { ...facts, conclusion };
  }

  /**
   * Which one missing capability lets it through: halves of the missing set added to the kept
   * ones, down to one name (the container's seccomp profile is compiled for each set, as docker
   * compiles it). null when no single capability is enough (neither half helps on its own);
   * undefined when it could not be told within MAX_CAPABILITY_RUNS runs or the diagnosis' time.
   */
  private async narrowCapability(
    spec: ContainerSpec,
    kept: Capability[],
    baseline: DiagnoseRun,
    run: (s: ContainerSpec) => Promise<DiagnoseRun>,
  ): Promise<Capability | null | undefined> {
    // Only what the launcher can hand out: it has the server's own capabilities (a server in a
    // container may lack some, and the launcher refuses to add those).
    const available = ownCapabilities('CapPrm');
    let candidates = CAPABILITIES.filter((c) => !kept.includes(c) && available.includes(c));
    let tries = 0;
    const helps = async (extra: Capability[]): Promise<boolean | undefined> => {
      if (tries++ >= MAX_CAPABILITY_RUNS) return undefined;
      const result = await run({ ...spec, capabilities: [...kept, ...extra] });
      return result.outcome === 'not-run' || result.outcome === 'not-started' ? undefined : clears(effectOf(baseline, result));
    };
    // Each step keeps the half that lets it through on its own, so the last name left has been
    // tried alone (with only one missing capability, the "capabilities" run itself tried it).
    while (candidates.length > 1) {
      const half = candidates.slice(0, Math.ceil(candidates.length / 2));
      const rest = candidates.slice(half.length);
      const first = await helps(half);
      if (first === undefined) return undefined;
      if (first) {
        candidates = half;
        continue;
      }
      const second = await helps(rest);
      if (second === undefined) return undefined;
      if (!second) return null;
      candidates = rest;
    }
    return candidates[0];
  }

  /**
   * When no single lift clears it: everything lifted, then each layer put back in turn and kept
   * only if putting it back brings the refusal back (a 1-minimal set). No combination when even
   * everything lifted does not clear it.
   */
  private async smallestSet(
    spec: ContainerSpec,
    lifts: Lift[],
    baseline: DiagnoseRun,
    run: (s: ContainerSpec) => Promise<DiagnoseRun>,
  ): Promise<{ tried: boolean; combination: DiagnoseVerdict['combination'] }> {
    const applied = (set: Lift[]) => set.reduce((s, l) => l.apply(s), spec);
    let needed = [...lifts];
    let last = await run(applied(needed));
    if (last.outcome === 'not-run') return { tried: false, combination: null };
    if (!clears(effectOf(baseline, last))) return { tried: true, combination: null };
    for (const lift of lifts) {
      const without = needed.filter((l) => l !== lift);
      const result = await run(applied(without));
      if (result.outcome === 'not-run') break;
      if (clears(effectOf(baseline, result))) {
        needed = without;
        last = result;
      }
    }
    return { tried: true, combination: { layers: needed.map((l) => l.layer), run: last } };
  }

  /** One throwaway container running `sh -l -c COMMAND` (stderr into stdout), killed at RUN_TIMEOUT_MS. */
  private runOnce(spec: ContainerSpec, req: DiagnoseRequestContext): Promise<RawRun> {
    const context = this.containers.acquire(spec, `${req.owner}-why`, req.customSeccomp, { throwaway: true, seccompNotify: true, ...(req.machine ? { machine: req.machine } : {}) });
    const args = ['--status-fd', '3', ...launcherArgs(spec, context.ctx), '--', '/bin/sh', '-l', '-c', `exec 2>&1\n${req.command}`];
    return new Promise<RawRun>((resolve) => {
      const output = new BoundedOutput(OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES);
      const stderr = new BoundedOutput(STDERR_BYTES, 0);
      const notices: SeccompNotifyLine[] = [];
      let launchError: string | null = null;
      let timedOut = false;
      let flooded = false;
      let read = 0;
      const child = spawn(this.launcher, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: shellEnv(), cwd: '/' });
      // The launcher kills and reaps the container and removes its cgroup (SIGKILL past the grace period).
      const stop = () => stopChild(child, 'SIGTERM');
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, RUN_TIMEOUT_MS);
      const onAbort = () => stop();
      req.signal.addEventListener('abort', onAbort, { once: true });
      child.stdout!.on('data', (d: Buffer) => {
        output.push(d);
        read += d.length;
        if (read > OUTPUT_READ_MAX_BYTES && !flooded) {
          flooded = true;
          child.stdout!.pause();
        }
      });
      child.stderr!.on('data', (d: Buffer) => stderr.push(d));
      readStatusLines(child.stdio[3] as Readable, (line) => {
        if (line.type === 'seccomp-notify') notices.push(line);
        else if (line.type === 'error') launchError = failedStep(line);
      });
      let settled = false;
      const finish = (code: number | null, spawnError?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal.removeEventListener('abort', onAbort);
        context.release();
        if (spawnError) launchError = `the launcher could not be started: ${spawnError.message}`;
        else if (launchError === null && code === 125) launchError = stderr.text().trim() || 'the launcher failed (exit 125)';
        resolve({ exitCode: code, output: output.text(), timedOut, flooded, launchError, notices });
      };
      // A paused stdout would hold back 'close': once the launcher is gone, what is left unread goes.
      child.on('exit', () => {
        if (flooded) child.stdout!.destroy();
      });
      child.on('error', (err) => finish(null, err));
      child.on('close', (code, signal) => finish(signal ? null : code));
    });
  }
}
