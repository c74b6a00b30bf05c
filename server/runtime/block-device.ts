// The disk behind the image, for block I/O limits: cgroups throttle a device by "MAJ:MIN", docker
// names it by path (--device-write-bps /dev/vda:1mb), so both directions live here.
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * "MAJ:MIN" of the whole disk holding a directory: cgroup I/O throttling applies to disks, not to
 * partitions (v2's io.max refuses a partition). null when it lives on no block device (tmpfs,
 * overlay), in which case block I/O limits cannot apply and are left out.
 */
export function imageDisk(dir: string): string | null {
  const dev = statSync(dir).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (!existsSync(sys)) return null;
  if (existsSync(`${sys}/partition`)) {
    // /sys/dev/block/8:1 → ../../devices/.../sda/sda1: the parent directory is the disk.
    const parent = basename(readlinkSync(sys).split('/').slice(0, -1).join('/'));
    const disk = `/sys/class/block/${parent}/dev`;
    return existsSync(disk) ? readFileSync(disk, 'utf8').trim() : null;
  }
  return `${major}:${minor}`;
}

/** "MAJ:MIN" → the device's path (/dev/vda), which is how docker names a disk. */
export function blockDevicePath(majorMinor: string | null): string | undefined {
  if (!majorMinor) return undefined;
  try {
    const name = /^DEVNAME=(.+)$/m.exec(readFileSync(`/sys/dev/block/${majorMinor}/uevent`, 'utf8'))?.[1];
    return name ? `/dev/${name}` : undefined;
  } catch {
    return undefined;
  }
}

/** The cgroup version docker would use on this host: 2 where /sys/fs/cgroup is the unified hierarchy. */
export function hostCgroupVersion(): 1 | 2 {
  return existsSync('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1;
}

/**
 * What a `docker run` line needs to know of this host (common/export.ts toDockerRun): the image's
 * disk by path, and which cgroup version docker would use here.
 */
export function dockerHostFacts(imageDiskMajorMinor: string | null): { blockDevicePath?: string; hostCgroupVersion: 1 | 2 } {
  const path = blockDevicePath(imageDiskMajorMinor);
  return { ...(path ? { blockDevicePath: path } : {}), hostCgroupVersion: hostCgroupVersion() };
}
