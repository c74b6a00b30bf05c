import { describe, expect, it } from 'vitest';
import { parseAsciicast } from '../../../common/asciicast.js';
import { recordedSteps, stepOfMarker, stepSegment } from './rehearsal.js';

const cast = (...events: [number, string, string][]) => [JSON.stringify({ version: 2, width: 80, height: 24 }), ...events.map((e) => JSON.stringify(e))].join('\n') + '\n';
const eventsOf = (text: string) => {
  const parsed = parseAsciicast(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.events;
};

const REHEARSAL = cast(
  [0.1, 'o', '$ '],
  [1, 'm', 'Step 1: A plain process'],
  [1.5, 'i', 'hostname\r'],
  [1.6, 'o', 'hostname\r\nbox\r\n$ '],
  [2, 'm', 'UTS namespace on (new shell)'],
  [3, 'm', 'Step 2: Its own root · a fresh shell (new shell)'],
  [3.2, 'o', '\x1bc$ '],
  [3.5, 'm', 'Step 2: Its own root'],
  [4, 'o', 'ls /\r\nbin etc\r\n$ '],
  [6, 'm', 'Step 3: The end'],
  [6.5, 'o', 'bye\r\n'],
);

describe('stepOfMarker', () => {
  it('reads the step from a step marker, and nothing from another chapter', () => {
    expect(stepOfMarker('Step 12: Its own root · PID namespace on (new shell)')).toBe(11);
    expect(stepOfMarker('PID namespace on (new shell)')).toBeNull();
    expect(stepOfMarker('Stepping: 2')).toBeNull();
  });
});

describe('stepSegment', () => {
  it("cuts a step's part from its first marker to the next step's, the screen before it at time 0", () => {
    const seg = stepSegment(REHEARSAL, 1)!;
    expect(seg).toMatchObject({ from: 3, to: 6, duration: 3 });
    expect(eventsOf(seg.cast)).toEqual([
      [0, 'o', '$ '],
      [0, 'o', 'hostname\r\nbox\r\n$ '],
      [0, 'm', 'Step 2: Its own root · a fresh shell (new shell)'],
      [0.2, 'o', '\x1bc$ '],
      [0.5, 'm', 'Step 2: Its own root'],
      [1, 'o', 'ls /\r\nbin etc\r\n$ '],
    ]);
  });

  it('keeps other chapters inside the step (a toggle), and the last step runs to the end', () => {
    const first = eventsOf(stepSegment(REHEARSAL, 0)!.cast);
    expect(first.filter((e) => e[1] === 'm').map((e) => e[2])).toEqual(['Step 1: A plain process', 'UTS namespace on (new shell)']);
    expect(stepSegment(REHEARSAL, 2)).toMatchObject({ from: 6, to: 6.5 });
  });

  it('takes the longest visit when the rehearsal came back to a step', () => {
    const text = cast([1, 'm', 'Step 1: a'], [1.5, 'm', 'Step 2: b'], [2, 'm', 'Step 1: a'], [9, 'm', 'Step 2: b'], [10, 'o', 'x']);
    expect(stepSegment(text, 0)).toMatchObject({ from: 2, to: 9 });
  });

  it('says there is nothing for a step the recording never reached, or for a file that is not a recording', () => {
    expect(stepSegment(REHEARSAL, 5)).toBeNull();
    expect(stepSegment('not a cast', 0)).toBeNull();
    expect([...recordedSteps(REHEARSAL)].sort()).toEqual([0, 1, 2]);
  });
});
