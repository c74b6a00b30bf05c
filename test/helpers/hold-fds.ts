// hold-fds (hold-fds.c): a learner's own program that takes as many open files, inotify instances
// or watches as it is allowed and holds them. Built once, statically, and written into a running
// container as the container's root (the host's root is nobody in there, and its idmapped overlay
// refuses a file from it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let built: string | undefined;

/** Compiles hold-fds.c (once per process); returns the binary's path. */
export function buildHoldFds(): string {
  if (built) return built;
  const out = join(mkdtempSync(join(tmpdir(), 'isolab-hold-fds-')), 'hold-fds');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-static', '-o', out, join(import.meta.dirname, 'hold-fds.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc hold-fds.c: ${cc.stderr}`);
  built = out;
  return out;
}

/** Writes hold-fds into the container of the shell whose host PID is PID, as /tmp/hold-fds. */
export function installHoldFds(pid: number): void {
  const copied = spawnSync('nsenter', ['-t', String(pid), '-U', '-m', '-r', '--', '/bin/sh', '-c', 'cat > /tmp/hold-fds && chmod 755 /tmp/hold-fds'], {
    input: readFileSync(buildHoldFds()),
  });
  if (copied.status !== 0) throw new Error(`writing hold-fds into the container of ${pid}: ${String(copied.stderr)}`);
}
