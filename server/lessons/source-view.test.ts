import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODE_VIEW_PRIMITIVES } from '../../common/protocol.js';
import { REPO_ROOT } from '../base/paths.js';
import { SOURCE_MAP, SourceReader, findFunctions } from './source-view.js';

const LAUNCHER = join(REPO_ROOT, 'native', 'launcher');

describe('findFunctions', () => {
  it('finds definitions in bubblewrap style, one-liners and static helpers, with their lines', () => {
    const c = [
      '/* A comment with a { brace } in it. */', // 1
      '#include <stdio.h>', // 2
      '#define OPEN {', // 3
      'static const struct lab_option options[] = {', // 4
      '\t{ "--x", true, parse_x },', // 5
      '\t{ NULL },', // 6
      '};', // 7
      'struct point {', // 8
      '\tint x;', // 9
      '};', // 10
      '', // 11
      '/* Sets the hostname. */', // 12
      'void', // 13
      'lab_set_hostname(const char *name)', // 14
      '{', // 15
      '\tif (sethostname(name, strlen(name)) < 0) /* } */', // 16
      '\t\tdie_with_error("hostname", "sethostname(\\"%s\\") {", name);', // 17
      "\tchar c = '}';", // 18
      '\t// a line comment }', // 19
      '}', // 20
      'void lab_stub(void) {}', // 21
      'static noreturn void run(const struct cfg *c, void (*cb)(int)) __attribute__((cold))', // 22
      '{', // 23
      '\tif (c) {', // 24
      '\t\tcb(1);', // 25
      '\t}', // 26
      '\tfor (;;) {}', // 27
      '}', // 28
      'int lab_prototype_only(void);', // 29
      'enum { A, B };', // 30
    ].join('\n');
    expect(findFunctions(c)).toEqual([
      { name: 'lab_set_hostname', startLine: 13, endLine: 20 },
      { name: 'lab_stub', startLine: 21, endLine: 21 },
      { name: 'run', startLine: 22, endLine: 28 },
    ]);
  });

  it('keeps counting lines through multi-line comments, continued macros and strings', () => {
    const c = ['/*', ' * {', ' */', '#define M(x) \\', '\tdo { x; } \\', '\twhile (0)', 'const char *s = "a\\', 'b{";', 'int f(void)', '{', '\treturn 0;', '}'].join('\n');
    expect(findFunctions(c)).toEqual([{ name: 'f', startLine: 9, endLine: 12 }]);
  });

  it('is not fooled by an unterminated literal', () => {
    const c = ['int f(void)', '{', '\tx = "oops {;', '}', 'int g(void) { return 1; }'].join('\n');
    expect(findFunctions(c)).toEqual([
      { name: 'f', startLine: 1, endLine: 4 },
      { name: 'g', startLine: 5, endLine: 5 },
    ]);
  });
});

describe('findFunctions on every launcher file', () => {
  it.each(readdirSync(LAUNCHER).filter((f) => f.endsWith('.c')))('%s: each range opens with its name and ends with a closing brace', (file) => {
    const text = readFileSync(join(LAUNCHER, file), 'utf8');
    const lines = text.split('\n');
    const fns = findFunctions(text);
    expect(fns.length).toBeGreaterThan(0);
    for (const fn of fns) {
      expect(lines.slice(fn.startLine - 1, fn.startLine + 1).join(' '), fn.name).toContain(`${fn.name}(`);
      expect(lines[fn.endLine - 1], fn.name).toMatch(/}\s*$/);
      expect(fn.endLine).toBeGreaterThanOrEqual(fn.startLine);
    }
  });
});

describe('the code view\'s table', () => {
  it('covers every switch and lesson 0', () => {
    expect(Object.keys(SOURCE_MAP).sort()).toEqual([...CODE_VIEW_PRIMITIVES].sort());
  });

  // When a primitive's C file is rewritten, this names the entry to update.
  it.each(Object.entries(SOURCE_MAP))('%s: every function it names is defined in native/launcher/%s', (_primitive, { file, functions }) => {
    const text = readFileSync(join(LAUNCHER, file), 'utf8');
    const lines = text.split('\n');
    const defined = findFunctions(text);
    for (const name of functions) {
      const fn = defined.find((f) => f.name === name);
      expect(fn, `${name} in ${file}`).toBeDefined();
      // The range really is that function: its header names it, its last line closes it.
      const header = lines.slice(fn!.startLine - 1, fn!.startLine + 1).join('\n');
      expect(header).toMatch(new RegExp(`\\b${name}\\(`));
      expect(lines[fn!.endLine - 1]).toMatch(/}\s*$/);
    }
  });
});

describe('SourceReader', () => {
  const reader = new SourceReader(LAUNCHER, REPO_ROOT);

  it('returns the real file and the ranges of its functions', async () => {
    const view = await reader.read('uts');
    expect(view?.file).toBe('native/launcher/ns.c');
    expect(view?.text).toBe(readFileSync(join(LAUNCHER, 'ns.c'), 'utf8'));
    expect(view?.ranges.map((r) => r.function)).toEqual(['lab_set_hostname']);
    const r = view!.ranges[0]!;
    expect(view!.text.split('\n').slice(r.startLine - 1, r.endLine).join('\n')).toMatch(/sethostname\(/);
  });

  // cgroup.c was split by concern: the namespace went to cgroup_inside.c, the limits' hooks stayed.
  it.each([
    ['cgroupns', 'cgroup_inside.c', /unshare\(CLONE_NEWCGROUP\)/],
    ['limits', 'cgroup.c', /->create\(/],
  ])('%s: reads its functions from native/launcher/%s', async (primitive, file, call) => {
    const view = await reader.read(primitive);
    expect(view?.file).toBe(`native/launcher/${file}`);
    expect(view?.ranges.map((r) => r.function)).toEqual(SOURCE_MAP[primitive as keyof typeof SOURCE_MAP].functions);
    const r = view!.ranges[0]!;
    expect(view!.text.split('\n').slice(r.startLine - 1, r.endLine).join('\n')).toMatch(call);
  });

  it.each(['../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '/etc/passwd', 'ns.c', 'uts/../../../etc/passwd', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'UTS', 'uts\0'])(
    'refuses %j: only rows of the table are read',
    async (bad) => {
      await expect(reader.read(bad)).resolves.toBeUndefined();
    },
  );

  it('a table entry that escaped the launcher directory would be refused', async () => {
    const evil = new SourceReader(join(LAUNCHER, 'missing-subdir'), REPO_ROOT);
    // Same table, another base: files are resolved under the base only (here: not found, not elsewhere).
    await expect(evil.read('uts')).rejects.toThrow(/ENOENT/);
  });
});
