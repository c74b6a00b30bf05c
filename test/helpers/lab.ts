// A real isolab server for tests and benchmarks: what `isolab serve` builds (server/main/serve.ts),
// on an ephemeral loopback port with the real launcher, probe, addon and lessons — and a typed
// socket.io client that behaves like the page.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ServerMode, ServerToClientEvents, SandboxReady, LessonStatus } from '../../common/protocol.js';
import { FLOW_CONTROL } from '../../common/protocol.js';
import type { CompareService } from '../../server/compare/service.js';
import { defaultPaths } from '../../server/base/paths.js';
import type { Ceilings } from '../../server/floor/ceilings.js';
import { serve } from '../../server/main/serve.js';
import type { ProgressStore } from '../../server/progress/store.js';
import type { LabApp } from '../../server/transport/app.js';
import type { SessionLimits } from '../../server/transport/session-clock.js';
import type { SessionDeps } from '../../server/session/session.js';

/** Device Status Report 6: the terminal answers ESC[row;colR. */
const CURSOR_POSITION_QUERY = '\x1b[6n';

export interface RunningLab {
  app: LabApp;
  /** The comparison service, when the lab was started with `compare: true`. */
  compare?: CompareService;
  url: string;
  token: string;
  progress: ProgressStore;
  /** The sessions' dependencies (the server-wide expensive-work queue among them). */
  session: SessionDeps;
  /** The audience listener's base URLs, when started with `audience: true`. */
  audienceUrls: string[];
  close(): Promise<void>;
}

export interface LabOptions {
  mode?: ServerMode;
  maxSessions?: number;
  token?: string;
  /** The progress database; default a fresh one in a temporary directory, removed on close. */
  progressFile?: string;
  /** The comparison (gVisor, the VM): only where a test asks for it, since it boots a VM on demand. */
  compare?: boolean;
  /** The demos folder; default the repository's demos/. */
  demos?: string;
  /** Start the audience listener too (on loopback, any free port). */
  audience?: boolean;
  /** A workshop server's ceilings, as `isolab serve --learner-…` gives them; default DEFAULT_CEILINGS. */
  ceilings?: Ceilings;
  maxConnectionsPerAddress?: number;
  /** Idle timeout and maximum length (serve's default: none solo, a workshop's in workshop mode). */
  sessionLimits?: SessionLimits;
  /**
   * How long a dropped page's shell waits for it (ms). Default TEST_RESUME_GRACE_MS, not the server's
   * 60 s: a file's tests open and close many sessions, and closed ones must not fill maxSessions.
   */
  resumeGraceMs?: number;
}

/** A closed test client's shell ends this soon (a reloaded page still re-attaches within it). */
export const TEST_RESUME_GRACE_MS = 1_000;

export async function startLab(opts: LabOptions = {}): Promise<RunningLab> {
  const token = opts.token ?? 'test-token';
  const scratch = opts.progressFile ? undefined : mkdtempSync(join(tmpdir(), 'isolab-test-progress-'));
  const paths = defaultPaths();
  const server = await serve({
    paths: opts.demos ? { ...paths, demos: opts.demos } : paths,
    host: '127.0.0.1',
    port: 0,
    mode: opts.mode ?? 'solo',
    ...(opts.ceilings ? { ceilings: opts.ceilings } : {}),
    maxSessions: opts.maxSessions ?? 16,
    accessToken: token,
    progressFile: opts.progressFile ?? join(scratch!, 'progress.sqlite'),
    // A small pool: one VM of two shells is all a test needs.
    ...(opts.compare ? { compare: { vm: { maxVms: 1, shellsPerVm: 2, idleMs: 60_000 } } } : {}),
    ...(opts.audience ? { audience: { host: '127.0.0.1', port: 0 } } : {}),
    ...(opts.maxConnectionsPerAddress ? { maxConnectionsPerAddress: opts.maxConnectionsPerAddress } : {}),
    ...(opts.sessionLimits ? { sessionLimits: opts.sessionLimits } : {}),
    resumeGraceMs: opts.resumeGraceMs ?? TEST_RESUME_GRACE_MS,
  });
  return {
    app: server.app,
    ...(server.compare ? { compare: server.compare } : {}),
    url: server.url,
    token,
    progress: server.progress,
    session: server.session,
    audienceUrls: server.audienceUrls,
    async close() {
      await server.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    },
  };
}

export type LabClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A client like the page: collects terminal output as text, acks it (flow control), records events. */
export class LabClient {
  readonly socket: LabClientSocket;
  text = '';
  readonly readies: SandboxReady[] = [];
  readonly statuses: LessonStatus[] = [];
  readonly errors: unknown[] = [];
  private unacked = 0;
  private readonly decoder = new TextDecoder();

  /**
   * `polling`: start on HTTP long-polling and upgrade, keeping cookies as a browser does (the
   * connection key of server/transport/connection-guard.ts); the default is the page's WebSocket only.
   */
  constructor(url: string, token: string, opts: { autoAck?: boolean; polling?: boolean } = {}) {
    this.socket = connect(url, {
      transports: opts.polling ? ['polling', 'websocket'] : ['websocket'],
      ...(opts.polling ? { withCredentials: true } : {}),
      auth: { token },
      forceNew: true,
      reconnection: false,
    });
    this.socket.on('term:output', (data) => {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
      const chunk = this.decoder.decode(bytes, { stream: true });
      // Like a real terminal (xterm.js does the same), answer "where is the cursor?" (DSR 6):
      // busybox ash asks after every prompt and waits for the reply before it reads input.
      if (chunk.includes(CURSOR_POSITION_QUERY)) this.socket.emit('term:input', '\x1b[1;1R');
      // Our answer, if it arrives while a command runs, is echoed back by the tty (as "^[[1;1R"): it
      // is the terminal's own chatter, never a program's output.
      this.text += chunk.replaceAll(CURSOR_POSITION_QUERY, '').replace(/(\x1b|\^\[)\[\d+;\d+R/g, '');
      for (const waiter of [...this.outputWaiters]) waiter();
      if (opts.autoAck === false) return;
      this.unacked += bytes.byteLength;
      if (this.unacked >= FLOW_CONTROL.ackEveryBytes) this.flushAck();
      else setTimeout(() => this.flushAck(), 5);
    });
    this.socket.on('sandbox:ready', (r) => this.readies.push(r));
    this.socket.on('lesson:status', (s) => this.statuses.push(s));
    this.socket.on('sandbox:error', (e) => this.errors.push(e));
    this.socket.on('session:error', (e) => this.errors.push(e));
  }

  private readonly outputWaiters = new Set<() => void>();

  /** Resolves in the output event that makes `done(text)` true (no polling delay: for benchmarks). */
  nextOutput(done: (text: string) => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.outputWaiters.delete(check);
        reject(new Error(`no matching output within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!done(this.text)) return;
        clearTimeout(timer);
        this.outputWaiters.delete(check);
        resolve();
      };
      this.outputWaiters.add(check);
    });
  }

  flushAck(): void {
    if (this.unacked > 0) {
      this.socket.emit('term:ack', { bytes: this.unacked });
      this.unacked = 0;
    }
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  /** Emit an event with an ack and wait for the reply. */
  request<T>(event: string, ...args: unknown[]): Promise<Ack<T>> {
    return new Promise((resolve) => (this.socket as unknown as { emit(...a: unknown[]): void }).emit(event, ...args, resolve));
  }

  type(line: string): void {
    this.socket.emit('term:input', line);
  }

  /** Wait until the terminal text (after `from`) matches. */
  async waitForText(pattern: RegExp, opts: { from?: number; timeoutMs?: number } = {}): Promise<RegExpMatchArray> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    for (;;) {
      const m = this.text.slice(opts.from ?? 0).match(pattern);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`terminal never showed ${pattern}; it shows:\n${this.text.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Run a command and return what it printed between two unique markers. */
  async run(command: string, timeoutMs = 10_000): Promise<string> {
    const id = Math.random().toString(36).slice(2, 8);
    const from = this.text.length;
    // The markers are built by the shell (printf) so the echoed command line itself never matches.
    this.type(`printf '%s\\n' "<<${id}"; ${command}; printf '%s\\n' "${id}>>"\r`);
    const m = await this.waitForText(new RegExp(`<<${id}\\r?\\n([\\s\\S]*?)${id}>>`), { from, timeoutMs });
    return m[1]!.replace(/\r/g, '');
  }

  async waitFor<T>(get: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.close();
  }
}
