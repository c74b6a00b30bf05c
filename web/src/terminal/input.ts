// Keystrokes for the shell: what a lesson's "Run" button types, and how a large paste is split so
// no single term:input message exceeds the server's MAX_INPUT_BYTES.
import { MAX_INPUT_BYTES } from '../../../common/protocol.js';

/** Ctrl-C, as the terminal sends it. */
export const INTERRUPT = '\x03';

/**
 * The inputs a "Run" button sends, in order: an optional Ctrl-C (to stop whatever is running),
 * then the command with Enter. Newlines become carriage returns, as if typed.
 */
export function runKeystrokes(command: string, interrupt: boolean): string[] {
  const typed = command.replace(/\s+$/, '').replace(/\r?\n/g, '\r');
  const steps = interrupt ? [INTERRUPT] : [];
  if (typed !== '') steps.push(`${typed}\r`);
  return steps;
}

function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** Splits input into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
export function chunkInput(data: string, maxBytes: number = MAX_INPUT_BYTES): string[] {
  if (data.length * 3 <= maxBytes) return [data]; // fast path: a keystroke
  const chunks: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of data) {
    const n = utf8Length(ch.codePointAt(0) ?? 0);
    if (bytes + n > maxBytes && current !== '') {
      chunks.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += n;
  }
  if (current !== '') chunks.push(current);
  return chunks;
}
