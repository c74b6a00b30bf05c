import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAIN_PROCESS } from '../../common/spec.js';
import { REPO_ROOT } from '../base/paths.js';
import { compileDemo, loadDemos } from './load.js';

const demo = (yaml: string) => compileDemo(yaml, 'x', 'x.yaml');

describe('compileDemo', () => {
  it('resolves each step from the one before, starting from a plain process', () => {
    const out = demo(
      [
        'title: T',
        'summary: S',
        'minutes: 5',
        'steps:',
        '  - { id: one, title: One, commands: [hostname] }',
        '  - { id: two, title: Two, settings: { namespaces: { uts: true }, hostname: demo }, setup: "touch /tmp/x", notes: "**say** it" }',
      ].join('\n'),
    );
    if (!out.ok) throw new Error(out.errors.map((e) => e.message).join('\n'));
    const [one, two] = out.demo.view.steps;
    expect(one!.settings).toEqual(PLAIN_PROCESS);
    expect(two!.settings.namespaces.uts).toBe(true);
    expect(two!.settings.hostname).toBe('demo');
    expect(two!.changes).toEqual(['UTS namespace on', 'hostname demo']);
    expect(two!.notesHtml).toContain('<strong>say</strong>');
    expect(two!.hasSetup).toBe(true);
    expect(out.demo.setup).toEqual([null, 'touch /tmp/x']);
  });

  it('names the file, line and field of each problem', () => {
    const out = demo(['title: T', 'summary: S', 'minutes: 5', 'steps:', '  - id: one', '    title: One', '    commands: ["echo a\\nb"]', '  - { id: one, title: Again, bogus: 1 }'].join('\n'));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    const messages = out.errors.map((e) => e.message);
    expect(messages).toContain('x.yaml:7: steps.0.commands.0: one line of printable text: no newline, tab or control character');
    expect(messages).toContain('x.yaml:8: steps.1.bogus: unknown field');
    expect(messages).toContain('x.yaml:8: steps.1.id: "one" is the id of an earlier step');
  });

  it('refuses settings that do not hold together, at the step that breaks them', () => {
    const out = demo(['title: T', 'summary: S', 'minutes: 5', 'steps:', '  - { id: one, title: One, settings: { resources: { cgroup: true, cpus: -1 } } }'].join('\n'));
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.errors[0]!.message).toMatch(/^x\.yaml:5: steps\.0\.settings\.resources\.cpus: /);
  });
});

describe('the shipped demos', () => {
  it('load without a problem, each with steps to type', async () => {
    const { demos, errors } = await loadDemos(join(REPO_ROOT, 'demos'));
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(demos.map((d) => d.view.id).sort()).toEqual(['containers-are-processes', 'escape-weak-container']);
    for (const d of demos) expect(d.view.steps.every((s) => s.commands.length > 0), d.view.id).toBe(true);
    // The strict step really is strict: the user namespace, no capability, seccomp.
    const strict = demos.find((d) => d.view.id === 'containers-are-processes')!.view.steps.at(-1)!.settings;
    expect(strict).toMatchObject({ capabilities: [], noNewPrivs: true, seccomp: 'docker-default' });
    expect(strict.namespaces.user).toBe(true);
  });
});
