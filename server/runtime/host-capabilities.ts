// What this (root) process holds, read once from /proc/self/status: a container it starts or
// describes can have no capability beyond it (runc fails with EPERM when asked for one).
import { readFileSync } from 'node:fs';
import { capabilityName, decodeCapabilityMask, type Capability } from '../../common/capabilities.js';

/** The capabilities of one of this process's sets (CapBnd: what "all capabilities" can mean). */
export function ownCapabilities(set: 'CapBnd' | 'CapPrm' = 'CapBnd'): Capability[] {
  const mask = new RegExp(`^${set}:\\s*([0-9a-f]+)$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  return decodeCapabilityMask(mask).filter((name): name is Capability => capabilityName(name) !== undefined);
}
