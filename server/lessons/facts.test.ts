import { describe, expect, it } from 'vitest';
import { factType } from './facts.js';

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
  ])('%s', (path, expected) => {
    const found = factType(path);
    expect(found.ok, JSON.stringify(found)).toBe(true);
    if (found.ok) expect(found.type).toMatchObject(expected);
  });

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
