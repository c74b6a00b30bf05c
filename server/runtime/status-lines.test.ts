import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineReader, StatusLine, failedStep, parseStatusLine, readStatusLines, statusLinesOf } from './status-lines.js';

const READY = '{"type":"ready","pid":42,"namespaces":{"uts":4026531838},"timings_us":{"total":900}}';

describe('StatusLine', () => {
  it('parses the line types and rejects others', () => {
    expect(StatusLine.parse({ type: 'ready', pid: 5, namespaces: { uts: 1 }, timings_us: { total: 9 } }).type).toBe('ready');
    expect(StatusLine.parse({ type: 'error', step: 'clone', errno: 1, message: 'x' }).type).toBe('error');
    expect(StatusLine.parse({ type: 'exit', code: 0 }).type).toBe('exit');
    expect(StatusLine.safeParse({ type: 'ready', pid: -1, namespaces: {}, timings_us: {} }).success).toBe(false);
    expect(StatusLine.safeParse({ type: 'surprise' }).success).toBe(false);
  });
});

describe('parseStatusLine', () => {
  it('gives the line, or null for what is not JSON or not a status line', () => {
    expect(parseStatusLine(READY)).toMatchObject({ type: 'ready', pid: 42 });
    expect(parseStatusLine('{"type":"ready","pid"')).toBeNull();
    expect(parseStatusLine('hello')).toBeNull();
    expect(parseStatusLine('{"type":"surprise"}')).toBeNull();
    expect(parseStatusLine('')).toBeNull();
  });
});

describe('LineReader', () => {
  it('joins a line that arrives in pieces, and keeps what follows the last newline for later', () => {
    const lines: string[] = [];
    const reader = new LineReader((l) => lines.push(l));
    reader.push('{"a":');
    reader.push('1}\n{"b"');
    expect(lines).toEqual(['{"a":1}']);
    expect(reader.rest).toBe('{"b"');
    reader.push(':2}\n\nlast');
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '']);
    expect(reader.rest).toBe('last');
  });

  it('refuses a line longer than its bound, and reads nothing after it', () => {
    const lines: string[] = [];
    const reader = new LineReader((l) => lines.push(l), 8);
    expect(reader.push('short\n')).toBe(true);
    expect(reader.push('much too long for it')).toBe(false);
    expect(reader.push('\nok\n')).toBe(false);
    expect(lines).toEqual(['short']);
  });
});

describe('readStatusLines', () => {
  // compare/places.ts used to split each chunk on its own, so a ready line cut in two by the pipe was
  // dropped and the VM or container column never learnt its PID. Every reader now goes through here.
  it('reads a status line that the pipe delivers in two chunks', async () => {
    const pipe = new PassThrough();
    const seen: StatusLine[] = [];
    const raw: string[] = [];
    readStatusLines(pipe, (l) => seen.push(l), (r) => raw.push(r));
    pipe.write(READY.slice(0, 30));
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
    pipe.write(`${READY.slice(30)}\nnot json\n{"type":"exit","code":0}\n`);
    await new Promise((r) => setImmediate(r));
    expect(seen.map((l) => l.type)).toEqual(['ready', 'exit']);
    expect(seen[0]).toMatchObject({ pid: 42 });
    expect(raw).toEqual([READY, 'not json', '{"type":"exit","code":0}']);
  });
});

describe('statusLinesOf and failedStep', () => {
  it('reads the lines of a whole output and words a failed step one way', () => {
    const out = `${READY}\n{"type":"error","step":"pivot_root","errno":22,"message":"Invalid argument"}\n`;
    const lines = statusLinesOf(out);
    expect(lines.map((l) => l.type)).toEqual(['ready', 'error']);
    const error = lines[1]!;
    if (error.type !== 'error') throw new Error('expected an error line');
    expect(failedStep(error)).toBe('step "pivot_root": Invalid argument');
  });
});
