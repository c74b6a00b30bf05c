import { TOGGLE_IDS } from '../../common/spec.js';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerSpec, PLAIN_PROCESS } from '../../common/spec.js';
import { REPO_ROOT } from '../base/paths.js';
import { toLessonView } from './index.js';
import { compileLesson, loadLessons, validateLessonsDir } from './load.js';

const LESSONS = join(REPO_ROOT, 'lessons');
const FIXTURES = join(REPO_ROOT, 'server', 'lessons', 'fixtures');
/** Error messages name files relative to the working directory, like a compiler. */
const shown = (...parts: string[]) => relative(process.cwd(), join(FIXTURES, ...parts));

describe('the real lessons', () => {
  it('all load, with no errors, in course order', async () => {
    const { lessons, errors, warnings } = await loadLessons(LESSONS);
    expect(errors).toEqual([]);
    expect(lessons.map((l) => l.id)).toEqual([
      '00-just-a-process', '01-uts-namespace', '02-pid-namespace', '03-mount-namespace', '04-root-filesystem',
      '05-overlay-filesystem', '06-read-only-root', '07-cgroups', '08-network-namespace', '09-ipc-namespace',
      '10-user-namespace', '11-cgroup-namespace', '12-capabilities', '13-no-new-privs', '14-seccomp', '15-lsm',
      '16-containers-vs-vms', '17-capstone-blast-radius',
    ]);
    // No gap: each lesson's change applies to the one before it.
    expect(lessons.map((l) => l.number)).toEqual(lessons.map((_, i) => i));
    expect(warnings).toEqual([]);
    expect((await validateLessonsDir(LESSONS)).errors).toEqual([]);
  });

  it('resolve each settings change onto the previous lesson', async () => {
    const { lessons } = await loadLessons(LESSONS);
    const byId = Object.fromEntries(lessons.map((l) => [l.id, l.settings]));
    const ns = (on: Partial<ContainerSpec['namespaces']>) => ({ ...PLAIN_PROCESS.namespaces, ...on });
    expect(byId['00-just-a-process']).toEqual(PLAIN_PROCESS);
    expect(byId['01-uts-namespace']).toEqual({ ...PLAIN_PROCESS, namespaces: ns({ uts: true }) });
    expect(byId['02-pid-namespace']).toEqual({ ...PLAIN_PROCESS, namespaces: ns({ uts: true, pid: true }) });
    expect(byId['03-mount-namespace']).toEqual({ ...PLAIN_PROCESS, namespaces: ns({ uts: true, pid: true, mount: true }) });
    // 04 enters the image with chroot, 05 goes back to pivot_root; 06 makes it read-only with Docker's paths.
    expect(byId['04-root-filesystem']).toMatchObject({ rootfs: true, filesystem: { rootMode: 'chroot', readOnly: false } });
    expect(byId['05-overlay-filesystem']).toMatchObject({ rootfs: true, filesystem: { rootMode: 'pivot', readOnly: false } });
    expect(byId['06-read-only-root']!.filesystem).toEqual({ rootMode: 'pivot', readOnly: true, tmpfs: [{ path: '/tmp', sizeBytes: 64 * 1024 * 1024 }], maskedPaths: true, readonlyPaths: true });
    expect(byId['07-cgroups']!.resources).toMatchObject({ cgroup: true, pidsLimit: 64, memoryBytes: 64 * 1024 * 1024, memorySwapBytes: 64 * 1024 * 1024, cpus: 0.5, rootfsReadBps: 1024 * 1024 });
    expect(byId['08-network-namespace']).toMatchObject({ namespaces: ns({ uts: true, pid: true, mount: true, net: true }), network: { mode: 'bridge', rate: '1mbit' } });
    // 09 adds IPC (and restates lesson 4's root filesystem) to everything before it.
    expect(byId['09-ipc-namespace']).toEqual({ ...byId['08-network-namespace'], namespaces: ns({ uts: true, pid: true, mount: true, net: true, ipc: true }) });
    // 10–16 each switch one thing on top of the one before; 17 restates every switch.
    expect(byId['10-user-namespace']).toMatchObject({ namespaces: { user: true, pid: true }, capabilities: 'all', user: null });
    expect(byId['11-cgroup-namespace']).toMatchObject({ namespaces: { user: true, cgroup: true }, resources: { cgroup: true } });
    expect(byId['12-capabilities']).toMatchObject({ namespaces: { cgroup: true, net: true }, capabilities: ['NET_BIND_SERVICE'] });
    expect(byId['13-no-new-privs']).toMatchObject({ user: { uid: 1000, gid: 1000 }, noNewPrivs: false, seccomp: 'unconfined' });
    expect(byId['14-seccomp']).toMatchObject({ user: null, seccomp: 'docker-default', capabilities: byId['13-no-new-privs']!.capabilities });
    expect(byId['15-lsm']).toMatchObject({ seccomp: 'docker-default', landlock: { enabled: true, readOnly: ['/'], readWrite: ['/tmp', '/dev'] } });
    expect(byId['16-containers-vs-vms']).toEqual(byId['15-lsm']);
    expect(byId['17-capstone-blast-radius']).toMatchObject({ capabilities: [], noNewPrivs: true, user: { uid: 1000, gid: 1000 }, filesystem: { readOnly: true } });
    for (const l of lessons) expect(ContainerSpec.safeParse(l.settings).success).toBe(true);
  });

  it('each has a solution, checks for every task, and a last hint for every check', async () => {
    const { lessons } = await loadLessons(LESSONS);
    for (const l of lessons) {
      expect(l.solution.length).toBeGreaterThan(0);
      for (const t of l.tasks) expect(l.checks.some((c) => c.task === t.id)).toBe(true);
      for (const c of l.checks) expect(c.hints.at(-1)!.when).toBeUndefined();
    }
  });

  it('give the browser text, tasks and settings, never the checks or the solution', async () => {
    const { lessons } = await loadLessons(LESSONS);
    for (const l of lessons) {
      const view = toLessonView(l);
      expect(Object.keys(view).sort()).toEqual(['html', 'id', 'number', 'primitive', 'settings', 'tasks', 'title']);
      expect(view.html).toContain('<figure class="cmd"');
      // The answer key stays on the server: no condition language and no solution line in the page.
      expect(view.html).not.toMatch(/"fact"|op: (eq|neq|some)/);
    }
  });
});

describe('broken lessons are reported with file, line and field, and do not take the others down', () => {
  it('loads the good lessons of a folder with bad ones', async () => {
    const { lessons } = await loadLessons(join(FIXTURES, 'mixed'));
    expect(lessons.map((l) => l.id)).toEqual(['00-good', '06-good-after']);
    // 05 failed, so 06 applies its change to the last good lesson's settings (00: uts on).
    expect(lessons[1]!.settings.namespaces).toEqual({ mount: false, uts: true, ipc: false, pid: true, net: false, user: false, cgroup: false, time: false });
  });

  const cases: [string, { file: string; line: number; field?: string; message: string }][] = [
    [
      'bad YAML',
      {
        file: shown('mixed', '01-bad-yaml', 'lesson.md'),
        line: 3,
        message: `${shown('mixed', '01-bad-yaml', 'lesson.md')}:3: YAML: Nested mappings are not allowed in compact mappings (a value that contains ": " needs quotes, or a folded block: "text: >-")`,
      },
    ],
    [
      'an unknown op',
      {
        file: shown('mixed', '02-unknown-op', 'lesson.md'),
        line: 14,
        field: 'checks.0.all.0.op',
        message: `${shown('mixed', '02-unknown-op', 'lesson.md')}:14: checks.0.all.0.op: expected one of eq|neq|gt|lt|exists|absent|some|none`,
      },
    ],
    [
      'a missing field',
      {
        file: shown('mixed', '03-missing-title', 'lesson.md'),
        line: 2,
        field: 'title',
        message: `${shown('mixed', '03-missing-title', 'lesson.md')}:2: title: required`,
      },
    ],
    [
      'an id that is not the folder name',
      {
        file: shown('mixed', '04-wrong-id', 'lesson.md'),
        line: 2,
        field: 'id',
        message: `${shown('mixed', '04-wrong-id', 'lesson.md')}:2: id: must equal the folder name "04-wrong-id"`,
      },
    ],
    [
      'settings that make an invalid container (rootfs without mount)',
      {
        file: shown('mixed', '05-rootfs-without-mount', 'lesson.md'),
        line: 5,
        field: 'settings.rootfs',
        message: `${shown('mixed', '05-rootfs-without-mount', 'lesson.md')}:5: settings.rootfs: an own root filesystem needs the mount namespace (pivot_root only works on a private mount tree) (after applying this change to the previous lesson's settings)`,
      },
    ],
  ];

  it.each(cases)('%s', async (_, expected) => {
    const { errors } = await loadLessons(join(FIXTURES, 'mixed'));
    expect(errors.filter((e) => e.file === expected.file)).toEqual([{ reason: expect.any(String), ...expected }]);
  });

  it('reports exactly those five problems', async () => {
    expect(await validateLessonsDir(join(FIXTURES, 'mixed'))).toEqual({ errors: cases.map(([, e]) => e.message), warnings: [] });
  });

  it('numbering: a duplicate number is left out, a misnamed folder is reported, a gap is a warning, "_" folders are ignored', async () => {
    const { lessons, errors, warnings } = await loadLessons(join(FIXTURES, 'numbering'));
    expect(lessons.map((l) => l.id)).toEqual(['00-again', '02-gap']);
    expect(errors.map((e) => e.message)).toEqual([
      `${shown('numbering', '00-first', 'lesson.md')}:2: id: lesson number 00 is used by another lesson; each number is one place in the course`,
      `${shown('numbering', 'notalesson')}: a lesson folder is named "NN-slug", e.g. "01-uts-namespace" (folders starting with "_" are ignored)`,
    ]);
    // A gap leaves the lesson in: courses are written out of order (09 before 04–08).
    expect(warnings.map((e) => e.message)).toEqual([
      `${shown('numbering', '02-gap', 'lesson.md')}:2: id: lesson number 02 follows 00: the lessons in between are missing, so its settings change applies to 00's settings`,
    ]);
  });

  it('a missing lessons folder is one error, not a crash', async () => {
    const { lessons, errors } = await loadLessons(join(FIXTURES, 'does-not-exist'));
    expect(lessons).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.reason).toMatch(/^cannot read the lessons folder/);
  });
});

/** A valid lesson file; each case below breaks one thing in it. */
const GOOD = `---
id: 00-x
title: X
primitive: uts
settings:
  namespaces: { uts: true }
predict:
  - id: guess
    question: What?
    answer: That.
tasks:
  - id: rename
    title: Rename
checks:
  - id: renamed
    task: rename
    title: Renamed
    all:
      - { fact: container.hostname, op: neq, ref: host.hostname }
    hints:
      - when:
          - { fact: container, op: absent }
        text: No shell.
      - text: Rename it, {{session.spec.hostname}}.
solution:
  - hostname my-container
---
Text.

\`\`\`predict
guess
\`\`\`
`;

describe('front matter validation', () => {
  it('accepts the reference file', () => {
    expect(errorsOf(GOOD)).toEqual([]);
  });

  const broken: [string, string, string, string | string[]][] = [
    ['unknown fact', '{ fact: container.hostname,', '{ fact: container.hostnmae,', 'x.md:19: checks.0.all.0.fact: no fact "hostnmae" in container (expected one of probe|sections|subject|pid|ppid|uid|gid|user|hostname|domainname|kernel|namespaces|processes|processCount|pid1Comm|root|mounts|mountCount|rootfs|netInterfaces|interfaces|defaultRoute|ipc|caps|noNewPrivs|seccomp|cgroup|paths|devices|rlimits|lsm|system)'],
    ['unknown namespace name', '{ fact: container.hostname, op: neq, ref: host.hostname }', '{ fact: container.namespaces.utss, op: exists }', 'x.md:19: checks.0.all.0.fact: no fact "utss" in container.namespaces (expected one of cgroup|ipc|mnt|net|pid|time|user|uts)'],
    ['value of the wrong type', 'op: neq, ref: host.hostname }', 'op: eq, value: 5 }', 'x.md:19: checks.0.all.0.value: container.hostname is a string (or null), got 5'],
    ['ref of the wrong type', 'ref: host.hostname }', 'ref: host.pid }', 'x.md:19: checks.0.all.0.ref: container.hostname is a string (or null) but host.pid is a number'],
    ['gt on a string', 'op: neq, ref: host.hostname }', 'op: gt, value: 1 }', 'x.md:19: checks.0.all.0.fact: "gt" compares numbers, but container.hostname is a string (or null)'],
    ['some on a scalar', 'op: neq, ref: host.hostname }', 'op: some }', 'x.md:19: checks.0.all.0.fact: "some" looks into a list, but container.hostname is a string (or null)'],
    ['where on an unknown field', '{ fact: container.hostname, op: neq, ref: host.hostname }', '{ fact: session.descendants, op: some, where: { name: sleep } }', 'x.md:19: checks.0.all.0.where.name: the elements of session.descendants have no field "name" (expected one of pid|ppid|comm|nsPid|nsPpid|uid|nsUid|noNewPrivs|seccompFilters)'],
    ['neither value nor ref', ', ref: host.hostname }', ' }', 'x.md:19: checks.0.all.0.op: "neq" needs exactly one of "value" or "ref"'],
    ['an unknown field', 'title: X\n', 'title: X\ntitel: Y\n', 'x.md:4: titel: unknown field'],
    ['an unknown primitive', 'primitive: uts', 'primitive: containers', `x.md:4: primitive: expected one of ${[...TOGGLE_IDS, 'process'].join('|')}`],
    ['an unknown settings switch', 'namespaces: { uts: true }', 'namespaces: { uts: true, users: true }', 'x.md:6: settings.namespaces.users: unknown field'],
    ['a bad hostname in settings', 'namespaces: { uts: true }', 'hostname: -bad-', 'x.md:6: settings.hostname: hostname must be 1–63 letters, digits or "-", not starting or ending with "-"'],
    ['a check for no task', 'task: rename', 'task: renam', ['x.md:16: checks.0.task: no task "renam" (expected one of rename)', 'x.md:12: tasks.0.id: task "rename" has no check']],
    ['a conditional last hint', '      - text: Rename it, {{session.spec.hostname}}.', '      - text: Rename it.\n        when: [{ fact: container, op: exists }]', 'x.md:25: checks.0.hints.1.when: the last hint must have no "when", so a failing check always has a hint'],
    ['a hint that shows an unknown fact', '{{session.spec.hostname}}', '{{session.hostname}}', 'x.md:24: checks.0.hints.1.text: {{session.hostname}}: no fact "hostname" in session (expected one of shellPid|spec|hostHostnameAtStart|descendants|openFiles)'],
    ['an empty solution', 'solution:\n  - hostname my-container', 'solution: []', 'x.md:25: solution: must not be empty'],
    ['a prediction not placed in the text', '```predict\nguess\n```', 'no fence', 'x.md:8: predict.0.id: not placed in the text: add a fence ```predict with "guess" in it'],
    ['choices without the right one', '    question: What?\n', '    question: What?\n    choices: [this, that]\n', 'x.md:8: predict.0.correct: a prediction with choices names the right one: correct: A (the first), B, …'],
    ['a right choice that is not there', '    question: What?\n', '    question: What?\n    choices: [this, that]\n    correct: C\n', 'x.md:11: predict.0.correct: there are only 2 choices (A–B)'],
    ['a right choice without choices', '    question: What?\n', '    question: What?\n    correct: A\n', 'x.md:10: predict.0.correct: correct names a choice, and this prediction has no choices'],
    ['a predict fence naming an unknown id', '```predict\nguess\n```', '```predict\nguess\n```\n\n```predict\nguesss\n```', 'x.md:34: a predict fence names "guesss", which is not in predict (expected one of guess)'],
  ];

  it.each(broken)('reports %s with file, line and field', (_, from, to, message) => {
    expect(GOOD.includes(from)).toBe(true);
    expect(errorsOf(GOOD.replace(from, to))).toEqual([message].flat());
  });

  it('a task can be done in a workshop shell unless it says workshop: false', () => {
    const compile = (src: string) => compileLesson(src, { file: 'x.md', folder: '00-x', previous: PLAIN_PROCESS });
    const plain = compile(GOOD);
    expect(plain.ok && plain.lesson.tasks).toEqual([{ id: 'rename', title: 'Rename', workshop: true }]);
    const marked = compile(GOOD.replace('    title: Rename\n', '    title: Rename\n    workshop: false\n'));
    expect(marked.ok && marked.lesson.tasks[0]!.workshop).toBe(false);
    // The browser still gets only id and title.
    expect(marked.ok && toLessonView(marked.lesson).tasks).toEqual([{ id: 'rename', title: 'Rename' }]);
    expect(errorsOf(GOOD.replace('    title: Rename\n', '    title: Rename\n    workshop: no\n'))).toEqual([
      'x.md:14: tasks.0.workshop: Invalid input: expected boolean, received string',
    ]);
  });

  it('a hex literal is a number, so System V keys read as ipcs prints them', () => {
    const source = GOOD.replace('{ fact: container.hostname, op: neq, ref: host.hostname }', '{ fact: sysvipc.container.shm, op: some, where: { key: 0x414e4547 } }');
    const compiled = compileLesson(source, { file: 'x.md', folder: '00-x', previous: PLAIN_PROCESS });
    expect(compiled.ok && compiled.lesson.checks[0]!.all[0]).toEqual({ fact: 'sysvipc.container.shm', op: 'some', where: { key: 1095648583 } });
  });

  it.each([
    ['{ fact: shell.mounts, op: some, where: { propagation: 1 } }', 'x.md:19: checks.0.all.0.where.propagation: propagation is a string, got 1'],
    ['{ fact: sysvipc.host.shm, op: some, where: { owner: 0 } }', 'x.md:19: checks.0.all.0.where.owner: the elements of sysvipc.host.shm have no field "owner" (expected one of key|id|bytes|attached|creatorPid)'],
    ['{ fact: shell.nsPids, op: some, value: one }', 'x.md:19: checks.0.all.0.value: the elements of shell.nsPids are numbers, got "one"'],
    ['{ fact: shell.procPidNs, op: eq, ref: container.hostname }', 'x.md:19: checks.0.all.0.ref: shell.procPidNs is a number (or null) but container.hostname is a string (or null)'],
  ])('type-checks the host-view facts: %s', (condition, message) => {
    expect(errorsOf(GOOD.replace('{ fact: container.hostname, op: neq, ref: host.hostname }', condition))).toEqual([message]);
  });

  it('a file without front matter', () => {
    expect(errorsOf('# Just markdown\n')).toEqual(['x.md:1: a lesson file starts with YAML front matter: a line "---", the fields, and another "---"']);
  });
});

/** Every error a single lesson file gives, as if it were the first lesson of a course. */
function errorsOf(source: string): string[] {
  const compiled = compileLesson(source, { file: 'x.md', folder: '00-x', previous: PLAIN_PROCESS });
  return compiled.ok ? [] : compiled.errors.map((e) => e.message);
}
