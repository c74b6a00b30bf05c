import { describe, expect, it } from 'vitest';
import { describeExit, formatMicros } from './format.js';

describe('formatMicros', () => {
  it.each([
    [85, '85 µs'],
    [912, '0.9 ms'],
    [9_949, '9.9 ms'],
    [12_400, '12 ms'],
    [1_530_000, '1.5 s'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('%d µs → %s', (us, text) => {
    expect(formatMicros(us)).toBe(text);
  });
});

describe('describeExit', () => {
  it.each([
    [0, 'exited normally (code 0)'],
    [1, 'exited with code 1'],
    [137, 'was ended by signal 9 (code 137)'],
  ])('%d → %s', (code, text) => {
    expect(describeExit(code)).toBe(text);
  });
});
