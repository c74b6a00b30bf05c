import { describe, expect, it } from 'vitest';
import { parseAudience } from './cli.js';

describe('--audience', () => {
  it.each([
    ['7682', { host: '0.0.0.0', port: 7682 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::]:7682', { host: '::', port: 7682 }],
    ['lab.example.org:80', { host: 'lab.example.org', port: 80 }],
  ])('%s', (value, want) => expect(parseAudience(value)).toEqual(want));

  it.each(['', 'x', '0.0.0.0:', ':7682', '0.0.0.0:70000', '7682 '])('refuses %j, saying the form', (value) => {
    expect(() => parseAudience(value)).toThrow(/--audience must be \[HOST:\]PORT/);
  });
});
