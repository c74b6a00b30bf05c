import { describe, expect, it } from 'vitest';
import { TERM_LIMITS, TermSize } from '../../../common/protocol.js';
import { clampSize } from './geometry.js';

describe('clampSize', () => {
  it.each([
    [{ cols: 80, rows: 24 }, { cols: 80, rows: 24 }],
    [{ cols: 0, rows: 0 }, { cols: TERM_LIMITS.minCols, rows: TERM_LIMITS.minRows }],
    [{ cols: 9000, rows: 9000 }, { cols: TERM_LIMITS.maxCols, rows: TERM_LIMITS.maxRows }],
    [{ cols: 100.7, rows: 30.2 }, { cols: 100, rows: 30 }],
    [{ cols: Number.NaN, rows: Number.POSITIVE_INFINITY }, { cols: 80, rows: 24 }],
  ])('%o → %o, which the server accepts', (input, expected) => {
    const size = clampSize(input);
    expect(size).toEqual(expected);
    expect(TermSize.safeParse(size).success).toBe(true);
  });
});
