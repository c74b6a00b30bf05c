import { spawn } from 'node:child_process';
import * as nodePty from 'node-pty';
import { describe, expect, it } from 'vitest';
import { stopChild, stopPty } from './stop-process.js';

/** A shell that ignores SIGNAL (as a stuck launcher would) or not, and says when it is ready. */
function script(ignore: string | null): string {
  return `${ignore ? `trap '' ${ignore}; ` : ''}echo up; while :; do sleep 0.05; done`;
}

const GRACE_MS = 150;

describe('stopChild', () => {
  it.each([
    ['exits at SIGTERM', null, 'SIGTERM'],
    ['ignores SIGTERM, so it gets SIGKILL after the grace period', 'TERM', 'SIGKILL'],
  ])('a process that %s', async (_what, ignore, endedBy) => {
    const child = spawn('/bin/sh', ['-c', script(ignore)], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const started = Date.now();
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    stopChild(child, 'SIGTERM', GRACE_MS);
    expect(await exited).toBe(endedBy);
    if (endedBy === 'SIGKILL') expect(Date.now() - started).toBeGreaterThanOrEqual(GRACE_MS - 10);
  });

  it('sends nothing to a process that has already exited', async () => {
    const child = spawn('/bin/true');
    await new Promise((resolve) => child.once('exit', resolve));
    const killed: string[] = [];
    child.kill = (s) => (killed.push(String(s)), true);
    stopChild(child, 'SIGTERM', GRACE_MS);
    expect(killed).toEqual([]);
  });
});

describe('stopPty', () => {
  it.each([
    ['exits at SIGHUP', null, 1],
    ['ignores SIGHUP, so it gets SIGKILL after the grace period', 'HUP', 9],
  ])('a program on a pty that %s', async (_what, ignore, endedBy) => {
    const pty = nodePty.spawn('/bin/sh', ['-c', script(ignore)], { cols: 80, rows: 24, cwd: '/', env: { PATH: '/usr/bin:/bin' } });
    await new Promise<void>((resolve) => {
      const sub = pty.onData(() => {
        sub.dispose();
        resolve();
      });
    });
    const exited = new Promise<number | undefined>((resolve) => pty.onExit(({ signal }) => resolve(signal)));
    stopPty(pty, 'SIGHUP', GRACE_MS);
    expect(await exited).toBe(endedBy);
  });
});
