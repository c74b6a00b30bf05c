// Human-readable numbers for the status line.

/** Microseconds for people: 85 → "85 µs", 912 → "0.9 ms", 12_400 → "12 ms", 1_530_000 → "1.5 s". */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us) || us < 0) return '—';
  if (us < 100) return `${Math.round(us)} µs`;
  if (us < 10_000) return `${(us / 1000).toFixed(1)} ms`;
  if (us < 1_000_000) return `${Math.round(us / 1000)} ms`;
  return `${(us / 1_000_000).toFixed(1)} s`;
}

/** What a shell's exit code means, in words a learner can use. */
export function describeExit(code: number): string {
  if (code === 0) return 'exited normally (code 0)';
  if (code > 128 && code < 128 + 65) return `was ended by signal ${code - 128} (code ${code})`;
  return `exited with code ${code}`;
}
