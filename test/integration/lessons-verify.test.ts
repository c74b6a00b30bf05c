// `isolab lessons verify`: every lesson's scripted solution, typed into a real shell started by the
// real Session machinery, must turn all of the lesson's checks green, in solo and in workshop mode.
// And verify must catch what is wrong: fixtures with a wrong solution and a check that cannot fail.
// Outside, the host must be left as it was: no mount, no System V object, no process.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadLessons } from '../../server/lessons/load.js';
import { verifyLessons, verifyPassed, type VerifyReport } from '../../server/main/lessons-verify.js';
import { defaultPaths, REPO_ROOT } from '../../server/base/paths.js';
import { descendantsOf, listProcesses } from '../../server/observe/proc.js';

const paths = defaultPaths();
const FIXTURES = join(REPO_ROOT, 'server', 'lessons', 'fixtures', 'verify');
const SYSLOG_KEY = 0x414e4547;

const hostShmKeys = () =>
  readFileSync('/proc/sysvipc/shm', 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => Number(l.trim().split(/\s+/)[0]) >>> 0);
const hostMountTargets = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]);

/** The host is left as it was: no leftover shell below us, no mount from a lesson, no syslogd segment. */
async function expectHostUntouched(shmBefore: number[]): Promise<void> {
  const below = descendantsOf(process.pid, await listProcesses());
  expect(below.filter((p) => p.comm === 'isolab-launcher' || p.comm === 'sleep' || p.comm === 'syslogd')).toEqual([]);
  expect(hostMountTargets()).not.toContain('/mnt/inner');
  if (!shmBefore.includes(SYSLOG_KEY)) expect(hostShmKeys()).not.toContain(SYSLOG_KEY);
  // Lessons 4–8: no web server, no overlay mount, no upper directory, cgroup or veth of ours left behind.
  expect(below.filter((p) => p.comm === 'httpd')).toEqual([]);
  expect(hostMountTargets().filter((t) => t?.startsWith('/mnt/a') || t?.startsWith('/mnt/b'))).toEqual([]);
  const ours = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(`-${process.pid}`)) : []);
  const dirs = [paths.containers, '/sys/fs/cgroup/isolab', '/sys/fs/cgroup/pids/isolab', '/sys/fs/cgroup/memory/isolab'];
  // The last launcher may still be tearing its container down (the server removes the directory on its exit).
  for (let i = 0; i < 30 && dirs.some((d) => ours(d).length); i++) await new Promise((r) => setTimeout(r, 100));
  for (const dir of dirs) expect(ours(dir), dir).toEqual([]);
}

function summary(report: VerifyReport) {
  return report.verdicts.map((v) => ({ id: v.id, passed: v.passed, skipped: v.skipped !== undefined, reason: v.reason, failing: v.failing.map((c) => c.id) }));
}

describe('the real lessons', () => {
  it('every solution, typed into a real shell, turns every check green (solo mode)', async () => {
    const shmBefore = hostShmKeys();
    const { lessons } = await loadLessons(paths.lessons);
    const report = await verifyLessons({ dir: paths.lessons, paths, mode: 'solo' });
    expect(report.loadErrors).toEqual([]);
    expect(summary(report)).toEqual(lessons.map((l) => ({ id: l.id, passed: true, skipped: false, reason: undefined, failing: [] })));
    expect(verifyPassed(report)).toBe(true);
    await expectHostUntouched(shmBefore);
  }, 240_000);

  it('under the workshop floor, every task not marked workshop: false is done; a lesson with none is skipped', async () => {
    const shmBefore = hostShmKeys();
    const { lessons } = await loadLessons(paths.lessons);
    const report = await verifyLessons({ dir: paths.lessons, paths, mode: 'workshop' });
    expect(summary(report)).toEqual(
      lessons.map((l) => ({ id: l.id, passed: true, skipped: !l.tasks.some((t) => t.workshop), reason: undefined, failing: [] })),
    );
    // Not everything is skipped: the floor still lets learners do real tasks.
    expect(report.verdicts.filter((v) => !v.skipped).length).toBeGreaterThanOrEqual(3);
    expect(verifyPassed(report)).toBe(true);
    await expectHostUntouched(shmBefore);
  }, 240_000);

  it('a workshop: false task really cannot be done in a workshop shell (its solution fails there)', async () => {
    // The whole course, copied with every "workshop: false" removed (settings build on the previous
    // lesson's, so all of it is needed), verified in workshop mode for the marked lessons only:
    // each must now fail, or its mark is a lie.
    const { lessons } = await loadLessons(paths.lessons);
    const marked = lessons.filter((l) => l.tasks.some((t) => !t.workshop));
    expect(marked.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'isolab-verify-'));
    try {
      for (const l of lessons) {
        mkdirSync(join(dir, l.id));
        writeFileSync(join(dir, l.id, 'lesson.md'), readFileSync(l.file, 'utf8').replace(/^ *workshop: false\n/gm, ''));
      }
      const report = await verifyLessons({ dir, paths, mode: 'workshop', timeoutMs: 3_000, only: marked.map((l) => l.id) });
      expect(report.verdicts.map((v) => [v.id, v.passed])).toEqual(marked.map((l) => [l.id, false]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('verify catches lessons that do not work', () => {
  it('a wrong solution fails with the failing check and its hint; a check that passes untouched fails too', async () => {
    const report = await verifyLessons({ dir: FIXTURES, paths, timeoutMs: 3_000 });
    expect(summary(report)).toEqual([
      { id: '00-right-solution', passed: true, skipped: false, reason: undefined, failing: [] },
      { id: '01-wrong-solution', passed: false, skipped: false, reason: 'the checks did not all pass within 3 s of the last solution line', failing: ['renamed'] },
      {
        id: '02-checks-nothing',
        passed: false,
        skipped: false,
        reason: 'every check passed before the solution was typed: the checks do not look at what the tasks ask for',
        failing: [],
      },
    ]);
    const wrong = report.verdicts[1]!;
    // The hint was computed from the real shell's state: the name the wrong solution gave it.
    expect(wrong.failing[0]!.hint).toBe('The container is called "another-name"; rename it with `hostname expected-name`.');
    expect(wrong.transcript).toContain('hostname another-name');
    expect(verifyPassed(report)).toBe(false);
  }, 60_000);

  it('the command exits 1 on a failing lesson and 0 when the chosen lessons pass', async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin', 'isolab.mjs'), 'lessons', 'verify', ...args], { cwd: REPO_ROOT }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
    const failing = await cli(FIXTURES, '--timeout', '3');
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^ {2}PASS 00-right-solution \(/m);
    expect(failing.stdout).toMatch(/^ {2}FAIL 01-wrong-solution \(/m);
    expect(failing.stdout).toContain('✗ renamed: The container is called expected-name');
    expect(failing.stdout).toMatch(/^ {2}FAIL 02-checks-nothing \(/m);
    expect(failing.stdout).toMatch(/^1 passed, 2 failed$/m);

    const passing = await cli(FIXTURES, '--only', '00-right-solution');
    expect(passing).toMatchObject({ code: 0 });
    expect(passing.stdout).toMatch(/^1 passed, 0 failed$/m);

    const unknown = await cli(FIXTURES, '--only', '07-nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no lesson "07-nope"');

    const bad = await cli(FIXTURES, '--timeout', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout must be a number of seconds');
  }, 60_000);
});
