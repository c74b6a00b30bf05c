// JSON Schemas for the settings editor, generated from the zod schemas the server validates with,
// so completion, hover and the squiggles while typing can never disagree with what Apply accepts
// (the server's zod parse stays the authority: refinements across fields exist only there).
// Built in the browser's lazily loaded editor chunk; pure, so a unit test checks it here.
import { z } from 'zod';
import { CAPABILITIES } from './capabilities.js';
import { SeccompProfile } from './seccomp-profile.js';
import { ContainerSpec, RLIMIT_NAMES } from './spec.js';

export type JsonSchema = { [key: string]: unknown };

/**
 * What each setting does, shown on hover. Keyed by dotted path; a unit test checks that every
 * path exists in the generated schema, so a renamed field cannot leave a stale text behind.
 */
export const SPEC_DESCRIPTIONS: Record<string, string> = {
  namespaces: 'Which namespaces the shell gets of its own (clone(2) flags). Off = it shares the host\'s.',
  'namespaces.mount': 'CLONE_NEWNS: an own mount table, so mounts inside do not show on the host.',
  'namespaces.uts': 'CLONE_NEWUTS: an own hostname (see "hostname").',
  'namespaces.ipc': 'CLONE_NEWIPC: own System V IPC objects and POSIX message queues.',
  'namespaces.pid': 'CLONE_NEWPID: own process numbers; the shell is PID 1 and sees only its descendants.',
  'namespaces.net': 'CLONE_NEWNET: an own network stack, with only a loopback device unless network.mode is "bridge".',
  'namespaces.user': 'CLONE_NEWUSER: root inside is an unprivileged uid outside (see "userns").',
  'namespaces.cgroup': 'CLONE_NEWCGROUP: /proc/self/cgroup shows the container\'s cgroup as the root.',
  'namespaces.time': 'CLONE_NEWTIME: own monotonic and boot-time clocks (see "timeOffsetSeconds").',
  hostname: 'The hostname set with sethostname(2) inside a UTS namespace.',
  rootfs: 'An own root filesystem: a copy-on-write overlay of the busybox image. Needs namespaces.mount.',
  filesystem: 'How the own root filesystem is set up. Needs "rootfs": true.',
  'filesystem.rootMode': '"pivot": pivot_root(2) and detach the old root. "chroot": chroot(2) only — escapable.',
  'filesystem.readOnly': 'Mount the root read-only (docker run --read-only).',
  'filesystem.tmpfs': 'Writable, size-limited tmpfs mounts (docker run --tmpfs), e.g. /tmp on a read-only root.',
  'filesystem.maskedPaths': 'Hide /proc/kcore, /proc/keys and the other paths Docker masks.',
  'filesystem.readonlyPaths': 'Mount /proc/sys, /proc/bus and the other paths Docker makes read-only.',
  userns: 'The uid/gid map of a user namespace.',
  'userns.hostId': 'Host uid/gid that root (0) inside maps to; 65536 ids from here are mapped.',
  user: 'Run as this uid:gid inside (docker run --user); null = root.',
  resources: 'The container\'s own cgroup and the limits its controllers enforce.',
  'resources.cgroup': 'An own cgroup. The limits below apply only while this is true.',
  'resources.memoryBytes': 'Memory limit in bytes (docker --memory); null = none.',
  'resources.memorySwapBytes': 'Memory plus swap in bytes (docker --memory-swap); -1 = unlimited swap.',
  'resources.cpus': 'CPUs\' worth of time per period (docker --cpus); 0.5 = half of one CPU.',
  'resources.cpuShares': 'Relative CPU weight (docker --cpu-shares).',
  'resources.cpusetCpus': 'CPUs the shell may run on, e.g. "0" or "0-1,3" (docker --cpuset-cpus).',
  'resources.pidsLimit': 'Most processes at once (docker --pids-limit): a fork bomb stops here.',
  'resources.rootfsReadBps': 'Read bandwidth limit on the disk behind the image, bytes per second.',
  'resources.rootfsWriteBps': 'Write bandwidth limit on the disk behind the image, bytes per second.',
  'resources.devices': 'Device access: Docker\'s default allow list, or every device.',
  'resources.deviceRules': 'Extra device rules as docker --device-cgroup-rule, e.g. "c 1:3 rwm".',
  network: 'What the network namespace contains.',
  'network.mode': '"loopback": only lo. "bridge": an eth0 on the isolab bridge (no route off the machine).',
  'network.rate': 'Bandwidth limit on the veth (tc tbf), e.g. "1mbit"; null = none.',
  capabilities: '"all" (everything root has) or exactly these capability names, as Docker spells them.',
  noNewPrivs: 'prctl(PR_SET_NO_NEW_PRIVS): setuid binaries cannot raise privileges.',
  seccomp: 'The seccomp filter: none, Docker\'s default profile, or your own (the Seccomp tab).',
  landlock: 'Landlock: the only paths the shell may read or write.',
  'landlock.enabled': 'Turn the Landlock ruleset on.',
  'landlock.readOnly': 'Paths (and everything below) the shell may read and execute.',
  'landlock.readWrite': 'Paths (and everything below) the shell may also write.',
  apparmor: 'AppArmor profile for the shell; null = none. This host may not run AppArmor.',
  selinuxLabel: 'SELinux label for the shell; null = none. This host may not run SELinux.',
  rlimits: 'Resource limits (docker --ulimit): soft and hard, -1 = unlimited.',
  timeOffsetSeconds: 'How far the time namespace\'s monotonic and boot-time clocks are ahead of the host\'s.',
};

export const SECCOMP_DESCRIPTIONS: Record<string, string> = {
  defaultAction: 'What happens to a syscall no rule below matches. Docker\'s default: SCMP_ACT_ERRNO (refused).',
  defaultErrnoRet: 'The errno a refused syscall returns (1 = EPERM).',
  architectures: 'Architectures the filter covers, e.g. SCMP_ARCH_X86_64. Use this or archMap.',
  archMap: 'Per native architecture, the extra ABIs to cover (on x86-64: x86 and x32, or they bypass the filter).',
  flags: 'seccomp(2) flags for the filter.',
  syscalls: 'Rules, tried in order: the syscalls named, their action, and optional conditions.',
};

/** Walks a JSON Schema along a dotted path (through nullable anyOf wrappers); undefined when absent. */
export function schemaAt(schema: JsonSchema, dotted: string): JsonSchema | undefined {
  let node: JsonSchema | undefined = schema;
  for (const key of dotted.split('.')) {
    node = objectBranch(node);
    const props = node?.['properties'] as Record<string, JsonSchema> | undefined;
    node = props?.[key];
    if (!node) return undefined;
  }
  return node;
}

function objectBranch(node: JsonSchema | undefined): JsonSchema | undefined {
  if (!node || node['properties']) return node;
  const anyOf = node['anyOf'] as JsonSchema[] | undefined;
  return anyOf?.find((s) => s['properties']) ?? node;
}

function describe(schema: JsonSchema, descriptions: Record<string, string>): JsonSchema {
  for (const [path, text] of Object.entries(descriptions)) {
    const node = schemaAt(schema, path);
    if (node) node['description'] = text;
  }
  return schema;
}

/** spec.ts's HOSTNAME_RE (/…/i) without the flag; a unit test checks the two agree. */
export const HOSTNAME_PATTERN = '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$';

/** The ContainerSpec as JSON Schema (draft-07, what Monaco's JSON language service reads best). */
export function containerSpecJsonSchema(): JsonSchema {
  // io "input": what the editor may contain (the same as the output: the spec has no defaults or transforms).
  // The capabilities field is a z.custom (its checks live in superRefine): "any" here, described by hand below.
  const schema = z.toJSONSchema(ContainerSpec, { target: 'draft-07', unrepresentable: 'any', io: 'input' }) as JsonSchema;
  const props = schema['properties'] as Record<string, JsonSchema>;
  // JSON Schema patterns have no flags: spell out the case-insensitivity of spec.ts's HOSTNAME_RE.
  props['hostname']!['pattern'] = HOSTNAME_PATTERN;
  props['capabilities'] = {
    anyOf: [
      { const: 'all', description: 'Every capability root has.' },
      { type: 'array', items: { enum: [...CAPABILITIES] }, uniqueItems: true, description: 'Exactly these capabilities, e.g. ["CHOWN", "NET_BIND_SERVICE"].' },
    ],
  };
  // A record keyed by an enum becomes propertyNames + additionalProperties, which completes no
  // names; spelled out as properties, the editor offers "nofile", "nproc", ... directly.
  const rlimits = props['rlimits']!;
  const limit = rlimits['additionalProperties'] as JsonSchema;
  props['rlimits'] = { type: 'object', properties: Object.fromEntries(RLIMIT_NAMES.map((n) => [n, limit])), additionalProperties: false };
  delete schema['$schema'];
  return describe(schema, SPEC_DESCRIPTIONS);
}

/** The Docker-format seccomp profile as JSON Schema. */
export function seccompProfileJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(SeccompProfile, { target: 'draft-07', unrepresentable: 'any', io: 'input' }) as JsonSchema;
  delete schema['$schema'];
  return describe(schema, SECCOMP_DESCRIPTIONS);
}
