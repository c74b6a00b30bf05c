import { describe, expect, it } from 'vitest';
import { DEFAULT_STEP, PRESENT_MIN_TERMINAL_PX, TEXT_STEPS, nextStep, parseStep, textSizes } from './font-size.js';

describe('text size steps', () => {
  it('reads a stored factor back, and falls back to 100 % for anything else', () => {
    expect(parseStep('1.15')).toBe(TEXT_STEPS.indexOf(1.15));
    expect(parseStep(null)).toBe(DEFAULT_STEP);
    expect(parseStep('3')).toBe(DEFAULT_STEP);
    expect(TEXT_STEPS[DEFAULT_STEP]).toBe(1);
  });

  it('steps within the range, and 0 resets', () => {
    expect(nextStep(DEFAULT_STEP, 1)).toBe(DEFAULT_STEP + 1);
    expect(nextStep(0, -1)).toBe(0);
    expect(nextStep(TEXT_STEPS.length - 1, 1)).toBe(TEXT_STEPS.length - 1);
    expect(nextStep(5, 0)).toBe(DEFAULT_STEP);
  });
});

describe('textSizes', () => {
  it('gives the terminal 14 px and the lesson 1rem at 100 %, both following the step', () => {
    expect(textSizes(DEFAULT_STEP, false)).toEqual({ terminalPx: 14, textScale: 1, percent: 100 });
    expect(textSizes(TEXT_STEPS.indexOf(1.5), false)).toEqual({ terminalPx: 21, textScale: 1.5, percent: 150 });
  });

  it('never gives a presenter less than 20 px in the terminal', () => {
    for (let step = 0; step < TEXT_STEPS.length; step++) expect(textSizes(step, true).terminalPx).toBeGreaterThanOrEqual(PRESENT_MIN_TERMINAL_PX);
    expect(textSizes(DEFAULT_STEP, true).terminalPx).toBe(22);
    expect(textSizes(DEFAULT_STEP, true).textScale).toBeGreaterThan(1);
  });
});
