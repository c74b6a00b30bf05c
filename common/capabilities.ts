// Linux capability names (without the CAP_ prefix, as docker spells them), in kernel bit order:
// the index of a name here is its bit in /proc/PID/status Cap* masks (include/uapi/linux/capability.h).
export const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID',
  'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/**
 * What `docker run` keeps by default: moby's oci/caps/defaults.go (DefaultCapabilities), 14 names.
 * Everything else, CAP_SYS_ADMIN first of all, is dropped.
 */
export const DOCKER_DEFAULT_CAPABILITIES: readonly Capability[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

/**
 * Capabilities the kernel honours only in the initial user namespace (it checks them with
 * capable(), never ns_capable()): root in a container's own user namespace holds them on paper and
 * can do nothing with them. Docker's seccomp profile opens system calls for some of them (moby's
 * includes: init_module for SYS_MODULE, bpf for BPF, settimeofday for SYS_TIME, ...), so compiling
 * it as if they were held would let those calls run their code up to the capability check. Each
 * with the check that makes it so: SYS_MODULE (init_module, delete_module), SYS_RAWIO (iopl,
 * ioperm), SYS_PACCT (acct), SYS_TIME (settimeofday, clock_settime: cap_settime), SYS_TTY_CONFIG
 * (vhangup), SYSLOG (syslog: check_syslog_permissions), BPF (bpf_capable), PERFMON
 * (perfmon_capable).
 */
export const INITIAL_USER_NAMESPACE_ONLY: readonly Capability[] = [
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_PACCT', 'SYS_TIME', 'SYS_TTY_CONFIG', 'SYSLOG', 'BPF', 'PERFMON',
];

/** "cap_net_admin", "NET_ADMIN", "CAP_NET_ADMIN" → "NET_ADMIN"; undefined when not a capability. */
export function capabilityName(input: string): Capability | undefined {
  const name = input.trim().toUpperCase().replace(/^CAP_/, '');
  return (CAPABILITIES as readonly string[]).includes(name) ? (name as Capability) : undefined;
}

/** Decodes a /proc/PID/status capability mask (hex) into names, in bit order. */
export function decodeCapabilityMask(hex: string): string[] {
  let mask = BigInt(`0x${hex.trim() || '0'}`);
  const names: string[] = [];
  for (let bit = 0; mask > 0n; bit++, mask >>= 1n) {
    if (mask & 1n) names.push(CAPABILITIES[bit] ?? `bit ${bit}`);
  }
  return names;
}
