// A Docker-format seccomp profile resolved for one container, the way moby does it before handing
// the container to runc (moby/profiles seccomp_linux.go, setupSeccomp): the result is the OCI
// runtime-spec's `linux.seccomp`. The OCI exporter writes it into config.json as it is; the
// server's compiler (server/runtime/seccomp/profile.ts) turns it into the launcher's line format, as runc
// turns it into a filter. Pure, so the page can show what a profile means for the current settings.
// The profile's format (and its checks) is common/seccomp-profile.ts.
import type { SeccompProfile } from './seccomp-profile.js';

type SeccompRule = NonNullable<SeccompProfile['syscalls']>[number];

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

/** The runtime-spec's `linux.seccomp` (config-linux.md). */
export interface OciSeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls: OciSeccompRule[];
}

/** The container a profile is resolved for. */
export interface SeccompTarget {
  /** Its architecture as profiles name it (moby's: "amd64", "arm64", ...). */
  arch: string;
  /** Its bounding capability set, as CAP_ names (what --cap-drop/--cap-add leave). */
  capabilities: readonly string[];
  /** The kernel's release (uname -r): minKernel compares its first two numbers. */
  kernelRelease: string;
}

/** moby's architecture names (its goToNative values) → the runtime-spec's (its nativeToSeccomp). */
export const NATIVE_TO_SCMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loongarch64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** `uname -m` (what the probe reports as kernel.machine) → moby's name for the architecture. */
const MACHINE_TO_NATIVE: Record<string, string> = {
  x86_64: 'amd64',
  i386: 'x86',
  i686: 'x86',
  aarch64: 'arm64',
  armv7l: 'arm',
  loongarch64: 'loongarch64',
  mips64: 'mips64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390x: 's390x',
};

export function archOfMachine(machine: string): string {
  const arch = MACHINE_TO_NATIVE[machine];
  if (!arch) throw new Error(`seccomp profile: unknown machine "${machine}" (known: ${Object.keys(MACHINE_TO_NATIVE).join(', ')})`);
  return arch;
}

/** "6.18.0-1-amd64" ≥ "4.8"? (kernel and major number, as moby compares minKernel). */
function kernelAtLeast(release: string, minKernel: string): boolean {
  const have = /^(\d+)\.(\d+)/.exec(release);
  if (!have) throw new Error(`seccomp profile: cannot read a kernel version from ${JSON.stringify(release)}`);
  const [kernel, major] = minKernel.split('.').map(Number) as [number, number];
  return Number(have[1]) > kernel || (Number(have[1]) === kernel && Number(have[2]) >= major);
}

/** moby: a rule is left out when an exclude matches or an include does not. */
function ruleApplies(rule: SeccompRule, t: SeccompTarget): boolean {
  const ex = rule.excludes;
  if (ex) {
    if (ex.arches?.includes(t.arch)) return false;
    if (ex.caps?.some((c) => t.capabilities.includes(c))) return false;
    if (ex.minKernel && kernelAtLeast(t.kernelRelease, ex.minKernel)) return false;
  }
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(t.arch)) return false;
    if (inc.caps?.some((c) => !t.capabilities.includes(c))) return false;
    if (inc.minKernel && !kernelAtLeast(t.kernelRelease, inc.minKernel)) return false;
  }
  return true;
}

/**
 * The profile (checked by SeccompProfile) resolved for one container: the listed architectures, or
 * the archMap entry of this machine with its sub-architectures (on x86-64: x86 for int 0x80, and
 * x32); each rule kept or left out by its includes/excludes (architecture, every capability in the
 * bounding set, kernel version); `name` made `names`. null when the profile asks for no filter at
 * all (no defaultAction, which the schema allows only without rules: docker then runs the
 * container without seccomp).
 */
export function dockerSeccompToOci(profile: SeccompProfile, target: SeccompTarget): OciSeccomp | null {
  if (!profile.defaultAction) return null;
  const out: OciSeccomp = { defaultAction: profile.defaultAction, syscalls: [] };
  if (profile.defaultErrnoRet != null) out.defaultErrnoRet = profile.defaultErrnoRet;
  const arches: string[] = [...(profile.architectures ?? [])];
  const mapped = profile.archMap?.find((a) => a.architecture === NATIVE_TO_SCMP[target.arch]);
  if (mapped) arches.push(mapped.architecture, ...(mapped.subArchitectures ?? []));
  if (arches.length) out.architectures = arches;
  if (profile.flags?.length) out.flags = [...profile.flags];

  for (const rule of profile.syscalls ?? []) {
    if (!ruleApplies(rule, target)) continue;
    const resolved: OciSeccompRule = { names: rule.names?.length ? [...rule.names] : [rule.name!], action: rule.action };
    if (rule.errnoRet != null) resolved.errnoRet = rule.errnoRet;
    if (rule.args?.length) resolved.args = rule.args.map((a) => ({ ...a }));
    out.syscalls.push(resolved);
  }
  return out;
}
