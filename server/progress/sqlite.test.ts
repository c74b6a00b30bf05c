import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LessonStatus } from '../../common/protocol.js';
import { MIGRATIONS, migrate, openProgressStore } from './sqlite.js';
import type { ProgressStore } from './store.js';

const ALICE = '3b241101-e2bb-4255-8caf-4136c566a962';
const BOB = '9f0c2c1e-5a5b-4c1d-9e2f-0a1b2c3d4e5f';

let dir: string;
let clock: Date;
const now = () => clock;
const stores: ProgressStore[] = [];
const open = async (file = join(dir, 'progress.sqlite')) => {
  const s = await openProgressStore(file, { now });
  stores.push(s);
  return s;
};
const status = (lessonId: string, checks: [string, boolean][]): LessonStatus => ({
  lessonId,
  checks: checks.map(([id, passed]) => ({ id, title: id, passed })),
  allPassed: checks.every(([, p]) => p),
  checkedAt: clock.toISOString(),
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'isolab-progress-test-'));
  clock = new Date('2026-03-01T10:00:00.000Z');
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  while (stores.length) stores.pop()!.close();
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('the progress store', () => {
  it('a new learner has no progress, but it is being saved', async () => {
    const store = await open();
    expect(store.problem).toBeNull();
    expect(store.load(ALICE)).toEqual({ saving: true, lastLesson: null, lessons: {} });
  });

  it('records lessons opened, checks passed once (first time kept), completion and predictions', async () => {
    const store = await open();
    store.lessonOpened(ALICE, '01-uts-namespace');
    clock = new Date('2026-03-01T10:05:00.000Z');
    let r = store.recordStatus(ALICE, status('01-uts-namespace', [['renamed', true], ['other', false]]));
    expect(r.changed).toBe(true);
    clock = new Date('2026-03-01T10:06:00.000Z');
    r = store.recordStatus(ALICE, status('01-uts-namespace', [['renamed', true], ['other', false]]));
    expect(r.changed).toBe(false);
    r = store.recordStatus(ALICE, status('01-uts-namespace', [['renamed', true], ['other', true]]));
    expect(r.changed).toBe(true);
    store.predictionAnswered(ALICE, '01-uts-namespace', 'first-look');
    expect(store.load(ALICE)).toEqual({
      saving: true,
      lastLesson: '01-uts-namespace',
      lessons: {
        '01-uts-namespace': {
          firstOpenedAt: '2026-03-01T10:00:00.000Z',
          lastOpenedAt: '2026-03-01T10:00:00.000Z',
          completedAt: '2026-03-01T10:06:00.000Z',
          checks: { renamed: '2026-03-01T10:05:00.000Z', other: '2026-03-01T10:06:00.000Z' },
          predictions: { 'first-look': '2026-03-01T10:06:00.000Z' },
          picks: {},
        },
      },
    });
  });

  it('a check once passed stays passed; the lesson completes when each check has passed, even never all at once', async () => {
    const store = await open();
    store.lessonOpened(ALICE, '16-together');
    clock = new Date('2026-03-01T10:01:00.000Z');
    store.recordStatus(ALICE, status('16-together', [['file-made', true], ['file-gone', false]]));
    // Following the lesson: the file is removed, so the first check is no longer true now.
    clock = new Date('2026-03-01T10:02:00.000Z');
    const r = store.recordStatus(ALICE, status('16-together', [['file-made', false], ['file-gone', true]]));
    expect(r.changed).toBe(true);
    expect(r.progress.lessons['16-together']).toMatchObject({
      completedAt: '2026-03-01T10:02:00.000Z',
      checks: { 'file-made': '2026-03-01T10:01:00.000Z', 'file-gone': '2026-03-01T10:02:00.000Z' },
    });
    // Nothing passing now takes nothing away.
    expect(store.recordStatus(ALICE, status('16-together', [['file-made', false], ['file-gone', false]])).changed).toBe(false);
    expect(store.load(ALICE).lessons['16-together']?.checks).toEqual({ 'file-made': '2026-03-01T10:01:00.000Z', 'file-gone': '2026-03-01T10:02:00.000Z' });
  });

  it('the last lesson follows the learner; learners do not see each other', async () => {
    const store = await open();
    store.lessonOpened(ALICE, '00-just-a-process');
    store.lessonOpened(BOB, '01-uts-namespace');
    store.lessonOpened(ALICE, '01-uts-namespace');
    store.lessonOpened(ALICE, '00-just-a-process');
    expect(store.load(ALICE).lastLesson).toBe('00-just-a-process');
    expect(Object.keys(store.load(ALICE).lessons).sort()).toEqual(['00-just-a-process', '01-uts-namespace']);
    expect(store.load(BOB)).toMatchObject({ lastLesson: '01-uts-namespace', lessons: { '01-uts-namespace': expect.any(Object) } });
    expect(Object.keys(store.load(BOB).lessons)).toEqual(['01-uts-namespace']);
  });

  it('keeps the choice picked before the answer was shown; a later answer does not replace it', async () => {
    const store = await open();
    store.predictionAnswered(ALICE, '01-uts-namespace', 'first-look', 1);
    clock = new Date('2026-03-01T10:01:00.000Z');
    store.predictionAnswered(ALICE, '01-uts-namespace', 'first-look', 0);
    store.predictionAnswered(ALICE, '01-uts-namespace', 'nested');
    const lesson = store.load(ALICE).lessons['01-uts-namespace']!;
    expect(lesson.picks).toEqual({ 'first-look': 1 });
    expect(lesson.predictions).toEqual({ 'first-look': '2026-03-01T10:00:00.000Z', nested: '2026-03-01T10:01:00.000Z' });
  });

  it('brings a version 1 database forward, keeping its answers (without picks)', async () => {
    const file = join(dir, 'progress.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    db.exec(MIGRATIONS[0]!);
    db.prepare('INSERT INTO schema_migrations VALUES (1, ?)').run('2026-01-01T00:00:00.000Z');
    db.prepare("INSERT INTO learners VALUES (?, 'x', 'x', NULL)").run(ALICE);
    db.prepare("INSERT INTO lessons VALUES (?, '01-uts-namespace', 'x', 'x', NULL)").run(ALICE);
    db.prepare("INSERT INTO predictions_answered VALUES (?, '01-uts-namespace', 'first-look', 'then')").run(ALICE);
    db.close();
    const store = await open(file);
    expect(store.load(ALICE).lessons['01-uts-namespace']).toMatchObject({ predictions: { 'first-look': 'then' }, picks: {} });
  });

  it('survives closing and reopening the file (WAL, schema recorded once)', async () => {
    const file = join(dir, 'nested', 'dir', 'progress.sqlite');
    const first = await open(file);
    first.lessonOpened(ALICE, '01-uts-namespace');
    first.recordStatus(ALICE, status('01-uts-namespace', [['renamed', true]]));
    first.close();
    const second = await open(file);
    expect(second.load(ALICE)).toMatchObject({ lastLesson: '01-uts-namespace', lessons: { '01-uts-namespace': { checks: { renamed: expect.any(String) } } } });
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
    db.close();
  });

  it('refuses a database from a newer isolab, saving nothing and saying why', async () => {
    const file = join(dir, 'progress.sqlite');
    const db = new Database(file);
    migrate(db);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(MIGRATIONS.length + 1, 'future');
    db.close();
    const store = await open(file);
    expect(store.problem).toMatch(/newer isolab/);
    expect(store.lessonOpened(ALICE, '01-uts-namespace')).toEqual({ saving: false, problem: store.problem, lastLesson: null, lessons: {} });
  });

  it('a corrupt file does not throw: the store says progress is not saved, and the file is left alone', async () => {
    const file = join(dir, 'progress.sqlite');
    const garbage = 'this is not a database '.repeat(400);
    writeFileSync(file, garbage);
    const store = await open(file);
    expect(store.problem).toMatch(/not being saved/);
    expect(store.load(ALICE)).toMatchObject({ saving: false, problem: expect.stringMatching(/database/) });
    expect(store.recordStatus(ALICE, status('01-uts-namespace', [['renamed', true]])).changed).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(garbage);
    expect(console.error).toHaveBeenCalledWith(expect.stringMatching(/progress\.sqlite.*Continuing without saving/));
  });

  it('an unwritable place does not throw either', async () => {
    const file = join(dir, 'a-file', 'progress.sqlite');
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    const store = await open(file);
    expect(store.problem).toMatch(/not being saved/);
  });

  it('a database that fails later stops saving once, and says so', async () => {
    const file = join(dir, 'progress.sqlite');
    const store = await open(file);
    store.lessonOpened(ALICE, '01-uts-namespace');
    // Break it under the store's feet: drop a table it writes to.
    const db = new Database(file);
    db.exec('DROP TABLE checks_passed');
    db.close();
    const r = store.recordStatus(ALICE, status('01-uts-namespace', [['renamed', true]]));
    expect(r.progress).toMatchObject({ saving: false, problem: expect.stringMatching(/no longer being saved/) });
    expect(store.problem).toMatch(/no longer being saved/);
    expect(store.load(ALICE).saving).toBe(false);
    expect(console.error).toHaveBeenCalledTimes(1);
  });
});
