import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../base/paths.js';
import { SECCOMP_ARCHES, SECCOMP_OPERATORS } from '../../../common/seccomp-profile.js';
import {
  SECCOMP_FORMAT_HEADER,
  SeccompProfileError,
  compileSeccompProfile,
  nativeArch,
  parseSeccompProfile,
  parseSeccompProfileJson,
  type SeccompTarget,
} from './profile.js';

/** Docker's default capability set (moby daemon/pkg/oci/caps/defaults.go). */
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const AMD64: SeccompTarget = { arch: 'amd64', capabilities: DOCKER_CAPS, kernelRelease: '6.18.44-fc-v669' };

const compile = (profile: unknown, target: SeccompTarget = AMD64) => compileSeccompProfile(parseSeccompProfile(profile), target);
const bodyOf = (compiled: string | null) => compiled!.trim().split('\n').slice(2).filter((l) => !l.startsWith('arch '));

// Rules as they appear in moby's profiles/seccomp/default.json.
const CLONE_RULES = [
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
    excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
  },
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 1, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
    comment: 's390 parameter ordering for clone is different',
    includes: { arches: ['s390', 's390x'] },
    excludes: { caps: ['CAP_SYS_ADMIN'] },
  },
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
];

describe('compileSeccompProfile', () => {
  it('writes the header, the default action with its errno, and one line per syscall name', () => {
    const out = compile({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    });
    expect(out).toBe(`${SECCOMP_FORMAT_HEADER}\ndefault errno:1\nsyscall read allow\nsyscall write allow\n`);
  });

  it('takes the archMap entry of this machine with its sub-architectures (x86 and x32 on amd64)', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [
        { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
        { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
        { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
      ],
      syscalls: [],
    };
    const arches = (t: SeccompTarget) => compile(profile, t)!.split('\n').filter((l) => l.startsWith('arch '));
    expect(arches(AMD64)).toEqual(['arch x86_64', 'arch x86', 'arch x32']);
    expect(arches({ ...AMD64, arch: 'arm64' })).toEqual(['arch aarch64', 'arch arm']);
    expect(arches({ ...AMD64, arch: 'riscv64' })).toEqual(['arch riscv64']);
    expect(arches({ ...AMD64, arch: 'ppc64le' })).toEqual([]);
  });

  it('uses an explicit architectures list as given', () => {
    const out = compile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] });
    expect(out).toBe(`${SECCOMP_FORMAT_HEADER}\ndefault allow\narch x86_64\narch x32\n`);
  });

  it('clone without CAP_SYS_ADMIN: namespace flags masked out on amd64 (arg 0), clone3 fails with ENOSYS', () => {
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: CLONE_RULES }))).toEqual([
      'syscall clone allow 0:masked_eq:2114060288:0',
      'syscall clone3 errno:38',
    ]);
    // s390x orders clone's arguments differently: the flags are argument 1 there.
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: CLONE_RULES }, { ...AMD64, arch: 's390x' }))).toEqual([
      'syscall clone allow 1:masked_eq:2114060288:0',
      'syscall clone3 errno:38',
    ]);
  });

  it('clone with CAP_SYS_ADMIN: the restricted rules are excluded, the capability rule included', () => {
    const syscalls = [
      { names: ['clone', 'clone3', 'mount', 'unshare'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      ...CLONE_RULES,
    ];
    const admin = { ...AMD64, capabilities: [...DOCKER_CAPS, 'CAP_SYS_ADMIN'] };
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, admin))).toEqual([
      'syscall clone allow',
      'syscall clone3 allow',
      'syscall mount allow',
      'syscall unshare allow',
    ]);
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }))).toEqual([
      'syscall clone allow 0:masked_eq:2114060288:0',
      'syscall clone3 errno:38',
    ]);
  });

  it('includes.minKernel compares the kernel and major numbers (moby: ptrace from 4.8)', () => {
    const syscalls = [{ names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } }];
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, { ...AMD64, kernelRelease: '4.8.0-1-amd64' }))).toEqual([
      'syscall ptrace allow',
    ]);
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, { ...AMD64, kernelRelease: '4.7.10' }))).toEqual([]);
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, { ...AMD64, kernelRelease: '10.0' }))).toEqual([
      'syscall ptrace allow',
    ]);
    const excluded = [{ names: ['ptrace'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '6.2' } }];
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: excluded }))).toEqual([]);
  });

  it('includes.arches uses moby\'s names (arch_prctl on amd64 and x32 only)', () => {
    const syscalls = [{ names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } }];
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }))).toEqual(['syscall arch_prctl allow']);
    expect(bodyOf(compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, { ...AMD64, arch: 'arm64' }))).toEqual([]);
  });

  it('argument comparisons: personality values are separate rules; two indexes AND, one index twice OR (as runc)', () => {
    const out = compile({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }] },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
            { index: 1, value: 3, op: 'SCMP_CMP_MASKED_EQ', valueTwo: 1 },
          ],
        },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 0, value: 38, op: 'SCMP_CMP_LT' },
            { index: 0, value: 40, op: 'SCMP_CMP_GT' },
          ],
        },
      ],
    });
    expect(bodyOf(out)).toEqual([
      'syscall personality allow 0:eq:0:0',
      'syscall personality allow 0:eq:4294967295:0',
      'syscall socket allow 0:eq:2:0 1:masked_eq:3:1',
      'syscall socket allow 0:lt:38:0',
      'syscall socket allow 0:gt:40:0',
    ]);
  });

  it('maps every action; errno and trace default to EPERM as runc does', () => {
    const actions = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_ALLOW'];
    const out = compile({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: actions.map((action) => ({ names: ['getpid'], action })) });
    expect(out!.split('\n')[1]).toBe('default kill_process');
    expect(bodyOf(out).map((l) => l.split(' ')[2])).toEqual(['kill_thread', 'kill_thread', 'kill_process', 'trap', 'errno:1', 'trace:1', 'log', 'allow']);
    expect(compile({ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 7 })!.split('\n')[1]).toBe('default trace:7');
  });

  it('the deprecated single "name" form and flags', () => {
    const out = compile({
      defaultAction: 'SCMP_ACT_ALLOW',
      flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'],
      syscalls: [{ name: 'reboot', action: 'SCMP_ACT_ERRNO' }],
    });
    expect(out).toBe(`${SECCOMP_FORMAT_HEADER}\ndefault allow\nflag log\nflag spec_allow\nsyscall reboot errno:1\n`);
  });

  it('an empty profile means no filter, as in Docker', () => {
    expect(compile({})).toBeNull();
    expect(compile({ syscalls: null })).toBeNull();
  });

  it('compiles isolab\'s copy of moby\'s default profile for a Docker-default container on amd64', () => {
    const profile = parseSeccompProfileJson(readFileSync(join(REPO_ROOT, 'profiles/seccomp/docker-default.json'), 'utf8'));
    const lines = compileSeccompProfile(profile, AMD64)!.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual([SECCOMP_FORMAT_HEADER, 'default errno:1', 'arch x86_64', 'arch x86', 'arch x32']);
    const syscalls = lines.filter((l) => l.startsWith('syscall '));
    expect(syscalls).toContain('syscall read allow');
    expect(syscalls).toContain('syscall clone allow 0:masked_eq:2114060288:0');
    expect(syscalls).toContain('syscall clone3 errno:38');
    expect(syscalls).toContain('syscall chroot allow'); // CAP_SYS_CHROOT is in Docker's default
    expect(syscalls).toContain('syscall arch_prctl allow');
    expect(syscalls).toContain('syscall ptrace allow'); // minKernel 4.8
    expect(syscalls).toContain('syscall socket allow 0:lt:12:0');
    expect(syscalls).toContain('syscall personality allow 0:eq:8:0');
    for (const denied of ['mount', 'unshare', 'setns', 'reboot', 'bpf', 'keyctl', 'init_module', 'open_by_handle_at']) {
      expect(syscalls.filter((l) => l.split(' ')[1] === denied), denied).toEqual([]);
    }
    expect(syscalls.filter((l) => l.split(' ')[1] === 'socket')).toHaveLength(26);
    // ppc64le/arm/s390/riscv-only rules are left out on amd64.
    expect(syscalls.some((l) => / (swapcontext|set_tls|s390_runtime_instr|riscv_flush_icache) /.test(l))).toBe(false);
  });
});

describe('parseSeccompProfile: refused, with the field named', () => {
  it.each([
    [{ defaultAction: 'SCMP_ACT_ALOW' }, 'seccomp profile: defaultAction: unknown action (expected one of SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoret: 1 }] }, 'seccomp profile: syscalls[0]: unknown field "errnoret"'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, 'seccomp profile: syscalls[0].args[0].index: must be an argument index from 0 to 5'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_MASKED' }] }] }, 'seccomp profile: syscalls[0].args[0].op: unknown operator (expected one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 18446744073709551615, op: 'SCMP_CMP_EQ' }] }] }, 'seccomp profile: syscalls[0].args[0].value: must be an integer from 0 to 9007199254740991'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['Read Me'], action: 'SCMP_ACT_ALLOW' }] }, 'seccomp profile: syscalls[0].names[0]: must be a syscall name (lower-case letters, digits, "_")'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }] }, "seccomp profile: syscalls[0]: both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'"],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, 'seccomp profile: syscalls[0].names: at least one syscall name is required'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }, 'seccomp profile: syscalls[0].errnoRet: only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }] }, 'seccomp profile: syscalls[0].errnoRet: must be an integer from 0 to 65535'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }, 'seccomp profile: syscalls[0].action: SCMP_ACT_NOTIFY needs a seccomp agent, which isolab does not run'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4' } }] }, 'seccomp profile: syscalls[0].includes.minKernel: invalid kernel version, expected "<kernel>.<major>"'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '0.0' } }] }, 'seccomp profile: syscalls[0].includes.minKernel: invalid kernel version, expected "<kernel>.<major>"'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }] }, "seccomp profile: both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'"],
    [{ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_AMD64'] }, 'seccomp profile: architectures[0]: unknown architecture (expected one of SCMP_ARCH_X86, SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_ARM, SCMP_ARCH_AARCH64, SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PPC, SCMP_ARCH_PPC64, SCMP_ARCH_PPC64LE, SCMP_ARCH_S390, SCMP_ARCH_S390X, SCMP_ARCH_PARISC, SCMP_ARCH_PARISC64, SCMP_ARCH_RISCV64, SCMP_ARCH_LOONGARCH64, SCMP_ARCH_M68K, SCMP_ARCH_SH, SCMP_ARCH_SHEB)'],
    [{ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }, 'seccomp profile: defaultAction: required when syscalls are listed'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', listenerPath: '/run/agent.sock' }, 'seccomp profile: listenerPath: a seccomp agent (SCMP_ACT_NOTIFY) is not supported: isolab runs none'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: { names: ['read'] } }, 'seccomp profile: syscalls: expected array'],
    [['SCMP_ACT_ERRNO'], 'seccomp profile: expected object'],
  ])('%j', (input, message) => {
    expect(() => parseSeccompProfile(input)).toThrow(new SeccompProfileError(message));
  });

  it('names JSON syntax errors', () => {
    expect(() => parseSeccompProfileJson('{"defaultAction": }')).toThrow(/^seccomp profile: not valid JSON: /);
  });

  it('the error is a SeccompProfileError', () => {
    expect(() => parseSeccompProfile({ defaultAction: 1 })).toThrow(SeccompProfileError);
  });
});

describe('nativeArch', () => {
  it('names Node\'s architectures the way profiles do', () => {
    expect(nativeArch('x64')).toBe('amd64');
    expect(nativeArch('arm64')).toBe('arm64');
    expect(nativeArch('ia32')).toBe('x86');
    expect(nativeArch('s390x')).toBe('s390x');
  });
});

describe('the shared schema (common/seccomp-profile.ts) and the compiler agree', () => {
  it('every architecture and operator the schema accepts has a token in the line format', () => {
    const out = compileSeccompProfile(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: [...SECCOMP_ARCHES],
        syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', args: SECCOMP_OPERATORS.map((op, index) => ({ index: index % 6, value: 1, op })) }],
      },
      AMD64,
    )!;
    expect(out).not.toMatch(/undefined/);
    expect(out.split('\n').filter((l) => l.startsWith('arch '))).toHaveLength(SECCOMP_ARCHES.length);
  });
});
