import { describe, expect, it } from 'vitest';
import { expiryWarning, inWords } from './expiry.js';

describe('the session expiry banner', () => {
  it.each([
    [500, 'in 1 second'],
    [40_000, 'in 40 seconds'],
    [120_000, 'in about 2 minutes'],
    [60_000 * 30, 'in about 30 minutes'],
  ])('%d ms → %s', (ms, words) => expect(inWords(ms)).toBe(words));

  it('says why, and what the learner can do', () => {
    expect(expiryWarning({ reason: 'idle', endsInMs: 120_000 })).toEqual({
      message: 'This session ends in about 2 minutes: nothing was typed for a while.',
      detail: 'Type anything in the terminal to keep it.',
    });
    expect(expiryWarning({ reason: 'max_length', endsInMs: 3000 }).message).toBe('This session ends in 3 seconds: it has lasted as long as this server allows.');
  });
});
