// The editors' server side with the real launcher: settings applied as JSON respawn the shell
// (asserted from inside: what the shell prints; and outside: the host keeps its hostname, the new
// shell has another UTS inode), bad settings are refused field by field while the shell lives on,
// the workshop floor holds, seccomp profiles are kept per session, the code view's endpoint reads
// only its table behind the token, and progress survives a server restart in its SQLite file.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyResult, LearnerProgress, SeccompProfileView, SessionInfo, SourceView } from '../../common/protocol.js';
import { MAX_SECCOMP_PROFILE_BYTES } from '../../common/seccomp-profile.js';
import { SeccompProfile } from '../../common/seccomp-profile.js';
import type { ContainerSpec } from '../../common/spec.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import { LabClient, startLab, type LabOptions, type RunningLab } from '../helpers/lab.js';
import { useLab } from '../helpers/use-lab.js';

const hostInode = (ns: string) => Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/self/ns/${ns}`))![1]);
const LEARNER = '3b241101-e2bb-4255-8caf-4136c566a962';

const clients: LabClient[] = [];
afterEach(() => {
  while (clients.length) clients.pop()!.close();
});

async function newSession(lab: RunningLab, start: { lessonId?: string; learnerId?: string } = {}): Promise<{ client: LabClient; info: SessionInfo }> {
  const client = new LabClient(lab.url, lab.token);
  clients.push(client);
  await client.connected();
  const reply = await client.request<SessionInfo>('session:start', { cols: 120, rows: 40, ...start });
  if (!reply.ok) throw new Error(`session:start failed: ${reply.message}`);
  await client.waitForText(/[#$] $/);
  return { client, info: reply.data };
}

async function withLab<T>(opts: LabOptions, fn: (lab: RunningLab) => Promise<T>): Promise<T> {
  const lab = await startLab(opts);
  try {
    return await fn(lab);
  } finally {
    while (clients.length) clients.pop()!.close();
    await lab.close();
  }
}

/** A session, with what is needed to show its shell survived: its exits, its ready count and its shell's PID. */
async function watchedSession(lab: RunningLab): Promise<{ client: LabClient; info: SessionInfo; exits: unknown[]; readies: number; pid: number }> {
  const { client, info } = await newSession(lab);
  const exits: unknown[] = [];
  client.socket.on('sandbox:exit', (e) => exits.push(e));
  return { client, info, exits, readies: client.readies.length, pid: client.readies.at(-1)!.pid };
}

describe('sandbox:apply (the settings editor)', () => {
  const lab = useLab();

  it('applies an edited hostname: a new shell with it, the host untouched', async () => {
    const { client, info } = await newSession(lab, { lessonId: '01-uts-namespace' });
    expect(info.spec.namespaces.uts).toBe(true);
    const before = client.readies.length;
    const from = client.text.length;
    const reply = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, hostname: 'edited-box' } });
    expect(reply).toMatchObject({ ok: true, data: { changes: ['hostname edited-box'], spec: { hostname: 'edited-box' } } });
    expect(client.readies.length).toBe(before + 1);
    const ready = client.readies.at(-1)!;
    expect(ready.spec.hostname).toBe('edited-box');
    expect(ready.changes).toEqual(['settings edited', 'hostname edited-box']);
    // Inside: the shell's own hostname. Outside: a UTS namespace of its own, the host's name unchanged.
    await client.waitForText(/settings edited · hostname edited-box/, { from });
    expect((await client.run('hostname')).trim()).toBe('edited-box');
    expect(ready.namespaces.uts).not.toBe(hostInode('uts'));
    expect(hostname()).not.toBe('edited-box');
  });

  it('the same settings again: no new shell', async () => {
    const { client, info } = await newSession(lab);
    const before = client.readies.length;
    const reply = await client.request<ApplyResult>('sandbox:apply', { spec: info.spec });
    expect(reply).toMatchObject({ ok: true, data: { changes: [] } });
    expect(client.readies.length).toBe(before);
  });

  it('a change the switches do not name still starts a new shell, named by its path', async () => {
    const { client, info } = await newSession(lab);
    const readies = client.readies.length;
    const spec: ContainerSpec = { ...info.spec, userns: { hostId: 200000 } };
    const reply = await client.request<ApplyResult>('sandbox:apply', { spec });
    expect(reply).toMatchObject({ ok: true, data: { changes: ['userns.hostId 200000'], spec: { userns: { hostId: 200000 } } } });
    expect(client.readies.length).toBe(readies + 1);
  });

  it('bad settings: an error naming each field, and the shell lives on untouched', async () => {
    const { client, info } = await newSession(lab);
    const readies = client.readies.length;
    const pid = client.readies.at(-1)!.pid;
    const bad = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, hostname: '-bad-', privileged: true } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.code).toBe('bad_request');
    expect(bad.message).toMatch(/hostname/);
    expect(bad.issues).toEqual(
      expect.arrayContaining([
        { path: ['spec', 'hostname'], message: expect.stringMatching(/hostname must be/) },
        { path: ['spec', 'privileged'], message: 'unknown field "privileged"' },
      ]),
    );
    const cross = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, rootfs: true, namespaces: { ...info.spec.namespaces, mount: false } } });
    expect(cross).toMatchObject({ ok: false, code: 'bad_request', issues: [{ path: ['spec', 'rootfs'], message: expect.stringMatching(/mount namespace/) }] });
    expect(client.readies.length).toBe(readies);
    expect((await client.run('echo $$')).trim()).toMatch(/^\d+$/);
    expect(client.readies.at(-1)!.pid).toBe(pid);
  });

  it('more CPUs than this host has: refused by field before anything is replaced, the same shell runs on', async () => {
    const { client, info, exits, readies, pid } = await watchedSession(lab);
    const reply = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, resources: { ...info.spec.resources, cgroup: true, cpus: 99 } } });
    expect(reply).toMatchObject({ ok: false, code: 'bad_request', issues: [{ path: ['spec', 'resources', 'cpus'], message: expect.stringMatching(/CPUs? online/) }] });
    const cpuset = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, resources: { ...info.spec.resources, cgroup: true, cpusetCpus: '4095' } } });
    expect(cpuset).toMatchObject({ ok: false, code: 'bad_request', issues: [{ path: ['spec', 'resources', 'cpusetCpus'], message: expect.stringMatching(/no CPU 4095/) }] });
    // Seen from the host: the very same shell process.
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    expect((await client.run('echo still here')).trim()).toBe('still here');
    expect(client.readies.length).toBe(readies);
    expect(exits).toEqual([]);
  });

  it('settings the launcher refuses only at a later step: an error, and the old shell goes on', async () => {
    const { client, info, exits, readies, pid } = await watchedSession(lab);
    const from = client.text.length;
    // Above fs.nr_open (1048576 by default): prlimit refuses it even for root, in the container's
    // child at step "rlimits", after the cgroup and namespaces were made.
    const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8'));
    const nofile = { soft: nrOpen + 1, hard: nrOpen + 1 };
    const reply = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, rlimits: { nofile } } });
    expect(reply).toMatchObject({ ok: false, code: 'launch_failed', message: expect.stringMatching(/prlimit\(nofile\)/) });
    expect(client.errors).toContainEqual(expect.objectContaining({ code: 'launch_failed', step: 'rlimits' }));
    await client.waitForText(/not applied: the new shell failed at step "rlimits"; this one goes on/, { from });
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    expect((await client.run('echo $$')).trim()).toMatch(/^\d+$/);
    expect(client.readies.length).toBe(readies);
    expect(exits).toEqual([]);
    const session = [...lab.app.sessions.values()].find((s) => s.shellPid === pid)!;
    expect(session.currentSpec.rlimits).toEqual({});
    // The fix applies as usual: a new shell, the old one gone.
    const fixed = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, rlimits: { nofile: { soft: 4096, hard: 4096 } } } });
    expect(fixed.ok).toBe(true);
    const next = client.readies.at(-1)!.pid;
    expect(next).not.toBe(pid);
    expect((await client.run('ulimit -n')).trim()).toBe('4096');
    await client.waitFor(() => (existsSync(`/proc/${pid}`) ? undefined : true), 'the old shell to be stopped');
  });

  it('seccomp "custom" before a profile was applied is refused, naming the field', async () => {
    const { client, info } = await newSession(lab);
    const reply = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, seccomp: 'custom' } });
    expect(reply).toMatchObject({ ok: false, code: 'bad_request', issues: [{ path: ['spec', 'seccomp'] }] });
  });

  it.each<[string, unknown]>([
    ['sandbox:apply', 'hostname=x'],
    ['sandbox:apply', { spec: '{"hostname":"x"}' }],
    ['sandbox:apply', { spec: null }],
    ['seccomp:apply', { profile: 'SCMP_ACT_ALLOW' }],
    ['seccomp:apply', { profile: { defaultAction: 'SCMP_ACT_ALLOW' }, extra: 1 }],
    ['progress:predict', { lessonId: '../../etc', predictionId: 'x' }],
    ['progress:predict', { lessonId: '01-uts-namespace' }],
  ])('%s %j: refused as a bad request, the session survives', async (event, payload) => {
    const { client } = await newSession(lab);
    const reply = await client.request(event, payload);
    expect(reply).toMatchObject({ ok: false, code: 'bad_request' });
    expect((await client.run('echo ok')).trim()).toBe('ok');
  });

  it('a learner id of the wrong shape is refused at session:start', async () => {
    const client = new LabClient(lab.url, lab.token);
    clients.push(client);
    await client.connected();
    const reply = await client.request('session:start', { cols: 80, rows: 24, learnerId: "x'; DROP TABLE learners; --" });
    expect(reply).toMatchObject({ ok: false, code: 'bad_request', issues: [{ path: ['learnerId'] }] });
  });
});

describe('the workshop floor in the settings editor', () => {
  it('an edit that turns a locked switch off is refused with the field named; the shell keeps running', async () => {
    await withLab({ mode: 'workshop' }, async (lab) => {
      const { client, info } = await newSession(lab);
      expect(info.lockedOn).toEqual(expect.arrayContaining(['pid', 'mount', 'rootfs']));
      const readies = client.readies.length;
      const reply = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, seccomp: 'unconfined' } });
      expect(reply).toMatchObject({
        ok: false,
        code: 'forbidden',
        message: expect.stringMatching(/seccomp/),
        issues: [{ path: ['spec', 'seccomp'], message: expect.stringMatching(/workshop server keeps/) }],
      });
      expect(client.readies.length).toBe(readies);
      // Still under its filter, PID 1 of its own namespace.
      expect(await client.run('grep Seccomp: /proc/self/status; echo $$')).toMatch(/Seccomp:\s+2\s+1/);
      // An edit above the floor goes through.
      const ok = await client.request<ApplyResult>('sandbox:apply', { spec: { ...info.spec, hostname: 'floor-ok' } });
      expect(ok).toMatchObject({ ok: true, data: { spec: { hostname: 'floor-ok', namespaces: { pid: true } } } });
    });
  });
});

describe('seccomp:get / seccomp:apply', () => {
  const lab = useLab();

  it('starts from the shipped profile (or a starter profile when none is shipped)', async () => {
    const { client } = await newSession(lab);
    const reply = await client.request<SeccompProfileView>('seccomp:get');
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    const shipped = join(REPO_ROOT, 'profiles', 'seccomp', 'docker-default.json');
    if (existsSync(shipped)) expect(reply.data).toEqual({ source: 'docker-default', profile: JSON.parse(readFileSync(shipped, 'utf8')) });
    else expect(reply.data.source).toBe('template');
    expect(SeccompProfile.safeParse(reply.data.profile).success).toBe(true);
  });

  it('a bad profile is refused field by field; the session keeps no profile', async () => {
    const { client } = await newSession(lab);
    const reply = await client.request<ApplyResult>('seccomp:apply', { profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_BLOCK' }] } });
    expect(reply).toMatchObject({ ok: false, code: 'bad_request', issues: [{ path: ['profile', 'syscalls', 0, 'action'], message: expect.stringMatching(/unknown action/) }] });
    const session = [...lab.app.sessions.values()].at(-1)!;
    expect(session.customSeccompProfile).toBeUndefined();
  });

  it('a profile over 256 KiB is refused without closing the connection', async () => {
    const { client } = await newSession(lab);
    const names = Array.from({ length: 24_000 }, (_, i) => `sys_${i}`);
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: 'SCMP_ACT_ERRNO' }] };
    const bytes = Buffer.byteLength(JSON.stringify(profile));
    expect(bytes).toBeGreaterThan(MAX_SECCOMP_PROFILE_BYTES);
    expect(bytes).toBeLessThan(300 * 1024);
    const reply = await client.request<ApplyResult>('seccomp:apply', { profile });
    expect(reply).toMatchObject({ ok: false, code: 'bad_request', issues: [{ path: ['profile'], message: expect.stringMatching(/256 KiB/) }] });
    expect((await client.run('echo still')).trim()).toBe('still');
  });

  it('a valid profile is kept on the session and the new shell runs under it (inside: refused; outside: seccomp mode 2)', async () => {
    // Lesson 1: UTS on, so a sethostname that got through would rename only the container.
    const { client } = await newSession(lab, { lessonId: '01-uts-namespace' });
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
    const reply = await client.request<ApplyResult>('seccomp:apply', { profile });
    expect(reply).toMatchObject({ ok: true, data: { spec: { seccomp: 'custom' } } });
    if (!reply.ok) return;
    expect(reply.data.changes).toEqual(['seccomp: your profile (default SCMP_ACT_ALLOW, 1 rule)']);
    const session = [...lab.app.sessions.values()].at(-1)!;
    expect(session.customSeccompProfile).toEqual(profile);
    const pid = client.readies.at(-1)!.pid;
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Seccomp:\s+2$/m);
    // The shell is root with every capability: EPERM here can only be the filter (hostname(1)
    // words EPERM as "you must be root").
    expect(reply.data.spec.capabilities).toBe('all');
    expect(await client.run('hostname blocked-name; echo rc=$?')).toMatch(/(Operation not permitted|must be root)[\s\S]*rc=1/);
    expect((await client.run('hostname')).trim()).toBe('isolab');
    const view = await client.request<SeccompProfileView>('seccomp:get');
    expect(view).toMatchObject({ ok: true, data: { source: 'custom', profile } });
    // Applying it again (an edit) starts a new shell even though the settings read the same.
    const again = await client.request<ApplyResult>('seccomp:apply', { profile: { ...profile, defaultAction: 'SCMP_ACT_LOG' } });
    expect(again).toMatchObject({ ok: true, data: { changes: ['seccomp: your profile (default SCMP_ACT_LOG, 1 rule)'] } });
    expect(client.readies.at(-1)!.pid).not.toBe(pid);
    // Back to no filter from the settings editor.
    const back = await client.request<ApplyResult>('sandbox:apply', { spec: { ...session.currentSpec, seccomp: 'unconfined' } });
    expect(back.ok).toBe(true);
    expect(readFileSync(`/proc/${client.readies.at(-1)!.pid}/status`, 'utf8')).toMatch(/^Seccomp:\s+0$/m);
  });
});

describe('the code view endpoint', () => {
  const lab = useLab({ token: 'source-token' });
  const get = (path: string, token?: string) => fetch(`${lab.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

  it('serves the launcher\'s real source with the primitive\'s function lines', async () => {
    const res = await get('/api/source/uts', 'source-token');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const view = (await res.json()) as SourceView;
    expect(view.file).toBe('native/launcher/ns.c');
    expect(view.text).toBe(readFileSync(join(REPO_ROOT, 'native/launcher/ns.c'), 'utf8'));
    const [range] = view.ranges;
    expect(range?.function).toBe('lab_set_hostname');
    expect(view.text.split('\n').slice(range!.startLine - 1, range!.endLine).join('\n')).toMatch(/^void lab_set_hostname\([\s\S]*sethostname\([\s\S]*}$/);
  });

  it.each([undefined, 'wrong-token', 'source-token-and-more'])('without the right token (%s): 401, no source', async (token) => {
    const res = await get('/api/source/uts', token);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toMatch(/sethostname/);
  });

  it.each(['..%2F..%2F..%2Fetc%2Fpasswd', '..%2fserver%2fapp.ts', '__proto__', 'constructor', 'toString', '%2Fetc%2Fpasswd', 'ns.c', 'UTS'])(
    '/api/source/%s: 404, nothing read outside the table',
    async (bad) => {
      const res = await get(`/api/source/${bad}`, 'source-token');
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).not.toMatch(/root:x:0|createApp|lab_set_hostname/);
    },
  );
});

describe('progress', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'isolab-progress-it-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('persists across a server restart: the passed check, the lesson left, and its settings', async () => {
    const file = join(dir, 'progress.sqlite');
    await withLab({ progressFile: file }, async (lab) => {
      const { client, info } = await newSession(lab, { lessonId: '01-uts-namespace', learnerId: LEARNER });
      expect(info.progress).toEqual({ saving: true, lastLesson: null, lessons: {} });
      const updates: LearnerProgress[] = [];
      client.socket.on('progress:update', (p) => updates.push(p));
      expect((await client.request('lesson:open', { lessonId: '01-uts-namespace' })).ok).toBe(true);
      await client.waitFor(() => updates.find((p) => p.lastLesson === '01-uts-namespace'), 'the lesson to be recorded');
      // A pick (B) is saved before the page shows the answer; a choice the question does not have is refused.
      expect(await client.request('progress:predict', { lessonId: '01-uts-namespace', predictionId: 'first-look', choice: 3 })).toMatchObject({ ok: false, code: 'bad_request' });
      const predicted = await client.request<LearnerProgress>('progress:predict', { lessonId: '01-uts-namespace', predictionId: 'first-look', choice: 1 });
      expect(predicted).toMatchObject({ ok: true, data: { lessons: { '01-uts-namespace': { predictions: { 'first-look': expect.any(String) }, picks: { 'first-look': 1 } } } } });
      expect(await client.request('progress:predict', { lessonId: '01-uts-namespace', predictionId: 'no-such-question' })).toMatchObject({ ok: false, code: 'not_found' });
      client.type('hostname my-container\r');
      const done = await client.waitFor(() => updates.find((p) => p.lessons['01-uts-namespace']?.completedAt), 'the check to pass and be saved', 15_000);
      expect(Object.keys(done.lessons['01-uts-namespace']!.checks).length).toBeGreaterThan(0);
    });

    // Outside: the rows are in the file.
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT last_lesson FROM learners WHERE id = ?').get(LEARNER)).toEqual({ last_lesson: '01-uts-namespace' });
    expect(db.prepare('SELECT count(*) AS n FROM checks_passed WHERE learner_id = ?').get(LEARNER)).toMatchObject({ n: expect.any(Number) });
    expect(db.prepare('SELECT prediction_id, choice FROM predictions_answered WHERE learner_id = ?').all(LEARNER)).toEqual([{ prediction_id: 'first-look', choice: 1 }]);
    db.close();

    await withLab({ progressFile: file }, async (lab) => {
      // A new server, the same browser (same learner id), no lesson in the address bar.
      const { client, info } = await newSession(lab, { learnerId: LEARNER });
      expect(info.progress.saving).toBe(true);
      expect(info.progress.lastLesson).toBe('01-uts-namespace');
      const lesson = info.progress.lessons['01-uts-namespace']!;
      expect(lesson.completedAt).not.toBeNull();
      expect(lesson.predictions['first-look']).toEqual(expect.any(String));
      // The first shell already runs with the lesson the learner left (lesson 1: UTS on).
      expect(client.readies[0]!.spec.namespaces.uts).toBe(true);
      expect((await client.run('hostname')).trim()).toBe('isolab');
      // Another learner on the same server sees none of it.
      const { info: other } = await newSession(lab, { learnerId: '9f0c2c1e-5a5b-4c1d-9e2f-0a1b2c3d4e5f' });
      expect(other.progress).toEqual({ saving: true, lastLesson: null, lessons: {} });
    });
  });

  it('a check once passed stays passed when following the lesson undoes it (lesson 16\'s own rm)', async () => {
    await withLab({ progressFile: join(dir, 'undone.sqlite') }, async (lab) => {
      const { client } = await newSession(lab, { lessonId: '16-containers-vs-vms', learnerId: LEARNER });
      const counted = (from: number) => client.statuses.slice(from).find((st) => st.lessonId === '16-containers-vs-vms' && st.checks.some((c) => c.id === 'memory-counted' && c.passed));
      client.type('dd if=/dev/zero of=/dev/shm/ballast bs=1M count=50\r');
      const passed = await client.waitFor(() => counted(0), 'memory-counted to pass', 15_000);
      const passedAt = passed.checks.find((c) => c.id === 'memory-counted')!.passedAt;
      expect(passedAt).toEqual(expect.any(String));
      // The lesson's next step gives the memory back: the check is no longer true now.
      const from = client.statuses.length;
      client.type('rm /dev/shm/ballast\r');
      const undone = await client.waitFor(
        () => client.statuses.slice(from).find((st) => st.checks.some((c) => c.id === 'memory-counted' && !c.passed)),
        'memory-counted to be false again',
        15_000,
      );
      expect(undone.checks.find((c) => c.id === 'memory-counted')).toMatchObject({ passed: false, passedAt });
      expect(undone.allPassed).toBe(false);
      // Progress keeps it, and the lesson is complete: each of its checks has passed.
      const session = [...lab.app.sessions.values()].at(-1)!;
      const lesson = session.progress().lessons['16-containers-vs-vms']!;
      expect(lesson.checks['memory-counted']).toBe(passedAt);
      expect(lesson.completedAt).not.toBeNull();
    });
  });

  it('without a learner id nothing is saved, and the page is told why', async () => {
    await withLab({}, async (lab) => {
      const { info } = await newSession(lab);
      expect(info.progress).toMatchObject({ saving: false, problem: expect.stringMatching(/no learner id/) });
    });
  });

  it('a corrupt database: the server still serves shells, and tells the page progress is not saved', async () => {
    const file = join(dir, 'corrupt.sqlite');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'not a database at all '.repeat(500));
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      await withLab({ progressFile: file }, async (lab) => {
        const { client, info } = await newSession(lab, { learnerId: LEARNER, lessonId: '01-uts-namespace' });
        expect(info.progress).toMatchObject({ saving: false, problem: expect.stringMatching(/not being saved/) });
        expect((await client.run('echo serving')).trim()).toBe('serving');
      });
    } finally {
      console.error = original;
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^not a database/);
  });
});
