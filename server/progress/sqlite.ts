// The embedded progress store: one SQLite file (better-sqlite3, WAL) that survives a server
// restart. A database that cannot be opened, is corrupt, or stops accepting writes is logged once,
// and the server goes on without saving.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { LearnerProgress, LessonProgress, LessonStatus } from '../../common/protocol.js';
import { DisabledProgressStore, noProgress, type ProgressStore } from './store.js';

/**
 * The schema, one entry per version, applied in order inside a transaction each and recorded in
 * schema_migrations. Never edit an entry that has shipped: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE learners (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_lesson TEXT
  ) WITHOUT ROWID;
  CREATE TABLE lessons (
    learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    lesson_id TEXT NOT NULL,
    first_opened_at TEXT NOT NULL,
    last_opened_at TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (learner_id, lesson_id)
  ) WITHOUT ROWID;
  CREATE TABLE checks_passed (
    learner_id TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    check_id TEXT NOT NULL,
    passed_at TEXT NOT NULL,
    PRIMARY KEY (learner_id, lesson_id, check_id),
    FOREIGN KEY (learner_id, lesson_id) REFERENCES lessons(learner_id, lesson_id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE TABLE predictions_answered (
    learner_id TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    prediction_id TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (learner_id, lesson_id, prediction_id),
    FOREIGN KEY (learner_id, lesson_id) REFERENCES lessons(learner_id, lesson_id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  `,
  /* 2 */ `
  -- The choice picked before the answer was shown (0 is A); NULL: the answer was opened without a pick.
  ALTER TABLE predictions_answered ADD COLUMN choice INTEGER;
  `,
];

/** Another isolab process may hold the write lock for a moment (WAL allows one writer). */
const BUSY_TIMEOUT_MS = 2_000;

type Db = BetterSqlite3.Database;
type Row = Record<string, string | null>;

class SqliteProgressStore implements ProgressStore {
  problem: string | null = null;
  private readonly stmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {
    // Named parameters: each statement binds { learner, lesson, at, ... } by name, not by position.
    const p = <B extends object>(sql: string) => db.prepare<[B], Row>(sql);
    type L = { learner: string };
    type LL = L & { lesson: string };
    type LLA = LL & { at: string };
    this.stmt = {
      touchLearner: p<L & { at: string }>(
        'INSERT INTO learners (id, created_at, last_seen_at) VALUES (@learner, @at, @at) ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at',
      ),
      learner: p<L>('SELECT last_lesson FROM learners WHERE id = @learner'),
      lessons: p<L>('SELECT lesson_id, first_opened_at, last_opened_at, completed_at FROM lessons WHERE learner_id = @learner'),
      checks: p<L>('SELECT lesson_id, check_id, passed_at FROM checks_passed WHERE learner_id = @learner'),
      lessonChecks: p<LL>('SELECT check_id FROM checks_passed WHERE learner_id = @learner AND lesson_id = @lesson'),
      predictions: p<L>('SELECT lesson_id, prediction_id, answered_at, choice FROM predictions_answered WHERE learner_id = @learner'),
      openLesson: p<LLA>(
        'INSERT INTO lessons (learner_id, lesson_id, first_opened_at, last_opened_at) VALUES (@learner, @lesson, @at, @at) ON CONFLICT (learner_id, lesson_id) DO UPDATE SET last_opened_at = excluded.last_opened_at',
      ),
      ensureLesson: p<LLA>('INSERT OR IGNORE INTO lessons (learner_id, lesson_id, first_opened_at, last_opened_at) VALUES (@learner, @lesson, @at, @at)'),
      setLastLesson: p<LL>('UPDATE learners SET last_lesson = @lesson WHERE id = @learner'),
      passCheck: p<LLA & { check: string }>('INSERT OR IGNORE INTO checks_passed (learner_id, lesson_id, check_id, passed_at) VALUES (@learner, @lesson, @check, @at)'),
      complete: p<LLA>('UPDATE lessons SET completed_at = @at WHERE learner_id = @learner AND lesson_id = @lesson AND completed_at IS NULL'),
      answer: p<LLA & { prediction: string; choice: number | null }>(
        'INSERT OR IGNORE INTO predictions_answered (learner_id, lesson_id, prediction_id, answered_at, choice) VALUES (@learner, @lesson, @prediction, @at, @choice)',
      ),
    };
  }

  load(learnerId: string): LearnerProgress {
    return this.guard(() => this.read(learnerId));
  }

  lessonOpened(learnerId: string, lessonId: string): LearnerProgress {
    return this.guard(() => {
      const at = this.now().toISOString();
      this.db.transaction(() => {
        this.touch(learnerId, at);
        this.stmt.openLesson.run({ learner: learnerId, lesson: lessonId, at });
        this.stmt.setLastLesson.run({ learner: learnerId, lesson: lessonId });
      })();
      return this.read(learnerId);
    });
  }

  recordStatus(learnerId: string, status: LessonStatus): { progress: LearnerProgress; changed: boolean } {
    let changed = false;
    const progress = this.guard(() => {
      const at = this.now().toISOString();
      const passed = status.checks.filter((c) => c.passed);
      if (passed.length > 0) {
        changed = this.db.transaction(() => {
          this.touch(learnerId, at);
          this.stmt.ensureLesson.run({ learner: learnerId, lesson: status.lessonId, at });
          let news = 0;
          for (const check of passed) news += this.stmt.passCheck.run({ learner: learnerId, lesson: status.lessonId, check: check.id, at }).changes;
          // Complete once every check has passed, now or earlier: following the lesson may undo an
          // earlier step (lesson 16 removes the file a check looked for), and that is no step back.
          const ever = new Set(this.stmt.lessonChecks.all({ learner: learnerId, lesson: status.lessonId }).map((r) => r['check_id']));
          if (status.checks.every((c) => ever.has(c.id))) news += this.stmt.complete.run({ learner: learnerId, lesson: status.lessonId, at }).changes;
          return news > 0;
        })();
      }
      return this.read(learnerId);
    });
    return { progress, changed };
  }

  predictionAnswered(learnerId: string, lessonId: string, predictionId: string, choice?: number): LearnerProgress {
    return this.guard(() => {
      const at = this.now().toISOString();
      this.db.transaction(() => {
        this.touch(learnerId, at);
        this.stmt.ensureLesson.run({ learner: learnerId, lesson: lessonId, at });
        this.stmt.answer.run({ learner: learnerId, lesson: lessonId, prediction: predictionId, at, choice: choice ?? null });
      })();
      return this.read(learnerId);
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private touch(learnerId: string, at: string): void {
    this.stmt.touchLearner.run({ learner: learnerId, at });
  }

  private read(learnerId: string): LearnerProgress {
    const lessons: Record<string, LessonProgress> = {};
    for (const r of this.stmt.lessons.all({ learner: learnerId })) {
      lessons[r['lesson_id']!] = { firstOpenedAt: r['first_opened_at']!, lastOpenedAt: r['last_opened_at']!, completedAt: r['completed_at'] ?? null, checks: {}, predictions: {}, picks: {} };
    }
    for (const r of this.stmt.checks.all({ learner: learnerId })) {
      const lesson = lessons[r['lesson_id']!];
      if (lesson) lesson.checks[r['check_id']!] = r['passed_at']!;
    }
    for (const r of this.stmt.predictions.all({ learner: learnerId })) {
      const lesson = lessons[r['lesson_id']!];
      if (!lesson) continue;
      lesson.predictions[r['prediction_id']!] = r['answered_at']!;
      const choice: unknown = (r as Record<string, unknown>)['choice']; // an INTEGER column: a number or NULL
      if (typeof choice === 'number') lesson.picks[r['prediction_id']!] = choice;
    }
    const lastLesson = this.stmt.learner.get({ learner: learnerId })?.['last_lesson'] ?? null;
    return { saving: true, lastLesson, lessons };
  }

  /** A failing database (disk full, file replaced, corrupted under us) ends saving, not the server. */
  private guard(fn: () => LearnerProgress): LearnerProgress {
    if (this.problem) return noProgress(this.problem);
    try {
      return fn();
    } catch (err) {
      this.problem = `progress is no longer being saved: the server's database failed (${(err as Error).message})`;
      console.error(`[isolab] progress database failed; continuing without saving progress: ${(err as Error).message}`);
      try {
        this.close();
      } catch {
        /* already broken */
      }
      return noProgress(this.problem);
    }
  }
}

/** Brings a database to the newest schema; refuses one written by a newer isolab. */
export function migrate(db: Db, now: () => Date = () => new Date()): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const row = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations').get();
  const current = row?.v ?? 0;
  if (current > MIGRATIONS.length) {
    throw new Error(`it was written by a newer isolab (schema version ${current}; this one knows up to ${MIGRATIONS.length})`);
  }
  const record = db.prepare<[number, string]>('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      record.run(version, now().toISOString());
    })();
  }
  return MIGRATIONS.length;
}

/**
 * Opens (creating if needed) the progress database at `file`. Never throws: on any problem it logs
 * and returns a store that saves nothing and says why.
 */
export async function openProgressStore(file: string, opts: { now?: () => Date } = {}): Promise<ProgressStore> {
  const now = opts.now ?? (() => new Date());
  let db: Db | undefined;
  try {
    // The native module is loaded here and only here; a missing build disables saving, nothing else.
    const { default: Database } = await import('better-sqlite3');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    // WAL: a reader never waits for the writer; NORMAL sync is durable across a crash of isolab
    // (only a power loss may lose the last moments of progress).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`it failed SQLite's quick_check: ${String(check)}`);
    migrate(db, now);
    return new SqliteProgressStore(db, now);
  } catch (err) {
    try {
      db?.close();
    } catch {
      /* nothing to close */
    }
    const reason = (err as Error).message;
    console.error(`[isolab] cannot use the progress database ${file}: ${reason}. Continuing without saving progress (move the file away to start a fresh one).`);
    return new DisabledProgressStore(`progress is not being saved: the server cannot use its database (${reason})`);
  }
}
