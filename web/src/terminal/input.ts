// Keystrokes for the shell: what a lesson's "Run" button types, and how a large paste is split so
// no single term:input message exceeds the server's MAX_INPUT_BYTES.
import { MAX_INPUT_BYTES } from '../../../common/protocol.js';
import { typedAtPrompt } from './prompt.js';

/** Ctrl-C, as the terminal sends it. */
export const INTERRUPT = '\x03';
/** Ctrl-E (end of line) then Ctrl-U (erase to its start): empties a half-typed line without a "^C". */
export const CLEAR_LINE = '\x05\x15';

/**
 * What the shell is doing, read from the terminal's cursor line: waiting at its prompt with
 * nothing typed, waiting with something half-typed, or something else (a program runs, or the
 * prompt is not one we know).
 */
export type LineState = 'prompt' | 'typed' | 'busy';

export function lineState(cursorLine: string): LineState {
  const typed = typedAtPrompt(cursorLine);
  return typed === null ? 'busy' : typed === '' ? 'prompt' : 'typed';
}

/**
 * The inputs a "Run" button sends, in order. A block that may interrupt stops whatever runs with
 * Ctrl-C first — but only when something might be running: at an idle prompt a Ctrl-C does
 * nothing but echo "^C" and a new prompt, and a half-typed line is erased without one. Newlines
 * become carriage returns, as if typed.
 */
export function runKeystrokes(command: string, interrupt: boolean, state: LineState = 'busy'): string[] {
  const typed = command.replace(/\s+$/, '').replace(/\r?\n/g, '\r');
  const steps: string[] = [];
  if (interrupt && state === 'busy') steps.push(INTERRUPT);
  else if (interrupt && state === 'typed') steps.push(CLEAR_LINE);
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
