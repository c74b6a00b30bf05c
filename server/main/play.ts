// `isolab play FILE`: a recording (asciicast v2: a session, a demo step) replayed in this terminal
// at the speed it was made, as `asciinema play` does. Long pauses are shortened so a replay of a
// talk does not sit idle where the speaker talked.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseAsciicast, type AsciicastEvent } from '../../common/asciicast.js';

export const PLAY_USAGE = `Usage: isolab play [--speed N] [--idle-time-limit SECONDS] FILE.cast

Replays a recording (asciicast v2, as the page downloads it) in this terminal. Markers (demo steps,
toggles, lesson changes) are shown as a line on stderr when --markers is given.
  --speed N                 play N times as fast (default 1)
  --idle-time-limit S       shorten every pause to at most S seconds (default 2)
  --markers                 print each marker on stderr as it passes`;

export class PlayError extends Error {}

/** When each output event is written: pauses longer than the limit are cut to it, then scaled. */
export function schedule(events: readonly AsciicastEvent[], speed: number, idleLimitS: number): { atMs: number; event: AsciicastEvent }[] {
  let last = 0;
  let at = 0;
  return events.map((event) => {
    at += Math.min(Math.max(event[0] - last, 0), idleLimitS);
    last = event[0];
    return { atMs: (at * 1000) / speed, event };
  });
}

function parsePlayArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { speed: { type: 'string', default: '1' }, 'idle-time-limit': { type: 'string', default: '2' }, markers: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    });
  } catch (e) {
    throw new PlayError((e as Error).message);
  }
}

export async function play(args: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const { values, positionals } = parsePlayArgs(args);
  if (values.help) {
    out.write(`${PLAY_USAGE}\n`);
    return 0;
  }
  const speed = Number(values.speed);
  const idle = Number(values['idle-time-limit']);
  if (!(speed > 0 && speed <= 100)) throw new PlayError(`--speed: "${values.speed}" is not a number between 0 and 100`);
  if (!(idle > 0)) throw new PlayError(`--idle-time-limit: "${values['idle-time-limit']}" is not a positive number of seconds`);
  if (positionals.length !== 1) throw new PlayError('name one recording to play (a .cast file)');
  const file = positionals[0]!;
  const text = await readFile(file, 'utf8').catch((e: Error) => {
    throw new PlayError(`cannot read ${file}: ${e.message}`);
  });
  const cast = parseAsciicast(text);
  if (!cast.ok) throw new PlayError(`${file} is not a recording isolab can play: ${cast.error}`);
  const started = performance.now();
  for (const { atMs, event } of schedule(cast.events, speed, idle)) {
    const wait = atMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (event[1] === 'o') out.write(event[2]);
    else if (event[1] === 'm' && values.markers) err.write(`\n[isolab play] ▸ ${event[2]}\n`);
  }
  return 0;
}
