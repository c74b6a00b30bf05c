// native/parse-number.c, the one integer parser of the launcher, the probe and the lessons' tools:
// its edge cases, through a small C driver (parse-number.test.c) built here with each compiler the
// launcher is built with — musl-gcc, as build-launcher.sh links it, and cc (glibc), its fallback
// and the probe's. A unit test: it needs a compiler, no privilege. The launcher's own options are
// checked through the real binary in test/integration/launcher.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const INT_MAX = '2147483647';
const INT64_MIN = '-9223372036854775808';
const INT64_MAX = '9223372036854775807';
const UINT64_MAX = '18446744073709551615';

type Fn = 'int' | 'i64' | 'u64' | 'scan';
interface Answer {
  ok: boolean;
  value?: string;
  rest?: string;
  errno?: 'EINVAL' | 'ERANGE' | 'other';
  kept?: boolean;
}
/** [function, min, max, text, what it must answer: the value (and for scan what is left), or the errno] */
type Case = [Fn, string, string, string, string | { value: string; rest: string } | 'EINVAL' | 'ERANGE'];

const CASES: Case[] = [
  // A plain number, at and beyond its limits.
  ['int', '3', INT_MAX, '3', '3'],
  ['int', '3', INT_MAX, INT_MAX, INT_MAX],
  ['int', '3', INT_MAX, '2147483648', 'ERANGE'],
  ['int', '3', INT_MAX, '2', 'ERANGE'],
  ['int', '3', INT_MAX, '99999999999999999999999', 'ERANGE'],
  // Blanks: strtol skips leading ones; here neither side may have any.
  ['int', '0', '100', ' 5', 'EINVAL'],
  ['int', '0', '100', '\t5', 'EINVAL'],
  ['int', '0', '100', '5 ', 'EINVAL'],
  ['int', '0', '100', '5\n', 'EINVAL'],
  // Signs: never '+'; '-' only where negatives are in range.
  ['int', '0', '100', '+5', 'EINVAL'],
  ['int', '0', '100', '-5', 'EINVAL'],
  ['int', '0', '100', '-0', 'EINVAL'],
  ['int', '-1', '1', '-1', '-1'],
  ['int', '-1', '1', '-0', '0'],
  ['int', '-1', '1', '-2', 'ERANGE'],
  ['int', '-1', '1', '+1', 'EINVAL'],
  ['int', '-1', '1', '--1', 'EINVAL'],
  ['int', '-1', '1', '- 1', 'EINVAL'],
  ['int', '-1', '1', '-', 'EINVAL'],
  // Empty and trailing text; text that is not a number wins over one that is too large.
  ['int', '0', '100', '', 'EINVAL'],
  ['int', '0', '100', '5x', 'EINVAL'],
  ['int', '0', '100', '1e2', 'EINVAL'],
  ['int', '0', '100', '5.0', 'EINVAL'],
  ['int', '0', '100', '99999999999999999999999x', 'EINVAL'],
  // Base prefixes mean nothing: "0x10" is not a number, "010" is ten (strtol with base 0: eight).
  ['int', '0', '100', '0x10', 'EINVAL'],
  ['int', '0', '100', '010', '10'],
  ['int', '0', '100', '0', '0'],
  // 64 bits, both ends.
  ['i64', INT64_MIN, INT64_MAX, INT64_MIN, INT64_MIN],
  ['i64', INT64_MIN, INT64_MAX, INT64_MAX, INT64_MAX],
  ['i64', INT64_MIN, INT64_MAX, '-9223372036854775809', 'ERANGE'],
  ['i64', INT64_MIN, INT64_MAX, '9223372036854775808', 'ERANGE'],
  ['i64', '-10', '-5', '-7', '-7'],
  ['i64', '-10', '-5', '-3', 'ERANGE'],
  ['i64', '-10', '-5', '7', 'ERANGE'],
  ['u64', '0', UINT64_MAX, UINT64_MAX, UINT64_MAX],
  ['u64', '0', UINT64_MAX, '18446744073709551616', 'ERANGE'],
  // strtoull reads "-1" as its largest value.
  ['u64', '0', UINT64_MAX, '-1', 'EINVAL'],
  ['u64', '1', '10', '0', 'ERANGE'],
  ['u64', '1', '10', '10', '10'],
  ['u64', '1', '10', '11', 'ERANGE'],
  // A number that a syntax goes on after: the rest is the caller's.
  ['scan', '0', '4095', '8:0', { value: '8', rest: ':0' }],
  ['scan', '0', '4095', '4095', { value: '4095', rest: '' }],
  ['scan', '0', '4095', '512kbit', { value: '512', rest: 'kbit' }],
  ['scan', '0', '4095', '0x1f', { value: '0', rest: 'x1f' }],
  ['scan', '0', '4095', '4096:1', 'ERANGE'],
  ['scan', '0', '4095', ':1', 'EINVAL'],
  ['scan', '0', '4095', '', 'EINVAL'],
  ['scan', '0', '4095', ' 8', 'EINVAL'],
  ['scan', '0', '4095', '+8', 'EINVAL'],
  ['scan', '0', '4095', '-8', 'EINVAL'],
];

function installed(compiler: string): boolean {
  return spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status === 0;
}

describe.each([
  { compiler: 'musl-gcc', missing: installed('musl-gcc') ? null : 'musl-gcc is not installed (Debian: musl-tools)' },
  { compiler: 'cc', missing: installed('cc') ? null : 'no C compiler (cc) is installed' },
])('lab_parse_* built with $compiler', ({ compiler, missing }) => {
  let dir = '';
  let driver = '';
  beforeAll(() => {
    if (missing) return;
    dir = mkdtempSync(join(tmpdir(), 'isolab-parse-number-'));
    driver = join(dir, 'parse-number-test');
    const built = spawnSync(
      compiler,
      ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', driver, join(HERE, 'parse-number.c'), join(HERE, 'parse-number.test.c')],
      { encoding: 'utf8' },
    );
    expect(built.status, built.stderr).toBe(0);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const answer = (fn: Fn, min: string, max: string, text: string): Answer => {
    const out = spawnSync(driver, [fn, min, max, text], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    return JSON.parse(out.stdout) as Answer;
  };

  it.skipIf(missing !== null).each(CASES)(`%s [%s, %s] %j → %j${missing ? ` (skipped: ${missing})` : ''}`, (fn, min, max, text, expected) => {
    const got = answer(fn, min, max, text);
    if (expected === 'EINVAL' || expected === 'ERANGE') {
      // Refused, saying why, and the caller's variable left as it was.
      expect(got).toEqual({ ok: false, errno: expected, kept: true });
    } else if (typeof expected === 'string') {
      expect(got).toEqual({ ok: true, value: expected, rest: '' });
    } else {
      expect(got).toEqual({ ok: true, ...expected });
    }
  });
});
