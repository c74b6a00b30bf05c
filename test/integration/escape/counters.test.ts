// The escape suite, per-user kernel counters: the kernel counts inotify instances, user namespaces
// and the like per user, level by level up to the owner of each user namespace. A workshop
// container's user namespace is made by its learner's own host uid, so what one learner holds is
// charged to them, within their container's own limits, and never to root or a neighbour.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CEILINGS } from '../../../server/floor/ceilings.js';
import { FLOOR_USERNS_LIMITS } from '../../../server/floor/floor.js';
import { buildStaticHelper, holdInside, runInside, shellPid, weakestLearner } from '../../helpers/escape.js';
import type { LabClient } from '../../helpers/lab.js';
import { useLab } from '../../helpers/use-lab.js';
import { spawn, spawnSync } from 'node:child_process';
import { defaultPaths } from '../../../server/base/paths.js';
import { UidRanges } from '../../../server/runtime/uid-ranges.js';
import { readFileSync } from 'node:fs';

/** The host uid that owns the user namespace of PID, and the first host uid its map gives root. */
function ownership(tool: string, pid: number): { owner: number; rootOutside: number } {
  const owner = (JSON.parse(spawnSync(tool, ['ns-owner', `/proc/${pid}/ns/user`], { encoding: 'utf8' }).stdout) as { owner: number }).owner;
  const rootOutside = Number(readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)[1]);
  return { owner, rootOutside };
}


describe('escape: per-user kernel counters', () => {
  const lab = useLab({ mode: 'workshop', maxSessions: 8 });
  const clients: LabClient[] = [];
  let tool: string;
  beforeAll(() => {
    tool = buildStaticHelper('escape-tool');
  });
  const holders: { stop(): void }[] = [];
  afterEach(() => {
    for (const h of holders.splice(0)) h.stop();
    for (const c of clients.splice(0)) c.close();
  });

  it('each learner\'s user namespace is owned by their own unprivileged uid, not root, and two learners never share one', async () => {
    const [a, b] = await Promise.all([weakestLearner(lab), weakestLearner(lab)]);
    clients.push(a.client, b.client);
    const [ownA, ownB] = [ownership(tool, shellPid(a.client)), ownership(tool, shellPid(b.client))];
    expect(ownA.owner).toBe(ownA.rootOutside);
    expect(ownB.owner).toBe(ownB.rootOutside);
    expect(ownA.owner).toBeGreaterThanOrEqual(100000);
    expect(ownA.owner).not.toBe(ownB.owner);
    // The learner's next shell keeps the learner's uid (their range is theirs for the session).
    const toggled = await a.client.request('sandbox:toggle', { toggle: 'uts', on: true });
    expect(toggled.ok).toBe(true);
    expect(ownership(tool, shellPid(a.client)).owner).toBe(ownA.owner);
  });

  it('a learner holding every inotify instance they can leaves root and their neighbour theirs', async () => {
    const [a, b] = await Promise.all([weakestLearner(lab), weakestLearner(lab)]);
    clients.push(a.client, b.client);
    const limit = DEFAULT_CEILINGS.inotifyInstances;
    // Inside: the container's own limit, written into its user namespace (and not raisable: no CAP_SYS_RESOURCE).
    expect((await a.client.run('cat /proc/sys/user/max_inotify_instances')).trim()).toBe(String(limit));
    expect(await a.client.run('echo 100000 > /proc/sys/user/max_inotify_instances 2>/dev/null && echo raised || echo refused')).toContain('refused');
    const holder = await holdInside(shellPid(a.client), [tool, 'inotify-hold', String(limit + 8)]);
    holders.push(holder);
    // It got the container's limit, and was refused past it (EMFILE)...
    expect(JSON.parse(holder.line)).toEqual({ held: limit, errno: 24 });
    expect(JSON.parse(runInside(shellPid(a.client), [tool, 'inotify-init']))).toMatchObject({ fd: -1, errno: 24 });
    // ...while root on the host and the neighbour still get theirs.
    expect(JSON.parse(spawnSync(tool, ['inotify-init'], { encoding: 'utf8' }).stdout)).toMatchObject({ errno: 0 });
    const neighbour = await holdInside(shellPid(b.client), [tool, 'inotify-hold', '4']);
    holders.push(neighbour);
    expect(JSON.parse(neighbour.line)).toEqual({ held: 4, errno: 0 });
  });

  it('the owner\'s uid is what the host counts: a container gets the whole per-user allowance, whatever root holds', async () => {
    // Straight at the launcher, with no limit of the container's own: only the host's per-user
    // allowance (fs.inotify.max_user_instances) counts. Root holds a few instances first (as a
    // running host's root does): a container charged to root would get that many fewer.
    const allowance = Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8'));
    const rootsOwn = await new Promise<{ line: string; child: ReturnType<typeof spawn> }>((resolve) => {
      const held = spawn(tool, ['inotify-hold', '8'], { stdio: ['ignore', 'pipe', 'inherit'] });
      held.stdout!.setEncoding('utf8').once('data', (d: string) => resolve({ line: d.split('\n')[0]!, child: held }));
    });
    holders.push({ stop: () => rootsOwn.child.kill('SIGKILL') });
    expect(JSON.parse(rootsOwn.line)).toEqual({ held: 8, errno: 0 });
    const range = new UidRanges().acquire();
    const launcher = defaultPaths().launcher;
    const child = spawn(launcher, ['--unshare', 'user,pid,mount', '--userns-map', `0:${range.hostId}:65536`, '--userns-owner', String(range.hostId), '--', tool, 'inotify-hold', String(allowance + 8)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve) => child.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(d.split('\n')[0]!)));
      expect(JSON.parse(line)).toEqual({ held: allowance, errno: 24 });
      expect(JSON.parse(spawnSync(tool, ['inotify-init'], { encoding: 'utf8' }).stdout)).toMatchObject({ errno: 0 });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      range.release();
    }
  });

  it('nesting is bounded: a learner makes at most the floor\'s user namespaces', async () => {
    const { client } = await weakestLearner(lab);
    clients.push(client);
    const max = FLOOR_USERNS_LIMITS.max_user_namespaces!;
    const made = await client.run(
      `n=0; for i in $(seq ${max + 4}); do unshare -U sleep 30 >/dev/null 2>&1 & done; sleep 1; for p in /proc/[0-9]*; do [ "$(readlink $p/ns/user)" != "$(readlink /proc/self/ns/user)" ] && n=$((n+1)); done; echo $n`,
      20_000,
    );
    // Every "sleep" in a namespace of its own counts; the rest failed to unshare (and never slept).
    expect(Number(made.trim())).toBe(max);
  });
});
