// Docker-format seccomp profiles: what `docker run --security-opt seccomp=FILE` takes and what
// moby ships as profiles/seccomp/default.json. One schema, shared: the page builds the settings
// editor's JSON Schema from it (completion, hover, validation while typing), and the server parses
// every profile a learner sends with it before anything else sees the profile. The compiler for the
// launcher (server/seccomp) starts from a profile this schema accepted.
//
// Where moby refuses something, the message is moby's; where isolab refuses more than moby (an agent
// for SCMP_ACT_NOTIFY, an unknown capability name in a filter), the message says why.
import { z } from 'zod';
import { CAPABILITIES } from './capabilities.js';

/**
 * A profile travels as one socket message: 256 KiB of JSON is twenty times Docker's default
 * profile (13 KiB), and bounded so one learner cannot make the server parse megabytes.
 */
export const MAX_SECCOMP_PROFILE_BYTES = 256 * 1024;

/** Actions, as Docker (and the OCI runtime spec) spell them. */
export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

/** Argument comparisons (libseccomp's scmp_compare). */
export const SECCOMP_OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
export type SeccompOperator = (typeof SECCOMP_OPERATORS)[number];

/** The runtime spec's architecture names (libseccomp's, with SCMP_ARCH_ in front). */
export const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
] as const;
export type SeccompArch = (typeof SECCOMP_ARCHES)[number];

/** seccomp(2) filter flags a profile may ask for. */
export const SECCOMP_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] as const;

const expected = (what: string, values: readonly string[]) => ({ error: `unknown ${what} (expected one of ${values.join(', ')})` });
const Action = z.enum(SECCOMP_ACTIONS, expected('action', SECCOMP_ACTIONS));
const Arch = z.enum(SECCOMP_ARCHES, expected('architecture', SECCOMP_ARCHES));

/** An integer in [min, max], with one message whatever is wrong with it. */
const integer = (min: number, max: number, message = `must be an integer from ${min} to ${max}`) =>
  z.number().refine((n) => Number.isInteger(n) && n >= min && n <= max, { message });
/** A value JavaScript holds exactly: JSON.parse rounds integers past 2^53, which would silently change a mask. */
const U64 = integer(0, Number.MAX_SAFE_INTEGER);
/** SECCOMP_RET_DATA is 16 bits: the errno (or the tracer's value) the kernel returns. */
const RetData = integer(0, 0xffff);
const SyscallName = z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be a syscall name (lower-case letters, digits, "_")');

const Arg = z
  .object({
    index: integer(0, 5, 'must be an argument index from 0 to 5'),
    value: U64,
    valueTwo: U64.optional(),
    op: z.enum(SECCOMP_OPERATORS, expected('operator', SECCOMP_OPERATORS)),
  })
  .strict();

/** "<kernel>.<major>", as moby's KernelVersion.UnmarshalJSON takes it (each part 0-255, not "0.0"). */
const KernelVersion = z
  .string()
  .regex(/^(\d{1,3}\.\d{1,3})?$/, 'invalid kernel version, expected "<kernel>.<major>"')
  .refine((v) => v === '' || (v.split('.').every((n) => Number(n) <= 255) && v !== '0.0'), 'invalid kernel version, expected "<kernel>.<major>"');

/** Conditions on a rule: the container's capabilities, its architecture (moby's names: amd64, arm64…), the kernel. */
const Filter = z
  .object({
    // Docker would silently ignore a misspelt capability; isolab names it instead.
    caps: z.array(z.enum(CAPABILITIES.map((c) => `CAP_${c}`) as [string, ...string[]], { error: 'unknown capability (names like "CAP_SYS_ADMIN")' })).nullish(),
    arches: z.array(z.string().regex(/^[a-z0-9]{1,16}$/, 'an architecture as Go names it, e.g. "amd64", "arm64", "x86"')).nullish(),
    minKernel: KernelVersion.nullish(),
  })
  .strict();

const Syscall = z
  .object({
    names: z.array(SyscallName).nullish(),
    /** Deprecated single-name form, still accepted by Docker. */
    name: SyscallName.optional(),
    action: Action,
    errnoRet: RetData.nullish(),
    args: z.array(Arg).nullish(),
    comment: z.string().optional(),
    includes: Filter.nullish(),
    excludes: Filter.nullish(),
  })
  .strict();

export const SeccompProfile = z
  .object({
    defaultAction: Action.optional(),
    defaultErrnoRet: RetData.nullish(),
    architectures: z.array(Arch).nullish(),
    archMap: z.array(z.object({ architecture: Arch, subArchitectures: z.array(Arch).nullish() }).strict()).nullish(),
    flags: z.array(z.enum(SECCOMP_FLAGS, expected('flag', SECCOMP_FLAGS))).nullish(),
    listenerPath: z.string().optional(),
    listenerMetadata: z.string().optional(),
    syscalls: z.array(Syscall).nullish(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (p.architectures?.length && p.archMap?.length) {
      problem([], "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
    }
    if (p.listenerPath) problem(['listenerPath'], 'a seccomp agent (SCMP_ACT_NOTIFY) is not supported: isolab runs none');
    if (!p.defaultAction && p.syscalls?.length) problem(['defaultAction'], 'required when syscalls are listed');
    if (p.defaultAction === 'SCMP_ACT_NOTIFY') problem(['defaultAction'], 'SCMP_ACT_NOTIFY needs a seccomp agent, which isolab does not run');
    p.flags?.forEach((f, i) => {
      if (f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV') problem(['flags', i], 'only applies to SCMP_ACT_NOTIFY, which isolab does not support');
    });
    p.syscalls?.forEach((s, i) => {
      if (s.name && s.names?.length) {
        problem(['syscalls', i], "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
      } else if (!s.name && !s.names?.length) {
        problem(['syscalls', i, 'names'], 'at least one syscall name is required');
      }
      if (s.action === 'SCMP_ACT_NOTIFY') problem(['syscalls', i, 'action'], 'SCMP_ACT_NOTIFY needs a seccomp agent, which isolab does not run');
      if (s.errnoRet != null && s.action !== 'SCMP_ACT_ERRNO' && s.action !== 'SCMP_ACT_TRACE') {
        problem(['syscalls', i, 'errnoRet'], 'only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE');
      }
    });
  });
export type SeccompProfile = z.infer<typeof SeccompProfile>;

/** The size the profile takes as UTF-8 JSON (what the size limit counts). */
export function seccompProfileBytes(profile: unknown): number {
  return utf8Length(JSON.stringify(profile) ?? '');
}

/** UTF-8 byte length without TextEncoder (common/ sees neither the DOM's nor Node's globals). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}
