import { describe, expect, it } from 'vitest';
import { ENTER_PAUSE_MS, TYPE_MAX_MS, TYPE_MIN_MS, typeCommand, typingSchedule } from './typing.js';

describe('typingSchedule', () => {
  it('types each character at a person’s pace, then Enter', () => {
    const keys = typingSchedule('echo µ', () => 0.5);
    expect(keys.map((k) => k.data)).toEqual(['e', 'c', 'h', 'o', ' ', 'µ', '\r']);
    expect(keys.slice(0, -1).every((k) => k.delayMs === 35)).toBe(true);
    expect(keys.at(-1)!.delayMs).toBe(ENTER_PAUSE_MS);
  });

  it('keeps every pause within the bounds, whatever the random draw', () => {
    for (const draw of [0, 0.999999, 0.25]) {
      for (const key of typingSchedule('ps -ef', () => draw).slice(0, -1)) {
        expect(key.delayMs).toBeGreaterThanOrEqual(TYPE_MIN_MS);
        expect(key.delayMs).toBeLessThanOrEqual(TYPE_MAX_MS);
      }
    }
  });

  it('a character outside the BMP is one key, not two halves', () => {
    expect(typingSchedule('a😀', () => 0).map((k) => k.data)).toEqual(['a', '😀', '\r']);
  });
});

describe('typeCommand', () => {
  it('sends the keys in order, waiting before each', async () => {
    const log: string[] = [];
    await typeCommand('id', (d) => log.push(`send ${JSON.stringify(d)}`), { random: () => 0, sleep: async (ms) => void log.push(`wait ${ms}`) });
    expect(log).toEqual([`wait ${TYPE_MIN_MS}`, 'send "i"', `wait ${TYPE_MIN_MS}`, 'send "d"', `wait ${ENTER_PAUSE_MS}`, 'send "\\r"']);
  });
});
