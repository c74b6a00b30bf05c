import { describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES } from '../../../common/protocol.js';
import { INTERRUPT, chunkInput, runKeystrokes } from './input.js';

describe('runKeystrokes', () => {
  it('types the command and presses Enter', () => {
    expect(runKeystrokes('hostname', false)).toEqual(['hostname\r']);
  });

  it('interrupts first when the block asks for it', () => {
    expect(runKeystrokes('ps', true)).toEqual([INTERRUPT, 'ps\r']);
  });

  it('turns newlines into Enter and drops trailing whitespace', () => {
    expect(runKeystrokes('echo a\necho b\r\n\n', false)).toEqual(['echo a\recho b\r']);
  });

  it('sends only the interrupt for an empty command', () => {
    expect(runKeystrokes('  ', true)).toEqual([INTERRUPT]);
    expect(runKeystrokes('', false)).toEqual([]);
  });
});

describe('chunkInput', () => {
  const bytes = (s: string) => new TextEncoder().encode(s).byteLength;

  it('leaves a keystroke alone', () => {
    expect(chunkInput('a')).toEqual(['a']);
  });

  it('splits a large paste under the server limit, losing nothing', () => {
    const paste = 'x'.repeat(MAX_INPUT_BYTES * 2 + 5);
    const chunks = chunkInput(paste);
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => bytes(c) <= MAX_INPUT_BYTES)).toBe(true);
    expect(chunks.join('')).toBe(paste);
  });

  it('never splits a multi-byte character', () => {
    const paste = 'é😀'.repeat(10);
    const chunks = chunkInput(paste, 7);
    expect(chunks.join('')).toBe(paste);
    for (const c of chunks) {
      expect(bytes(c)).toBeLessThanOrEqual(7);
      expect(c).toBe(new TextDecoder().decode(new TextEncoder().encode(c)));
    }
  });
});
