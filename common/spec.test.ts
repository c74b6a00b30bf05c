import { describe, expect, it } from 'vitest';
import { ContainerSpec, FULL_ISOLATION, PLAIN_PROCESS, TOGGLE_IDS, applyToggle, describeChanges, isToggleOn } from './spec.js';

describe('ContainerSpec', () => {
  it('accepts the presets', () => {
    expect(ContainerSpec.parse(PLAIN_PROCESS)).toEqual(PLAIN_PROCESS);
    expect(ContainerSpec.parse(FULL_ISOLATION)).toEqual(FULL_ISOLATION);
  });

  it('rejects an own root filesystem without the mount namespace, naming the field', () => {
    const bad = { ...PLAIN_PROCESS, rootfs: true };
    const res = ContainerSpec.safeParse(bad);
    expect(res.success).toBe(false);
    expect(res.error!.issues[0]!.path).toEqual(['rootfs']);
    expect(res.error!.issues[0]!.message).toMatch(/mount namespace/);
  });

  it.each(['-leading', 'trailing-', 'has space', 'a'.repeat(64), '', 'semi;colon', 'ünï'])('rejects hostname %j', (hostname) => {
    expect(ContainerSpec.safeParse({ ...FULL_ISOLATION, hostname }).success).toBe(false);
  });

  it('rejects unknown fields instead of ignoring them', () => {
    expect(ContainerSpec.safeParse({ ...FULL_ISOLATION, privileged: true }).success).toBe(false);
    expect(ContainerSpec.safeParse({ ...FULL_ISOLATION, namespaces: { ...FULL_ISOLATION.namespaces, user: true } }).success).toBe(false);
  });
});

describe('applyToggle', () => {
  it.each(TOGGLE_IDS)('switches %s on and off again', (id) => {
    const on = applyToggle(PLAIN_PROCESS, id, true).spec;
    expect(isToggleOn(on, id)).toBe(true);
    expect(ContainerSpec.safeParse(on).success).toBe(true);
    const off = applyToggle(on, id, false).spec;
    expect(isToggleOn(off, id)).toBe(false);
    expect(ContainerSpec.safeParse(off).success).toBe(true);
  });

  it('turning rootfs on brings the mount namespace with it, and says so', () => {
    const { spec, changes } = applyToggle(PLAIN_PROCESS, 'rootfs', true);
    expect(spec.namespaces.mount).toBe(true);
    expect(changes).toEqual(['Mount namespace on', 'Own root filesystem on']);
  });

  it('turning mount off takes the root filesystem with it', () => {
    const { spec, changes } = applyToggle(FULL_ISOLATION, 'mount', false);
    expect(spec.rootfs).toBe(false);
    expect(changes).toEqual(['Mount namespace off', 'Own root filesystem off']);
  });

  it('does not mutate its input', () => {
    const before = structuredClone(PLAIN_PROCESS);
    applyToggle(PLAIN_PROCESS, 'uts', true);
    expect(PLAIN_PROCESS).toEqual(before);
  });
});

describe('describeChanges', () => {
  it('is empty for equal settings and names the hostname change', () => {
    expect(describeChanges(FULL_ISOLATION, FULL_ISOLATION)).toEqual([]);
    expect(describeChanges(FULL_ISOLATION, { ...FULL_ISOLATION, hostname: 'box' })).toEqual(['hostname box']);
  });
});
