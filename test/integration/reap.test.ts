// What a dead server left, reaped by the next one (server/runtime/reap-orphans.ts), asserted from
// the host: a dead instance's ledger names a cgroup with a process still in it and a container's
// directory; a cgroup of a server from before the ledger has a dead pid in its name; a live
// instance's records sit beside them. After the reap the dead ones' are gone (the process killed),
// the live one's untouched.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InstanceLedger } from '../../server/runtime/instance-ledger.js';
import { cgroupHierarchies, reapDeadInstances } from '../../server/runtime/reap-orphans.js';

const scratch = mkdtempSync(join(tmpdir(), 'isolab-reap-'));
const instances = join(scratch, 'instances');
const deadPid = spawnSync('/bin/true').pid!;
const made: string[] = [];

/** Cgroup isolab/NAME in every hierarchy (as the launcher makes it); returns the first one's directory. */
function makeCgroup(name: string): string {
  const dirs = cgroupHierarchies().map((root) => join(root, 'isolab', name));
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    made.push(dir);
  }
  return dirs[0]!;
}

afterAll(() => {
  for (const dir of made.reverse()) if (existsSync(dir)) rmdirSync(dir);
  rmSync(scratch, { recursive: true, force: true });
});

describe('reaping what a dead server left', () => {
  it('takes a dead instance\'s cgroups (and what runs in them), directories and ledger, and nothing of a live one', async () => {
    // The dead server's ledger, as it was when SIGKILL came.
    const deadName = `isolab-cafebabe-2-${deadPid}`;
    const containerDir = join(scratch, 'containers', deadName);
    mkdirSync(join(containerDir, 'upper'), { recursive: true });
    const deadDir = join(instances, 'abcdef0123456789');
    mkdirSync(join(deadDir, 'launches'), { recursive: true });
    writeFileSync(join(deadDir, 'owner.json'), JSON.stringify({ instanceId: 'abcdef0123456789', pid: deadPid, startTime: 1, statusSocket: join(scratch, 'gone.sock'), containersDir: join(scratch, 'containers') }));
    writeFileSync(join(deadDir, 'launches', `${deadName}.json`), JSON.stringify({ name: deadName, cgroup: deadName, containerDir, uids: null }));
    const deadCgroup = makeCgroup(deadName);
    // A learner's process still in it (its launcher was killed with SIGKILL).
    const orphan = spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
    writeFileSync(join(deadCgroup, 'cgroup.procs'), String(orphan.pid));
    const orphanGone = new Promise((resolve) => orphan.once('exit', (_code, signal) => resolve(signal)));
    // A server from before the ledger: only its cgroup's name says whose it was.
    const legacyName = `isolab-deadbeef-1-${deadPid}`;
    makeCgroup(legacyName);
    // This process is a live server with a launch of its own.
    const live = new InstanceLedger(instances, { statusSocket: join(scratch, 'live.sock'), containersDir: join(scratch, 'containers') });
    const liveName = `isolab-0badf00d-3-${process.pid}`;
    makeCgroup(liveName);
    live.launched({ name: liveName, cgroup: liveName, containerDir: null, uids: null });

    const report = await reapDeadInstances(instances);

    expect(await orphanGone).toBe('SIGKILL');
    for (const root of cgroupHierarchies()) {
      expect(existsSync(join(root, 'isolab', deadName)), `${root}/isolab/${deadName}`).toBe(false);
      expect(existsSync(join(root, 'isolab', legacyName)), `${root}/isolab/${legacyName}`).toBe(false);
      expect(existsSync(join(root, 'isolab', liveName)), `${root}/isolab/${liveName}`).toBe(true);
    }
    expect(existsSync(containerDir)).toBe(false);
    expect(existsSync(deadDir)).toBe(false);
    expect(live.records().launches.map((l) => l.name)).toEqual([liveName]);
    expect(report).toMatchObject({ instances: 1, containerEntries: 1, problems: [] });
    // The dead instance's cgroup and the one from before the ledger (other dead servers' may add to it).
    expect(report.cgroups).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(cgroupHierarchies()[0]!, 'isolab', liveName, 'cgroup.procs'), 'utf8')).toBe('');
    live.remove();
  });
});
