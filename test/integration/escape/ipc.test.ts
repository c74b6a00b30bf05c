// The escape suite, host IPC and other learners: System V objects made by one workshop learner with
// the IPC switch off live in that learner's machine only — not in the host's table, not in another
// learner's — and go when the learner's session does. Asserted from the host's own /proc/sysvipc.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { namespaceOf, shellPid, weakestLearner } from '../../helpers/escape.js';
import type { LabClient } from '../../helpers/lab.js';
import { useLab } from '../../helpers/use-lab.js';

/** busybox syslogd -C keeps its log in System V shared memory under this key ("ANEG"). */
const SYSLOGD_KEY = '1095648583'; // 0x414e4547, as /proc/sysvipc/shm prints it

/** The keys in the host's own table (this test runs in the host's IPC namespace). */
const hostShmKeys = () =>
  readFileSync('/proc/sysvipc/shm', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);

/** Whether any process on the host is still in the IPC namespace INODE ("ipc:[N]"). */
function ipcNamespaceAlive(inode: string): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (namespaceOf(Number(name), 'ipc') === inode) return true;
    } catch {
      // It exited meanwhile.
    }
  }
  return false;
}

describe('escape: host IPC and other learners', () => {
  const lab = useLab({ mode: 'workshop', maxSessions: 8 });
  const clients: LabClient[] = [];
  afterAll(() => {
    for (const c of clients) c.close();
  });

  it('a learner\'s shared memory is in their machine: not the host\'s table, not a neighbour\'s, and it ends with them', async () => {
    const [a, b] = await Promise.all([weakestLearner(lab, '09-ipc-namespace'), weakestLearner(lab, '09-ipc-namespace')]);
    clients.push(a.client, b.client);
    const aPid = shellPid(a.client);
    const machineIpc = namespaceOf(aPid, 'ipc');
    expect(machineIpc).not.toBe(namespaceOf('self', 'ipc'));
    expect(hostShmKeys()).not.toContain(SYSLOGD_KEY);

    // (As lesson 9 types them: syslogd first, then a message once it listens.)
    await a.client.run('syslogd -C16; for i in 1 2 3 4 5 6 7 8 9 10; do [ -S /dev/log ] && break; sleep 0.1; done; logger hello from learner a');
    expect(await a.client.run('for i in 1 2 3 4 5 6 7 8 9 10; do logread | grep -q "hello from learner a" && break; sleep 0.1; done; logread')).toContain('hello from learner a');
    expect(await a.client.run('cat /proc/sysvipc/shm')).toContain(SYSLOGD_KEY);
    // The host's table never held it; the neighbour's machine has its own (empty) one.
    expect(hostShmKeys()).not.toContain(SYSLOGD_KEY);
    expect(await b.client.run('cat /proc/sysvipc/shm')).not.toContain(SYSLOGD_KEY);
    expect(await b.client.run('logread 2>&1')).not.toContain('hello from learner a');

    // A new shell of the same learner (any switch) is in the same machine: its objects are still there.
    const toggled = await a.client.request('sandbox:toggle', { toggle: 'uts', on: true });
    expect(toggled.ok).toBe(true);
    expect(await a.client.run('cat /proc/sysvipc/shm')).toContain(SYSLOGD_KEY);

    // When the learner goes, so does their machine, and every object in it with its namespace.
    a.client.close();
    const deadline = Date.now() + 10_000;
    while (ipcNamespaceAlive(machineIpc) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(ipcNamespaceAlive(machineIpc)).toBe(false);
    expect(hostShmKeys()).not.toContain(SYSLOGD_KEY);
  });

  it('the host\'s world-readable objects are out of a learner\'s sight', async () => {
    // One of the host's own, readable by anyone: what a shell sharing the host's IPC namespace listed and read.
    const made = spawnSync('ipcmk', ['-M', '4096', '-p', '0666'], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const id = /(\d+)\s*$/.exec(made.stdout.trim())![1]!;
    try {
      const { client } = await weakestLearner(lab, '09-ipc-namespace');
      clients.push(client);
      const hostIds = readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)[1]);
      expect(hostIds).toContain(id);
      const theirs = (await client.run('cat /proc/sysvipc/shm')).split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]).filter(Boolean);
      expect(theirs).not.toContain(id);
      // The segment's attach count on the host stays 0: nobody in there attached it.
      const row = readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').find((l) => l.trim().split(/\s+/)[1] === id)!;
      expect(row.trim().split(/\s+/)[6]).toBe('0');
    } finally {
      spawnSync('ipcrm', ['-m', id]);
    }
  });
});
