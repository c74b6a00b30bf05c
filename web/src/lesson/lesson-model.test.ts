import { describe, expect, it } from 'vitest';
import type { LessonStatus, LessonView } from '../../../common/protocol.js';
import { PLAIN_PROCESS } from '../../../common/spec.js';
import { checkPanel, currentTask, nextLesson, predictionVerdict, readCommandBlock } from './lesson-model.js';

const view: LessonView = {
  id: '01-uts-namespace',
  number: 1,
  title: 'UTS namespace',
  primitive: 'uts',
  html: '<p>hi</p>',
  tasks: [
    { id: 'rename', title: 'Rename the container' },
    { id: 'host', title: 'Host keeps its name' },
  ],
  settings: PLAIN_PROCESS,
};

const status = (passed: [boolean, boolean], lessonId = view.id): LessonStatus => ({
  lessonId,
  checks: [
    { id: 'rename', title: 'Rename the container', passed: passed[0], ...(passed[0] ? {} : { hint: 'run hostname NAME' }) },
    { id: 'host', title: 'Host keeps its name', passed: passed[1] },
  ],
  allPassed: passed[0] && passed[1],
  checkedAt: '2025-01-01T00:00:00.000Z',
});

describe('readCommandBlock', () => {
  it('reads the command and the interrupt flag', () => {
    expect(readCommandBlock({ command: 'sleep 100', interrupt: 'true' }, 'ignored')).toEqual({ command: 'sleep 100', interrupt: true });
    expect(readCommandBlock({ command: 'hostname', interrupt: 'false' }, '')).toEqual({ command: 'hostname', interrupt: false });
  });

  it('falls back to the code text, and skips empty blocks', () => {
    expect(readCommandBlock({}, 'ls /')).toEqual({ command: 'ls /', interrupt: false });
    expect(readCommandBlock({ command: ' ' }, 'x')).toBeNull();
  });
});

describe('checkPanel', () => {
  it('shows the tasks as pending until the first status arrives', () => {
    const panel = checkPanel(view, null);
    expect(panel.rows.map((r) => [r.id, r.passed])).toEqual([
      ['rename', false],
      ['host', false],
    ]);
    expect(panel.allPassed).toBe(false);
  });

  it('shows the server\'s verdict and hints', () => {
    const panel = checkPanel(view, status([false, true]));
    expect(panel.rows[0]).toMatchObject({ passed: false, hint: 'run hostname NAME' });
    expect(panel.summary).toBe('1 of 2 checks pass.');
    expect(checkPanel(view, status([true, true]))).toMatchObject({ allPassed: true, summary: 'All 2 checks pass.' });
  });

  it('keeps a check that passed earlier as passed, and says it is not true now', () => {
    const undone = status([false, true]);
    undone.checks[0] = { ...undone.checks[0]!, passedAt: '2025-01-01T00:00:00.000Z' };
    const panel = checkPanel(view, undone);
    expect(panel.rows[0]).toMatchObject({ passed: false, state: 'passed-earlier', note: 'passed earlier · not true now' });
    expect(panel.rows[1]).toMatchObject({ passed: true, state: 'passed', note: '' });
    expect(panel).toMatchObject({ allPassed: false, done: true, summary: 'Done: every check has passed (1 not true now).' });
    expect(currentTask(panel)).toBe('Every check has passed.');
  });

  it('counts passes from saved progress, before the first status and beside it', () => {
    const saved = { rename: '2025-01-01T00:00:00.000Z' };
    const before = checkPanel(view, null, saved);
    expect(before.rows.map((r) => [r.id, r.state, r.note])).toEqual([
      ['rename', 'passed-earlier', 'passed earlier'],
      ['host', 'not-yet', ''],
    ]);
    expect(before).toMatchObject({ done: false, summary: '1 of 2 checks passed earlier; checking now…' });
    const now = checkPanel(view, status([false, false]), saved);
    expect(now.rows[0]).toMatchObject({ state: 'passed-earlier', note: 'passed earlier · not true now', passedAt: saved.rename });
    expect(now.summary).toBe('0 of 2 checks pass; 1 more passed earlier.');
    expect(currentTask(now)).toBe('Host keeps its name');
  });

  it('ignores a status that belongs to another lesson', () => {
    expect(checkPanel(view, status([true, true], '02-pid-namespace')).allPassed).toBe(false);
  });
});

describe('nextLesson', () => {
  const lessons = [view, { ...view, id: '02-pid-namespace', number: 2 }];
  it('finds the following lesson, if any', () => {
    expect(nextLesson(lessons, view.id)?.id).toBe('02-pid-namespace');
    expect(nextLesson(lessons, '02-pid-namespace')).toBeUndefined();
    expect(nextLesson(lessons, 'nope')).toBeUndefined();
  });
});

describe('predictionVerdict', () => {
  it('says whether the pick was right, naming the letters', () => {
    expect(predictionVerdict(1, 1)).toEqual({ tone: 'right', text: 'Right: B.' });
    expect(predictionVerdict(0, 2)).toEqual({ tone: 'wrong', text: 'Not this time: you picked A; the answer is C.' });
  });

  it('judges nothing without a pick or a right choice', () => {
    expect(predictionVerdict(undefined, 1).tone).toBe('none');
    expect(predictionVerdict(1, undefined).tone).toBe('none');
  });
});

describe('currentTask', () => {
  it('is the first check that does not pass yet', () => {
    expect(currentTask(checkPanel(view, status([true, false])))).toBe('Host keeps its name');
    expect(currentTask(checkPanel(view, null))).toBe('Rename the container');
    expect(currentTask(checkPanel(view, status([true, true])))).toBe('Every check passes.');
  });
});
