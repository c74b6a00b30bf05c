import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from './capabilities.js';
import { archOfMachine, dockerSeccompToOci, type OciSeccomp, type SeccompTarget } from './seccomp.js';
import { SeccompProfile } from './seccomp-profile.js';

/** isolab's "docker-default" profile: moby's default.json. */
const DOCKER_PROFILE = SeccompProfile.parse(JSON.parse(readFileSync(new URL('../profiles/seccomp/docker-default.json', import.meta.url), 'utf8')));
const DOCKER_14 = DOCKER_DEFAULT_CAPABILITIES.map((c) => `CAP_${c}`);
const AMD64: SeccompTarget = { arch: 'amd64', capabilities: DOCKER_14, kernelRelease: '6.18.44-fc-v669' };
const names = (s: OciSeccomp | null) => s!.syscalls.flatMap((r) => r.names);
const rulesFor = (s: OciSeccomp | null, name: string) => s!.syscalls.filter((r) => r.names.includes(name));

describe("dockerSeccompToOci: Docker's profile resolved as moby does for one container", () => {
  it("x86_64 with docker's 14: its architectures, the amd64 rules, none needing CAP_SYS_ADMIN", () => {
    const s = dockerSeccompToOci(DOCKER_PROFILE, AMD64)!;
    expect(s.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.defaultErrnoRet).toBe(1);
    expect(s.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(names(s)).toContain('arch_prctl');
    expect(names(s)).not.toContain('s390_pci_mmio_read');
    expect(names(s)).not.toContain('mount');
    // chroot is allowed with CAP_SYS_CHROOT, which the 14 have; reboot needs CAP_SYS_BOOT, which they lack.
    expect(names(s)).toContain('chroot');
    expect(names(s)).not.toContain('reboot');
    // ptrace: from kernel 4.8 on.
    expect(names(s)).toContain('ptrace');
    // clone without namespace flags only (args masked), and clone3 answers ENOSYS so libc falls back to clone.
    expect(rulesFor(s, 'clone')).toEqual([{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    expect(rulesFor(s, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    // Only the runtime-spec's fields: no comment, includes or excludes left behind.
    for (const rule of s.syscalls) expect(['action', 'args', 'errnoRet', 'names']).toEqual(expect.arrayContaining(Object.keys(rule)));
  });

  it('with every capability the CAP_SYS_ADMIN rules come in and the restricted clone goes', () => {
    const s = dockerSeccompToOci(DOCKER_PROFILE, { ...AMD64, capabilities: CAPABILITIES.map((c) => `CAP_${c}`) });
    expect(names(s)).toEqual(expect.arrayContaining(['mount', 'unshare', 'setns', 'bpf', 'reboot', 'init_module']));
    expect(rulesFor(s, 'clone')).toEqual([expect.objectContaining({ action: 'SCMP_ACT_ALLOW' })]);
    expect(rulesFor(s, 'clone')[0]!.args).toBeUndefined();
    expect(rulesFor(s, 'clone3').map((r) => r.action)).toEqual(['SCMP_ACT_ALLOW']);
  });

  it('an old kernel loses the minKernel rules; arm64 gets its own architectures and rules', () => {
    expect(names(dockerSeccompToOci(DOCKER_PROFILE, { ...AMD64, kernelRelease: '4.4.0' }))).not.toContain('ptrace');
    const arm = dockerSeccompToOci(DOCKER_PROFILE, { ...AMD64, arch: 'arm64' });
    expect(arm!.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(names(arm)).toContain('arm_fadvise64_64');
    expect(names(arm)).not.toContain('arch_prctl');
  });

  it('"name" becomes "names", "architectures" is kept, no default action means no filter', () => {
    expect(dockerSeccompToOci({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ name: 'kexec_load', action: 'SCMP_ACT_ERRNO' }] }, AMD64)).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['kexec_load'], action: 'SCMP_ACT_ERRNO' }],
    });
    expect(dockerSeccompToOci({}, AMD64)).toBeNull();
    expect(dockerSeccompToOci({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: null, archMap: null, flags: null, defaultErrnoRet: null }, AMD64)).toEqual({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] });
  });

  it('refuses a kernel release it cannot read', () => {
    const profile: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', includes: { minKernel: '4.8' } }] };
    expect(() => dockerSeccompToOci(profile, { ...AMD64, kernelRelease: 'unknown' })).toThrow('seccomp profile: cannot read a kernel version from "unknown"');
  });

  it('names machines as profiles do', () => {
    expect(['x86_64', 'aarch64', 'armv7l', 'i686'].map(archOfMachine)).toEqual(['amd64', 'arm64', 'arm', 'x86']);
    expect(() => archOfMachine('pdp11')).toThrow(/unknown machine "pdp11"/);
  });
});
