// `isolab run` speaks `docker run`: docker's flags with docker's value syntax (512m, ALL,
// CAP_NET_ADMIN, no-new-privileges, nofile=1024:2048, …), each mapped onto ContainerSpec starting
// from DOCKER_RUN_DEFAULT, so no flag at all gives what `docker run IMAGE` gives — plus isolab's
// own flags for what docker has none of. Pure: files, the caller's environment and the image's
// user database come in through RunFlagsDeps, so every message is unit-tested (docker-flags.test.ts).
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, capabilityName, type Capability } from '../../common/capabilities.js';
import { DOCKER_SELINUX_LABEL, type SelinuxLabelPart } from '../../common/export.js';
import { ContainerSpec, DOCKER_RUN_DEFAULT, RLIMIT_NAMES, parseSize, type RlimitName } from '../../common/spec.js';
import { SeccompProfileError, parseSeccompProfileJson, type SeccompProfile } from '../runtime/seccomp/profile.js';

export const RUN_USAGE = `Usage: isolab run [OPTIONS] [--] [COMMAND [ARG...]]

Run COMMAND (default: the image's shell) in a container built from kernel primitives. With no
option the container is what \`docker run IMAGE\` gives: mount, UTS, IPC, PID, network and cgroup
namespaces, an own root filesystem (a copy-on-write overlay of isolab's busybox image), docker's 14
capabilities, docker's seccomp profile, masked and read-only paths, an own cgroup, a veth on the
isolab bridge (which has no route off the machine). Options take docker's syntax: --flag VALUE,
--flag=VALUE, -m512m, -it. There is no IMAGE argument: the first word that is not an option starts
COMMAND (as the word after IMAGE does for docker). The exit status is COMMAND's; 125 means isolab
itself failed (a refused option included), 126/127 that COMMAND could not be run / was not found.

Docker's options:
  -h, --hostname NAME          the container's hostname (needs the UTS namespace)
  -m, --memory SIZE            memory limit: bytes or with a unit b, k, m, g (512m, 1g); 0 = none
      --memory-swap SIZE       memory + swap limit (at least --memory); -1 = unlimited swap
      --cpus N                 CPUs' worth of time (0.5 = half of one CPU)
  -c, --cpu-shares N           relative CPU weight (docker's default weight is 1024)
      --cpuset-cpus LIST       CPUs allowed: 0-3, 0,2
      --pids-limit N           most tasks at once; 0 or -1 = unlimited
      --device-read-bps PATH:RATE
      --device-write-bps PATH:RATE
                               block I/O limit, RATE in bytes/s with an optional unit (1mb).
                               isolab throttles the disk behind its image, whatever /dev/ PATH
                               names: the container has no other disk (what it writes is kept in
                               memory, so in practice reads of the image are what gets throttled)
      --device-cgroup-rule RULE
                               allow a device: "c 1:3 rwm" (a|b|c MAJOR:MINOR or *, access rwm)
      --cap-add CAP            add a capability (NET_ADMIN, cap_net_admin, ALL); repeatable,
      --cap-drop CAP           or drop one. As docker: start from the 14, drop, then add (an
                               added capability wins over a dropped one; ALL in either replaces
                               the rest of that list)
      --privileged             everything docker's --privileged lifts: all capabilities, no
                               seccomp filter, no masked or read-only paths, every device allowed
                               in the cgroup, no AppArmor or SELinux label (unless given). Unlike
                               docker, /sys stays read-only and /dev holds only isolab's few
                               devices. --cap-add/--cap-drop and seccomp= are ignored with it
      --read-only              mount the root filesystem read-only
      --tmpfs PATH[:size=SIZE] a writable tmpfs at PATH (default size 64m; also takes "rw")
      --security-opt OPT       no-new-privileges[=true|false]
                               seccomp=unconfined | seccomp=builtin | seccomp=FILE (a Docker-format
                                 profile, e.g. moby's default.json)
                               apparmor=PROFILE | apparmor=unconfined
                               label=user:USER | role:ROLE | type:TYPE | level:LEVEL | disable
                                 (SELinux; the other parts of the label stay docker's
                                 system_u:system_r:container_t:s0)
                               systempaths=unconfined (no masked or read-only paths)
      --network, --net MODE    bridge (default: a veth on the isolab bridge), none (only
                               loopback) or host (the host's network namespace)
  -u, --user UID[:GID]         run as this user (numbers, or names from the image's /etc/passwd
                               and /etc/group); without GID, the user's group (0 if unknown)
      --userns host|private    user namespace: host (docker's default) or private (root inside
                               is uid 100000 outside; docker does this only daemon-wide)
      --pid host|private       PID namespace
      --ipc host|private       IPC namespace (docker's "shareable" = private here)
      --uts host|private       UTS namespace (hostname)
      --cgroupns host|private  cgroup namespace
      --ulimit NAME=SOFT[:HARD]
                               a resource limit (nofile=1024:2048); -1 or unlimited = none.
                               NAME: ${RLIMIT_NAMES.join(', ')}
  -e, --env KEY=VALUE          set an environment variable for COMMAND (KEY alone passes on the
                               caller's value). COMMAND gets only these and PATH, HOME, TERM, LANG
  -i, --interactive, -t, --tty, --rm
                               accepted and ignored: isolab run always passes its terminal
                               through, and the container always goes with its program

isolab's own options (docker has none of these):
      --mount-ns host|private  mount namespace (docker always has one); host needs --rootfs host
      --rootfs image|host      the busybox image (default) or the host's own files
      --root-mode pivot|chroot how to enter the image: pivot_root (default) or chroot (escapable)
      --masked-paths default|none
      --readonly-paths default|none
                               docker's masked / read-only /proc and /sys paths, one at a time
      --cgroup private|host    own cgroup (default; limits need it) or stay in isolab's
      --timens host|private    time namespace (turned on by a non-zero --time-offset)
      --time-offset SECONDS    monotonic and boot-time clocks this far ahead (or behind: -N)
      --landlock-ro PATHS      Landlock: allow reading under these paths (":"-separated; repeatable)
      --landlock-rw PATHS      Landlock: allow reading and writing under these
      --net-rate RATE          bandwidth limit on the veth: 512kbit, 1mbit, 1gbit
      --json-status            print the launcher's status lines (JSON) on stderr
      --help                   this text

Not supported: volumes (-v, --mount), ports (-p), -d, --name, -w and the rest of docker's
options that do not describe an isolation primitive; each is refused with the reason.`;

/** A refused command line. The message names the flag and what it accepts. */
export class FlagError extends Error {}

/** What a user name means inside the container: /etc/passwd and /etc/group of its root. */
export interface UserDb {
  users: { name: string; uid: number; gid: number }[];
  groups: { name: string; gid: number }[];
}

export interface RunFlagsDeps {
  /** Reads a file named on the command line (--security-opt seccomp=FILE). */
  readFile(path: string): string;
  /** The caller's environment, for `-e KEY` without a value (as docker). */
  env(name: string): string | undefined;
  /** The user database of the image ("image") or of the host ("host", with --rootfs host). */
  userDb(root: 'image' | 'host'): UserDb;
}

export interface RunRequest {
  spec: ContainerSpec;
  /** The program and its arguments; empty = the image's shell. */
  command: string[];
  /** -e/--env, in the order given (later ones win). */
  env: Record<string, string>;
  /**
   * The checked Docker-format profile of --security-opt seccomp=FILE (spec.seccomp is then
   * "custom"), for ContainerContexts.acquire() to compile and the exporters to write out.
   */
  seccompProfile: { path: string; profile: SeccompProfile } | null;
  jsonStatus: boolean;
  /** Flags docker would also ignore here (e.g. --cap-drop with --privileged), one sentence each. */
  warnings: string[];
  /** Values of the caller's own extra flags (ParseOptions.extraFlags), by name without "--". */
  extra: Record<string, string>;
}
export type ParsedRun = { help: true } | ({ help: false } & RunRequest);

export interface ParseOptions {
  /** Further value flags the caller handles itself (`isolab export --format`). */
  extraFlags?: string[];
}

interface FlagDef {
  kind: 'bool' | 'value';
  short?: string;
  alias?: string;
}

/** Every flag `isolab run` accepts, by its long name. */
const FLAGS: Record<string, FlagDef> = {
  hostname: { kind: 'value', short: 'h' },
  memory: { kind: 'value', short: 'm' },
  'memory-swap': { kind: 'value' },
  cpus: { kind: 'value' },
  'cpu-shares': { kind: 'value', short: 'c' },
  'cpuset-cpus': { kind: 'value' },
  'pids-limit': { kind: 'value' },
  'device-read-bps': { kind: 'value' },
  'device-write-bps': { kind: 'value' },
  'device-cgroup-rule': { kind: 'value' },
  'cap-add': { kind: 'value' },
  'cap-drop': { kind: 'value' },
  privileged: { kind: 'bool' },
  'read-only': { kind: 'bool' },
  tmpfs: { kind: 'value' },
  'security-opt': { kind: 'value' },
  network: { kind: 'value', alias: 'net' },
  user: { kind: 'value', short: 'u' },
  userns: { kind: 'value' },
  pid: { kind: 'value' },
  ipc: { kind: 'value' },
  uts: { kind: 'value' },
  cgroupns: { kind: 'value' },
  ulimit: { kind: 'value' },
  env: { kind: 'value', short: 'e' },
  interactive: { kind: 'bool', short: 'i' },
  tty: { kind: 'bool', short: 't' },
  rm: { kind: 'bool' },
  'mount-ns': { kind: 'value' },
  rootfs: { kind: 'value' },
  'root-mode': { kind: 'value' },
  'masked-paths': { kind: 'value' },
  'readonly-paths': { kind: 'value' },
  cgroup: { kind: 'value' },
  timens: { kind: 'value' },
  'time-offset': { kind: 'value' },
  'landlock-ro': { kind: 'value' },
  'landlock-rw': { kind: 'value' },
  'net-rate': { kind: 'value' },
  'json-status': { kind: 'bool' },
  help: { kind: 'bool' },
};
/** The flag names `isolab run` accepts (for the help text's test). */
export const RUN_FLAG_NAMES = Object.keys(FLAGS);

/** docker run flags that describe no isolation primitive isolab has, with the reason given. */
const WHY_NOT: [string[], string][] = [
  [['volume', 'v', 'mount', 'volumes-from', 'volume-driver'], 'isolab has no volumes: the container sees its image (or, with --rootfs host, the host\'s files); the mount namespace is --mount-ns host|private'],
  [['publish', 'p', 'publish-all', 'P', 'expose'], 'the isolab bridge has no route off the machine: there is nothing to publish'],
  [['detach', 'd', 'detach-keys', 'sig-proxy', 'attach', 'a'], 'isolab run stays attached: the container ends with its program'],
  [['name', 'label', 'l', 'label-file', 'cidfile', 'restart', 'pull', 'platform', 'runtime', 'isolation', 'log-driver', 'log-opt', 'annotation'], 'isolab has no container store: each container is removed when its program ends'],
  [['workdir', 'w'], 'the launcher has no working-directory option: the program starts in /; use sh -c \'cd DIR && exec PROGRAM\''],
  [['entrypoint', 'env-file', 'init', 'health-cmd', 'health-interval', 'health-retries', 'health-timeout', 'health-start-period', 'no-healthcheck', 'stop-signal', 'stop-timeout'], 'isolab has no image metadata or init: give the program and its environment (-e) directly'],
  [['device', 'gpus'], 'isolab passes no host device into the container (see --device-cgroup-rule for the cgroup\'s allow list)'],
  [['blkio-weight', 'blkio-weight-device', 'device-read-iops', 'device-write-iops'], 'isolab limits block I/O by bandwidth only: --device-read-bps/--device-write-bps'],
  [['memory-reservation', 'memory-swappiness', 'kernel-memory', 'oom-kill-disable', 'oom-score-adj', 'cpu-period', 'cpu-quota', 'cpu-rt-period', 'cpu-rt-runtime', 'cpuset-mems', 'cpu-count', 'cpu-percent', 'shm-size', 'cgroup-parent', 'storage-opt'], 'not one of isolab\'s settings (common/spec.ts); use --memory, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit'],
  [['sysctl', 'group-add', 'domainname', 'mac-address', 'ip', 'ip6', 'link', 'link-local-ip', 'network-alias', 'dns', 'dns-option', 'dns-search', 'add-host', 'hostname-file'], 'not one of isolab\'s settings (common/spec.ts)'],
];
const REFUSED = new Map<string, string>(WHY_NOT.flatMap(([names, why]) => names.map((n) => [n, why] as [string, string])));

const fail = (flag: string, message: string): never => {
  throw new FlagError(`${flag}: ${message}`);
};

/** The flags, by name, each with its values in order; and the command after them. */
interface Tokens {
  values: Map<string, string[]>;
  command: string[];
  help: boolean;
}

/**
 * Splits argv the way docker's flag library (spf13/pflag) does: --name VALUE, --name=VALUE,
 * -x VALUE, -xVALUE, -x=VALUE, clusters of one-letter booleans (-it), and a value flag taking the
 * next word even when it starts with "-" (--memory-swap -1). The first word that is not a flag,
 * or "--", ends the flags: the rest is the command.
 */
function tokenize(argv: string[], extraFlags: string[]): Tokens {
  const values = new Map<string, string[]>();
  const defOf = (name: string): [string, FlagDef] | undefined => {
    if (extraFlags.includes(name)) return [name, { kind: 'value' }];
    if (FLAGS[name]) return [name, FLAGS[name]];
    const aliased = Object.entries(FLAGS).find(([, d]) => d.alias === name);
    return aliased;
  };
  const refuse = (shown: string, name: string): never => {
    const why = REFUSED.get(name);
    if (why) return fail(shown, `docker's option is not supported by isolab run: ${why}`);
    throw new FlagError(`unknown flag: ${shown} (see isolab run --help)`);
  };
  const add = (name: string, value: string) => values.set(name, [...(values.get(name) ?? []), value]);
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return { values, command: argv.slice(i + 1), help };
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : word.slice(eq + 1);
      const found = defOf(name);
      if (!found) return refuse(`--${name}`, name);
      const [canonical, def] = found;
      if (def.kind === 'bool') add(canonical, parseBool(`--${name}`, inline ?? 'true') ? 'true' : 'false');
      else {
        const value = inline ?? argv[++i];
        if (value === undefined) throw new FlagError(`flag needs an argument: --${name}`);
        add(canonical, value);
      }
      if (canonical === 'help') help = values.get('help')!.at(-1) === 'true';
    } else if (word.startsWith('-') && word.length > 1) {
      const cluster = word.slice(1);
      for (let j = 0; j < cluster.length; j++) {
        const letter = cluster[j]!;
        const found = Object.entries(FLAGS).find(([, d]) => d.short === letter);
        if (!found) return refuse(`-${letter}`, letter);
        const [canonical, def] = found;
        const rest = cluster.slice(j + 1);
        if (def.kind === 'bool') {
          if (rest.startsWith('=')) {
            add(canonical, parseBool(`-${letter}`, rest.slice(1)) ? 'true' : 'false');
            break;
          }
          add(canonical, 'true');
          continue;
        }
        const value = rest ? rest.replace(/^=/, '') : argv[++i];
        if (value === undefined) throw new FlagError(`flag needs an argument: '${letter}' in -${letter}`);
        add(canonical, value);
        break;
      }
    } else {
      return { values, command: argv.slice(i), help };
    }
  }
  return { values, command: [], help };
}

/** strconv.ParseBool, as pflag reads --flag=VALUE. */
function parseBool(flag: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return fail(flag, `"${value}" is not a boolean (true or false)`);
}

const SIZE_SYNTAX = 'a number of bytes with an optional unit b, k, m, g (e.g. 512m, 1g)';

function size(flag: string, text: string): number {
  return parseSize(text) ?? fail(flag, `"${text}" is not a size: ${SIZE_SYNTAX}`);
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  return (allowed as readonly string[]).includes(value) ? (value as T) : fail(flag, `"${value}" is not one of ${allowed.join(', ')}`);
}

function integer(flag: string, text: string, what: string): number {
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) ? n : fail(flag, `"${text}" is not ${what}`);
}

/** "ALL", or a capability by any of docker's spellings. */
function capabilities(flag: string, value: string): ('ALL' | Capability)[] {
  // docker takes one name per flag; a comma list is accepted too (the launcher's syntax).
  return value.split(',').map((word) => {
    if (word.trim().toUpperCase() === 'ALL') return 'ALL';
    return capabilityName(word) ?? fail(flag, `unknown capability "${word}" (a name from capabilities(7), with or without CAP_, any case: NET_ADMIN, cap_sys_time; or ALL)`);
  });
}

/** Docker's order for its 14, then the rest in kernel order: one canonical list for a set. */
function canonicalCaps(set: Set<Capability>): Capability[] {
  return [...DOCKER_DEFAULT_CAPABILITIES.filter((c) => set.has(c)), ...CAPABILITIES.filter((c) => set.has(c) && !DOCKER_DEFAULT_CAPABILITIES.includes(c))];
}

/**
 * docker's --cap-add/--cap-drop: the CLI lets an added capability win over a dropped one and ALL
 * replace the rest of its list (opts.EffectiveCapAddCapDrop); the daemon then starts from all
 * capabilities (ALL added, minus the drops), from none (ALL dropped, plus the adds) or from the 14
 * (minus the drops, plus the adds) — moby's caps.TweakCapabilities.
 */
export function dockerCapabilities(adds: ('ALL' | Capability)[], drops: ('ALL' | Capability)[]): 'all' | Capability[] {
  const add = new Set<'ALL' | Capability>(adds.includes('ALL') ? ['ALL'] : adds);
  const drop = new Set<'ALL' | Capability>(drops.includes('ALL') ? ['ALL'] : drops);
  for (const c of drop) if (add.has(c)) drop.delete(c);
  if (add.has('ALL')) {
    if (drop.size === 0) return 'all';
    return canonicalCaps(new Set(CAPABILITIES.filter((c) => !drop.has(c))));
  }
  const added = [...add] as Capability[];
  if (drop.has('ALL')) return canonicalCaps(new Set(added));
  return canonicalCaps(new Set([...DOCKER_DEFAULT_CAPABILITIES.filter((c) => !drop.has(c)), ...added]));
}

/** /etc/passwd text → users. */
export function parsePasswd(text: string): UserDb['users'] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

/** /etc/group text → groups. */
export function parseGroup(text: string): UserDb['groups'] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]!))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]) }));
}

/** The most ids a container's user can have: isolab's user namespace maps 65536 of them. */
const MAX_ID = 65535;
const DEFAULT_TMPFS_BYTES = 64 * 1024 * 1024;

/** -u UID[:GID] or names, resolved in the container's root as docker does. */
function user(value: string, db: () => UserDb): { uid: number; gid: number } {
  const [userPart = '', groupPart, ...more] = value.split(':');
  if (more.length || !userPart || groupPart === '') fail('--user', `"${value}" is not UID[:GID] (numbers or names: 1000, 1000:1000, nobody:nogroup)`);
  const id = (text: string, what: string) => {
    const n = Number(text);
    return n <= MAX_ID ? n : fail('--user', `${what} ${text} is out of range: isolab maps ids 0-${MAX_ID}`);
  };
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(userPart)) {
    uid = id(userPart, 'uid');
    gid = db().users.find((u) => u.uid === uid)?.gid;
  } else {
    const entry = db().users.find((u) => u.name === userPart) ?? fail('--user', `no user "${userPart}" in the container's /etc/passwd (give a number)`);
    uid = id(String(entry.uid), 'uid');
    gid = entry.gid;
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = id(groupPart, 'gid');
    else gid = (db().groups.find((g) => g.name === groupPart) ?? fail('--user', `no group "${groupPart}" in the container's /etc/group (give a number)`)).gid;
  }
  // A uid the image does not know gets group 0, as docker gives it.
  return { uid, gid: id(String(gid ?? 0), 'gid') };
}

function ulimit(value: string): [RlimitName, { soft: number; hard: number }] {
  const eq = value.indexOf('=');
  const name = eq < 0 ? value : value.slice(0, eq);
  if (eq < 0) fail('--ulimit', `"${value}" is not NAME=SOFT[:HARD] (e.g. nofile=1024:2048)`);
  if (!(RLIMIT_NAMES as readonly string[]).includes(name)) {
    fail('--ulimit', `unknown limit "${name}" (known: ${RLIMIT_NAMES.join(', ')})`);
  }
  const parts = value.slice(eq + 1).split(':');
  if (parts.length > 2) fail('--ulimit', `"${value}" has more than SOFT:HARD`);
  const limit = (text: string) => {
    if (text === 'unlimited' || text === '-1') return -1;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    return Number.isSafeInteger(n) ? n : fail('--ulimit', `"${text}" in ${value} is not a number, -1 or unlimited`);
  };
  const soft = limit(parts[0]!);
  const hard = parts[1] === undefined ? soft : limit(parts[1]);
  if (hard !== -1 && (soft === -1 || soft > hard)) fail('--ulimit', `${value}: the soft limit must not exceed the hard limit`);
  return [name as RlimitName, { soft, hard }];
}

/** docker's --device-read-bps PATH:RATE; isolab throttles the image's disk, whatever the path. */
function deviceRate(flag: string, value: string): number | null {
  const colon = value.indexOf(':');
  const path = colon < 0 ? '' : value.slice(0, colon);
  if (!path.startsWith('/dev/')) {
    fail(flag, `"${value}" is not PATH:RATE with a device path under /dev/ (e.g. /dev/sda:1mb); isolab throttles the disk behind its image, whatever device PATH names`);
  }
  const rate = parseSize(value.slice(colon + 1)) ?? fail(flag, `"${value.slice(colon + 1)}" is not a rate: ${SIZE_SYNTAX} per second`);
  return rate === 0 ? null : rate;
}

function tmpfs(value: string): { path: string; sizeBytes: number } {
  const colon = value.indexOf(':');
  const path = colon < 0 ? value : value.slice(0, colon);
  if (!path.startsWith('/')) fail('--tmpfs', `"${path}" is not an absolute path`);
  let sizeBytes = DEFAULT_TMPFS_BYTES;
  for (const option of colon < 0 ? [] : value.slice(colon + 1).split(',')) {
    if (option === 'rw') continue;
    if (option.startsWith('size=')) sizeBytes = size('--tmpfs', option.slice(5));
    else fail('--tmpfs', `option "${option}" is not supported: isolab's tmpfs takes size=SIZE (and rw, the default)`);
  }
  if (sizeBytes < 4096 || sizeBytes > 1024 ** 3) fail('--tmpfs', `size ${sizeBytes} is out of range: 4k to 1g`);
  return { path, sizeBytes };
}

function hostOrPrivate(flag: string, value: string): boolean {
  return oneOf(flag, value, ['host', 'private'] as const) === 'private';
}

/** docker's --security-opt KEY=VALUE (or the old KEY:VALUE). */
interface SecurityOpts {
  noNewPrivs?: boolean;
  seccomp?: { kind: 'unconfined' | 'docker-default' } | { kind: 'file'; path: string; profile: SeccompProfile };
  apparmor?: string | null;
  label?: Partial<Record<SelinuxLabelPart, string>> | 'disable';
  systemPathsUnconfined?: boolean;
}

function securityOpts(values: string[], deps: RunFlagsDeps): SecurityOpts {
  const out: SecurityOpts = {};
  const flag = '--security-opt';
  for (const opt of values) {
    let cut = opt.indexOf('=');
    if (cut < 0 && opt !== 'no-new-privileges') cut = opt.indexOf(':');
    const key = cut < 0 ? opt : opt.slice(0, cut);
    const value = cut < 0 ? undefined : opt.slice(cut + 1);
    if (key !== 'no-new-privileges' && !value) {
      fail(flag, `"${opt}" needs a value: no-new-privileges, seccomp=…, apparmor=…, label=…, systempaths=unconfined`);
    }
    switch (key) {
      case 'no-new-privileges':
        out.noNewPrivs = value === undefined ? true : parseBool(`${flag} no-new-privileges`, value);
        break;
      case 'seccomp':
        if (value === 'unconfined') out.seccomp = { kind: 'unconfined' };
        else if (value === 'builtin') out.seccomp = { kind: 'docker-default' };
        else out.seccomp = { kind: 'file', path: value!, profile: seccompFile(value!, deps) };
        break;
      case 'apparmor':
        out.apparmor = value === 'unconfined' ? null : value!;
        break;
      case 'label': {
        if (value === 'disable') {
          out.label = 'disable';
          break;
        }
        const m = /^(user|role|type|level):(.+)$/.exec(value!);
        if (!m) fail(flag, `label=${value} is not user:USER, role:ROLE, type:TYPE, level:LEVEL or disable`);
        if (out.label === 'disable') out.label = {};
        out.label = { ...(out.label ?? {}), [m![1]!]: m![2]! };
        break;
      }
      case 'systempaths':
        oneOf(`${flag} systempaths`, value!, ['unconfined'] as const);
        out.systemPathsUnconfined = true;
        break;
      default:
        fail(flag, `unknown option "${key}" (known: no-new-privileges, seccomp, apparmor, label, systempaths)`);
    }
  }
  return out;
}

/** Reads a Docker-format profile and checks it (server/runtime/seccomp/profile.ts: moby's rules, isolab's limits). */
function seccompFile(path: string, deps: RunFlagsDeps): SeccompProfile {
  const flag = `--security-opt seccomp=${path}`;
  let text: string;
  try {
    text = deps.readFile(path);
  } catch (err) {
    return fail(flag, `cannot read the profile: ${(err as Error).message}`);
  }
  try {
    return parseSeccompProfileJson(text);
  } catch (err) {
    if (err instanceof SeccompProfileError) return fail(flag, err.message);
    throw err;
  }
}

/** Which flag a setting (a path in ContainerSpec) comes from, to name it when the spec refuses a value. */
const FLAG_OF_SETTING: [string, string][] = [
  ['hostname', '--hostname'],
  ['namespaces.user', '--userns'],
  ['rootfs', '--rootfs'],
  ['filesystem.rootMode', '--root-mode'],
  ['filesystem.readOnly', '--read-only'],
  ['filesystem.tmpfs', '--tmpfs'],
  ['filesystem.maskedPaths', '--masked-paths'],
  ['filesystem.readonlyPaths', '--readonly-paths'],
  ['user', '--user'],
  ['resources.memoryBytes', '--memory'],
  ['resources.memorySwapBytes', '--memory-swap'],
  ['resources.cpus', '--cpus'],
  ['resources.cpuShares', '--cpu-shares'],
  ['resources.cpusetCpus', '--cpuset-cpus'],
  ['resources.pidsLimit', '--pids-limit'],
  ['resources.rootfsReadBps', '--device-read-bps'],
  ['resources.rootfsWriteBps', '--device-write-bps'],
  ['resources.deviceRules', '--device-cgroup-rule'],
  ['network.mode', '--network'],
  ['network.rate', '--net-rate'],
  ['capabilities', '--cap-add'],
  ['landlock', '--landlock-ro/--landlock-rw'],
  ['apparmor', '--security-opt apparmor'],
  ['selinuxLabel', '--security-opt label'],
  ['rlimits', '--ulimit'],
  ['timeOffsetSeconds', '--time-offset'],
];

/** The resource flags, which all need the container's own cgroup. */
const LIMIT_FLAGS = ['memory', 'memory-swap', 'cpus', 'cpu-shares', 'cpuset-cpus', 'pids-limit', 'device-read-bps', 'device-write-bps', 'device-cgroup-rule'];

/**
 * `isolab run`'s command line → the container's settings, the command and its environment.
 * Throws FlagError naming the flag and the values it takes.
 */
export function parseRunFlags(argv: string[], deps: RunFlagsDeps, options: ParseOptions = {}): ParsedRun {
  const tokens = tokenize(argv, options.extraFlags ?? []);
  if (tokens.help) return { help: true };
  const all = (name: string) => tokens.values.get(name) ?? [];
  // Scalars: the last one given wins, as with docker.
  const last = (name: string) => all(name).at(-1);
  const has = (name: string) => all(name).length > 0;
  const warnings: string[] = [];

  const spec: ContainerSpec = JSON.parse(JSON.stringify(DOCKER_RUN_DEFAULT)) as ContainerSpec;
  const ns = spec.namespaces;
  const nsFlag = (flag: string, kind: keyof ContainerSpec['namespaces']) => {
    const v = last(flag);
    if (v !== undefined) ns[kind] = hostOrPrivate(`--${flag}`, v);
  };
  nsFlag('pid', 'pid');
  nsFlag('uts', 'uts');
  nsFlag('cgroupns', 'cgroup');
  nsFlag('userns', 'user');
  nsFlag('mount-ns', 'mount');
  nsFlag('timens', 'time');
  const ipc = last('ipc');
  if (ipc === 'none') fail('--ipc', '"none" (no /dev/shm) is not supported: isolab always mounts /dev/shm; use private or host');
  if (ipc !== undefined) ns.ipc = oneOf('--ipc', ipc, ['private', 'shareable', 'host'] as const) !== 'host';
  const network = last('network');
  if (network !== undefined) {
    const mode = oneOf('--network', network, ['bridge', 'none', 'host', 'default'] as const);
    ns.net = mode !== 'host';
    spec.network.mode = mode === 'none' || mode === 'host' ? 'loopback' : 'bridge';
  }
  const rate = last('net-rate');
  if (rate !== undefined) spec.network.rate = rate;

  const hostname = last('hostname');
  if (hostname !== undefined) {
    if (!ns.uts) fail('--hostname', 'conflicts with --uts host: the host\'s name is not the container\'s to change');
    spec.hostname = hostname;
  }

  const rootfs = last('rootfs');
  if (rootfs !== undefined) spec.rootfs = oneOf('--rootfs', rootfs, ['image', 'host'] as const) === 'image';
  if (!ns.mount && spec.rootfs) fail('--mount-ns', 'host: the image needs the mount namespace (pivot_root only works on a private mount tree); add --rootfs host');
  const fs = spec.filesystem;
  if (!spec.rootfs) {
    // Docker's masked and read-only paths are mounts over the image's /proc and /sys: with the
    // host's files there is nothing of the container's own to mount them over.
    fs.maskedPaths = false;
    fs.readonlyPaths = false;
  }
  const rootMode = last('root-mode');
  if (rootMode !== undefined) fs.rootMode = oneOf('--root-mode', rootMode, ['pivot', 'chroot'] as const);
  if (last('read-only') === 'true') fs.readOnly = true;
  const seenTmpfs = new Set<string>();
  for (const value of all('tmpfs')) {
    const t = tmpfs(value);
    if (seenTmpfs.has(t.path)) fail('--tmpfs', `${t.path} is given twice`);
    seenTmpfs.add(t.path);
    fs.tmpfs.push(t);
  }
  const paths = (flag: 'masked-paths' | 'readonly-paths') => {
    const v = last(flag);
    return v === undefined ? undefined : oneOf(`--${flag}`, v, ['default', 'none'] as const) === 'default';
  };
  const masked = paths('masked-paths');
  const readonlyPaths = paths('readonly-paths');

  const sec = securityOpts(all('security-opt'), deps);
  if (sec.noNewPrivs !== undefined) spec.noNewPrivs = sec.noNewPrivs;
  let seccompProfile: RunRequest['seccompProfile'] = null;
  if (sec.seccomp) {
    if (sec.seccomp.kind === 'file') {
      spec.seccomp = 'custom';
      seccompProfile = { path: sec.seccomp.path, profile: sec.seccomp.profile };
    } else spec.seccomp = sec.seccomp.kind;
  }
  if (sec.systemPathsUnconfined) {
    fs.maskedPaths = false;
    fs.readonlyPaths = false;
  }
  if (masked !== undefined) fs.maskedPaths = masked;
  if (readonlyPaths !== undefined) fs.readonlyPaths = readonlyPaths;
  if (sec.apparmor !== undefined) spec.apparmor = sec.apparmor;
  if (sec.label !== undefined) spec.selinuxLabel = sec.label === 'disable' ? null : Object.values({ ...DOCKER_SELINUX_LABEL, ...sec.label }).join(':');

  const adds = all('cap-add').flatMap((v) => capabilities('--cap-add', v));
  const drops = all('cap-drop').flatMap((v) => capabilities('--cap-drop', v));
  spec.capabilities = dockerCapabilities(adds, drops);

  const r = spec.resources;
  const cgroup = last('cgroup');
  if (cgroup !== undefined) r.cgroup = hostOrPrivate('--cgroup', cgroup);
  if (!r.cgroup) {
    const limit = LIMIT_FLAGS.find(has);
    if (limit) fail(`--${limit}`, 'limits are written to the container\'s own cgroup: drop --cgroup host');
  }
  const memory = last('memory');
  if (memory !== undefined) r.memoryBytes = size('--memory', memory) || null;
  const swap = last('memory-swap');
  if (swap !== undefined) r.memorySwapBytes = swap === '-1' ? -1 : size('--memory-swap', swap) || null;
  const cpus = last('cpus');
  if (cpus !== undefined) {
    // docker reads --cpus as a decimal (or a fraction, 1/2); 0 means no limit.
    const m = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(cpus);
    const n = m ? Number(m[1]) / (m[2] ? Number(m[2]) : 1) : NaN;
    if (!Number.isFinite(n)) fail('--cpus', `"${cpus}" is not a number of CPUs (e.g. 0.5, 2)`);
    if (n !== 0 && (n < 0.01 || n > 1024)) fail('--cpus', `${cpus} is out of range: 0.01 to 1024, or 0 for no limit`);
    r.cpus = n === 0 ? null : n;
  }
  const shares = last('cpu-shares');
  if (shares !== undefined) {
    const n = integer('--cpu-shares', shares, 'a whole number (e.g. 512; docker\'s default weight is 1024)');
    if (n !== 0 && (n < 2 || n > 262144)) fail('--cpu-shares', `${n} is out of range: 2 to 262144, or 0 for the default`);
    r.cpuShares = n === 0 ? null : n;
  }
  const cpuset = last('cpuset-cpus');
  if (cpuset !== undefined) r.cpusetCpus = cpuset;
  const pids = last('pids-limit');
  if (pids !== undefined) {
    const n = integer('--pids-limit', pids, 'a whole number (0 or -1 = unlimited)');
    r.pidsLimit = n <= 0 ? null : n;
  }
  const bps = (flag: 'device-read-bps' | 'device-write-bps') => {
    const values = all(flag);
    const devices = new Set(values.map((v) => v.slice(0, v.indexOf(':'))));
    if (devices.size > 1) fail(`--${flag}`, `names ${devices.size} devices: isolab throttles one, the disk behind its image (give it once)`);
    const v = values.at(-1);
    return v === undefined ? undefined : deviceRate(`--${flag}`, v);
  };
  const readBps = bps('device-read-bps');
  if (readBps !== undefined) r.rootfsReadBps = readBps;
  const writeBps = bps('device-write-bps');
  if (writeBps !== undefined) r.rootfsWriteBps = writeBps;
  for (const rule of all('device-cgroup-rule')) {
    // "a *:* rwm" is every device, which is the setting docker's --privileged turns on.
    if (rule.trim() === 'a *:* rwm') r.devices = 'allow-all';
    else r.deviceRules.push(rule.trim());
  }

  const userValue = last('user');
  if (userValue !== undefined) {
    const u = user(userValue, () => deps.userDb(spec.rootfs ? 'image' : 'host'));
    spec.user = u.uid === 0 && u.gid === 0 ? null : u;
  }
  for (const value of all('ulimit')) {
    const [name, limit] = ulimit(value);
    spec.rlimits[name] = limit;
  }

  const ro = all('landlock-ro').flatMap((v) => v.split(':'));
  const rw = all('landlock-rw').flatMap((v) => v.split(':'));
  if (ro.length || rw.length) spec.landlock = { enabled: true, readOnly: ro, readWrite: rw };

  const offset = last('time-offset');
  if (offset !== undefined) {
    spec.timeOffsetSeconds = integer('--time-offset', offset, 'a whole number of seconds (e.g. 3600 or -86400)');
    if (Math.abs(spec.timeOffsetSeconds) > 1e9) fail('--time-offset', `${offset} is out of range: at most 10^9 seconds either way`);
    // An offset is meaningless without a time namespace: it turns one on unless --timens says no.
    if (spec.timeOffsetSeconds !== 0 && last('timens') === undefined) ns.time = true;
  }

  if (last('privileged') === 'true') {
    spec.capabilities = 'all';
    if (adds.length || drops.length) warnings.push('--cap-add/--cap-drop have no effect with --privileged (as with docker): every capability is kept');
    if (sec.seccomp && sec.seccomp.kind !== 'unconfined') warnings.push('--security-opt seccomp has no effect with --privileged (as with docker): no filter is installed');
    spec.seccomp = 'unconfined';
    seccompProfile = null;
    fs.maskedPaths = false;
    fs.readonlyPaths = false;
    r.devices = 'allow-all';
    if (sec.apparmor === undefined) spec.apparmor = null;
    if (sec.label === undefined) spec.selinuxLabel = null;
  }

  const env: Record<string, string> = {};
  for (const value of all('env')) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (!key || key.includes('\0')) fail('--env', `"${value}" is not KEY=VALUE or KEY`);
    if (eq >= 0) env[key] = value.slice(eq + 1);
    else {
      // As docker: KEY alone passes the caller's value on, and nothing when the caller has none.
      const inherited = deps.env(key);
      if (inherited !== undefined) env[key] = inherited;
    }
  }

  const checked = ContainerSpec.safeParse(spec);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const path = issue.path.join('.');
    const flag = FLAG_OF_SETTING.find(([setting]) => path === setting || path.startsWith(`${setting}.`))?.[1] ?? 'settings';
    throw new FlagError(`${flag}: ${issue.message}`);
  }
  const extra: Record<string, string> = {};
  for (const name of options.extraFlags ?? []) {
    const v = last(name);
    if (v !== undefined) extra[name] = v;
  }
  return {
    help: false,
    spec: checked.data,
    command: tokens.command,
    env,
    seccompProfile,
    jsonStatus: last('json-status') === 'true',
    warnings,
    extra,
  };
}
