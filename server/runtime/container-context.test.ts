import { describe, expect, it } from 'vitest';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, INITIAL_USER_NAMESPACE_ONLY } from '../../common/capabilities.js';
import { FULL_ISOLATION, applyToggle, type ContainerSpec } from '../../common/spec.js';
import { profileCapabilities } from './container-context.js';

const inUserNs: ContainerSpec = applyToggle({ ...FULL_ISOLATION, capabilities: 'all' }, 'user', true).spec;

describe('profileCapabilities: what a seccomp profile is compiled for', () => {
  it('on a workshop server, every capability but those only the initial user namespace honours', () => {
    const caps = profileCapabilities(inUserNs, true);
    expect(caps).toEqual(CAPABILITIES.filter((c) => !INITIAL_USER_NAMESPACE_ONLY.includes(c)));
    expect(caps).toContain('SYS_ADMIN'); // a user namespace honours it for its own mounts and namespaces
    for (const c of ['SYS_MODULE', 'SYS_TIME', 'SYS_RAWIO', 'BPF', 'PERFMON'] as const) expect(caps).not.toContain(c);
  });
  it('keeps a chosen list, less the same ones', () => {
    const spec = { ...inUserNs, capabilities: ['SYS_ADMIN', 'SYS_MODULE', 'CHOWN'] } as ContainerSpec;
    expect(profileCapabilities(spec, true)).toEqual(['SYS_ADMIN', 'CHOWN']);
    expect(profileCapabilities({ ...inUserNs, capabilities: [...DOCKER_DEFAULT_CAPABILITIES] }, true)).toEqual(DOCKER_DEFAULT_CAPABILITIES);
  });
  it("as given on a solo server, or without a user namespace (Docker's behaviour, which the lessons compare with)", () => {
    expect(profileCapabilities(inUserNs, false)).toEqual(CAPABILITIES);
    expect(profileCapabilities({ ...inUserNs, namespaces: { ...inUserNs.namespaces, user: false } }, true)).toEqual(CAPABILITIES);
  });
});
