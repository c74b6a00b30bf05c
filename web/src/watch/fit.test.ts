import { describe, expect, it } from 'vitest';
import { MAX_FONT_PX, MIN_FONT_PX, fitFontSize } from './fit.js';

describe('fitFontSize', () => {
  it('fits the speaker\'s columns across the width, within readable bounds', () => {
    expect(fitFontSize(390, 80)).toBe(8); // a phone: 80 columns still fit
    expect(fitFontSize(1920, 80)).toBe(MAX_FONT_PX);
    expect(fitFontSize(100, 200)).toBe(MIN_FONT_PX);
    expect(fitFontSize(0, 80)).toBe(MAX_FONT_PX);
  });
});
