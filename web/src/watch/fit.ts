// A phone shows the speaker's whole line: the font shrinks until the speaker's columns fit.

/** Width of one monospace cell per pixel of font size (about 0.6 for the usual monospace fonts). */
const CELL_WIDTH_PER_PX = 0.6;
export const MIN_FONT_PX = 6;
export const MAX_FONT_PX = 22;

export function fitFontSize(widthPx: number, cols: number): number {
  if (!(widthPx > 0) || !(cols > 0)) return MAX_FONT_PX;
  const size = Math.floor(widthPx / (cols * CELL_WIDTH_PER_PX));
  return Math.max(MIN_FONT_PX, Math.min(MAX_FONT_PX, size));
}
