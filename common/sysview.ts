// What the C sysview (native/probe/sysview.c) prints as one JSON object: the comparison panel's
// questions that the probe does not ask (memory and CPUs as the usual tools see them, /dev, kernel
// modules, the kernel log, the hypervisor bit, and a sweep over every system call number).
import { z } from 'zod';
import { ERRNO } from './errno.js';

export const SYSVIEW_FORMAT_VERSION = 1;

const Names = z.object({ count: z.number().int().nonnegative(), names: z.array(z.string()) });

export const SysviewReport = z.object({
  sysview: z.literal(SYSVIEW_FORMAT_VERSION),
  /** /proc/meminfo's MemTotal and MemAvailable (-1 when absent). */
  memory: z.object({ totalKiB: z.number().int(), availableKiB: z.number().int() }),
  /** Online CPUs (sysconf) and the affinity mask's size (what nproc prints). */
  cpus: z.object({ online: z.number().int(), affinity: z.number().int() }),
  devices: Names,
  modulesReadable: z.boolean(),
  modules: Names,
  dmesg: z.object({ readable: z.boolean(), errno: z.number().int(), lines: z.number().int(), first: z.string(), last: z.string() }),
  /** /proc/cpuinfo's "hypervisor" flag, CPUID's bit, and the hypervisor's CPUID signature. */
  hypervisor: z.object({ cpuinfoFlag: z.boolean(), cpuidBit: z.boolean(), vendor: z.string() }),
  syscalls: z.object({
    arch: z.string(),
    /** false when the sweep was cut short (a call blocked) or the architecture is not swept. */
    complete: z.boolean(),
    tried: z.number().int().optional(),
    enosys: z.number().int().optional(),
    eperm: z.number().int().optional(),
    succeeded: z.number().int().optional(),
    /** errno per system call number (0 = it succeeded). */
    errno: z.record(z.string(), z.number().int()).optional(),
    skipped: z.array(z.number().int()).optional(),
  }),
});
export type SysviewReport = z.infer<typeof SysviewReport>;

const { ENOSYS, EPERM } = ERRNO;

/**
 * How many calls the host's kernel implements but `place` refuses (ENOSYS or EPERM where the host
 * got anything else): the sandbox's filter, or a kernel (gVisor's, an older guest's) that lacks them.
 */
export function refusedComparedTo(place: SysviewReport, host: SysviewReport): number | null {
  const mine = place.syscalls.errno;
  const base = host.syscalls.errno;
  if (!mine || !base) return null;
  let refused = 0;
  for (const [nr, errno] of Object.entries(mine)) {
    const hostErrno = base[nr];
    if (hostErrno === undefined || hostErrno === ENOSYS || hostErrno === EPERM) continue;
    if (errno === ENOSYS || errno === EPERM) refused++;
  }
  return refused;
}

/**
 * Calls that got a real answer (anything but ENOSYS or EPERM): past every filter and permission
 * check to an implementation — the host's kernel, gVisor's Sentry, or the guest's kernel.
 */
export function answered(report: SysviewReport): number | null {
  const s = report.syscalls;
  if (s.tried === undefined || s.enosys === undefined || s.eperm === undefined) return null;
  return s.tried - s.enosys - s.eperm;
}
