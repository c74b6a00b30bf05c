import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LearnerProgress, LessonStatus } from '../../common/protocol.js';
import { openProgressStore } from '../progress/sqlite.js';
import { DisabledProgressStore, type ProgressStore } from '../progress/store.js';
import { Learner } from './learner.js';

const ALICE = '3b241101-e2bb-4255-8caf-4136c566a962';
const LESSON = '01-uts-namespace';
const status = (passed: boolean[]): LessonStatus => ({
  lessonId: LESSON,
  checks: passed.map((p, i) => ({ id: `c${i}`, title: `c${i}`, passed: p })),
  allPassed: passed.every(Boolean),
  checkedAt: new Date().toISOString(),
});

let dir: string;
let store: ProgressStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'isolab-learner-test-'));
  store = await openProgressStore(join(dir, 'progress.sqlite'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Learner', () => {
  it('without an id saves nothing and says why', () => {
    const told: LearnerProgress[] = [];
    const learner = new Learner(store, (p) => told.push(p));
    learner.lessonOpened(LESSON);
    learner.recordStatus(status([true]));
    expect(told).toEqual([]);
    expect(learner.lastLesson()).toBeNull();
    expect(learner.progress()).toMatchObject({ saving: false, problem: expect.stringContaining('no learner id') });
  });

  it('tells the page when a lesson is opened and when a check passes for the first time, not on every verdict', () => {
    const told: LearnerProgress[] = [];
    const learner = new Learner(store, (p) => told.push(p));
    learner.identify(ALICE);
    learner.lessonOpened(LESSON);
    expect(told).toHaveLength(1);
    expect(learner.lastLesson()).toBe(LESSON);
    learner.recordStatus(status([false, false]));
    learner.recordStatus(status([true, false]));
    learner.recordStatus(status([true, false]));
    expect(told).toHaveLength(2);
    expect(told[1]!.lessons[LESSON]!.checks).toHaveProperty('c0');
  });

  it('tells the page once that saving does not work, then stays quiet', () => {
    const told: LearnerProgress[] = [];
    const learner = new Learner(new DisabledProgressStore('the database is read-only'), (p) => told.push(p));
    learner.identify(ALICE);
    learner.recordStatus(status([true]));
    learner.recordStatus(status([true]));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ saving: false, problem: 'the database is read-only' });
  });

  it('marks a check that passed earlier but is not true now with when it first passed, saved or not', () => {
    for (const id of [ALICE, undefined]) {
      const learner = new Learner(store, () => {});
      learner.identify(id);
      expect(learner.recordStatus(status([false])).checks[0]).not.toHaveProperty('passedAt');
      const passed = learner.recordStatus(status([true]));
      const at = passed.checks[0]!.passedAt;
      expect(at).toEqual(expect.any(String));
      // The learner follows the lesson on (an `rm`): not true now, still passed.
      const undone = learner.recordStatus(status([false]));
      expect(undone.checks[0]).toMatchObject({ passed: false, passedAt: at });
      expect(undone.allPassed).toBe(false);
    }
    // Saved: a later session of the same learner knows it too.
    const again = new Learner(store, () => {});
    again.identify(ALICE);
    expect(again.recordStatus(status([false])).checks[0]!.passedAt).toEqual(expect.any(String));
  });
});
