import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_SECCOMP_PROFILE_BYTES, SeccompProfile, seccompProfileBytes, utf8Length } from './seccomp-profile.js';

/** Rules in the shapes Docker's default profile uses (moby profiles/seccomp/default.json). */
const DOCKERISH = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }],
  syscalls: [
    { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['process_vm_readv', 'ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } },
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_BPF'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] }, comment: 'ENOSYS so glibc falls back to clone' },
  ],
};

const issues = (input: unknown) => {
  const r = SeccompProfile.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the Docker-format seccomp profile schema', () => {
  it('accepts the shapes of Docker\'s default profile', () => {
    expect(issues(DOCKERISH)).toEqual([]);
  });

  it('accepts an empty profile (Docker: no filter) and the deprecated single "name"', () => {
    expect(issues({})).toEqual([]);
    expect(issues({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'mount', action: 'SCMP_ACT_ERRNO' }] })).toEqual([]);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown action', { defaultAction: 'SCMP_ACT_MAYBE' }, /^defaultAction: unknown action/],
    ['an unknown field (a typo is not ignored)', { defaultAction: 'SCMP_ACT_ALLOW', sycalls: [] }, /sycalls/],
    ['a syscall name in capitals', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['Mount'], action: 'SCMP_ACT_ERRNO' }] }, /^syscalls\.0\.names\.0: must be a syscall name/],
    ['rules without a default action', { syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }, /^defaultAction: required when syscalls are listed/],
    ['both name and names', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'read', names: ['read'], action: 'SCMP_ACT_ALLOW' }] }, /^syscalls\.0: both 'name' and 'names'/],
    ['a rule naming no syscall', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, /^syscalls\.0\.names: at least one/],
    ['errnoRet on an allow rule', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }, /^syscalls\.0\.errnoRet: only applies/],
    ['an argument index past 5', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }, /index/],
    ['a value JSON cannot hold exactly', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }] }, /value/],
    ['an errno past 16 bits', { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 }, /^defaultErrnoRet/],
    ['architectures and archMap together', { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }, /^: both 'architectures' and 'archMap'/],
    ['a notify agent', { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }, /^listenerPath: a seccomp agent/],
    ['SCMP_ACT_NOTIFY', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }] }, /^syscalls\.0\.action: SCMP_ACT_NOTIFY/],
    ['a misspelt capability', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMN'] } }] }, /caps\.0: unknown capability/],
    ['a kernel version that is not "<kernel>.<major>"', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8.1' } }] }, /minKernel: invalid kernel version/],
    ['kernel version 0.0', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '0.0' } }] }, /minKernel/],
    ['not an object', ['SCMP_ACT_ALLOW'], /expected object/],
  ])('refuses %s, naming the field', (_what, profile, message) => {
    const found = issues(profile);
    expect(found.length, JSON.stringify(profile)).toBeGreaterThan(0);
    expect(found.some((m) => message.test(m)), found.join('\n')).toBe(true);
  });

  it('counts UTF-8 bytes the way the socket does', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('€')).toBe(3);
    expect(utf8Length('𝄞')).toBe(4);
    expect(seccompProfileBytes({ a: 'é' })).toBe(Buffer.byteLength(JSON.stringify({ a: 'é' })));
    expect(MAX_SECCOMP_PROFILE_BYTES).toBe(256 * 1024);
  });

  // The shipped profile lands with the seccomp branch (profiles/seccomp/docker-default.json).
  const shipped = new URL('../profiles/seccomp/docker-default.json', import.meta.url);
  it.skipIf(!existsSync(shipped))('accepts the profile isolab ships (skipped until profiles/seccomp/docker-default.json exists)', () => {
    expect(issues(JSON.parse(readFileSync(shipped, 'utf8')))).toEqual([]);
  });
});
