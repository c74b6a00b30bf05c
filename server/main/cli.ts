// The `isolab` command line: serve the lab, run a command in a container (docker run's flags),
// print a container's settings as a docker command or an OCI config.json, validate lessons.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { constants, machine, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatSize, ociConfigJson, toDockerRun, toOciConfig } from '../../common/export.js';
import { ownCapabilities } from '../runtime/host-capabilities.js';
import { dockerHostFacts, imageDisk } from '../runtime/block-device.js';
import { COMPARE_USAGE, CompareUsageError, compareCommand } from './cli-compare.js';
import { MAX_VM_SHELLS } from '../compare/vm.js';
import { ContainerContexts } from '../runtime/container-context.js';
import { describeContainersStorage } from '../runtime/containers-tmpfs.js';
import { describeReap } from '../runtime/reap-orphans.js';
import { isLoopbackHost } from '../base/loopback.js';
import { LabError } from '../base/errors.js';
import { FlagError, RUN_USAGE, parseGroup, parsePasswd, parseRunFlags, type RunFlagsDeps } from './docker-flags.js';
import { launcherArgs, shellCommand } from '../runtime/launcher.js';
import { failedStep, readStatusLines, type ErrorLine } from '../runtime/status-lines.js';
import { validateLessonsDir } from '../lessons/index.js';
import { DEFAULT_RESUME_GRACE_MS } from '../session/resumable.js';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, WORKSHOP_SESSION_LIMITS, serve } from './serve.js';
import { formatDoctorReport, refusalText, runDoctor, warnings } from '../doctor/report.js';
import { DEFAULT_VERIFY_TIMEOUT_MS, formatVerdict, verifyLessons, verifyPassed } from './lessons-verify.js';
import { defaultPaths, type LabPaths } from '../base/paths.js';
import { PlayError, play } from './play.js';
import { loadDemos } from '../demos/load.js';
import { formatDemoVerdict, verifyDemos } from './demos-verify.js';
import { SeccompProfileError, parseSeccompProfileJson } from '../runtime/seccomp/profile.js';
import { CEILING_FLAGS, DEFAULT_CEILINGS, describeCeilings, parseCeilings, weighCeilings, type Ceilings } from '../floor/ceilings.js';
import { hostSwapBytes, onlineCpus } from '../runtime/host-limits.js';
import { formatBytes } from '../../common/spec.js';

/** The workshop's ceilings, one flag a line, with its default. */
const CEILINGS_USAGE = [
  '               workshop ceilings per learner (a learner may ask for less, never for more):',
  ...CEILING_FLAGS.map(({ flag, key, help }) => `                 --${flag.padEnd(26)} ${help}; default ${describeDefault(key)}`),
].join('\n');

function describeDefault(key: keyof Ceilings): string {
  const v = DEFAULT_CEILINGS[key];
  return key === 'memoryBytes' || key === 'swapBytes' || key === 'tmpfsBytes' ? formatSize(v) : String(v);
}

const USAGE = `isolab — learn how containers isolate, primitive by primitive

Usage:
  isolab serve [--host 127.0.0.1] [--port 7681] [--mode solo|workshop] [--max-sessions N]
               [--allowed-host NAME]... [--token TOKEN] [--resume-grace SECONDS]
               [--idle-timeout DURATION] [--max-session DURATION] [--max-connections-per-address N]
               [--vm-pool N] [--vm-shells N] [--vm-idle-seconds N] [--gvisor-shells N]
               [--audience [HOST:]PORT]   (the audience's read-only view of a shared terminal)
${CEILINGS_USAGE}
  isolab present [DEMO] [SERVE OPTIONS]   (a solo lab in presenter mode; docs/demos.md)
  isolab run [DOCKER RUN OPTIONS] [--] [COMMAND [ARG...]]
                                   (isolab run --help lists them)
  isolab export [--format docker|oci] [DOCKER RUN OPTIONS] [--] [COMMAND [ARG...]]
  isolab doctor [--json]           (can this host give the workshop floor? docs/doctor.md)
  isolab lessons validate [DIR]
  isolab lessons verify [DIR] [--only ID]... [--timeout SECONDS] [--mode solo|workshop [--learner-…]]
  isolab demos validate [DIR]
  isolab demos verify [DIR] [--only ID]... [--transcript]
${COMPARE_USAGE}
  isolab play [--speed N] [--idle-time-limit S] [--markers] FILE.cast
  isolab help`;

const SERVE_USAGE = `Usage: isolab serve [OPTIONS]

Serve the lab's page and its shells.
  --host ADDRESS        where to listen (default 127.0.0.1; solo mode refuses anything but loopback)
  --port N              default 7681 (0 = any free port)
  --mode solo|workshop  workshop: a shared server, with a floor of isolation no learner can lower
  --max-sessions N      learners at once (default 8 solo, 500 workshop)
  --allowed-host NAME   a host name the page may be served under besides loopback (repeatable)
  --token TOKEN         the access token in the printed URL (default: a random one)
  --idle-timeout DURATION
                        end a connection nothing was typed into for this long; the page is warned
                        2 minutes before (default ${WORKSHOP_SESSION_LIMITS.idleMs / 60_000}m in a workshop, off solo; 0 = off)
  --max-session DURATION
                        end every connection this long after it began, warned the same way
                        (default ${WORKSHOP_SESSION_LIMITS.maxMs / 3600_000}h in a workshop, off solo; 0 = off)
  --max-connections-per-address N
                        connections one address may hold at once (default ${DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}); the one over
                        it is refused with a message and the others go on. A room behind one NAT
                        is one address: size it for the room.
  --vm-pool N, --vm-shells N, --vm-idle-seconds N, --gvisor-shells N
                        the comparison panel's VMs and gVisor shells
  --audience [HOST:]PORT
                        the audience's read-only view of a shared terminal
A DURATION is a number with s, m or h (90s, 30m, 8h); a bare number is seconds.`;

const EXPORT_USAGE = `Usage: isolab export [--format docker|oci] [OPTIONS] [--] [COMMAND [ARG...]]

Print the container that \`isolab run\` with the same OPTIONS would start:
  --format docker   as the equivalent \`docker run\` command line (the default): only the flags
                    that differ from docker's defaults
  --format oci      as an OCI runtime-spec config.json (runc, crun): put it in a bundle directory
                    next to the image in rootfs/, then \`runc run --bundle DIR ID\`
What the settings ask for that the format cannot express is listed on stderr, one line each.
Exit status 2 for a refused option.`;

/** `isolab run` exits with its program's status, so its own failures use docker's 125 (2 could be the program's). */
const EXIT_RUN_FAILED = 125;
const EXIT_USAGE = 2;
/** `isolab doctor`, and `serve --mode workshop` refusing to start: an essential of the floor is missing. */
const EXIT_FLOOR_MISSING = 1;

/** Every command, by the word that names it; help and unknown words are main's. */
const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: (args) => serveCommand(args),
  run: (args) => run(args),
  export: (args) => exportSpec(args),
  lessons: (args) => lessons(args),
  present: (args) => presentCommand(args),
  demos: (args) => demos(args),
  play: (args) => play(args),
  compare: (args) => compareCommand(args),
  doctor: (args) => doctor(args),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const handler = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (handler) return await handler(rest);
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`isolab: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    const failed = command === 'run' ? EXIT_RUN_FAILED : EXIT_USAGE;
    if (err instanceof FlagError) {
      console.error(`isolab ${command}: ${err.message}\nSee 'isolab ${command} --help'.`);
      return failed;
    }
    if (err instanceof UsageError || err instanceof CompareUsageError || err instanceof PlayError) {
      console.error(`isolab: ${err.message}`);
      return failed;
    }
    throw err;
  }
}

class UsageError extends Error {}

type ArgOptions = NonNullable<ParseArgsConfig['options']>;

function parse<O extends ArgOptions>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true } as const);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new UsageError(`${what} needs root: the launcher creates namespaces and mounts (try: sudo npm start)`);
  }
}

function requireBuilt(paths: ReturnType<typeof defaultPaths>): void {
  for (const f of [paths.launcher, paths.probe, paths.addon, paths.rootfs]) {
    if (!existsSync(f)) throw new UsageError(`${f} is missing; run \`npm run setup\` (or \`npm start\`) first`);
  }
}


/** A DURATION flag's value in milliseconds: "90s", "30m", "8h", or bare seconds; 0 = off. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d{1,7})(s|m|h)?$/.exec(value);
  if (!m) throw new UsageError(`${flag} must be a duration like 90s, 30m or 8h (0 = off), got "${value}"`);
  const unitMs = { s: 1000, m: 60_000, h: 3600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
  return Number(m[1]) * unitMs;
}

/** `--audience [HOST:]PORT`: where the audience's read-only view listens (HOST defaults to every address). */
export function parseAudience(value: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[^:\s]+):)?(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || port < 0 || port > 65535) throw new UsageError(`--audience must be [HOST:]PORT, e.g. 0.0.0.0:7682, got "${value}"`);
  return { host: (m[1] ?? '0.0.0.0').replace(/^\[(.*)\]$/, '$1'), port };
}

/** `isolab present [DEMO]`: a solo lab in presenter mode, its URL opening the demo. */
async function presentCommand(args: string[]): Promise<number> {
  const demo = args[0] && !args[0].startsWith('-') ? args[0] : undefined;
  const rest = demo ? args.slice(1) : args;
  if (demo) {
    const { demos } = await loadDemos(defaultPaths().demos);
    if (!demos.some((d) => d.view.id === demo)) throw new UsageError(`no demo "${demo}" (there are: ${demos.map((d) => d.view.id).join(', ') || 'none'}; see docs/demos.md)`);
  }
  return serveCommand(rest, { present: demo ?? true });
}

async function serveCommand(args: string[], opts: { present?: string | true } = {}): Promise<number> {
  const { values } = parse(args, {
    audience: { type: 'string' },
    host: { type: 'string', default: process.env.ISOLAB_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.ISOLAB_PORT ?? '7681' },
    mode: { type: 'string', default: 'solo' },
    'max-sessions': { type: 'string' },
    'allowed-host': { type: 'string', multiple: true, default: [] },
    token: { type: 'string' },
    'vm-pool': { type: 'string', default: '1' },
    'vm-shells': { type: 'string', default: '6' },
    'vm-idle-seconds': { type: 'string', default: '300' },
    // How long a shell waits for its page after the connection dropped (session/resumable.ts).
    'resume-grace': { type: 'string', default: String(DEFAULT_RESUME_GRACE_MS / 1000) },
    'gvisor-shells': { type: 'string', default: '8' },
    ...CEILING_OPTIONS,
    'idle-timeout': { type: 'string' },
    'max-session': { type: 'string' },
    'max-connections-per-address': { type: 'string', default: String(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS) },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const count = (flag: string, min: number, max: number): number => {
    const v = Number(values[flag as keyof typeof values]);
    if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${String(values[flag as keyof typeof values])}"`);
    return v;
  };
  const vmPool = count('vm-pool', 0, 8);
  const vmShells = count('vm-shells', 1, MAX_VM_SHELLS);
  const vmIdleSeconds = count('vm-idle-seconds', 10, 86_400);
  const gvisorShells = count('gvisor-shells', 0, 256);
  const maxConnectionsPerAddress = count('max-connections-per-address', 1, 100_000);
  const resumeGraceSeconds = count('resume-grace', 1, 3_600);
  const host = String(values.host);
  const port = Number(values.port);
  const mode = String(values.mode);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got "${values.port}"`);
  if (mode !== 'solo' && mode !== 'workshop') throw new UsageError(`--mode must be solo or workshop, got "${mode}"`);
  if (mode === 'solo' && !isLoopbackHost(host)) {
    throw new UsageError(
      `refusing to serve solo mode on ${host}: solo mode lets a learner switch every isolation off, which hands a root shell on this machine to anyone who can reach the port. Use --mode workshop, or keep --host 127.0.0.1.`,
    );
  }
  const maxSessions = values['max-sessions'] === undefined ? (mode === 'solo' ? 8 : 500) : Number(values['max-sessions']);
  if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new UsageError('--max-sessions must be a positive integer');
  const cpuCount = onlineCpus().members.size;
  const ceilings = ceilingsFrom(values, mode, cpuCount);
  const limitsByDefault = mode === 'workshop' ? WORKSHOP_SESSION_LIMITS : { idleMs: 0, maxMs: 0 };
  const sessionLimits = {
    idleMs: values['idle-timeout'] === undefined ? limitsByDefault.idleMs : parseDuration('--idle-timeout', values['idle-timeout']),
    maxMs: values['max-session'] === undefined ? limitsByDefault.maxMs : parseDuration('--max-session', values['max-session']),
  };
  requireRoot('isolab serve');
  const paths = defaultPaths();
  requireBuilt(paths);

  if (mode === 'workshop') {
    // The floor is promised to every learner: without what it is made of, do not start.
    const report = await runDoctor(paths);
    const refusal = refusalText(report);
    if (refusal) {
      console.error(`isolab: ${refusal}`);
      return EXIT_FLOOR_MISSING;
    }
    for (const w of warnings(report)) console.error(`[isolab] warning: ${w}`);
    console.log(`[isolab] this host gives the workshop floor (isolab doctor's ${report.checks.length} checks, ${report.elapsedMs} ms)`);
  }

  const audience = typeof values.audience === 'string' ? parseAudience(values.audience) : undefined;
  const token = typeof values.token === 'string' ? values.token : randomBytes(18).toString('base64url');
  const server = await serve({
    ...(audience ? { audience } : {}),
    paths,
    host,
    port,
    mode,
    ceilings,
    maxSessions,
    resumeGraceMs: resumeGraceSeconds * 1000,
    allowedHosts: values['allowed-host'] as string[],
    accessToken: token,
    maxConnectionsPerAddress,
    sessionLimits,
    compare: { vm: { maxVms: vmPool, shellsPerVm: vmShells, idleMs: vmIdleSeconds * 1000 }, gvisorShells },
  });
  const { lessons: catalog, progress, session, compare } = server;
  for (const e of catalog.errors) console.error(`[isolab] lesson error: ${e}`);
  for (const w of catalog.warnings) console.error(`[isolab] lesson warning: ${w}`);
  console.log(`isolab is serving ${catalog.summaries().length} lessons in ${mode} mode`);
  if (progress.problem) console.log(`  ${progress.problem}`);
  else console.log(`  progress is saved in ${server.progressFile}`);
  const reaped = describeReap(server.reaped);
  if (reaped) console.log(`  ${reaped}`);
  for (const problem of server.reaped.problems) console.error(`[isolab] reaping a stopped server's leftovers: ${problem}`);
  if (session.containers.storage) console.log(`  ${describeContainersStorage(paths.containers, session.containers.storage)}`);
  for (const [what, avail] of compare ? ([['gVisor', compare.gvisor], ['VM', compare.vmPool.image]] as const) : []) {
    if (!avail.ok) console.log(`  comparison panel: no ${what} column — ${avail.message}`);
  }
  if (mode === 'workshop') {
    console.log("  workshop mode gives every learner a machine of their own (network, IPC, hostname: no way to the host or to\n  another learner) and keeps each shell in a user namespace made by the learner's own uid, with its own root,\n  PID, mount and cgroup namespaces, docker's masked paths and seccomp profile and cgroup limits, and a guard\n  seccomp filter under every profile that no profile can lift (docs/floor.md).");
    console.log(`  ceilings per learner: ${describeCeilings(ceilings).join(', ')}`);
    const weighed = weighCeilings(ceilings, maxSessions, hostCapacity(cpuCount));
    for (const line of weighed.lines) console.log(`    ${line}`);
    for (const warning of weighed.warnings) console.error(`[isolab] warning: ${warning}`);
    if (!session.accountsSwap && hostSwapBytes() > 0) {
      console.error(`[isolab] warning: this kernel does not account swap per cgroup, so the learners' swap is not bounded (${formatBytes(hostSwapBytes())} of swap here): boot with swapaccount=1, or turn swap off`);
    }
  }
  const shown = (ms: number) => (ms % 3600_000 === 0 ? `${ms / 3600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);
  if (sessionLimits.idleMs || sessionLimits.maxMs) {
    const ends = [sessionLimits.idleMs ? `after ${shown(sessionLimits.idleMs)} idle` : '', sessionLimits.maxMs ? `${shown(sessionLimits.maxMs)} after they began` : ''].filter(Boolean);
    console.log(`  connections end ${ends.join(', or ')}, with a warning in the page first (--idle-timeout, --max-session)`);
  }
  if (server.audienceUrls.length) {
    console.log(`  the audience's read-only view listens on ${server.audienceUrls.join(', ')} (links appear when the speaker shares)`);
  }
  const present = opts.present === undefined ? '' : `&present${opts.present === true ? '' : `&demo=${encodeURIComponent(opts.present)}`}`;
  console.log(`\n  Open ${server.url}/?token=${token}${present}\n`);
  const shutdown = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return new Promise<number>(() => {}); // serve until signalled
}

/** `isolab doctor [--json]`: whether this host can give the workshop floor, check by check. */
async function doctor(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean', default: false } });
  if (positionals.length) throw new UsageError('usage: isolab doctor [--json]');
  requireRoot('isolab doctor');
  const report = await runDoctor(defaultPaths());
  console.log(values.json ? JSON.stringify(report) : formatDoctorReport(report));
  return report.ok ? 0 : EXIT_FLOOR_MISSING;
}

/** CEILING_OPTIONS' values as ceilings; refused on a solo server, where they would mean nothing. */
function ceilingsFrom(values: Readonly<Record<string, unknown>>, mode: string, cpuCount: number): Ceilings {
  if (mode === 'solo' && CEILING_FLAGS.some(({ flag }) => values[flag] !== undefined)) {
    throw new UsageError('the --learner-… ceilings are a workshop server\'s (--mode workshop): a solo lab lets its one learner switch every limit off');
  }
  try {
    return parseCeilings(values, cpuCount);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The --learner-… options, for parseArgs. */
const CEILING_OPTIONS = Object.fromEntries(CEILING_FLAGS.map(({ flag }) => [flag, { type: 'string' } as const]));

/** This host's memory, PID space and CPUs, for weighing the ceilings. */
function hostCapacity(cpus: number) {
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
  const tasks = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]?.split('/')[1]);
  return { memoryBytes: totalmem(), pidMax, tasks, cpus };
}

/** What `isolab run`'s flag parser needs from the outside world. */
function runFlagsDeps(paths: LabPaths): RunFlagsDeps {
  const readOr = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  return {
    readFile: (path) => readFileSync(path, 'utf8'),
    env: (name) => process.env[name],
    userDb: (root) => {
      const dir = root === 'image' ? paths.rootfs : '/';
      return { users: parsePasswd(readOr(join(dir, 'etc/passwd'))), groups: parseGroup(readOr(join(dir, 'etc/group'))) };
    },
  };
}

/** The environment of the container's program: nothing of isolab's own, plus -e/--env. */
function programEnv(extra: Record<string, string>, terminal: boolean): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    ...(terminal ? { TERM: process.env.TERM ?? 'xterm' } : {}),
    ...extra,
  };
}

async function run(args: string[]): Promise<number> {
  const paths = defaultPaths();
  const parsed = parseRunFlags(args, runFlagsDeps(paths));
  if (parsed.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  for (const warning of parsed.warnings) console.error(`isolab run: warning: ${warning}`);
  const { spec } = parsed;
  requireRoot('isolab run');
  requireBuilt(paths);

  // As the server does: a unique cgroup name, the overlay's upper directory, the seccomp filter
  // compiled for these capabilities (docker's profile, or the one given with seccomp=FILE).
  const containers = ContainerContexts.forLab(paths);
  let context: ReturnType<ContainerContexts['acquire']>;
  try {
    context = containers.acquire(spec, 'run', parsed.seccompProfile?.profile);
  } catch (err) {
    containers.dispose();
    if (err instanceof LabError || err instanceof SeccompProfileError) throw new UsageError(err.message);
    throw err;
  }
  const release = () => {
    context.release();
    containers.dispose();
  };
  const program = parsed.command.length ? parsed.command : shellCommand(spec);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(paths.launcher, ['--status-fd', '3', ...launcherArgs(spec, context.ctx), '--', ...program], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      env: programEnv(parsed.env, true),
    });
  } catch (err) {
    release();
    throw err;
  }
  // Ctrl-C belongs to the program in the container (same terminal); isolab itself must survive it to report the exit.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  readStatusLines(
    child.stdio[3] as Readable,
    (line) => {
      if (line.type === 'error' && !parsed.jsonStatus) printLaunchError(line);
    },
    (raw) => {
      if (parsed.jsonStatus) process.stderr.write(`${raw}\n`);
    },
  );
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGQUIT', ignore);
      // The launcher has torn its container down (cgroup, veth) before exiting.
      release();
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

async function exportSpec(args: string[]): Promise<number> {
  const paths = defaultPaths();
  const parsed = parseRunFlags(args, runFlagsDeps(paths), { extraFlags: ['format'] });
  if (parsed.help) {
    console.log(`${EXPORT_USAGE}\n\n${RUN_USAGE}`);
    return 0;
  }
  for (const warning of parsed.warnings) console.error(`isolab export: warning: ${warning}`);
  const format = parsed.extra.format ?? 'docker';
  if (format !== 'docker' && format !== 'oci') throw new FlagError(`--format: "${format}" is not one of docker, oci`);
  const { spec } = parsed;
  const device = imageDisk(paths.rootfs);
  let unsupported: string[];
  if (format === 'docker') {
    const out = toDockerRun(spec, {
      command: parsed.command,
      env: parsed.env,
      interactive: parsed.command.length === 0,
      ...(parsed.seccompProfile ? { seccompProfilePath: parsed.seccompProfile.path } : {}),
      ...dockerHostFacts(device),
    });
    console.log(out.commandLine);
    unsupported = out.unsupported;
  } else {
    // The Docker-format profile behind the filter: the one given, or isolab's docker-default.
    const profile =
      spec.seccomp === 'custom' ? parsed.seccompProfile!.profile : spec.seccomp === 'docker-default' ? parseSeccompProfileJson(readFileSync(paths.dockerSeccompProfile, 'utf8')) : undefined;
    const terminal = parsed.command.length === 0;
    const env = programEnv(parsed.env, terminal);
    const out = toOciConfig(spec, {
      args: terminal ? shellCommand(spec) : parsed.command,
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      terminal,
      ...(device ? { rootfsDevice: device } : {}),
      ...(profile ? { seccompProfile: profile } : {}),
      machine: machine(),
      kernelRelease: release(),
      allCapabilities: ownCapabilities(),
    });
    console.log(ociConfigJson(out.config));
    unsupported = out.unsupported;
  }
  // stdout stays a command (or a config.json) as it is; what it cannot say goes to stderr.
  for (const note of unsupported) console.error(`isolab export: not expressible in ${format === 'docker' ? 'docker run' : 'OCI'}: ${note}`);
  return 0;
}

function printLaunchError(line: ErrorLine): void {
  console.error(`isolab: the container could not start at ${failedStep(line)}`);
}

const DEMOS_USAGE = 'usage: isolab demos validate [DIR] | isolab demos verify [DIR] [--only ID]... [--transcript]';

async function demos(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'verify') return demosVerify(rest);
  if (sub !== 'validate') throw new UsageError(DEMOS_USAGE);
  const { positionals } = parse(rest, {});
  if (positionals.length > 1) throw new UsageError('usage: isolab demos validate [DIR]');
  const { demos: loaded, errors } = await loadDemos(positionals[0] ?? defaultPaths().demos);
  for (const e of errors) console.error(e.message);
  if (errors.length === 0) console.log(`all demos are valid (${loaded.map((d) => d.view.id).join(', ') || 'none'})`);
  return errors.length === 0 ? 0 : 1;
}

/** Give every demo in a real shell, as a speaker would: each command must run. */
async function demosVerify(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { only: { type: 'string', multiple: true, default: [] }, transcript: { type: 'boolean', default: false } });
  if (positionals.length > 1) throw new UsageError(DEMOS_USAGE);
  requireRoot('isolab demos verify');
  const paths = defaultPaths();
  requireBuilt(paths);
  const dir = positionals[0] ?? paths.demos;
  console.log(`verifying the demos in ${dir}: each step's commands typed into a real shell`);
  const { verdicts, loadErrors } = await verifyDemos({ dir, paths, only: values.only as string[], transcript: values.transcript === true, onResult: (v) => console.log(formatDemoVerdict(v).map((l) => `  ${l}`).join('\n')) });
  for (const e of loadErrors) console.error(e);
  const unknown = (values.only as string[]).filter((id) => !verdicts.some((v) => v.id === id));
  for (const id of unknown) console.error(`isolab: no demo "${id}" in ${dir}`);
  return loadErrors.length === 0 && unknown.length === 0 && verdicts.every((v) => v.passed) ? 0 : 1;
}

async function lessons(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'validate') return lessonsValidate(rest);
  if (sub === 'verify') return lessonsVerify(rest);
  throw new UsageError('usage: isolab lessons validate [DIR] | isolab lessons verify [DIR] [--only ID]... [--timeout SECONDS] [--mode solo|workshop]');
}

async function lessonsValidate(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  if (positionals.length > 1) throw new UsageError('usage: isolab lessons validate [DIR]');
  const { errors, warnings } = await validateLessonsDir(positionals[0] ?? defaultPaths().lessons);
  for (const e of errors) console.error(e);
  for (const w of warnings) console.error(`warning: ${w}`);
  if (errors.length === 0) console.log('all lessons are valid');
  return errors.length === 0 ? 0 : 1;
}

/** Start each lesson in a real container, type its solution, and wait for its checks to pass. */
async function lessonsVerify(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    only: { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string', default: String(DEFAULT_VERIFY_TIMEOUT_MS / 1000) },
    mode: { type: 'string', default: 'solo' },
    ...CEILING_OPTIONS,
  });
  if (positionals.length > 1) throw new UsageError('usage: isolab lessons verify [DIR] [--only ID]... [--timeout SECONDS] [--mode solo|workshop [--learner-… ceilings]]');
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 600) throw new UsageError(`--timeout must be a number of seconds, 0–600, got "${values.timeout}"`);
  const mode = String(values.mode);
  if (mode !== 'solo' && mode !== 'workshop') throw new UsageError(`--mode must be solo or workshop, got "${mode}"`);
  const ceilings = ceilingsFrom(values, mode, onlineCpus().members.size);
  requireRoot('isolab lessons verify');
  const paths = defaultPaths();
  requireBuilt(paths);
  const dir = positionals[0] ?? paths.lessons;
  console.log(`verifying the lessons in ${dir} (${mode} mode): each solution typed into a real shell`);
  const report = await verifyLessons({
    dir,
    paths,
    timeoutMs: timeout * 1000,
    mode,
    ceilings,
    only: values.only as string[],
    onResult: (v) => console.log(formatVerdict(v).map((l) => `  ${l}`).join('\n')),
  });
  for (const e of report.loadErrors) console.error(`not loaded: ${e}`);
  for (const w of report.warnings) console.error(`warning: ${w}`);
  for (const id of report.unknown) console.error(`no lesson "${id}" in ${dir}`);
  const failed = report.verdicts.filter((v) => !v.passed).length;
  const skipped = report.verdicts.filter((v) => v.skipped).length;
  console.log(
    `${report.verdicts.length - failed - skipped} passed, ${failed} failed` +
      `${skipped ? `, ${skipped} skipped` : ''}${report.loadErrors.length ? `, ${report.loadErrors.length} not loaded` : ''}`,
  );
  return verifyPassed(report) ? 0 : 1;
}
