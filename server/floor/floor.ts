// The floor: what a workshop server keeps on beneath whatever a lesson, a switch, the Settings
// editor or an instructor asks for. Every path that changes a shell's settings goes through here
// where the change runs (the session), whatever the page already greyed out.
import type { FieldIssue } from '../../common/protocol.js';
import { TOGGLES, applyToggle, isToggleOn, type ContainerSpec, type ToggleId } from '../../common/spec.js';
import { LabError } from '../base/errors.js';
import { capToCeilings, refuseAboveCeilings, usernsLimits, type Ceilings } from './ceilings.js';

/**
 * In workshop mode the shared server never hands out a shell without these. The user namespace is
 * the heart of it: root inside is an unprivileged uid outside (each learner their own range, made
 * by that uid), so the capabilities a learner holds inside reach only namespaces their container
 * owns — they can still rename their container, mount a tmpfs or unshare in a lesson, but not
 * touch the host. On top: own root and /proc, docker's masked paths and seccomp profile,
 * no_new_privs, cgroup limits so one learner's fork bomb or memory hog stays in their own
 * container, and an own cgroup namespace (off would share the host's: a learner's container can
 * join no namespace of their machine's there, see learner-machine.ts). The page shows the lock.
 *
 * The network, IPC and UTS switches stay the learner's: off shares their machine's
 * (runtime/learner-machine.ts), never the host's. So does no_new_privs (lesson 13): in a user
 * namespace of the learner's own, a set-user-ID-root program makes its caller root of that
 * namespace — what every workshop shell is to begin with — and never more (the image is idmapped:
 * its root-owned files belong to the container's root, and file capabilities are honoured only
 * inside the namespace). Off, it takes nothing from the floor.
 */
export const FLOOR_TOGGLES: readonly ToggleId[] = ['mount', 'pid', 'rootfs', 'user', 'masked', 'limits', 'seccomp', 'cgroupns'];
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

/**
 * A workshop learner's machine (runtime/learner-machine.ts) is named this: what a shell with the
 * UTS namespace switched off sees as the hostname. Every learner's machine has the same name, in
 * a UTS namespace of its own.
 */
export const MACHINE_HOSTNAME = 'my-machine';

/**
 * What each workshop container's user namespace may hold (/proc/sys/user's max_*, written by the
 * launcher as the namespace's root before anything of the learner's runs; counted for every
 * namespace made inside it too). The lessons make at most a few of each — lesson 10 nests a user
 * namespace or two, lesson 3 a mount namespace, `unshare` in a shell one of each — so a handful
 * is plenty; the kernel's defaults (tens of thousands) are for a whole host. Inotify instances and
 * watches are the operator's ceilings (ceilings.ts usernsLimits, --learner-inotify-*), written the
 * same way beside these.
 */
export const FLOOR_USERNS_LIMITS: Readonly<Record<string, number>> = {
  max_user_namespaces: 8,
  max_mnt_namespaces: 32,
  max_pid_namespaces: 8,
  max_net_namespaces: 8,
  max_ipc_namespaces: 8,
  max_uts_namespaces: 8,
  max_cgroup_namespaces: 8,
  max_time_namespaces: 8,
  max_fanotify_groups: 0,
  max_fanotify_marks: 0,
};

/** What a workshop learner's machine writes into each container's user namespace: the floor's namespace counts and the operator's inotify ceilings. */
export function machineUsernsLimits(ceilings: Ceilings): Record<string, number> {
  return { ...FLOOR_USERNS_LIMITS, ...usernsLimits(ceilings) };
}
