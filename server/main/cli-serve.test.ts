import { describe, expect, it } from 'vitest';
import { parseDuration } from './cli.js';

describe('serve durations (--idle-timeout, --max-session)', () => {
  it.each([
    ['0', 0],
    ['90', 90_000],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['8h', 28_800_000],
  ])('%s', (value, ms) => expect(parseDuration('--idle-timeout', value)).toBe(ms));

  it.each(['', '-1', '1.5h', '10d', '30 m', 'm'])('refuses %j, naming the flag and the form', (value) => {
    expect(() => parseDuration('--max-session', value)).toThrow(/--max-session must be a duration like 90s, 30m or 8h/);
  });
});
