// What `isolab serve` builds, in one place for the command and for the tests (test/helpers/lab.ts):
// the lesson catalog, the launcher's status server, the progress store, the session's
// dependencies (containers, prober, addon, …), the comparison service, the app, and the listening
// socket. Tests that start a lab run what users run; only the options differ.
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ServerMode } from '../../common/protocol.js';
import type { LabPaths } from '../base/paths.js';
import { CompareService, type CompareDeps } from '../compare/service.js';
import type { Ceilings } from '../floor/ceilings.js';
import { loadLessonCatalog } from '../lessons/catalog.js';
import { openProgressStore } from '../progress/sqlite.js';
import type { ProgressStore } from '../progress/store.js';
import { StatusServer } from '../runtime/status-lines.js';
import { InstanceLedger, readInstances } from '../runtime/instance-ledger.js';
import { reapDeadInstances, reapLaunches, type ReapReport } from '../runtime/reap-orphans.js';
import { STOP_GRACE_MS } from '../runtime/stop-process.js';
import { stillRunning } from '../base/process-identity.js';
import type { SessionDeps } from '../session/session.js';
import { sessionDeps } from '../session/session-deps.js';
import { createApp, type LabApp } from '../transport/app.js';
import type { SessionLimits } from '../transport/session-clock.js';
import { createAudienceServer } from '../transport/audience.js';
import { DemoCatalog } from '../demos/load.js';
import { AudienceShares } from '../session/audience.js';

export interface ServeOptions {
  paths: LabPaths;
  host: string;
  /** 0 = any free port. */
  port: number;
  mode: ServerMode;
  /** A workshop server's ceilings (`--learner-…`); default DEFAULT_CEILINGS. */
  ceilings?: Ceilings;
  maxSessions: number;
  /** Host names besides loopback the page may be served under. */
  allowedHosts?: string[];
  accessToken: string;
  /** The progress database; default `progress.sqlite` in paths.data. */
  progressFile?: string;
  /** The comparison panel's VM pool and gVisor shells; absent = not offered. */
  compare?: Omit<CompareDeps, 'paths' | 'prober'>;
  /** How long a learner's shell waits for their page after its connection dropped (ms); default 60 s. */
  resumeGraceMs?: number;
  /** Where the audience's read-only view listens (it may be a public address: it can only watch); absent = no audience listener. */
  audience?: { host: string; port: number };
  /** Connections one address may hold; default DEFAULT_MAX_CONNECTIONS_PER_ADDRESS. */
  maxConnectionsPerAddress?: number;
  /** Idle timeout and maximum session length; default none in solo mode, WORKSHOP_SESSION_LIMITS in a workshop. */
  sessionLimits?: SessionLimits;
}

/**
 * A classroom behind one NAT is one address: 64 leaves two tabs each to a room of 30, and still
 * stops one script from opening the server's every session.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 64;

/** A workshop's seats come free: after 30 idle minutes, and after 8 hours (a workshop day) in any case. */
export const WORKSHOP_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, maxMs: 8 * 3600_000 };

export interface RunningServer {
  app: LabApp;
  address: AddressInfo;
  /** http://HOST:PORT, as a browser would open it (IPv6 in brackets). */
  url: string;
  lessons: Awaited<ReturnType<typeof loadLessonCatalog>>;
  progress: ProgressStore;
  progressFile: string;
  session: SessionDeps;
  compare?: CompareService;
  demos: DemoCatalog;
  /** The audience listener's base URLs, when it runs. */
  audienceUrls: string[];
  /** What stopped servers had left on the host, reaped before this one served. */
  reaped: ReapReport;
  /** Closes the app (every session), the audience listener, the status server and the progress store. */
  close(): Promise<void>;
}

/** The links the room can open: every address of this machine when the listener is on all of them. */
export function audienceBaseUrls(address: AddressInfo): string[] {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const hosts = wildcard
    ? Object.values(networkInterfaces())
        .flat()
        .filter((i): i is NonNullable<typeof i> => !!i && i.family === 'IPv4' && !i.internal)
        .map((i) => i.address)
    : [address.family === 'IPv6' ? `[${address.address}]` : address.address];
  return [...new Set(hosts.length ? hosts : ['127.0.0.1'])].map((h) => `http://${h}:${address.port}`);
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const { paths } = opts;
  // Before anything is served or launched: a server that died (SIGKILL) left launchers, cgroups,
  // directories and IPC objects, and its learners come back to fresh shells on this one.
  const reaped = await reapDeadInstances(paths.instances);
  const lessons = await loadLessonCatalog(paths.lessons);
  const status = await StatusServer.start();
  const progressFile = opts.progressFile ?? join(paths.data, 'progress.sqlite');
  // Never fails: a database that cannot be used is logged, and progress is simply not saved.
  const progress = await openProgressStore(progressFile);
  const session = sessionDeps({ paths, status, lessons, mode: opts.mode, progress, ...(opts.ceilings ? { ceilings: opts.ceilings } : {}) });
  const ledger = new InstanceLedger(paths.instances, { statusSocket: status.socketPath, containersDir: paths.containers });
  session.containers.ledger = ledger;
  // The gVisor sandboxes are a learner's containers too: a workshop's ceilings hold over them.
  const ceilings = opts.mode === 'workshop' ? { ceilings: session.ceilings } : {};
  const compare = opts.compare ? new CompareService({ paths, prober: session.prober, ...opts.compare, ...ceilings }) : undefined;
  const demos = await DemoCatalog.load(paths.demos);
  const shares = new AudienceShares();
  let audienceUrls: string[] = [];
  const sessionLimits = opts.sessionLimits ?? (opts.mode === 'workshop' ? WORKSHOP_SESSION_LIMITS : undefined);
  const app = createApp({
    present: { demos, shares, audienceUrls: () => audienceUrls },
    session,
    ...(compare ? { compare } : {}),
    webDir: paths.web,
    maxSessions: opts.maxSessions,
    ...(opts.resumeGraceMs !== undefined ? { resumeGraceMs: opts.resumeGraceMs } : {}),
    ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}),
    accessToken: opts.accessToken,
    maxConnectionsPerAddress: opts.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    ...(sessionLimits ? { sessionLimits } : {}),
  });
  const audience = opts.audience ? createAudienceServer({ webDir: paths.web, shares }) : undefined;
  const close = async () => {
    shares.close();
    await audience?.close();
    await app.close();
    await leaveNothingBehind(ledger, paths.instances);
    session.containers.dispose();
    ledger.remove();
    await status.close();
    progress.close();
    // The seccomp programs built for this server's containers (--seccomp-compile, the guard): files
    // in the containers directory that no later server would use (7b of issue #11).
    session.containers.dispose();
  };
  let address: AddressInfo;
  try {
    address = await app.listen(opts.port, opts.host);
    if (audience && opts.audience) audienceUrls = audienceBaseUrls(await audience.listen(opts.audience.port, opts.audience.host));
  } catch (err) {
    await close();
    throw err;
  }
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    app,
    address,
    url: `http://${shownHost}:${address.port}`,
    lessons,
    progress,
    progressFile,
    session,
    ...(compare ? { compare } : {}),
    demos,
    audienceUrls,
    reaped,
    close,
  };
}

/** A stopping server waits this long for its launchers to tear their containers down (each gets SIGKILL after STOP_GRACE_MS). */
const LAUNCHERS_EXIT_TIMEOUT_MS = STOP_GRACE_MS + 1_000;

/**
 * Once every session was told to stop: waits for the launchers to exit (each releases its record as
 * it does), reaps what one that would not exit left, and removes the SysV IPC objects the learners'
 * user namespaces made (they outlive their containers in the host's IPC namespace).
 */
async function leaveNothingBehind(ledger: InstanceLedger, instancesDir: string): Promise<void> {
  const deadline = Date.now() + LAUNCHERS_EXIT_TIMEOUT_MS;
  while (ledger.liveLaunches > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const own = ledger.records();
  const others = readInstances(instancesDir).filter((i) => i.dir !== own.dir && i.owner !== null && stillRunning(i.owner));
  const report = await reapLaunches(ledger.owner, own.launches, { uids: own.uidsEverUsed, live: others });
  for (const problem of report.problems) console.error(`[isolab] on stopping: ${problem}`);
}
