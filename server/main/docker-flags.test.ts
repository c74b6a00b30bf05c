import { describe, expect, it } from 'vitest';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, type Capability } from '../../common/capabilities.js';
import { toDockerRun } from '../../common/export.js';
import { DOCKER_RUN_DEFAULT, applySpecChange, parseSize, type ContainerSpec, type SpecChange } from '../../common/spec.js';
import { FlagError, RUN_FLAG_NAMES, RUN_USAGE, parseGroup, parsePasswd, parseRunFlags, type RunFlagsDeps, type RunRequest } from './docker-flags.js';

const PROFILE = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
const deps: RunFlagsDeps = {
  readFile(path) {
    if (path === '/profiles/ok.json') return JSON.stringify(PROFILE);
    if (path === '/profiles/broken.json') return '{"defaultAction": ';
    if (path === '/profiles/list.json') return '[]';
    if (path === '/profiles/bad-action.json') return JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_MAYBE' }] });
    throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  },
  env: (name) => ({ FROM_CALLER: 'inherited' })[name],
  userDb: (root) =>
    root === 'image'
      ? { users: parsePasswd('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n'), groups: parseGroup('root:x:0:\nnogroup:x:65534:\n') }
      : { users: [{ name: 'alice', uid: 1000, gid: 1000 }], groups: [{ name: 'staff', gid: 50 }] },
};

function run(...argv: string[]): RunRequest {
  const parsed = parseRunFlags(argv, deps);
  if (parsed.help) throw new Error('help');
  return parsed;
}
const specOf = (...argv: string[]) => run(...argv).spec;
const change = (c: SpecChange) => applySpecChange(DOCKER_RUN_DEFAULT, c);
function refusal(...argv: string[]): string {
  try {
    parseRunFlags(argv, deps);
  } catch (err) {
    if (err instanceof FlagError) return err.message;
    throw err;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('no flags', () => {
  it('is what docker run gives', () => {
    expect(run()).toEqual({ help: false, spec: DOCKER_RUN_DEFAULT, command: [], env: {}, seccompProfile: null, jsonStatus: false, warnings: [], extra: {} });
  });
});

describe("docker's argument syntax (pflag)", () => {
  it.each([
    [['--memory', '512m']],
    [['--memory=512m']],
    [['-m', '512m']],
    [['-m512m']],
    [['-m=512m']],
    [['-itm512m']],
    [['-it', '-m', '512m', '--rm']],
  ])('%j sets 512 MiB', (argv) => {
    expect(specOf(...argv).resources.memoryBytes).toBe(512 * 1024 * 1024);
  });

  it('-i, -t, --rm are accepted and change nothing', () => {
    expect(specOf('-i', '-t', '--rm', '-ti', '--interactive', '--tty=false', '-i=false')).toEqual(DOCKER_RUN_DEFAULT);
  });

  it('the first word that is not a flag starts the command (as IMAGE ends docker\'s flags)', () => {
    expect(run('--pid', 'host', 'sh', '-c', 'echo --memory 1g').command).toEqual(['sh', '-c', 'echo --memory 1g']);
    expect(run('--', '-weird-program', '--memory').command).toEqual(['-weird-program', '--memory']);
    expect(run('--read-only', 'ls').command).toEqual(['ls']);
  });

  it('a value flag takes the next word even when it starts with "-"', () => {
    expect(specOf('-m', '1g', '--memory-swap', '-1').resources.memorySwapBytes).toBe(-1);
  });

  it('the last of a scalar flag wins', () => {
    expect(specOf('-m', '1g', '--memory', '2g').resources.memoryBytes).toBe(2 * 1024 ** 3);
  });

  it.each([
    [['--memory'], 'flag needs an argument: --memory'],
    [['-m'], "flag needs an argument: 'm' in -m"],
    [['--bogus'], 'unknown flag: --bogus (see isolab run --help)'],
    [['-x'], 'unknown flag: -x (see isolab run --help)'],
    [['--read-only=maybe'], '--read-only: "maybe" is not a boolean (true or false)'],
    [['-i=yes'], '-i: "yes" is not a boolean (true or false)'],
  ])('%j → %s', (argv, message) => {
    expect(refusal(...argv)).toBe(message);
  });

  it.each([
    ['-v', 'isolab has no volumes'],
    ['--volume', 'isolab has no volumes'],
    ['--mount', '--mount-ns host|private'],
    ['-p', 'no route off the machine'],
    ['-d', 'stays attached'],
    ['--name', 'no container store'],
    ['-w', 'no working-directory option'],
    ['--device', 'no host device'],
    ['--device-read-iops', 'bandwidth only'],
    ['--shm-size', "not one of isolab's settings"],
  ])("docker's %s is refused with the reason", (flag, why) => {
    const message = refusal(flag, 'x');
    expect(message.startsWith(`${flag}: docker's option is not supported by isolab run: `)).toBe(true);
    expect(message).toContain(why);
  });

  it('--help wins over everything else', () => {
    expect(parseRunFlags(['--pid', 'host', '--help'], deps)).toEqual({ help: true });
  });

  it('passes flags its caller handles through `extra`', () => {
    const parsed = parseRunFlags(['--format', 'oci', '--pid', 'host'], deps, { extraFlags: ['format'] });
    expect(parsed.help === false && parsed.extra).toEqual({ format: 'oci' });
    expect(refusal('--format', 'oci')).toBe('unknown flag: --format (see isolab run --help)');
  });
});

describe('sizes (docker\'s units.RAMInBytes)', () => {
  it.each([
    ['512', 512],
    ['512b', 512],
    ['1k', 1024],
    ['512m', 512 * 1024 ** 2],
    ['512M', 512 * 1024 ** 2],
    ['64mb', 64 * 1024 ** 2],
    ['64MiB', 64 * 1024 ** 2],
    ['64 m', 64 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2t', 2 * 1024 ** 4],
  ])('%s = %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
  it.each(['', 'm', '-1', '1x', '1.2.3', '1 gb x'])('%j is not a size', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});

describe('resources', () => {
  const SIZE_HELP = 'a number of bytes with an optional unit b, k, m, g (e.g. 512m, 1g)';
  it('memory, swap, cpus, shares, cpuset, pids', () => {
    const r = specOf('-m', '256m', '--memory-swap', '1g', '--cpus', '1.5', '-c', '512', '--cpuset-cpus', '0-1,3', '--pids-limit', '64').resources;
    expect(r).toMatchObject({ cgroup: true, memoryBytes: 256 << 20, memorySwapBytes: 1 << 30, cpus: 1.5, cpuShares: 512, cpusetCpus: '0-1,3', pidsLimit: 64 });
  });
  it.each([
    [['-m', '0'], { memoryBytes: null }],
    [['-m', '1g', '--memory-swap', '-1'], { memorySwapBytes: -1 }],
    [['-m', '1g', '--memory-swap', '0'], { memorySwapBytes: null }],
    [['--cpus', '1/2'], { cpus: 0.5 }],
    [['--cpus', '0'], { cpus: null }],
    [['-c', '0'], { cpuShares: null }],
    [['--pids-limit', '0'], { pidsLimit: null }],
    [['--pids-limit', '-1'], { pidsLimit: null }],
  ])('%j: docker\'s "no limit" values', (argv, expected) => {
    expect(specOf(...argv).resources).toMatchObject(expected);
  });
  it.each([
    [['-m', '12x'], `--memory: "12x" is not a size: ${SIZE_HELP}`],
    [['-m', '1m'], "--memory: at least 6 MiB (docker's floor): less cannot even start a shell"],
    [['--memory-swap', '1g'], '--memory-swap: memory+swap needs a memory limit too (as docker)'],
    [['-m', '1g', '--memory-swap', '512m'], '--memory-swap: memory+swap must be at least the memory limit (as docker)'],
    [['-m', '1g', '--memory-swap', 'lots'], `--memory-swap: "lots" is not a size: ${SIZE_HELP}`],
    [['--cpus', 'many'], '--cpus: "many" is not a number of CPUs (e.g. 0.5, 2)'],
    [['--cpus', '0.001'], '--cpus: 0.001 is out of range: 0.01 to 1024, or 0 for no limit'],
    [['-c', '1'], '--cpu-shares: 1 is out of range: 2 to 262144, or 0 for the default'],
    [['-c', '-5'], '--cpu-shares: -5 is out of range: 2 to 262144, or 0 for the default'],
    [['-c', 'x'], '--cpu-shares: "x" is not a whole number (e.g. 512; docker\'s default weight is 1024)'],
    [['--cpuset-cpus', 'a'], '--cpuset-cpus: a CPU list like "0" or "0-1,3"'],
    [['--pids-limit', '1.5'], '--pids-limit: "1.5" is not a whole number (0 or -1 = unlimited)'],
  ])('%j → %s', (argv, message) => {
    expect(refusal(...argv)).toBe(message);
  });

  it('--device-read-bps/--device-write-bps throttle the image\'s disk, whatever /dev path is named', () => {
    expect(specOf('--device-read-bps', '/dev/sda:1mb', '--device-write-bps', '/dev/nvme0n1:2m').resources).toMatchObject({ rootfsReadBps: 1 << 20, rootfsWriteBps: 2 << 20 });
    expect(specOf('--device-read-bps', '/dev/sda:1mb', '--device-read-bps', '/dev/sda:3mb').resources.rootfsReadBps).toBe(3 << 20);
    expect(specOf('--device-read-bps', '/dev/sda:0').resources.rootfsReadBps).toBeNull();
  });
  it.each([
    [['--device-read-bps', 'sda:1mb'], '--device-read-bps: "sda:1mb" is not PATH:RATE with a device path under /dev/ (e.g. /dev/sda:1mb); isolab throttles the disk behind its image, whatever device PATH names'],
    [['--device-write-bps', '/dev/sda'], '--device-write-bps: "/dev/sda" is not PATH:RATE with a device path under /dev/ (e.g. /dev/sda:1mb); isolab throttles the disk behind its image, whatever device PATH names'],
    [['--device-read-bps', '/dev/sda:fast'], '--device-read-bps: "fast" is not a rate: a number of bytes with an optional unit b, k, m, g (e.g. 512m, 1g) per second'],
    [['--device-read-bps', '/dev/sda:1m', '--device-read-bps', '/dev/sdb:1m'], '--device-read-bps: names 2 devices: isolab throttles one, the disk behind its image (give it once)'],
  ])('%j → %s', (argv, message) => {
    expect(refusal(...argv)).toBe(message);
  });

  it('--device-cgroup-rule adds rules; "a *:* rwm" allows every device', () => {
    expect(specOf('--device-cgroup-rule', 'c 1:3 rwm', '--device-cgroup-rule', 'b *:* m').resources).toMatchObject({ devices: 'docker-default', deviceRules: ['c 1:3 rwm', 'b *:* m'] });
    expect(specOf('--device-cgroup-rule', 'a *:* rwm').resources).toMatchObject({ devices: 'allow-all', deviceRules: [] });
    expect(refusal('--device-cgroup-rule', 'x 1:3 rwm')).toBe('--device-cgroup-rule: a rule like "c 1:3 rwm" (type a|b|c, major:minor or *, access r/w/m)');
  });

  it('--cgroup host keeps the container in isolab\'s cgroup, and then refuses limits', () => {
    expect(specOf('--cgroup', 'host').resources.cgroup).toBe(false);
    expect(refusal('--cgroup', 'host', '--pids-limit', '5')).toBe("--pids-limit: limits are written to the container's own cgroup: drop --cgroup host");
    expect(refusal('--cgroup', 'mine')).toBe('--cgroup: "mine" is not one of host, private');
  });
});

describe('capabilities: docker\'s --cap-add/--cap-drop semantics', () => {
  const without = (...caps: Capability[]) => DOCKER_DEFAULT_CAPABILITIES.filter((c) => !caps.includes(c));
  it.each<[string[], 'all' | Capability[]]>([
    [[], [...DOCKER_DEFAULT_CAPABILITIES]],
    [['--cap-drop', 'NET_RAW'], without('NET_RAW')],
    [['--cap-drop', 'cap_net_raw', '--cap-drop', 'Chown'], without('NET_RAW', 'CHOWN')],
    [['--cap-add', 'SYS_ADMIN'], [...DOCKER_DEFAULT_CAPABILITIES, 'SYS_ADMIN']],
    [['--cap-add', 'CAP_SYS_TIME,net_admin'], [...DOCKER_DEFAULT_CAPABILITIES, 'NET_ADMIN', 'SYS_TIME']],
    [['--cap-drop', 'ALL'], []],
    [['--cap-drop', 'all', '--cap-add', 'NET_BIND_SERVICE', '--cap-add', 'SYS_ADMIN'], ['NET_BIND_SERVICE', 'SYS_ADMIN']],
    [['--cap-add', 'ALL'], 'all'],
    [['--cap-add', 'ALL', '--cap-drop', 'ALL'], 'all'],
    [['--cap-add', 'NET_RAW', '--cap-drop', 'NET_RAW'], [...DOCKER_DEFAULT_CAPABILITIES]],
    [['--cap-drop', 'ALL', '--cap-add', 'ALL'], 'all'],
    [['--cap-drop', 'ALL', '--cap-drop', 'CHOWN', '--cap-add', 'CHOWN'], ['CHOWN']],
  ])('%j', (argv, expected) => {
    expect(specOf(...argv).capabilities).toEqual(expected);
  });
  it('--cap-add ALL --cap-drop X is every capability but X', () => {
    const caps = specOf('--cap-add', 'ALL', '--cap-drop', 'SYS_ADMIN').capabilities as Capability[];
    expect([...caps].sort()).toEqual(CAPABILITIES.filter((c) => c !== 'SYS_ADMIN').sort());
  });
  it('an unknown name is refused', () => {
    expect(refusal('--cap-add', 'FLY')).toBe('--cap-add: unknown capability "FLY" (a name from capabilities(7), with or without CAP_, any case: NET_ADMIN, cap_sys_time; or ALL)');
    expect(refusal('--cap-drop', 'NET_RAW,')).toBe('--cap-drop: unknown capability "" (a name from capabilities(7), with or without CAP_, any case: NET_ADMIN, cap_sys_time; or ALL)');
  });
});

describe('filesystem', () => {
  it('--read-only and --tmpfs', () => {
    expect(specOf('--read-only', '--tmpfs', '/tmp', '--tmpfs', '/run:rw,size=16m').filesystem).toMatchObject({
      readOnly: true,
      tmpfs: [{ path: '/tmp', sizeBytes: 64 << 20 }, { path: '/run', sizeBytes: 16 << 20 }],
    });
    expect(specOf('--read-only=false').filesystem.readOnly).toBe(false);
  });
  it.each([
    [['--tmpfs', 'tmp'], '--tmpfs: "tmp" is not an absolute path'],
    [['--tmpfs', '/tmp:noexec'], '--tmpfs: option "noexec" is not supported: isolab\'s tmpfs takes size=SIZE (and rw, the default)'],
    [['--tmpfs', '/tmp:size=1k'], '--tmpfs: size 1024 is out of range: 4k to 1g'],
    [['--tmpfs', '/tmp:size=big'], '--tmpfs: "big" is not a size: a number of bytes with an optional unit b, k, m, g (e.g. 512m, 1g)'],
    [['--tmpfs', '/tmp', '--tmpfs', '/tmp:size=1m'], '--tmpfs: /tmp is given twice'],
    [['--tmpfs', '/a b'], '--tmpfs: must be an absolute path of letters, digits, ".", "_", "-" and "/"'],
  ])('%j → %s', (argv, message) => {
    expect(refusal(...argv)).toBe(message);
  });

  it("--mount-ns host needs --rootfs host, which also drops docker's masked paths", () => {
    expect(refusal('--mount-ns', 'host')).toBe('--mount-ns: host: the image needs the mount namespace (pivot_root only works on a private mount tree); add --rootfs host');
    const spec = specOf('--mount-ns', 'host', '--rootfs', 'host');
    expect(spec).toMatchObject({ rootfs: false, namespaces: { mount: false }, filesystem: { maskedPaths: false, readonlyPaths: false } });
    expect(refusal('--rootfs', 'host', '--masked-paths', 'default')).toBe('--masked-paths: masked paths need an own root filesystem (they are mounts over its /proc and /sys)');
    expect(refusal('--rootfs', 'host', '--read-only')).toBe("--read-only: a read-only root needs an own root filesystem: isolab never remounts the host's / read-only");
  });
  it('--root-mode, --masked-paths, --readonly-paths', () => {
    expect(specOf('--root-mode', 'chroot', '--masked-paths', 'none').filesystem).toMatchObject({ rootMode: 'chroot', maskedPaths: false, readonlyPaths: true });
    expect(specOf('--readonly-paths', 'none').filesystem).toMatchObject({ maskedPaths: true, readonlyPaths: false });
    expect(refusal('--root-mode', 'jail')).toBe('--root-mode: "jail" is not one of pivot, chroot');
    expect(refusal('--rootfs', 'scratch')).toBe('--rootfs: "scratch" is not one of image, host');
    expect(refusal('--masked-paths', 'some')).toBe('--masked-paths: "some" is not one of default, none');
  });
});

describe('--security-opt', () => {
  it.each<[string, Partial<ContainerSpec>]>([
    ['no-new-privileges', { noNewPrivs: true }],
    ['no-new-privileges=true', { noNewPrivs: true }],
    ['no-new-privileges:true', { noNewPrivs: true }],
    ['no-new-privileges=false', { noNewPrivs: false }],
    ['seccomp=unconfined', { seccomp: 'unconfined' }],
    ['seccomp=builtin', { seccomp: 'docker-default' }],
    ['seccomp:unconfined', { seccomp: 'unconfined' }],
    ['apparmor=docker-default', { apparmor: 'docker-default' }],
    ['apparmor=unconfined', { apparmor: null }],
    ['label=type:spc_t', { selinuxLabel: 'system_u:system_r:spc_t:s0' }],
    ['label=level:s0:c1,c2', { selinuxLabel: 'system_u:system_r:container_t:s0:c1,c2' }],
    ['label=disable', { selinuxLabel: null }],
  ])('%s', (opt, expected) => {
    expect(specOf('--security-opt', opt)).toMatchObject(expected);
  });
  it('label parts combine', () => {
    expect(specOf('--security-opt', 'label=user:user_u', '--security-opt', 'label=role:user_r').selinuxLabel).toBe('user_u:user_r:container_t:s0');
  });
  it('systempaths=unconfined turns off masked and read-only paths', () => {
    expect(specOf('--security-opt', 'systempaths=unconfined').filesystem).toMatchObject({ maskedPaths: false, readonlyPaths: false });
  });
  it('seccomp=FILE reads a Docker-format profile, keeps its path, and means "custom"', () => {
    const parsed = run('--security-opt', 'seccomp=/profiles/ok.json');
    expect(parsed.spec.seccomp).toBe('custom');
    expect(parsed.seccompProfile).toEqual({ path: '/profiles/ok.json', profile: PROFILE });
  });
  it.each([
    ['seccomp', '--security-opt: "seccomp" needs a value: no-new-privileges, seccomp=…, apparmor=…, label=…, systempaths=unconfined'],
    ['seccomp=', '--security-opt: "seccomp=" needs a value: no-new-privileges, seccomp=…, apparmor=…, label=…, systempaths=unconfined'],
    ['no-new-privileges=maybe', '--security-opt no-new-privileges: "maybe" is not a boolean (true or false)'],
    ['seccomp=/profiles/missing.json', "--security-opt seccomp=/profiles/missing.json: cannot read the profile: ENOENT: no such file or directory, open '/profiles/missing.json'"],
    ['seccomp=/profiles/list.json', '--security-opt seccomp=/profiles/list.json: seccomp profile: expected object'],
    ['seccomp=/profiles/bad-action.json', '--security-opt seccomp=/profiles/bad-action.json: seccomp profile: syscalls[0].action: unknown action (expected one of SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)'],
    ['label=bogus', '--security-opt: label=bogus is not user:USER, role:ROLE, type:TYPE, level:LEVEL or disable'],
    ['label=type:Bad!', '--security-opt label: a label like "system_u:system_r:container_t:s0"'],
    ['apparmor=bad profile', '--security-opt apparmor: an AppArmor profile name'],
    ['systempaths=confined', '--security-opt systempaths: "confined" is not one of unconfined'],
    ['mask=/proc', '--security-opt: unknown option "mask" (known: no-new-privileges, seccomp, apparmor, label, systempaths)'],
  ])('%s → %s', (opt, message) => {
    expect(refusal('--security-opt', opt)).toBe(message);
  });
  it('a profile that is not JSON is refused with the parser\'s reason', () => {
    expect(refusal('--security-opt', 'seccomp=/profiles/broken.json')).toMatch(/^--security-opt seccomp=\/profiles\/broken.json: seccomp profile: not valid JSON: .+/);
  });
});

describe('namespaces and network', () => {
  it.each<[string[], Partial<ContainerSpec['namespaces']>]>([
    [['--pid', 'host'], { pid: false }],
    [['--pid', 'private'], { pid: true }],
    [['--ipc', 'host'], { ipc: false }],
    [['--ipc', 'shareable'], { ipc: true }],
    [['--uts', 'host'], { uts: false }],
    [['--cgroupns', 'host'], { cgroup: false }],
    [['--userns', 'private'], { user: true }],
    [['--userns', 'host'], { user: false }],
    [['--timens', 'private'], { time: true }],
  ])('%j', (argv, expected) => {
    expect(specOf(...argv).namespaces).toMatchObject(expected);
  });
  it.each<[string[], boolean, string]>([
    [['--network', 'none'], true, 'loopback'],
    [['--network', 'host'], false, 'loopback'],
    [['--network', 'bridge'], true, 'bridge'],
    [['--network', 'default'], true, 'bridge'],
    [['--net', 'none'], true, 'loopback'],
    [['--net=host'], false, 'loopback'],
  ])('%j', (argv, net, mode) => {
    const spec = specOf(...argv);
    expect([spec.namespaces.net, spec.network.mode]).toEqual([net, mode]);
  });
  it('--net-rate needs the bridge', () => {
    expect(specOf('--net-rate', '1mbit').network).toEqual({ mode: 'bridge', rate: '1mbit' });
    expect(refusal('--network', 'none', '--net-rate', '1mbit')).toBe('--net-rate: a bandwidth limit applies to the veth: it needs network mode "bridge"');
    expect(refusal('--net-rate', 'fast')).toBe('--net-rate: a rate like "512kbit", "1mbit" or "1gbit"');
  });
  it.each([
    [['--pid', 'container:web'], '--pid: "container:web" is not one of host, private'],
    [['--ipc', 'none'], '--ipc: "none" (no /dev/shm) is not supported: isolab always mounts /dev/shm; use private or host'],
    [['--ipc', 'container:web'], '--ipc: "container:web" is not one of private, shareable, host'],
    [['--network', 'mynet'], '--network: "mynet" is not one of bridge, none, host, default'],
    [['--net', 'container:web'], '--network: "container:web" is not one of bridge, none, host, default'],
    [['--userns', 'remap'], '--userns: "remap" is not one of host, private'],
    [['--userns', 'private', '--pid', 'host'], '--userns: a user namespace needs the PID namespace too (root of a user namespace may mount /proc only for a PID namespace it owns)'],
  ])('%j → %s', (argv, message) => {
    expect(refusal(...argv)).toBe(message);
  });
  it('--hostname sets the name; refuses a bad one and one with the host\'s UTS namespace', () => {
    expect(specOf('-h', 'box').hostname).toBe('box');
    expect(refusal('--hostname', '-box')).toBe('--hostname: hostname must be 1–63 letters, digits or "-", not starting or ending with "-"');
    expect(refusal('--uts', 'host', '--hostname', 'box')).toBe("--hostname: conflicts with --uts host: the host's name is not the container's to change");
  });
  it('--time-offset turns on the time namespace unless --timens says host', () => {
    expect(specOf('--time-offset', '-3600')).toMatchObject({ timeOffsetSeconds: -3600, namespaces: { time: true } });
    expect(refusal('--time-offset', '3600', '--timens', 'host')).toBe('--time-offset: clock offsets need the time namespace');
    expect(refusal('--time-offset', 'soon')).toBe('--time-offset: "soon" is not a whole number of seconds (e.g. 3600 or -86400)');
    expect(refusal('--time-offset', '2000000000')).toBe('--time-offset: 2000000000 is out of range: at most 10^9 seconds either way');
  });
});

describe('--user', () => {
  it.each<[string, { uid: number; gid: number } | null]>([
    ['1000', { uid: 1000, gid: 0 }],
    ['1000:1000', { uid: 1000, gid: 1000 }],
    ['nobody', { uid: 65534, gid: 65534 }],
    ['65534', { uid: 65534, gid: 65534 }],
    ['nobody:root', { uid: 65534, gid: 0 }],
    ['nobody:0', { uid: 65534, gid: 0 }],
    ['0', null],
    ['root', null],
    ['0:0', null],
    ['0:5', { uid: 0, gid: 5 }],
  ])('-u %s', (value, expected) => {
    expect(specOf('-u', value).user).toEqual(expected);
  });
  it('resolves names in the host\'s database with --rootfs host', () => {
    expect(specOf('--rootfs', 'host', '--user', 'alice:staff').user).toEqual({ uid: 1000, gid: 50 });
  });
  it.each([
    ['bob', '--user: no user "bob" in the container\'s /etc/passwd (give a number)'],
    ['1000:wheel', '--user: no group "wheel" in the container\'s /etc/group (give a number)'],
    ['70000', '--user: uid 70000 is out of range: isolab maps ids 0-65535'],
    ['1:70000', '--user: gid 70000 is out of range: isolab maps ids 0-65535'],
    ['1:2:3', '--user: "1:2:3" is not UID[:GID] (numbers or names: 1000, 1000:1000, nobody:nogroup)'],
    ['1000:', '--user: "1000:" is not UID[:GID] (numbers or names: 1000, 1000:1000, nobody:nogroup)'],
  ])('-u %s → %s', (value, message) => {
    expect(refusal('-u', value)).toBe(message);
  });
});

describe('--ulimit', () => {
  it.each<[string, { soft: number; hard: number }]>([
    ['nofile=1024:2048', { soft: 1024, hard: 2048 }],
    ['nofile=1024', { soft: 1024, hard: 1024 }],
    ['nofile=-1', { soft: -1, hard: -1 }],
    ['nofile=unlimited', { soft: -1, hard: -1 }],
    ['nofile=0:unlimited', { soft: 0, hard: -1 }],
  ])('%s', (value, expected) => {
    expect(specOf('--ulimit', value).rlimits.nofile).toEqual(expected);
  });
  it('several, the later one for a name winning', () => {
    expect(specOf('--ulimit', 'nproc=10', '--ulimit', 'core=0', '--ulimit', 'nproc=20').rlimits).toEqual({ nproc: { soft: 20, hard: 20 }, core: { soft: 0, hard: 0 } });
  });
  it.each([
    ['nofile', '--ulimit: "nofile" is not NAME=SOFT[:HARD] (e.g. nofile=1024:2048)'],
    ['rss=1', '--ulimit: unknown limit "rss" (known: nofile, nproc, fsize, core, cpu, data, stack, memlock, as, locks, sigpending, msgqueue, nice, rtprio)'],
    ['nofile=2048:1024', '--ulimit: nofile=2048:1024: the soft limit must not exceed the hard limit'],
    ['nofile=-1:1024', '--ulimit: nofile=-1:1024: the soft limit must not exceed the hard limit'],
    ['nofile=1:2:3', '--ulimit: "nofile=1:2:3" has more than SOFT:HARD'],
    ['nofile=many', '--ulimit: "many" in nofile=many is not a number, -1 or unlimited'],
  ])('%s → %s', (value, message) => {
    expect(refusal('--ulimit', value)).toBe(message);
  });
});

describe('--privileged', () => {
  it('lifts what docker\'s --privileged lifts', () => {
    expect(specOf('--privileged')).toEqual(
      change({ capabilities: 'all', seccomp: 'unconfined', filesystem: { maskedPaths: false, readonlyPaths: false }, resources: { devices: 'allow-all' } }),
    );
  });
  it('ignores capability and seccomp flags with a warning, as docker does; keeps an explicit AppArmor profile', () => {
    const parsed = run('--privileged', '--cap-drop', 'ALL', '--security-opt', 'seccomp=/profiles/ok.json', '--security-opt', 'apparmor=lab', '--security-opt', 'no-new-privileges');
    expect(parsed.spec).toMatchObject({ capabilities: 'all', seccomp: 'unconfined', apparmor: 'lab', noNewPrivs: true });
    expect(parsed.seccompProfile).toBeNull();
    expect(parsed.warnings).toEqual([
      '--cap-add/--cap-drop have no effect with --privileged (as with docker): every capability is kept',
      '--security-opt seccomp has no effect with --privileged (as with docker): no filter is installed',
    ]);
  });
});

describe('--env, Landlock, --json-status', () => {
  it('-e KEY=VALUE, and KEY alone passes on the caller\'s value', () => {
    expect(run('-e', 'A=1', '--env=B=x=y', '-e', 'FROM_CALLER', '-e', 'NOT_SET', '-e', 'EMPTY=').env).toEqual({ A: '1', B: 'x=y', FROM_CALLER: 'inherited', EMPTY: '' });
    expect(refusal('-e', '=x')).toBe('--env: "=x" is not KEY=VALUE or KEY');
  });
  it('--landlock-ro/--landlock-rw turn Landlock on with their paths', () => {
    expect(specOf('--landlock-ro', '/usr:/bin', '--landlock-ro', '/etc', '--landlock-rw', '/tmp').landlock).toEqual({ enabled: true, readOnly: ['/usr', '/bin', '/etc'], readWrite: ['/tmp'] });
    expect(refusal('--landlock-rw', 'tmp')).toBe('--landlock-ro/--landlock-rw: must be an absolute path of letters, digits, ".", "_", "-" and "/"');
  });
  it('--json-status', () => {
    expect(run('--json-status').jsonStatus).toBe(true);
  });
});

describe('the help text', () => {
  it.each(RUN_FLAG_NAMES)('documents --%s', (name) => {
    expect(RUN_USAGE).toContain(`--${name}`);
  });
});

describe('round trip: toDockerRun → isolab run gives the same settings back', () => {
  const custom = change({ seccomp: 'custom' });
  it.each<[string, ContainerSpec]>([
    ['docker default', DOCKER_RUN_DEFAULT],
    ['host namespaces', change({ namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, pid: false, ipc: false, uts: false, cgroup: false }, network: { mode: 'loopback', rate: null } })],
    ['no network', change({ network: { mode: 'loopback', rate: null } })],
    ['host network', change({ namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, net: false }, network: { mode: 'loopback', rate: null } })],
    ['hostname and user', change({ hostname: 'lab-1', user: { uid: 1000, gid: 100 } })],
    ['no capabilities', change({ capabilities: [] })],
    ['one capability', change({ capabilities: ['NET_BIND_SERVICE'] })],
    ['14 minus one plus one', change({ capabilities: [...DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'NET_RAW'), 'SYS_ADMIN'] })],
    ['all capabilities', change({ capabilities: 'all' })],
    ['hardened', change({ noNewPrivs: true, capabilities: [], filesystem: { readOnly: true, tmpfs: [{ path: '/tmp', sizeBytes: 16 << 20 }] } })],
    ['seccomp unconfined', change({ seccomp: 'unconfined' })],
    ['seccomp from a file', custom],
    ['no system paths', change({ filesystem: { maskedPaths: false, readonlyPaths: false } })],
    ['LSM labels', change({ apparmor: 'lab-profile', selinuxLabel: 'user_u:user_r:container_t:s0:c1,c2' })],
    ['limits', change({ resources: { ...DOCKER_RUN_DEFAULT.resources, memoryBytes: 512 << 20, memorySwapBytes: 1 << 30, cpus: 0.5, cpuShares: 512, cpusetCpus: '0-1', pidsLimit: 64, rootfsReadBps: 1 << 20, rootfsWriteBps: 3 << 19, deviceRules: ['c 10:200 rwm'] } })],
    ['unlimited swap', change({ resources: { ...DOCKER_RUN_DEFAULT.resources, memoryBytes: 64 << 20, memorySwapBytes: -1 } })],
    ['all devices', change({ resources: { ...DOCKER_RUN_DEFAULT.resources, devices: 'allow-all' } })],
    ['ulimits', change({ rlimits: { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: -1, hard: -1 }, core: { soft: 0, hard: -1 } } })],
    ['privileged', change({ capabilities: 'all', seccomp: 'unconfined', filesystem: { maskedPaths: false, readonlyPaths: false }, resources: { ...DOCKER_RUN_DEFAULT.resources, devices: 'allow-all' } })],
  ])('%s', (_name, spec) => {
    const exported = toDockerRun(spec, { seccompProfilePath: '/profiles/ok.json' });
    expect(exported.unsupported).toEqual([]);
    const back = run(...exported.flags);
    expect(back.spec).toEqual(spec);
    expect(back.seccompProfile).toEqual(spec.seccomp === 'custom' ? { path: '/profiles/ok.json', profile: PROFILE } : null);
  });
});
