// The floor: what a workshop server keeps on beneath whatever a lesson, a switch, the Settings
// editor or an instructor asks for. Every path that changes a shell's settings goes through here
// where the change runs (the session), whatever the page already greyed out.
import type { FieldIssue } from '../../common/protocol.js';
import { TOGGLES, applyToggle, isToggleOn, type ContainerSpec, type ToggleId } from '../../common/spec.js';
import { LabError } from '../base/errors.js';
import { capToCeilings, refuseAboveCeilings, type Ceilings } from './ceilings.js';

/**
 * In workshop mode the shared server never hands out a shell without these. The user namespace is
 * the heart of it: root inside is an unprivileged uid outside (each container its own range), so
 * the capabilities a learner holds inside reach only namespaces their container owns — they can
 * still rename their container, mount a tmpfs or unshare in a lesson, but not touch the host. On top:
 * own root and /proc, docker's masked paths and seccomp profile, no_new_privs, and cgroup limits so
 * one learner's fork bomb or memory hog stays in their own container. The page shows the lock.
 */
export const FLOOR_TOGGLES: readonly ToggleId[] = ['mount', 'pid', 'rootfs', 'user', 'masked', 'limits', 'seccomp', 'nnp'];
/** Where each switch lives in the settings, to point at it when an edit turns a locked one off. */
export const TOGGLE_FIELD: Record<ToggleId, (string | number)[]> = {
  uts: ['namespaces', 'uts'],
  pid: ['namespaces', 'pid'],
  mount: ['namespaces', 'mount'],
  ipc: ['namespaces', 'ipc'],
  net: ['namespaces', 'net'],
  user: ['namespaces', 'user'],
  cgroupns: ['namespaces', 'cgroup'],
  rootfs: ['rootfs'],
  readonly: ['filesystem', 'readOnly'],
  masked: ['filesystem', 'maskedPaths'],
  limits: ['resources', 'cgroup'],
  bridge: ['network', 'mode'],
  caps: ['capabilities'],
  nnp: ['noNewPrivs'],
  seccomp: ['seccomp'],
  landlock: ['landlock', 'enabled'],
};

/**
 * A workshop shell always gets pivot_root. Under chroot the container's mount namespace still holds
 * the host's whole tree, and a root with CAP_SYS_CHROOT climbs out to it (lesson 4): even as an
 * unprivileged uid, it would read the host's world-readable files and every process's command line
 * in the host's /proc, and write to the host's world-writable directories (/dev/shm, /var/tmp).
 */
export function floorRootMode(spec: ContainerSpec): ContainerSpec {
  if (!spec.rootfs || spec.filesystem.rootMode === 'pivot') return spec;
  return { ...spec, filesystem: { ...spec.filesystem, rootMode: 'pivot' } };
}

/**
 * SPEC raised to the floor: every floor switch on, pivot_root for an own root, and every limit
 * at most its ceiling (a missing one at the ceiling). A switch already on is left as it is: turned
 * on again, "cgroup limits" would bring the teaching limits in place of the learner's nulls.
 */
export function raiseToFloor(spec: ContainerSpec, ceilings: Ceilings): ContainerSpec {
  let floored = spec;
  for (const id of FLOOR_TOGGLES) if (!isToggleOn(floored, id)) floored = applyToggle(floored, id, true).spec;
  return capToCeilings(floorRootMode(floored), ceilings);
}

/** Throws `forbidden`, naming each field, when SPEC (a whole Settings apply) is below the floor or above a ceiling. */
export function refuseBelowFloor(spec: ContainerSpec, ceilings: Ceilings): void {
  const below = FLOOR_TOGGLES.filter((id) => !isToggleOn(spec, id));
  if (below.length) {
    const issues: FieldIssue[] = below.map((id) => ({
      path: ['spec', ...TOGGLE_FIELD[id]],
      message: `this workshop server keeps "${TOGGLES[id].label}" on for everyone's safety`,
    }));
    throw new LabError('forbidden', `this workshop server keeps ${below.map((id) => `"${TOGGLES[id].label}"`).join(', ')} on for everyone's safety`, undefined, issues);
  }
  if (floorRootMode(spec) !== spec) {
    const message = 'this workshop server always uses pivot_root: under chroot the host\'s files are one climb away (lesson 4)';
    throw new LabError('forbidden', message, undefined, [{ path: ['spec', 'filesystem', 'rootMode'], message }]);
  }
  refuseAboveCeilings(spec, ceilings);
}
