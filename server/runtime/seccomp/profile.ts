// Docker-format seccomp profiles (what `docker run --security-opt seccomp=FILE` takes, and moby's
// profiles/seccomp/default.json) checked with zod, then compiled for one container into the plain
// line format the launcher reads (`--seccomp FILE` / `--seccomp-fd N`; native/README.md).
//
// Compiling first resolves what Docker resolves per container (common/seccomp.ts, moby's
// setupSeccomp: the architectures from archMap for this machine, and each rule's includes/excludes
// against the container's architecture, capabilities and kernel version — the same step the OCI
// exporter writes into config.json). It then does what runc does when it loads that: one rule per
// syscall name, the default errno EPERM, and arguments compared more than once on the same index
// split into separate rules. What is left to the launcher is what only libseccomp knows: syscall
// numbers per architecture.
import type { z } from 'zod';
import { SeccompProfile } from '../../../common/seccomp-profile.js';
import { dockerSeccompToOci, type SeccompTarget } from '../../../common/seccomp.js';

export type { SeccompTarget };

/** The line format's first line; the launcher refuses anything else. */
export const SECCOMP_FORMAT_HEADER = 'isolab-seccomp 1';

/** Docker's action names → the line format's (errno/trace carry their number after ':'). */
const ACTIONS = {
  SCMP_ACT_KILL: 'kill_thread',
  SCMP_ACT_KILL_THREAD: 'kill_thread',
  SCMP_ACT_KILL_PROCESS: 'kill_process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_TRACE: 'trace',
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_LOG: 'log',
  SCMP_ACT_NOTIFY: 'notify',
} as const;
type DockerAction = keyof typeof ACTIONS;

const OPERATORS = {
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_MASKED_EQ: 'masked_eq',
} as const;

/** The runtime-spec's architecture names → libseccomp's (seccomp_arch_resolve_name). */
const ARCHES = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_LOONGARCH64: 'loongarch64',
  SCMP_ARCH_M68K: 'm68k',
  SCMP_ARCH_SH: 'sh',
  SCMP_ARCH_SHEB: 'sheb',
} as const;
type ScmpArch = keyof typeof ARCHES;

/** Node's process.arch → moby's name for it, which is what profiles' includes/excludes "arches" say. */
const NODE_TO_NATIVE: Record<string, string> = {
  x64: 'amd64',
  ia32: 'x86',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips: 'mips',
  mipsel: 'mipsle',
  ppc: 'ppc',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

/** This machine's architecture as profiles name it ("amd64" on x86-64). */
export function nativeArch(nodeArch: string = process.arch): string {
  return NODE_TO_NATIVE[nodeArch] ?? nodeArch;
}

// ---- the Docker format ----
// The schema is common/seccomp-profile.ts, shared with the page (the seccomp editor builds its JSON
// Schema from it), so what the editor marks and what the server refuses cannot drift apart.
export { SeccompProfile };

/** A profile that cannot be used; the message names the field ("syscalls[3].action: ..."). */
export class SeccompProfileError extends Error {
  override name = 'SeccompProfileError';
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  let message: string;
  switch (issue.code) {
    case 'invalid_type':
      message = `expected ${issue.expected}`;
      break;
    case 'unrecognized_keys':
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      break;
    case 'invalid_format':
    case 'custom':
      message = issue.message;
      break;
    default:
      message = issue.message;
  }
  const where = formatPath(issue.path);
  return where ? `${where}: ${message}` : message;
}

/** Checks a Docker-format profile (already parsed from JSON). Throws SeccompProfileError. */
export function parseSeccompProfile(input: unknown): SeccompProfile {
  const result = SeccompProfile.safeParse(input);
  if (!result.success) throw new SeccompProfileError(`seccomp profile: ${result.error.issues.map(formatIssue).join('; ')}`);
  return result.data;
}

/** The same, from the profile's JSON text. */
export function parseSeccompProfileJson(text: string): SeccompProfile {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new SeccompProfileError(`seccomp profile: not valid JSON: ${(e as Error).message}`);
  }
  return parseSeccompProfile(input);
}

// ---- compiling for one container ----

/** runc's defaults: SCMP_ACT_ERRNO and SCMP_ACT_TRACE without a number return EPERM. */
function actionToken(action: string, ret: number | null | undefined): string {
  const token = ACTIONS[action as DockerAction];
  return token === 'errno' || token === 'trace' ? `${token}:${ret ?? 1}` : token;
}

/**
 * The profile compiled for one container, in the launcher's line format; null when the profile
 * asks for no filter at all (no defaultAction and no syscalls: Docker then disables seccomp).
 */
export function compileSeccompProfile(profile: SeccompProfile, target: SeccompTarget): string | null {
  let resolved;
  try {
    resolved = dockerSeccompToOci(profile, target);
  } catch (e) {
    throw new SeccompProfileError((e as Error).message);
  }
  if (!resolved) return null;
  const lines = [SECCOMP_FORMAT_HEADER, `default ${actionToken(resolved.defaultAction, resolved.defaultErrnoRet)}`];

  // On x86-64 the archMap gives x86 (int 0x80) and x32 too, whose syscalls would otherwise bypass the filter.
  for (const arch of new Set(resolved.architectures)) lines.push(`arch ${ARCHES[arch as ScmpArch]}`);

  for (const flag of resolved.flags ?? []) {
    if (flag === 'SECCOMP_FILTER_FLAG_LOG') lines.push('flag log');
    if (flag === 'SECCOMP_FILTER_FLAG_SPEC_ALLOW') lines.push('flag spec_allow');
    // TSYNC synchronises a filter across threads; the launcher has one thread.
  }

  for (const rule of resolved.syscalls) {
    const action = actionToken(rule.action, rule.errnoRet);
    const args = (rule.args ?? []).map((a) => `${a.index}:${OPERATORS[a.op as keyof typeof OPERATORS]}:${a.value}:${a.valueTwo ?? 0}`);
    // runc: when one argument index is compared twice, each comparison becomes a rule of its own
    // (OR) instead of all of them together (AND), which could never match.
    const indexes = (rule.args ?? []).map((a) => a.index);
    const groups = new Set(indexes).size < indexes.length ? args.map((a) => [a]) : [args];
    for (const name of rule.names) {
      for (const group of groups) lines.push(['syscall', name, action, ...group].join(' '));
    }
  }
  return lines.join('\n') + '\n';
}
