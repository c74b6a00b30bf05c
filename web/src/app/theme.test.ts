import { describe, expect, it } from 'vitest';
import { resolveTheme, terminalTheme } from './theme.js';

describe('resolveTheme', () => {
  it.each([
    [null, true, 'dark'],
    [null, false, 'light'],
    ['light', true, 'light'],
    ['dark', false, 'dark'],
    ['purple', true, 'dark'],
  ] as const)('stored %s, system dark %s → %s', (stored, prefersDark, theme) => {
    expect(resolveTheme(stored, prefersDark)).toBe(theme);
  });
});

describe('terminalTheme', () => {
  it('gives each theme its own background', () => {
    expect(terminalTheme('dark').background).not.toBe(terminalTheme('light').background);
  });

  it('puts presenter mode\'s text on pure black or white', () => {
    expect(terminalTheme('dark', true)).toMatchObject({ background: '#000000', foreground: '#ffffff' });
    expect(terminalTheme('light', true)).toMatchObject({ background: '#ffffff', foreground: '#000000' });
    expect(terminalTheme('dark', true).red).toBe(terminalTheme('dark').red);
  });
});
