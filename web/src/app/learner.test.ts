import { describe, expect, it } from 'vitest';
import { LearnerId } from '../../../common/protocol.js';
import { LEARNER_ID_RE, learnerId, randomUuid } from './learner.js';

const memory = () => {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
};

describe('the learner id', () => {
  it('is a version 4 UUID the server accepts', () => {
    for (let i = 0; i < 50; i++) {
      const id = randomUuid();
      expect(id).toMatch(LEARNER_ID_RE);
      expect(LearnerId.safeParse(id).success).toBe(true);
    }
    expect(randomUuid((b) => b.fill(0))).toBe('00000000-0000-4000-8000-000000000000');
    expect(randomUuid((b) => b.fill(255))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
  });

  it('is made once and kept', () => {
    const store = memory();
    const first = learnerId(store);
    expect(first).toMatch(LEARNER_ID_RE);
    expect(learnerId(store)).toBe(first);
  });

  it('replaces a stored value of the wrong shape', () => {
    const store = memory();
    store.setItem('isolab.learner', '../../etc/passwd');
    const id = learnerId(store, () => '3b241101-e2bb-4255-8caf-4136c566a962');
    expect(id).toBe('3b241101-e2bb-4255-8caf-4136c566a962');
    expect(store.m.get('isolab.learner')).toBe(id);
  });

  it('is undefined without storage, or when storage throws or drops writes', () => {
    expect(learnerId(null)).toBeUndefined();
    expect(learnerId({ getItem: () => { throw new Error('SecurityError'); }, setItem: () => {} })).toBeUndefined();
    expect(learnerId({ getItem: () => null, setItem: () => {} })).toBeUndefined();
  });
});
