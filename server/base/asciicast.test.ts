import { describe, expect, it } from 'vitest';
import { parseAsciicast } from '../../common/asciicast.js';
import { AsciicastRecorder } from './asciicast.js';

const clock = () => {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('AsciicastRecorder', () => {
  it('writes a v2 header and timed events that read back', () => {
    const c = clock();
    const rec = new AsciicastRecorder({ cols: 80, rows: 24, title: 'demo', maxBytes: 10_000, now: c.now, wallClock: () => 1_700_000_000 });
    rec.output(Buffer.from('$ '));
    c.advance(1500);
    rec.marker('step 1');
    rec.typed('ls\r'); // not recorded: input is off by default
    c.advance(250);
    rec.resize(100, 30);
    const cast = parseAsciicast(rec.text());
    expect(cast).toEqual({
      ok: true,
      header: { version: 2, width: 80, height: 24, timestamp: 1_700_000_000, title: 'demo', env: { TERM: 'xterm-256color', SHELL: '/bin/sh' } },
      events: [
        [0, 'o', '$ '],
        [1.5, 'm', 'step 1'],
        [1.75, 'r', '100x30'],
      ],
    });
  });

  it('keeps a UTF-8 character whole when the pty splits it between chunks', () => {
    const rec = new AsciicastRecorder({ cols: 80, rows: 24, maxBytes: 10_000, input: true });
    const bytes = Buffer.from('µs → ok', 'utf8');
    rec.output(bytes.subarray(0, 1));
    rec.output(bytes.subarray(1, 5));
    rec.output(bytes.subarray(5));
    rec.typed(Buffer.from('x'));
    const cast = parseAsciicast(rec.text());
    if (!cast.ok) throw new Error(cast.error);
    expect(cast.events.filter((e) => e[1] === 'o').map((e) => e[2]).join('')).toBe('µs → ok');
    expect(cast.events.filter((e) => e[1] === 'i').map((e) => e[2])).toEqual(['x']);
  });

  it('stops at its bound with a marker saying why, and stays within it', () => {
    const rec = new AsciicastRecorder({ cols: 80, rows: 24, maxBytes: 2_000 });
    for (let i = 0; i < 100; i++) rec.output('y\n'.repeat(20));
    expect(rec.truncated).toMatch(/size limit/);
    expect(Buffer.byteLength(rec.text())).toBeLessThanOrEqual(2_000);
    expect(rec.size).toBe(Buffer.byteLength(rec.text()));
    const cast = parseAsciicast(rec.text());
    if (!cast.ok) throw new Error(cast.error);
    expect(cast.events.at(-1)).toEqual([expect.any(Number), 'm', 'recording stopped: it reached 2000 bytes']);
    rec.output('more');
    expect(parseAsciicast(rec.text())).toEqual(cast);
  });
});

describe('parseAsciicast', () => {
  it('names the first bad line', () => {
    expect(parseAsciicast('')).toEqual({ ok: false, error: 'the file is empty' });
    expect(parseAsciicast('{"version":1,"width":80,"height":24}')).toMatchObject({ ok: false, error: expect.stringMatching(/^line 1: not an asciicast v2 header/) });
    expect(parseAsciicast('{"version":2,"width":80,"height":24}\n[0.1,"o","a"]\n[oops')).toEqual({ ok: false, error: 'line 3: not JSON' });
    expect(parseAsciicast('{"version":2,"width":80,"height":24}\n[0.1,"x","a"]')).toMatchObject({ ok: false, error: expect.stringMatching(/^line 2: not an event/) });
  });
});
