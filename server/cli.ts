// The `isolab` command line: serve the lab, run a command in a container, validate lessons.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeZodError } from '../common/protocol.js';
import { ContainerSpec, PLAIN_PROCESS } from '../common/spec.js';
import { createApp } from './app.js';
import { COMPARE_USAGE, CompareUsageError, compareCommand } from './cli-compare.js';
import { CompareService } from './compare/service.js';
import { MAX_VM_SHELLS } from './compare/vm.js';
import { ErrorLine, StatusLine, StatusServer, launcherArgs } from './launcher.js';
import { loadLessonCatalog } from './lesson-catalog.js';
import { validateLessonsDir } from './lessons/index.js';
import { sessionDeps } from './session-deps.js';
import { DEFAULT_VERIFY_TIMEOUT_MS, formatVerdict, verifyLessons, verifyPassed } from './lessons/verify.js';
import { defaultPaths } from './paths.js';
import { openProgressStore } from './progress.js';

const USAGE = `isolab — learn how containers isolate, primitive by primitive

Usage:
  isolab serve [--host 127.0.0.1] [--port 7681] [--mode solo|workshop] [--max-sessions N]
               [--allowed-host NAME]... [--token TOKEN]
               [--vm-pool N] [--vm-shells N] [--vm-idle-seconds N] [--gvisor-shells N]
  isolab run [--hostname NAME] [--uts host|private] [--pid host|private] [--ipc host|private]
             [--network none|host] [--mount host|private] [--rootfs image|host] [--json-status]
             [-- CMD [ARG...]]
  isolab lessons validate [DIR]
  isolab lessons verify [DIR] [--only ID]... [--timeout SECONDS] [--mode solo|workshop]
${COMPARE_USAGE}
  isolab help`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'run':
        return await run(rest);
      case 'lessons':
        return await lessons(rest);
      case 'compare':
        return await compareCommand(rest);
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
    if (err instanceof UsageError || err instanceof CompareUsageError) {
      console.error(`isolab: ${err.message}`);
      return 2;
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

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, {
    host: { type: 'string', default: process.env.ISOLAB_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.ISOLAB_PORT ?? '7681' },
    mode: { type: 'string', default: 'solo' },
    'max-sessions': { type: 'string' },
    'allowed-host': { type: 'string', multiple: true, default: [] },
    token: { type: 'string' },
    'vm-pool': { type: 'string', default: '1' },
    'vm-shells': { type: 'string', default: '6' },
    'vm-idle-seconds': { type: 'string', default: '300' },
    'gvisor-shells': { type: 'string', default: '8' },
  });
  const count = (flag: string, min: number, max: number): number => {
    const v = Number(values[flag as keyof typeof values]);
    if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${String(values[flag as keyof typeof values])}"`);
    return v;
  };
  const vmPool = count('vm-pool', 0, 8);
  const vmShells = count('vm-shells', 1, MAX_VM_SHELLS);
  const vmIdleSeconds = count('vm-idle-seconds', 10, 86_400);
  const gvisorShells = count('gvisor-shells', 0, 256);
  const host = String(values.host);
  const port = Number(values.port);
  const mode = String(values.mode);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got "${values.port}"`);
  if (mode !== 'solo' && mode !== 'workshop') throw new UsageError(`--mode must be solo or workshop, got "${mode}"`);
  if (mode === 'solo' && !LOOPBACK.test(host)) {
    throw new UsageError(
      `refusing to serve solo mode on ${host}: solo mode lets a learner switch every isolation off, which hands a root shell on this machine to anyone who can reach the port. Use --mode workshop, or keep --host 127.0.0.1.`,
    );
  }
  const maxSessions = values['max-sessions'] === undefined ? (mode === 'solo' ? 8 : 500) : Number(values['max-sessions']);
  if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new UsageError('--max-sessions must be a positive integer');
  requireRoot('isolab serve');
  const paths = defaultPaths();
  requireBuilt(paths);

  const catalog = await loadLessonCatalog(paths.lessons);
  for (const e of catalog.errors) console.error(`[isolab] lesson error: ${e}`);
  for (const w of catalog.warnings) console.error(`[isolab] lesson warning: ${w}`);
  const status = await StatusServer.start();
  // Never fails: a database that cannot be used is logged, and progress is simply not saved.
  const progress = await openProgressStore(join(paths.data, 'progress.sqlite'));
  const session = sessionDeps({ paths, status, lessons: catalog, mode, progress });
  const compare = new CompareService({
    paths,
    prober: session.prober,
    vm: { maxVms: vmPool, shellsPerVm: vmShells, idleMs: vmIdleSeconds * 1000 },
    gvisorShells,
  });
  const token = typeof values.token === 'string' ? values.token : randomBytes(18).toString('base64url');
  const app = createApp({
    session,
    compare,
    webDir: paths.web,
    maxSessions,
    allowedHosts: values['allowed-host'] as string[],
    accessToken: token,
  });
  const addr = await app.listen(port, host);
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  console.log(`isolab is serving ${catalog.summaries().length} lessons in ${mode} mode`);
  if (progress.problem) console.log(`  ${progress.problem}`);
  else console.log(`  progress is saved in ${join(paths.data, 'progress.sqlite')}`);
  for (const [what, avail] of [['gVisor', compare.gvisor], ['VM', compare.vmPool.image]] as const) {
    if (!avail.ok) console.log(`  comparison panel: no ${what} column — ${avail.message}`);
  }
  if (mode === 'workshop') {
    console.log("  workshop mode keeps every learner in a user namespace (root inside is nobody outside), with its own root,\n  PID and mount namespaces, docker's masked paths and seccomp profile, no_new_privs and cgroup limits.");
  }
  console.log(`\n  Open http://${shownHost}:${addr.port}/?token=${token}\n`);
  const shutdown = async () => {
    await app.close();
    await status.close();
    progress.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return new Promise<number>(() => {}); // serve until signalled
}

async function run(args: string[]): Promise<number> {
  const dashdash = args.indexOf('--');
  const flags = dashdash >= 0 ? args.slice(0, dashdash) : args;
  const cmd = dashdash >= 0 ? args.slice(dashdash + 1) : [];
  const { values, positionals } = parse(flags, {
    hostname: { type: 'string', default: 'isolab' },
    uts: { type: 'string', default: 'private' },
    pid: { type: 'string', default: 'private' },
    ipc: { type: 'string', default: 'private' },
    network: { type: 'string', default: 'none' },
    net: { type: 'string' },
    mount: { type: 'string', default: 'private' },
    rootfs: { type: 'string', default: 'image' },
    'json-status': { type: 'boolean', default: false },
  });
  const command = [...positionals, ...cmd];
  const hostOrPrivate = (flag: string, value: unknown): boolean => {
    if (value === 'private') return true;
    if (value === 'host') return false;
    throw new UsageError(`--${flag} must be "host" or "private", got "${String(value)}"`);
  };
  const network = values.net ?? values.network;
  if (network !== 'none' && network !== 'host') {
    throw new UsageError(`--network must be "none" (own network namespace with only loopback) or "host", got "${String(network)}"`);
  }
  if (values.rootfs !== 'image' && values.rootfs !== 'host') throw new UsageError(`--rootfs must be "image" or "host", got "${String(values.rootfs)}"`);
  const parsed = ContainerSpec.safeParse({
    ...PLAIN_PROCESS,
    noNewPrivs: true,
    namespaces: {
      ...PLAIN_PROCESS.namespaces,
      uts: hostOrPrivate('uts', values.uts),
      pid: hostOrPrivate('pid', values.pid),
      ipc: hostOrPrivate('ipc', values.ipc),
      mount: hostOrPrivate('mount', values.mount),
      net: network === 'none',
    },
    rootfs: values.rootfs === 'image',
    hostname: values.hostname,
  });
  if (!parsed.success) throw new UsageError(`invalid settings: ${describeZodError(parsed.error)}`);
  requireRoot('isolab run');
  const paths = defaultPaths();
  requireBuilt(paths);

  const program = command.length ? command : ['/bin/sh'];
  const child = spawn(paths.launcher, ['--status-fd', '3', ...launcherArgs(parsed.data, { rootfsDir: paths.rootfs }), '--', ...program], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { TERM: process.env.TERM ?? 'xterm', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' },
  });
  // Ctrl-C belongs to the program in the container (same terminal); isolab itself must survive it to report the exit.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  let buffered = '';
  const statusPipe = child.stdio[3] as Readable;
  statusPipe.setEncoding('utf8');
  statusPipe.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const raw = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (values['json-status']) process.stderr.write(`${raw}\n`);
      try {
        const line = StatusLine.parse(JSON.parse(raw));
        if (line.type === 'error' && !values['json-status']) printLaunchError(line);
      } catch {
        /* not a status line we know: ignore */
      }
    }
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGQUIT', ignore);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

function printLaunchError(line: ErrorLine): void {
  console.error(`isolab: the container could not start at step "${line.step}": ${line.message}`);
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
  });
  if (positionals.length > 1) throw new UsageError('usage: isolab lessons verify [DIR] [--only ID]... [--timeout SECONDS] [--mode solo|workshop]');
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 600) throw new UsageError(`--timeout must be a number of seconds, 0–600, got "${values.timeout}"`);
  const mode = String(values.mode);
  if (mode !== 'solo' && mode !== 'workshop') throw new UsageError(`--mode must be solo or workshop, got "${mode}"`);
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
