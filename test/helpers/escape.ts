// The escape suite's tools (test/integration/escape/): a workshop learner with every switch the
// floor lets go switched to its weakest, and ways to look at the host from the host's side.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { SessionInfo } from '../../common/protocol.js';
import { TOGGLES, type ToggleId } from '../../common/spec.js';
import { defaultPaths } from '../../server/base/paths.js';
import { LabClient, type RunningLab } from './lab.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * A learner on LAB with a shell whose every switch the server lets them turn is turned off — each
 * switch is a confinement, so off is its weakest (the capability switch off: every capability;
 * the network off: no namespace of its own). What the floor keeps is not asked for.
 */
export async function weakestLearner(lab: RunningLab, lessonId = '00-just-a-process'): Promise<{ client: LabClient; info: SessionInfo }> {
  const client = new LabClient(lab.url, lab.token);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40, lessonId });
  if (!reply.ok) throw new Error(reply.message);
  await client.waitForText(/[#$] $/);
  for (const id of Object.keys(TOGGLES) as ToggleId[]) {
    if (reply.data.lockedOn.includes(id)) continue;
    const answer = await client.request('sandbox:toggle', { toggle: id, on: false });
    expect(answer.ok, `${id}: ${JSON.stringify(answer)}`).toBe(true);
  }
  await client.waitForText(/[#$] $/, { from: client.text.length - 4 });
  return { client, info: reply.data };
}

/** The host PID of the learner's shell now. */
export function shellPid(client: LabClient): number {
  const ready = client.readies.at(-1);
  if (!ready) throw new Error('no shell is ready');
  return ready.pid;
}

/** The inode of namespace KIND of process PID ('self': this test's own, the host's). */
export function namespaceOf(pid: number | 'self', kind: string): string {
  return spawnSync('readlink', [`/proc/${pid}/ns/${kind}`], { encoding: 'utf8' }).stdout.trim();
}

/** Builds the static helper NAME (test/helpers/NAME.c) once per run, into a directory of its own. */
export function buildStaticHelper(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'isolab-escape-'));
  // Readable by a container's root too (an unprivileged uid outside) when run by path, not by --join's descriptor.
  chmodSync(dir, 0o755);
  const out = join(dir, name);
  const cc = spawnSync('cc', ['-O2', '-Wall', '-static', '-o', out, join(REPO_ROOT, 'test/helpers', `${name}.c`)], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc ${name}.c: ${cc.stderr}`);
  return out;
}

/** Runs PROGRAM inside the shell of PID (isolab-launcher --join: its namespaces and root), as the server's probe is. */
export function runInside(pid: number, program: string[]): string {
  const out = spawnSync(defaultPaths().launcher, ['--join', String(pid), '--', ...program], { encoding: 'utf8', timeout: 10_000 });
  if (out.status !== 0) throw new Error(`--join ${pid} ${program.join(' ')}: ${out.stderr}`);
  return out.stdout;
}

/** Starts PROGRAM inside the shell of PID (as runInside) and waits for its first line; stop() kills it. */
export async function holdInside(pid: number, program: string[]): Promise<{ line: string; stop(): void }> {
  const child = spawn(defaultPaths().launcher, ['--join', String(pid), '--', ...program], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`${program.join(' ')} exited (${code}) before it said anything`)));
  });
  return { line, stop: () => child.kill('SIGKILL') };
}
