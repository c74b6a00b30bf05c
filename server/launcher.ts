// Talking to native/launcher: its command line (built from a ContainerSpec) and its status lines
// (ready / error / exit, one JSON object per line — contract in native/README.md).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { NAMESPACE_KINDS, type ContainerSpec } from '../common/spec.js';

export const ReadyLine = z.object({
  type: z.literal('ready'),
  pid: z.number().int().positive(),
  namespaces: z.record(z.string(), z.number()),
  timings_us: z.record(z.string(), z.number()),
});
export const ErrorLine = z.object({
  type: z.literal('error'),
  step: z.string(),
  errno: z.number().int(),
  message: z.string(),
});
export const ExitLine = z.object({ type: z.literal('exit'), code: z.number().int() });
export const StatusLine = z.discriminatedUnion('type', [ReadyLine, ErrorLine, ExitLine]);
export type ReadyLine = z.infer<typeof ReadyLine>;
export type ErrorLine = z.infer<typeof ErrorLine>;
export type StatusLine = z.infer<typeof StatusLine>;

/** The launcher's arguments for a spec, before `--`. The spec was validated, so every value is safe to pass. */
export function launcherArgs(spec: ContainerSpec, rootfsDir: string): string[] {
  const unshare = NAMESPACE_KINDS.filter((ns) => spec.namespaces[ns]);
  const args: string[] = [];
  if (unshare.length) args.push('--unshare', unshare.join(','));
  if (spec.namespaces.uts) args.push('--hostname', spec.hostname);
  if (spec.rootfs) args.push('--rootfs', rootfsDir);
  // A shell handed to a stranger never gains privileges through a setuid binary.
  args.push('--no-new-privs');
  return args;
}

/**
 * The shell a learner gets. Inside the busybox image it is ash; on the host (no own root filesystem)
 * bash without the host's rc files, so the prompt and behaviour do not depend on who runs the server.
 */
export function shellCommand(spec: ContainerSpec): string[] {
  return spec.rootfs ? ['/bin/sh', '-l'] : ['/bin/bash', '--noprofile', '--norc', '-i'];
}

/** The explicit environment of every shell: nothing of the server's environment leaks in. */
export function shellEnv(): Record<string, string> {
  return {
    TERM: 'xterm-256color',
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    PS1: '\\u@\\h:\\w\\$ ',
    ISOLAB: '1',
  };
}

interface Pending {
  onLine: (line: StatusLine) => void;
}

/**
 * node-pty cannot hand the launcher an extra file descriptor, so launchers started on a pty report
 * on a unix socket instead: one listener per server in a fresh 0700 directory, each launcher proving
 * which spawn it is with a one-time random token.
 */
export class StatusServer {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: Server;
  private readonly pending = new Map<string, Pending>();

  private constructor(dir: string, server: Server) {
    this.dir = dir;
    this.socketPath = join(dir, 'status.sock');
    this.server = server;
  }

  static async start(): Promise<StatusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'isolab-')); // mode 0700: only root can connect
    let self: StatusServer | undefined;
    const server = createServer((sock) => self!.accept(sock));
    self = new StatusServer(dir, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(self!.socketPath, () => resolve());
    });
    return self;
  }

  /** Registers a spawn; returns its token and a function to forget it. */
  expect(onLine: (line: StatusLine) => void): { token: string; forget: () => void } {
    const token = randomBytes(16).toString('hex');
    this.pending.set(token, { onLine });
    return { token, forget: () => this.pending.delete(token) };
  }

  private accept(sock: Socket): void {
    let buffered = '';
    let owner: Pending | undefined;
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buffered += chunk;
      // A status stream is a handful of short lines; anything longer is not our launcher.
      if (buffered.length > 64 * 1024) return sock.destroy();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const raw = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          return sock.destroy();
        }
        if (!owner) {
          const hello = z.object({ type: z.literal('hello'), token: z.string() }).safeParse(parsed);
          owner = hello.success ? this.pending.get(hello.data.token) : undefined;
          if (!owner) return sock.destroy();
          continue;
        }
        const line = StatusLine.safeParse(parsed);
        if (line.success) owner.onLine(line.data);
      }
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
