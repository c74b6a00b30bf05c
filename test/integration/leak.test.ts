// Sessions started and ended by the hundred against a real `isolab serve --mode workshop` (a process of its
// own, so it can be killed), in bounded batches, with a launcher killed with SIGKILL in every batch
// and the server itself killed with SIGKILL twice along the way (the next one reaps what it left,
// and its learners get fresh shells with their progress). Asserted from the host side at the end:
// nothing of any of those servers is left — no launcher or container process, cgroup, network
// namespace, veth, mount, SysV IPC object, containers-directory entry or ledger — and within one
// server's life its open fds and its memory stay flat (the slope of its RSS over sessions, not a
// timed assertion).
//
// ISOLAB_LEAK_SESSIONS sets the count: 300 by default (about 90 s, so the suite stays fast), 1000
// for the full run the issue asks for (about 5 min): ISOLAB_LEAK_SESSIONS=1000 npx vitest run
// --project integration test/integration/leak.test.ts. ISOLAB_LEAK_TRACE=1 prints each quiet moment.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../common/protocol.js';
import { REPO_ROOT, defaultPaths } from '../../server/base/paths.js';
import { readInstances } from '../../server/runtime/instance-ledger.js';
import { cgroupHierarchies } from '../../server/runtime/reap-orphans.js';
import { heapAfterGc, inspectorUrl } from '../helpers/inspector.js';
import { LabClient } from '../helpers/lab.js';

const SESSIONS = Number(process.env['ISOLAB_LEAK_SESSIONS'] ?? 300);
/** Sessions at once: a room's worth arriving together. */
const BATCH = 25;
/** The server is killed with SIGKILL after these fractions of the run. */
const SERVER_KILLS_AT = [1 / 3, 2 / 3];
const TOKEN = 'leak-test-token';
/** After the last session ended: longer than any timer an ended session arms (stop-process.ts STOP_GRACE_MS). */
const SETTLE_MS = 1_500;
const HEAP_READINGS = 3;
/** Lessons whose shells make different things: a veth on the bridge (08), its own IPC namespace (09), a PID namespace (02). */
const LESSONS = ['08-network-namespace', '09-ipc-namespace', '02-pid-namespace'];
const paths = defaultPaths();
const scratch = mkdtempSync(join(tmpdir(), 'isolab-leak-'));

interface Server {
  process: ChildProcess;
  url: string;
  pid: number;
  /** Its inspector, to read its heap after a full collection. */
  inspector: string;
}

/** `isolab serve --mode workshop` on a free port; resolves once it prints its URL. */
function startServer(): Promise<Server> {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', join(REPO_ROOT, 'bin', 'isolab.mjs'), 'serve', '--mode', 'workshop', '--port', '0', '--token', TOKEN, '--resume-grace', '1', '--max-sessions', String(BATCH * 2)], {
    env: { ...process.env, ISOLAB_DATA_DIR: scratch },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const ready = () => {
      const m = /Open (http:\/\/[^/]+)\//.exec(out);
      const inspector = inspectorUrl(err);
      if (m && inspector) resolve({ process: child, url: m[1]!, pid: child.pid!, inspector });
    };
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      ready();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      // The inspector announces every attach; the server's own errors go to the test's log.
      const own = d.toString().split('\n').filter((l) => l && !/^(Debugger (listening|attached|ending)|For help, see)/.test(l));
      if (own.length) process.stderr.write(own.join('\n') + '\n');
      ready();
    });
    child.once('exit', (code) => reject(new Error(`isolab serve exited (${code}) before serving:\n${out}`)));
  });
}

const servers: Server[] = [];
/** What the host must not keep of them: names and inodes seen while the sessions ran. */
/** (The host's end of a container's veth is named after its PID: native/launcher/net.c.) */
const seen = { vethPids: new Set<number>(), netns: new Set<number>(), cgroups: new Set<string>(), instanceIds: new Set<string>(), uidRanges: new Map<number, number>() };

function recordLedgers(): void {
  for (const instance of readInstances(paths.instances)) {
    if (!instance.owner || !servers.some((s) => s.pid === instance.owner!.pid)) continue;
    seen.instanceIds.add(instance.owner.instanceId);
    for (const l of instance.launches) if (l.cgroup) seen.cgroups.add(l.cgroup);
    for (const [first, n] of instance.uidsEverUsed) seen.uidRanges.set(first, n);
  }
}

/** One learner: a shell, a command, something left running; the page closes once HOLD resolves. */
async function oneSession(server: Server, n: number, learnerId: string, hold: Promise<void>): Promise<void> {
  const client = new LabClient(server.url, TOKEN);
  // The one whose launcher is killed ends here, not at a timeout.
  const killed = new Promise<never>((_, reject) => client.socket.once('sandbox:exit', ({ code }) => reject(new Error(`session ${n}: its shell exited (${code})`))));
  killed.catch(() => {});
  try {
    await client.connected();
    const reply = await client.request<SessionInfo>('session:start', { cols: 80, rows: 24, lessonId: LESSONS[n % LESSONS.length], learnerId });
    if (!reply.ok) throw new Error(`session ${n}: ${reply.message}`);
    const ready = await Promise.race([client.waitFor(() => client.readies.at(-1), 'the shell', 15_000), killed]);
    if (ready.spec.namespaces.net) {
      seen.vethPids.add(ready.pid);
      seen.netns.add(ready.namespaces['net']!);
    }
    // Something left running in the background, as a learner leaves a server or a sleep.
    expect((await Promise.race([client.run('sleep 600 & echo started', 15_000), killed])).trim()).toBe('started');
    await Promise.race([hold, killed]);
  } finally {
    client.close();
  }
}

const sessionsOf = async (server: Server) => ((await (await fetch(`${server.url}/healthz`)).json()) as { sessions: number }).sessions;
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const launchersOf = (pid: number) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid) && readlinkSync(`/proc/${p}/exe`) === paths.launcher;
      } catch {
        return false;
      }
    })
    .map(Number);

async function waitUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Least-squares slope of Y over X. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Every process that runs in a container cgroup of ours, or holds one of its network namespaces: "PID comm cgroup". */
function leftoverProcesses(): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        const cg = readFileSync(`/proc/${p}/cgroup`, 'utf8');
        const net = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${p}/ns/net`))?.[1]);
        const inOurs = cg.split('\n').some((line) => [...seen.cgroups].some((c) => line.endsWith(`/isolab/${c}`) || line.includes(`/isolab/${c}/`)));
        if (!inOurs && !seen.netns.has(net)) return [];
        return [`${p} ${readFileSync(`/proc/${p}/comm`, 'utf8').trim()} ${cg.split('\n').find((l) => l.includes('isolab')) ?? `net:[${net}]`}`];
      } catch {
        return [];
      }
    });
}

afterAll(async () => {
  for (const s of servers) if (s.process.exitCode === null && s.process.signalCode === null) s.process.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

describe(`${SESSIONS} sessions, launchers and servers killed along the way`, () => {
  it('leave nothing on the host, and a server\'s fds and memory stay flat', { timeout: 60_000 + SESSIONS * 1_000 }, async () => {
    const learnerId = randomUUID();
    let server = await startServer();
    servers.push(server);
    const killAfter = SERVER_KILLS_AT.map((f) => Math.floor(SESSIONS * f / BATCH) * BATCH);
    /** Per server life: (sessions so far, RSS KiB, fds) after each quiet moment. */
    let life: { x: number; rss: number; heap: number; fds: number }[] = [];
    const lives: (typeof life)[] = [life];
    let launchersKilled = 0;
    const t0 = Date.now();

    for (let done = 0; done < SESSIONS; done += BATCH) {
      const count = Math.min(BATCH, SESSIONS - done);
      // One launcher in the batch is killed with SIGKILL while the shells run (a learner's shell the
      // OOM killer took); the pages stay until it has been.
      let victimDone!: () => void;
      const hold = new Promise<void>((resolve) => (victimDone = resolve));
      const batch = Array.from({ length: count }, (_, i) => oneSession(server, done + i, learnerId, hold));
      const victim = (async () => {
        try {
          await waitUntil('the batch\'s launchers', () => launchersOf(server.pid).length >= count, 20_000);
          recordLedgers();
          process.kill(launchersOf(server.pid)[0]!, 'SIGKILL');
          launchersKilled++;
        } finally {
          victimDone();
        }
      })();
      const results = await Promise.allSettled([...batch, victim]);
      const tBatch = Date.now();
      // The session whose launcher was killed may fail; any other failure is the test's.
      const failures = results.filter((r) => r.status === 'rejected');
      expect(failures.length, failures.map((f) => String((f as PromiseRejectedResult).reason)).join('\n')).toBeLessThanOrEqual(1);
      recordLedgers();
      // Quiet: every page gone and its grace over, every launcher exited.
      await waitUntil('every session to end', async () => (await sessionsOf(server)) === 0 && launchersOf(server.pid).length === 0, 20_000);
      // Closed sockets and ptys are let go of a moment after: their count settles.
      let fds = fdCount(server.pid);
      for (let settled = 0, tries = 0; settled < 4 && tries < 60; tries++) {
        await new Promise((r) => setTimeout(r, 50));
        const now = fdCount(server.pid);
        settled = now === fds ? settled + 1 : 0;
        fds = now;
      }
      // The last timers of the ended sessions (a launcher's SIGKILL fallback, STOP_GRACE_MS) let go of them.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      // The least of a few readings a moment apart: whatever was still in flight (a launcher's exit
      // being handled on a loaded host) is gone in one of them; what a leak holds is in all of them.
      let heap = Infinity;
      for (let i = 0; i < HEAP_READINGS; i++) {
        if (i) await new Promise((r) => setTimeout(r, 400));
        heap = Math.min(heap, await heapAfterGc(server.inspector));
      }
      life.push({ x: done + count, rss: rssKiB(server.pid), heap, fds });
      if (process.env['ISOLAB_LEAK_TRACE']) console.log(`[leak] ${done + count} sessions at ${((Date.now() - t0) / 1000).toFixed(1)} s: rss ${life.at(-1)!.rss} KiB, heap ${(life.at(-1)!.heap / 1024).toFixed(0)} KiB, ${life.at(-1)!.fds} fds; quiet after ${Date.now() - tBatch} ms`);

      if (killAfter.includes(done + BATCH) && done + BATCH < SESSIONS) {
        // Shells running, then the server is killed with SIGKILL; the next one reaps before serving.
        const holders = await Promise.all(
          [0, 1].map(async (i) => {
            const c = new LabClient(server.url, TOKEN);
            await c.connected();
            const r = await c.request<SessionInfo>('session:start', { cols: 80, rows: 24, lessonId: LESSONS[i], learnerId });
            if (!r.ok) throw new Error(r.message);
            // As the page does: the lesson opened, which is what progress remembers.
            expect(await c.request('lesson:open', { lessonId: LESSONS[i] })).toMatchObject({ ok: true });
            const ready = await c.waitFor(() => c.readies.at(-1), 'the shell');
            if (ready.spec.namespaces.net) {
              seen.vethPids.add(ready.pid);
              seen.netns.add(ready.namespaces['net']!);
            }
            await c.run('sleep 600 & echo held');
            return { client: c, token: r.data.resume.token };
          }),
        );
        recordLedgers();
        // A learner's user namespace left a SysV shared memory segment in the host's IPC namespace:
        // in a range of the server about to be killed (ranges are drawn host-wide, at random, so
        // another server's would not be this one's to reap).
        const current = readInstances(paths.instances).find((i) => i.owner?.pid === server.pid);
        const [rangeStart] = current?.uidsEverUsed[0] ?? [];
        expect(rangeStart, 'the server recorded a uid range').toBeDefined();
        const planted = spawnSync('setpriv', [`--reuid=${rangeStart! + 1000}`, 'ipcmk', '-M', '4096'], { encoding: 'utf8' });
        const shmid = Number(/id:\s*(\d+)/.exec(planted.stdout)?.[1]);
        server.process.kill('SIGKILL');
        await new Promise((r) => server.process.once('exit', r));
        holders.forEach((h) => h.client.close());
        server = await startServer();
        servers.push(server);
        // Reaped before it served: the segment is gone.
        // (Keys print as signed numbers: a row may start with "-".)
        expect(shmid, planted.stderr).toSatisfy(Number.isInteger);
        expect(readFileSync('/proc/sysvipc/shm', 'utf8')).not.toMatch(new RegExp(`^\\s*-?\\d+\\s+${shmid}\\s`, 'm'));
        // The learners come back: the old shell is gone, a fresh one starts with their progress.
        const back = new LabClient(server.url, TOKEN);
        await back.connected();
        expect(await back.request('session:resume', { token: holders[0]!.token, cols: 80, rows: 24 })).toMatchObject({ ok: false, code: 'not_found' });
        const fresh = await back.request<SessionInfo>('session:start', { cols: 80, rows: 24, learnerId });
        expect(fresh).toMatchObject({ ok: true });
        // The lesson one of the two opened last (they opened theirs at the same time).
        if (fresh.ok) expect(LESSONS.slice(0, 2)).toContain(fresh.data.progress.lastLesson);
        await back.waitFor(() => back.readies.at(-1), 'a fresh shell');
        back.close();
        await waitUntil('the returning learner to end', async () => (await sessionsOf(server)) === 0, 20_000);
        life = [];
        lives.push(life);
      }
    }

    // The last server stops as an operator stops it.
    server.process.kill('SIGTERM');
    await new Promise((r) => server.process.once('exit', r));

    const ourPids = servers.map((s) => s.pid);
    const ours = (name: string) => ourPids.some((pid) => name.endsWith(`-${pid}`) || name.includes(`-${pid}.`));
    const report = {
      launchersKilled,
      servers: servers.length,
      processes: leftoverProcesses().length,
      cgroups: cgroupHierarchies().flatMap((root) => (existsSync(join(root, 'isolab')) ? readdirSync(join(root, 'isolab')) : [])).filter(ours).length,
      veths: [...seen.vethPids].filter((pid) => existsSync(`/sys/class/net/isolab${pid}`)).length,
      mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => ourPids.some((pid) => l.includes(`-${pid}/`)) || [...seen.netns].some((ino) => l.includes(`net:[${ino}]`))).length,
      ipcObjects: ['shm', 'msg', 'sem'].flatMap((t) => readFileSync(`/proc/sysvipc/${t}`, 'utf8').trim().split('\n').slice(1)).filter((line) => {
        const cols = line.trim().split(/\s+/).map(Number);
        // uid and cuid: columns 7 and 9 of shm, 7 and 9 of msg, 4 and 6 of sem; any number in one of our ranges counts.
        return cols.some((v, i) => i >= 4 && [...seen.uidRanges].some(([first, n]) => v >= first && v < first + n));
      }).length,
      containerEntries: readdirSync(paths.containers).filter(ours).length,
      ledgers: readdirSync(paths.instances).filter((d) => seen.instanceIds.has(d.replace(/\.pending$/, ''))).length,
    };
    const flat = lives.filter((l) => l.length >= 3).map((l) => {
      const steady = l.slice(1); // the first batch warms the JIT, the lesson catalog's caches, the pools
      return {
        heapSlopeKiBPerSession: slope(steady.map((p) => ({ x: p.x, y: p.heap / 1024 }))),
        rssSlopeKiBPerSession: slope(steady.map((p) => ({ x: p.x, y: p.rss }))),
        fdsMinMax: [Math.min(...steady.map((p) => p.fds)), Math.max(...steady.map((p) => p.fds))],
        rssKiB: [steady[0]!.rss, steady.at(-1)!.rss],
        heapKiB: [Math.round(steady[0]!.heap / 1024), Math.round(steady.at(-1)!.heap / 1024)],
      };
    });
    console.log(`[leak] ${SESSIONS} sessions:`, JSON.stringify({ ...report, lives: flat }));
    if (report.processes) console.log('[leak] left running:', leftoverProcesses().join(' | '));

    expect(report).toMatchObject({ processes: 0, cgroups: 0, veths: 0, mounts: 0, ipcObjects: 0, containerEntries: 0, ledgers: 0 });
    expect(report.launchersKilled).toBeGreaterThan(0);
    for (const life of flat) {
      expect(life.fdsMinMax[1]! - life.fdsMinMax[0]!).toBeLessThanOrEqual(4);
      // A session left behind holds its terminal log, pump, pty and check loop: tens of KiB of heap
      // each. What does grow, about 2 KiB a session over a thousand, is V8's optimized code (heap
      // snapshots before and after: code, deopt data and relocation info, no objects), which levels off.
      expect(life.heapSlopeKiBPerSession).toBeLessThan(8);
    }
  });
});
