import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { AsciicastRecorder } from '../base/asciicast.js';
import { PlayError, play, schedule } from './play.js';

const dir = mkdtempSync(join(tmpdir(), 'isolab-play-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const collect = (stream: PassThrough) => {
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  return () => text;
};

describe('schedule', () => {
  it('cuts long pauses to the idle limit and scales by the speed', () => {
    const at = schedule([[0, 'o', 'a'], [0.5, 'o', 'b'], [60, 'o', 'c'], [60.25, 'o', 'd']], 2, 2).map((s) => s.atMs);
    expect(at).toEqual([0, 250, 1250, 1375]);
  });
});

describe('isolab play', () => {
  it('writes the output events in order, and markers on stderr when asked', async () => {
    let t = 0;
    const rec = new AsciicastRecorder({ cols: 80, rows: 24, maxBytes: 10_000, now: () => t });
    rec.output('hello ');
    t += 10;
    rec.marker('step 2');
    rec.output('world\r\n');
    const file = join(dir, 'a.cast');
    writeFileSync(file, rec.text());
    const out = new PassThrough();
    const err = new PassThrough();
    const stdout = collect(out);
    const stderr = collect(err);
    expect(await play(['--speed', '50', '--markers', file], out, err)).toBe(0);
    expect(stdout()).toBe('hello world\r\n');
    expect(stderr()).toContain('▸ step 2');
  });

  it('refuses what it cannot play, saying why', async () => {
    const bad = join(dir, 'bad.cast');
    writeFileSync(bad, '{"version":2,"width":80,"height":24}\n[0,"z","?"]\n');
    await expect(play([bad])).rejects.toThrow(/line 2: not an event/);
    await expect(play([join(dir, 'missing.cast')])).rejects.toThrow(PlayError);
    await expect(play(['--speed', '0', bad])).rejects.toThrow(/--speed/);
    await expect(play(['--nope', bad])).rejects.toThrow(PlayError);
    await expect(play([])).rejects.toThrow(/name one recording/);
  });
});
