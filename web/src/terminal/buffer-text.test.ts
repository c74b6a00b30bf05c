import { describe, expect, it } from 'vitest';
import { bufferText, type BufferRow } from './buffer-text.js';

const row = (text: string, isWrapped = false, width = 10): BufferRow => ({ text: text.padEnd(width), isWrapped });

describe('bufferText', () => {
  it('trims trailing blanks and drops the empty rows below the cursor', () => {
    const rows = [row('hello'), row('/ # '), row(''), row('')];
    expect(bufferText(rows, { row: 1, textBeforeCursor: '/ # ' })).toBe('hello\n/ # ');
  });

  it('keeps the prompt\'s trailing space up to the cursor only', () => {
    const rows = [row('$ ')];
    expect(bufferText(rows, { row: 0, textBeforeCursor: '$ ' })).toBe('$ ');
    expect(bufferText(rows, { row: 0, textBeforeCursor: '$' })).toBe('$');
  });

  it('keeps text right of the cursor', () => {
    const rows = [row('$ echo hi')];
    expect(bufferText(rows, { row: 0, textBeforeCursor: '$ ' })).toBe('$ echo hi');
  });

  it('joins rows the terminal wrapped, keeping blanks at the wrap point', () => {
    const rows = [row('echo aaaa ', false), row('bbbb', true), row('$ ')];
    expect(bufferText(rows, { row: 2, textBeforeCursor: '$ ' })).toBe('echo aaaa bbbb\n$ ');
  });

  it('keeps an empty cursor row (output ended with a newline)', () => {
    const rows = [row('done'), row(''), row('')];
    expect(bufferText(rows, { row: 1, textBeforeCursor: '' })).toBe('done\n');
  });

  it('keeps output that was drawn below the cursor', () => {
    const rows = [row('$ '), row(''), row('status')];
    expect(bufferText(rows, { row: 0, textBeforeCursor: '$ ' })).toBe('$ \n\nstatus');
  });
});
