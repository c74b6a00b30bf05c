import { describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES } from '../../../common/protocol.js';
import { CLEAR_LINE, INTERRUPT, chunkInput, lineState, runKeystrokes } from './input.js';

describe('runKeystrokes', () => {
  it('types the command and presses Enter', () => {
    expect(runKeystrokes('hostname', false)).toEqual(['hostname\r']);
  });

  it('interrupts first when the block asks for it and something may be running', () => {
    expect(runKeystrokes('ps', true)).toEqual([INTERRUPT, 'ps\r']);
    expect(runKeystrokes('ps', true, 'busy')).toEqual([INTERRUPT, 'ps\r']);
  });

  it('types straight away at an idle prompt (no "^C" line), and erases a half-typed line first', () => {
    expect(runKeystrokes('ps', true, 'prompt')).toEqual(['ps\r']);
    expect(runKeystrokes('ps', true, 'typed')).toEqual([CLEAR_LINE, 'ps\r']);
    expect(runKeystrokes('ps', false, 'typed')).toEqual(['ps\r']);
  });

  it('turns newlines into Enter and drops trailing whitespace', () => {
    expect(runKeystrokes('echo a\necho b\r\n\n', false)).toEqual(['echo a\recho b\r']);
  });

  it('sends only the interrupt for an empty command', () => {
    expect(runKeystrokes('  ', true)).toEqual([INTERRUPT]);
    expect(runKeystrokes('', false)).toEqual([]);
  });
});

describe('lineState', () => {
  it.each([
    ['root@isolab:/# ', 'prompt'],
    ['alice@lab.example.org:~/work$ ', 'prompt'],
    ['root@isolab:/tmp# ech', 'typed'],
    ['', 'busy'],
    ['64 bytes from 127.0.0.1: seq=3 ttl=64', 'busy'],
    ['>>> ', 'busy'],
    ['root@isolab:/#', 'busy'],
  ] as const)('%j → %s', (line, state) => {
    expect(lineState(line)).toBe(state);
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
