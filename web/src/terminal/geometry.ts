// Terminal geometry the server accepts: whatever the window measures, cols/rows stay within TERM_LIMITS.
import { TERM_LIMITS, type TermSize } from '../../../common/protocol.js';

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

export function clampSize(size: { cols: number; rows: number }): TermSize {
  const cols = Number.isFinite(size.cols) ? Math.floor(size.cols) : 80;
  const rows = Number.isFinite(size.rows) ? Math.floor(size.rows) : 24;
  return {
    cols: clamp(cols, TERM_LIMITS.minCols, TERM_LIMITS.maxCols),
    rows: clamp(rows, TERM_LIMITS.minRows, TERM_LIMITS.maxRows),
  };
}
