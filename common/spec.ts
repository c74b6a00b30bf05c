// The container settings: one typed model used by lessons, the toggle board, `isolab run`,
// and the launcher's command line. Imported by both server and web, so it imports neither.
import { z } from 'zod';

/** Namespaces the launcher can create, in the order the kernel documentation lists them. */
export const NAMESPACE_KINDS = ['mount', 'uts', 'ipc', 'pid', 'net'] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

/** Names of the entries in /proc/PID/ns, which is what the inspector compares. */
export const PROC_NS_NAMES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'] as const;
export type ProcNsName = (typeof PROC_NS_NAMES)[number];

// RFC 1123 host label: what sethostname accepts and what every tool can print back.
const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export const ContainerSpec = z
  .object({
    namespaces: z
      .object({
        mount: z.boolean(),
        uts: z.boolean(),
        ipc: z.boolean(),
        pid: z.boolean(),
        net: z.boolean(),
      })
      .strict(),
    /** Own root filesystem: a throwaway copy-on-write view of the busybox image, entered with pivot_root. */
    rootfs: z.boolean(),
    hostname: z.string().regex(HOSTNAME_RE, 'hostname must be 1–63 letters, digits or "-", not starting or ending with "-"'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.rootfs && !spec.namespaces.mount) {
      ctx.addIssue({
        code: 'custom',
        path: ['rootfs'],
        message: 'an own root filesystem needs the mount namespace (pivot_root only works on a private mount tree)',
      });
    }
  });
export type ContainerSpec = z.infer<typeof ContainerSpec>;

/** Everything off: a plain process on the host. Lesson 0 starts here. */
export const PLAIN_PROCESS: ContainerSpec = {
  namespaces: { mount: false, uts: false, ipc: false, pid: false, net: false },
  rootfs: false,
  hostname: 'isolab',
};

/** Everything this version can switch, on. */
export const FULL_ISOLATION: ContainerSpec = {
  namespaces: { mount: true, uts: true, ipc: true, pid: true, net: true },
  rootfs: true,
  hostname: 'isolab',
};

/** The switches on the toggle board, in teaching order. */
export const TOGGLE_IDS = ['uts', 'pid', 'mount', 'ipc', 'net', 'rootfs'] as const;
export type ToggleId = (typeof TOGGLE_IDS)[number];

export const TOGGLES: Record<ToggleId, { label: string; summary: string }> = {
  uts: { label: 'UTS namespace', summary: 'own hostname' },
  pid: { label: 'PID namespace', summary: 'own process numbers; the shell is PID 1' },
  mount: { label: 'Mount namespace', summary: 'own mount table; fresh /proc' },
  ipc: { label: 'IPC namespace', summary: 'own System V IPC and POSIX message queues' },
  net: { label: 'Network namespace', summary: 'own network stack: only a loopback device' },
  rootfs: { label: 'Own root filesystem', summary: 'pivot_root into a copy-on-write busybox image' },
};

export function isToggleOn(spec: ContainerSpec, id: ToggleId): boolean {
  return id === 'rootfs' ? spec.rootfs : spec.namespaces[id];
}

/**
 * Flip one switch and keep the settings valid: the root filesystem needs the mount namespace,
 * so turning rootfs on turns mount on, and turning mount off turns rootfs off.
 * Returns the new settings and the human-readable list of what changed (for the terminal banner).
 */
export function applyToggle(spec: ContainerSpec, id: ToggleId, on: boolean): { spec: ContainerSpec; changes: string[] } {
  const next: ContainerSpec = { ...spec, namespaces: { ...spec.namespaces } };
  if (id === 'rootfs') next.rootfs = on;
  else next.namespaces[id] = on;
  if (id === 'rootfs' && on) next.namespaces.mount = true;
  if (id === 'mount' && !on) next.rootfs = false;
  return { spec: next, changes: describeChanges(spec, next) };
}

/** "UTS namespace on", "Own root filesystem off", … for every switch that differs. */
export function describeChanges(before: ContainerSpec, after: ContainerSpec): string[] {
  const changes: string[] = [];
  for (const id of TOGGLE_IDS) {
    const was = isToggleOn(before, id);
    const now = isToggleOn(after, id);
    if (was !== now) changes.push(`${TOGGLES[id].label} ${now ? 'on' : 'off'}`);
  }
  if (before.hostname !== after.hostname) changes.push(`hostname ${after.hostname}`);
  return changes;
}
