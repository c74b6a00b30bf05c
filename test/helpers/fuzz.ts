// Seeded generators of hostile values for the fuzz tests: the same seed gives the same values, so
// a failure is reproduced by running again with the seed it prints (ISOLAB_FUZZ_SEED=N).

/** mulberry32: a tiny, fast PRNG with a 32-bit state, good enough to pick test cases. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed of this run: ISOLAB_FUZZ_SEED, or a fixed one (the suite is deterministic by default). */
export function fuzzSeed(fallback: number): number {
  const env = process.env['ISOLAB_FUZZ_SEED'];
  return env === undefined ? fallback : Number(env) >>> 0;
}

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\r\n\r\n',
  '../../../../etc/passwd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '__proto__',
  'constructor',
  'toString',
  '\u202e\u0301\ud800',
  '$(reboot)',
  '`id`',
  '; cat /etc/shadow',
  '{"a":1}',
  'null',
  '-1',
  '1e309',
  '\x1b[6n\x1b]52;c;AAAA\x07',
  '01-uts-namespace',
  'uts',
  'host',
];

const NASTY_NUMBERS = [0, -0, -1, 1, 1.5, 2 ** 31, -(2 ** 31), 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, Number.MIN_VALUE, 2 ** 50];

/** A string: a nasty one, random bytes, or a long one (up to LONG characters). */
export function randomString(rng: Rng, long = 4096): string {
  switch (rng.int(4)) {
    case 0:
      return rng.pick(NASTY_STRINGS);
    case 1:
      return 'x'.repeat(rng.int(long));
    default: {
      const n = rng.int(40);
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.8) ? 32 + rng.int(95) : rng.int(0x3000));
      return s;
    }
  }
}

/** Any JSON-ish value (and binary: socket.io carries Buffers), nested at most DEPTH deep. */
export function randomValue(rng: Rng, depth = 3): unknown {
  switch (rng.int(depth > 0 ? 10 : 7)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return rng.chance(0.5);
    case 3:
      return rng.pick(NASTY_NUMBERS);
    case 4:
      return randomString(rng);
    case 5:
      return Buffer.from(randomString(rng, 256));
    case 6:
      return rng.int(1000) - 500;
    case 7: {
      const out: unknown[] = [];
      for (let i = rng.int(5); i > 0; i--) out.push(randomValue(rng, depth - 1));
      return out;
    }
    default: {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) {
        // Defined, not assigned: `out.__proto__ = value` would make VALUE the object's prototype (a
        // Buffer's, say, which breaks socket.io-client's own encoder), not send a key "__proto__".
        const key = rng.chance(0.3) ? rng.pick(NASTY_STRINGS) : randomString(rng, 20);
        Object.defineProperty(out, key, { value: randomValue(rng, depth - 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
  }
}

/** An array or object nested N deep: a parser or validator that recurses must not fall over. */
export function deeplyNested(n: number, asObject: boolean): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = asObject ? { a: v } : [v];
  return v;
}

/** VALID changed the way a careless or hostile client would: a field dropped, retyped, added, or the whole of it replaced. */
export function mutate(rng: Rng, valid: unknown): unknown {
  const obj = valid !== null && typeof valid === 'object' && !Array.isArray(valid) ? (valid as Record<string, unknown>) : undefined;
  const keys = obj ? Object.keys(obj) : [];
  switch (rng.int(9)) {
    case 0:
      return randomValue(rng);
    case 1:
      // Deep, but within what socket.io-client can encode (the raw-frame fuzz goes deeper).
      return deeplyNested(200 + rng.int(800), rng.chance(0.5));
    case 2:
      return [valid];
    case 3:
      if (obj && keys.length) {
        const { [rng.pick(keys)]: _dropped, ...rest } = obj;
        return rest;
      }
      return randomValue(rng);
    case 4:
      return obj ? { ...obj, [rng.chance(0.5) ? '__proto__' : randomString(rng, 12)]: randomValue(rng) } : randomValue(rng);
    case 5:
      // An oversized string where the payload has one, under the transport's own size limit.
      return obj && keys.length ? { ...obj, [rng.pick(keys)]: 'A'.repeat(100_000 + rng.int(150_000)) } : 'A'.repeat(100_000 + rng.int(150_000));
    default:
      return obj && keys.length ? { ...obj, [rng.pick(keys)]: randomValue(rng) } : randomValue(rng);
  }
}
