import { describe, expect, it } from 'vitest';
import { factType } from './facts.js';

/** The fact at PATH has a type, and it matches EXPECTED. */
function expectTyped(path: string, expected: object): void {
  const found = factType(path);
  expect(found.ok, JSON.stringify(found)).toBe(true);
  if (found.ok) expect(found.type).toMatchObject(expected);
}

describe('factType over the probe report (format 2)', () => {
  it.each([
    ['container.caps.effective.names', { kind: 'list', element: { kind: 'string' } }],
    ['container.noNewPrivs', { kind: 'boolean', nullable: true }],
    ['container.seccomp.mode', { kind: 'number', nullable: true }],
    ['container.cgroup.version', { kind: 'string', nullable: true }],
    ['container.cgroup.memory.max', { kind: 'number', nullable: true }],
    ['container.rlimits.nofile.soft', { kind: 'number', nullable: true }],
    ['container.paths.masked', { kind: 'list', element: { kind: 'object' } }],
    ['container.lsm.landlock.restricted', { kind: 'string' }],
    ['container.user.uidMap', { kind: 'list', nullable: true }],
    ['host.defaultRoute.gateway', { kind: 'string', nullable: true }],
  ])('%s', expectTyped);

  it('types the whole report (every field of every section is a known kind)', () => {
    const found = factType('container');
    expect(found.ok).toBe(true);
    if (found.ok && found.type.kind === 'object') expect(Object.keys(found.type.fields)).toContain('cgroup');
  });

  it('names the fields a misspelt one could have been', () => {
    const found = factType('container.cgroup.memroy');
    expect(found).toMatchObject({ ok: false });
    if (!found.ok) expect(found.reason).toMatch(/no fact "memroy" in container\.cgroup \(expected one of .*memory/);
  });
});

describe('factType over the facts of lessons 4–8', () => {
  it.each([
    ['tree.shell.rootTop', { kind: 'boolean' }],
    ['tree.shell.root', { kind: 'string' }],
    ['tree.processes', { kind: 'list', element: { kind: 'object' } }],
    ['tree.listeners', { kind: 'list', element: { kind: 'object' } }],
    ['tree.neighbors', { kind: 'list', element: { kind: 'string' } }],
    ['tree.interfaces.eth0.txBytes', { kind: 'number', nullable: true }],
    ['overlay.upper', { kind: 'list', nullable: true }],
    ['overlay.mounts', { kind: 'list', nullable: false }],
    ['shellCgroup.limits.pids.maxEvents', { kind: 'number', nullable: true }],
    ['shellCgroup.limits.memory.oomKills', { kind: 'number', nullable: true }],
    ['shellCgroup.cpu.throttled', { kind: 'number', nullable: true }],
    ['shellCgroup.io.readBytes', { kind: 'number', nullable: true }],
    ['files.tmp', { kind: 'list', nullable: true, element: { kind: 'string' } }],
  ])('%s', expectTyped);

  it('a process\'s fields are typed for `where`', () => {
    const found = factType('tree.processes');
    expect(found.ok && found.type.kind === 'list' && found.type.element.kind === 'object' && Object.keys(found.type.element.fields)).toEqual([
      'pid', 'ppid', 'comm', 'root', 'rootTop', 'parentRootTop', 'cpus', 'netns',
    ]);
  });
});
