import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseDuration } from './cli.js';

afterEach(() => vi.restoreAllMocks());

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

describe('isolab serve --help', () => {
  it('documents the session limits and the connection cap with their defaults', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((text: string) => void printed.push(text));
    await expect(main(['serve', '--help'])).resolves.toBe(0);
    const help = printed.join('\n');
    expect(help).toMatch(/--idle-timeout DURATION[\s\S]*default 30m in a workshop/);
    expect(help).toMatch(/--max-session DURATION[\s\S]*default 8h in a workshop/);
    expect(help).toMatch(/--max-connections-per-address N[\s\S]*default 64/);
  });
});
