// SIGTERM to a real `isolab serve` (the command, in a process of its own) leaves nothing of that
// server in the containers directory: neither the seccomp programs it built (Docker's profile and, in
// workshop mode, the guard; issue #11, 7b) nor a container's directory.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../common/protocol.js';
import { REPO_ROOT, defaultPaths } from '../../server/base/paths.js';
import { LabClient } from '../helpers/lab.js';

const paths = defaultPaths();
const TOKEN = 'sigterm-test-token';

/** The containers directory's entries that end in PID (names end "-PID", "-PID.bpf", "-PID.txt"). */
const entriesOf = (pid: number) => readdirSync(paths.containers).filter((name) => new RegExp(`-${pid}(\\.bpf|\\.txt)?$`).test(name));

describe.each(['workshop', 'solo'] as const)('isolab serve --mode %s, then SIGTERM', (mode) => {
  it('removes the seccomp programs it built, and every container directory of its own', async () => {
    const server = spawn(process.execPath, [join(REPO_ROOT, 'bin/isolab.mjs'), 'serve', '--port', '0', '--mode', mode, '--token', TOKEN], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.setEncoding('utf8').on('data', (d: string) => {
        output += d;
        const m = /Open (http:\/\/[^/\s]+)\/\?token=/.exec(output);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`isolab serve exited (${code}) before listening:\n${output}`)));
    });
    const client = new LabClient(url, TOKEN);
    try {
      await client.connected();
      // Lesson 14 runs under Docker's profile in both modes: a program is built for it.
      const started = await client.request<SessionInfo>('session:start', { cols: 80, rows: 24, lessonId: '14-seccomp' });
      if (!started.ok) throw new Error(`session:start failed: ${started.message}`);
      await client.waitForText(/[#$] $/, { timeoutMs: 15_000 });
      const built = entriesOf(server.pid!).filter((name) => name.endsWith('.bpf'));
      expect(built.length).toBe(mode === 'workshop' ? 2 : 1);
      if (mode === 'workshop') expect(built).toContain(`seccomp-guard-${server.pid}.bpf`);
    } finally {
      client.close();
    }
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(entriesOf(server.pid!)).toEqual([]);
  }, 40_000);
});
