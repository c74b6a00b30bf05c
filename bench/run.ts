// `npm run bench`: the numbers isolab promises, measured on this machine against a real server
// on loopback. Prints a table and writes build/bench/results.json.
//
//   1. keystroke echo: socket.io client → server → pty → shell → back (p50/p99)
//   2. `yes` flood to a slow client (2 MB/s): server-side buffered bytes, and Ctrl-C → prompt time
//   3. toggle → new shell ready (server side: launcher spawn to its "ready" line), per setting
//   4. the probe: a full report, a few sections, through --join into a container, and the
//      inspector's refresh round trip (both reports), against the spawn floor (/bin/true)
//   5. container vs gVisor vs VM: start to first prompt, side by side, and their PSS (bench/compare.ts)
//   6. every primitive on: the launcher's start against runc, crun and runsc running the exported
//      config.json, side by side, and what each costs in memory beyond the shell (bench/runtimes.ts)
//   7. a talk's audience: 200 viewers watching the speaker's terminal live, the speaker's echo with
//      and without them, and each viewer's lag (bench/audience.ts)
//   8. bombs in one workshop learner (fork, memory, tmpfs, open files and inotify) while a neighbour
//      types: the neighbour's echo and the host's own fork+exec (bench/bombs.ts)
//   9. the health endpoint's answer time while one learner floods a workshop server with
//      expensive events (bench/health.ts)
//  10. a workshop learner's machine: making one, its memory, and a container start in one beside
//      the same start on the host (bench/machine.ts)
//  11. a detached learner's screen, kept for re-attach: the bounded output log against a headless
//      xterm per session, in bytes per session (bench/resume-memory.ts)
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InspectorView, SessionInfo } from '../common/protocol.js';
import { REPO_ROOT, defaultPaths } from '../server/base/paths.js';
import { LabClient, startLab, type RunningLab } from '../test/helpers/lab.js';
import { benchAudience } from './audience.js';
import { echoRoundTrips } from './echo.js';
import { benchBombs, printBombs } from './bombs.js';
import { benchCompare } from './compare.js';
import { benchMachine } from './machine.js';
import { benchHealth } from './health.js';
import { benchResumeMemory } from './resume-memory.js';
import { benchRuntimes } from './runtimes.js';
import { summarize, type Summary } from './stats.js';

const ECHO_ROUNDS = Number(process.env.BENCH_ECHO_ROUNDS ?? 400);
const TOGGLE_ROUNDS = Number(process.env.BENCH_TOGGLE_ROUNDS ?? 60);
/** A slow client: it processes output at 2 MB/s, as a busy laptop browser might. */
const SLOW_CLIENT_BYTES_PER_SECOND = 2 * 1024 * 1024;
const FLOOD_SECONDS = 2;
const PROBE_ROUNDS = Number(process.env.BENCH_PROBE_ROUNDS ?? 100);

async function session(lab: RunningLab, opts: { autoAck?: boolean; lessonId?: string } = {}): Promise<LabClient> {
  const client = new LabClient(lab.url, lab.token, { autoAck: opts.autoAck });
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40, ...(opts.lessonId ? { lessonId: opts.lessonId } : {}) });
  if (!reply.ok) throw new Error(reply.message);
  await client.waitForText(/[#$] $/);
  return client;
}

async function keystrokeEcho(lab: RunningLab): Promise<Summary> {
  const client = await session(lab);
  // Measure inside a container with every namespace the toggle board has (the usual lesson case).
  for (const t of ['uts', 'pid', 'ipc', 'net', 'rootfs'] as const) await client.request('sandbox:toggle', { toggle: t, on: true });
  await client.waitForText(/[#$] $/, { from: client.text.length - 3 });
  const echo = await echoRoundTrips(client, ECHO_ROUNDS);
  client.close();
  return echo;
}

async function floodAndInterrupt(lab: RunningLab): Promise<{ maxServerBufferedBytes: number; ctrlCToPromptMs: number }> {
  const client = await session(lab, { autoAck: false });
  const serverSession = [...lab.app.sessions.values()].at(-1)!;
  // The slow client: acknowledges what it received, but no faster than 2 MB/s.
  let received = 0;
  let acked = 0;
  client.socket.on('term:output', (d) => (received += d instanceof Uint8Array ? d.byteLength : (d as ArrayBuffer).byteLength));
  const tickMs = 10;
  const perTick = (SLOW_CLIENT_BYTES_PER_SECOND * tickMs) / 1000;
  const ticker = setInterval(() => {
    const n = Math.min(perTick, received - acked);
    if (n > 0) {
      client.socket.emit('term:ack', { bytes: Math.floor(n) });
      acked += Math.floor(n);
    }
  }, tickMs);
  let maxBuffered = 0;
  const sampler = setInterval(() => {
    const s = serverSession.outputStats;
    maxBuffered = Math.max(maxBuffered, s.inFlight + s.buffered);
  }, 1);
  client.type('yes\r');
  await new Promise((r) => setTimeout(r, FLOOD_SECONDS * 1000));
  const marker = client.text.length;
  const t0 = performance.now();
  client.type('\x03');
  await client.waitForText(/\^C[\s\S]*[#$] $/, { from: marker, timeoutMs: 10_000 });
  const ctrlC = performance.now() - t0;
  clearInterval(ticker);
  clearInterval(sampler);
  client.close();
  return { maxServerBufferedBytes: maxBuffered, ctrlCToPromptMs: ctrlC };
}

async function toggleToReady(lab: RunningLab): Promise<Record<string, Summary>> {
  const client = await session(lab);
  const results: Record<string, Summary> = {};
  const cases: [string, string[]][] = [
    ['plain process ↔ UTS', ['uts']],
    ['all namespaces + rootfs', ['uts', 'pid', 'ipc', 'net', 'rootfs']],
  ];
  for (const [name, toggles] of cases) {
    const samples: number[] = [];
    for (let i = 0; i < TOGGLE_ROUNDS; i++) {
      const on = i % 2 === 0;
      for (const t of toggles) {
        const before = client.readies.length;
        const reply = await client.request('sandbox:toggle', { toggle: t, on });
        if (!reply.ok) {
          if (reply.code === 'rate_limited') {
            await new Promise((r) => setTimeout(r, 1000));
            continue;
          }
          throw new Error(reply.message);
        }
        if (client.readies.length > before) {
          const r = client.readies.at(-1)!;
          if (toggles.length === 1 || t === toggles.at(-1)) samples.push(r.spawnToReadyUs / 1000);
        }
      }
      // Stay under the learner rate limit (5 respawns/s) so every sample is a real respawn.
      await new Promise((r) => setTimeout(r, 220 * toggles.length));
    }
    results[name] = summarize(samples);
  }
  client.close();
  return results;
}

function timeSpawn(cmd: string[]): Summary {
  const samples: number[] = [];
  for (let i = 0; i < PROBE_ROUNDS + 5; i++) {
    const t0 = performance.now();
    const out = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    const dt = performance.now() - t0;
    if (out.status !== 0) throw new Error(`${cmd.join(' ')} exited ${out.status}`);
    if (i >= 5) samples.push(dt);
  }
  return summarize(samples);
}

async function probeTimes(lab: RunningLab): Promise<Record<string, Summary>> {
  const { probe, launcher } = defaultPaths();
  const client = await session(lab);
  for (const t of ['uts', 'pid', 'ipc', 'net', 'rootfs'] as const) await client.request('sandbox:toggle', { toggle: t, on: true });
  const pid = client.readies.at(-1)!.pid;
  const results: Record<string, Summary> = {
    'spawn floor (/bin/true)': timeSpawn(['/bin/true']),
    'probe, every section (host)': timeSpawn([probe]),
    'probe --sections ns,caps,seccomp,cgroup': timeSpawn([probe, '--sections', 'ns,caps,seccomp,cgroup']),
    'launcher --join (all namespaces + rootfs) -- probe --pid 1': timeSpawn([launcher, '--join', String(pid), '--', probe, '--pid', '1']),
  };
  const refresh: number[] = [];
  for (let i = 0; i < PROBE_ROUNDS + 5; i++) {
    // Past the host report's one-second cache now and then: both reports are real probe runs.
    const t0 = performance.now();
    const reply = await client.request<InspectorView>('inspector:refresh');
    if (!reply.ok || reply.data.container === null) throw new Error('inspector:refresh failed');
    if (i >= 5) refresh.push(performance.now() - t0);
  }
  results['inspector:refresh round trip (socket.io, both reports)'] = summarize(refresh);
  client.close();
  return results;
}

const fmt = (s: Summary) => `median ${s.median.toFixed(2)} ms · p90 ${s.p90.toFixed(2)} · p99 ${s.p99.toFixed(2)} · n=${s.n}`;

async function main(): Promise<void> {
  const lab = await startLab({ maxSessions: 64 });
  try {
    console.log('isolab bench — loopback, real launcher, this machine\n');
    const echo = await keystrokeEcho(lab);
    console.log(`keystroke echo (client → server → pty → shell → client): ${fmt(echo)}   [target p50 ≤ 2 ms, p99 ≤ 8 ms]`);
    const flood = await floodAndInterrupt(lab);
    console.log(
      `yes flood to a 2 MB/s client: server-side buffered output peaked at ${(flood.maxServerBufferedBytes / 1024).toFixed(0)} KiB [target < 1024 KiB]; Ctrl-C → prompt ${flood.ctrlCToPromptMs.toFixed(0)} ms [target ≤ 250 ms]`,
    );
    const toggles = await toggleToReady(lab);
    for (const [name, s] of Object.entries(toggles)) console.log(`toggle → shell ready (${name}): ${fmt(s)}   [target median ≤ 10 ms]`);
    const probes = await probeTimes(lab);
    for (const [name, s] of Object.entries(probes)) console.log(`${name}: ${fmt(s)}${name.startsWith('probe, every') ? '   [target median well under 10 ms]' : ''}`);
    const audience = await benchAudience();
    console.log(
      `audience of ${audience.viewers}: speaker's echo alone ${fmt(audience.echoAlone)}; watched ${fmt(audience.echoWatched)}   [target p99 ≤ 5 ms]`,
    );
    console.log(`  viewer lag (keystroke → a viewer's screen): ${fmt(audience.viewerLag)}; tokens missed ${audience.missed}   [target p99 ≤ 500 ms]; load ${audience.load.map((l) => l.toFixed(2)).join(' ')}`);
    const bombs = await benchBombs();
    printBombs(bombs);
    const health = await benchHealth();
    console.log(
      `/healthz while a learner floods (2,000 inspector:refresh a burst, diagnoses, typing, 3 MB pasted): ${fmt(health.flooded)}   [target p99 ≤ 50 ms]; alone ${fmt(health.alone)}; the flood's ${health.floodAnswered} events ran ${health.floodJobs} expensive jobs`,
    );
    const resume = await benchResumeMemory();
    const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
    const r = resume.perSessionBytes;
    console.log(
      `a detached screen, per session (${resume.sessions} sessions): output log idle ${kib(r.logIdle)} · busy ${kib(r.logBusy)}; headless xterm idle ${kib(r.headlessIdle)} · busy ${kib(r.headlessBusy)}; one screen serialized in ${resume.serializeMs.toFixed(1)} ms`,
    );
    const compare = await benchCompare();
    const runtimes = await benchRuntimes();
    const machine = await benchMachine();
    console.log(`a learner's machine (workshop): made in ${fmt(machine.make)}; ${machine.pssKiBPerMachine.toFixed(0)} KiB PSS each`);
    console.log(
      `  a workshop container start on the host ${fmt(machine.startOnHost)}; in a machine ${fmt(machine.startInMachine)} (ratio ${(machine.startInMachine.median / machine.startOnHost.median).toFixed(2)}); load ${machine.load.map((l) => l.toFixed(2)).join(' ')}`,
    );
    const out = join(REPO_ROOT, 'build', 'bench');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'results.json'), JSON.stringify({ at: new Date().toISOString(), echo, flood, toggles, probes, audience, bombs, health, compare, runtimes, machine, resume }, null, 2));
    console.log(`\nwritten to build/bench/results.json`);
  } finally {
    await lab.close();
  }
}

await main();
process.exit(0);
