// Where isolab's built artefacts live. One place, so tests, the CLI and the server agree.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LabPaths {
  launcher: string;
  probe: string;
  /** The comparison panel's second probe (native/probe/sysview.c). */
  sysview: string;
  addon: string;
  rootfs: string;
  lessons: string;
  /** Scripted demos for presenter mode (docs/demos.md). */
  demos: string;
  web: string;
  /** Per-container state on the host (overlay upper directories): on tmpfs, gone at reboot. */
  containers: string;
  /** moby's default seccomp profile, Docker format. */
  dockerSeccompProfile: string;
  /** The launcher's C sources, which the code view shows (native/launcher). */
  launcherSource: string;
  /** Where the server keeps what it writes (the progress database): $ISOLAB_DATA_DIR, else .isolab/ in the checkout. */
  data: string;
  /** The comparison VM's kernel and initramfs (scripts/vm-image.mjs): vm.json, or UNAVAILABLE with the reason. */
  vmDir: string;
  /** What each running server owns on the host, for the next one to reap after a crash (runtime/instance-ledger.ts): on tmpfs. */
  instances: string;
  /** Runtime state of the comparison's VMs and gVisor sandboxes (sockets, bundles): on tmpfs. */
  compareRun: string;
}

export function defaultPaths(root = REPO_ROOT): LabPaths {
  const release = join(root, 'native', 'build', 'Release');
  return {
    launcher: join(release, 'isolab-launcher'),
    probe: join(release, 'isolab-probe'),
    sysview: join(release, 'isolab-sysview'),
    addon: join(release, 'introspect.node'),
    rootfs: join(root, 'build', 'rootfs'),
    lessons: join(root, 'lessons'),
    demos: join(root, 'demos'),
    web: join(root, 'build', 'web'),
    containers: '/run/isolab/containers',
    dockerSeccompProfile: join(root, 'profiles', 'seccomp', 'docker-default.json'),
    launcherSource: join(root, 'native', 'launcher'),
    data: process.env['ISOLAB_DATA_DIR'] || join(root, '.isolab'),
    vmDir: join(root, 'build', 'vm'),
    compareRun: '/run/isolab/compare',
    instances: '/run/isolab/instances',
  };
}
