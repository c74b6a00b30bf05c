// What `isolab serve` builds, in one place for the command and for the tests (test/helpers/lab.ts):
// the lesson catalog, the launcher's status server, the progress store, the session's
// dependencies (containers, prober, addon, …), the comparison service, the app, and the listening
// socket. Tests that start a lab run what users run; only the options differ.
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ServerMode } from '../../common/protocol.js';
import type { LabPaths } from '../base/paths.js';
import { CompareService, type CompareDeps } from '../compare/service.js';
import { loadLessonCatalog } from '../lessons/catalog.js';
import { openProgressStore } from '../progress/sqlite.js';
import type { ProgressStore } from '../progress/store.js';
import { StatusServer } from '../runtime/status-lines.js';
import type { SessionDeps } from '../session/session.js';
import { sessionDeps } from '../session/session-deps.js';
import { createApp, type LabApp } from '../transport/app.js';

export interface ServeOptions {
  paths: LabPaths;
  host: string;
  /** 0 = any free port. */
  port: number;
  mode: ServerMode;
  maxSessions: number;
  /** Host names besides loopback the page may be served under. */
  allowedHosts?: string[];
  accessToken: string;
  /** The progress database; default `progress.sqlite` in paths.data. */
  progressFile?: string;
  /** The comparison panel's VM pool and gVisor shells; absent = not offered. */
  compare?: Omit<CompareDeps, 'paths' | 'prober'>;
}

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
  /** Closes the app (every session), the status server and the progress store. */
  close(): Promise<void>;
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const { paths } = opts;
  const lessons = await loadLessonCatalog(paths.lessons);
  const status = await StatusServer.start();
  const progressFile = opts.progressFile ?? join(paths.data, 'progress.sqlite');
  // Never fails: a database that cannot be used is logged, and progress is simply not saved.
  const progress = await openProgressStore(progressFile);
  const session = sessionDeps({ paths, status, lessons, mode: opts.mode, progress });
  const compare = opts.compare ? new CompareService({ paths, prober: session.prober, ...opts.compare }) : undefined;
  const app = createApp({
    session,
    ...(compare ? { compare } : {}),
    webDir: paths.web,
    maxSessions: opts.maxSessions,
    ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}),
    accessToken: opts.accessToken,
  });
  const close = async () => {
    await app.close();
    await status.close();
    progress.close();
  };
  let address: AddressInfo;
  try {
    address = await app.listen(opts.port, opts.host);
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
    close,
  };
}
