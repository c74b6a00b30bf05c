// Keystroke echo, as every benchmark that types measures it: a character typed, the output event
// that carries it back awaited, then erased again so the line never grows.
import { performance } from 'node:perf_hooks';
import type { LabClient } from '../test/helpers/lab.js';
import { summarize, type Summary } from './stats.js';

/** The first rounds warm up JITs and caches: they are typed but not counted. */
const WARM_UP = 20;

export async function echoRoundTrips(client: LabClient, rounds: number): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < rounds + WARM_UP; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const from = client.text.length;
    // Resolved from the output event itself: a polling wait would add its own interval to every sample.
    const echoed = client.nextOutput((text) => text.slice(from).includes(ch), 5_000);
    const t0 = performance.now();
    client.type(ch);
    await echoed;
    const dt = performance.now() - t0;
    if (i >= WARM_UP) samples.push(dt);
    client.type('\x7f');
    await client.waitFor(() => (client.text.length > from + 1 ? true : undefined), 'erase', 5_000);
  }
  return summarize(samples);
}
