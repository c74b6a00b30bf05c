import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from './capabilities.js';
import {
  DOCKER_DEVICE_RULES,
  DOCKER_MASKED_PATHS,
  DOCKER_READONLY_PATHS,
  RLIM_INFINITY,
  formatSize,
  ociConfigJson,
  shellQuote,
  toDockerRun,
  toOciConfig,
  type OciOptions,
} from './export.js';
import { SeccompProfile } from './seccomp-profile.js';
import { DOCKER_RUN_DEFAULT, FULL_ISOLATION, PLAIN_PROCESS, applySpecChange, type ContainerSpec, type SpecChange } from './spec.js';

/** isolab's "docker-default" seccomp profile (moby's default.json). */
const DOCKER_PROFILE = SeccompProfile.parse(JSON.parse(readFileSync(new URL('../profiles/seccomp/docker-default.json', import.meta.url), 'utf8')));
const change = (c: SpecChange) => applySpecChange(DOCKER_RUN_DEFAULT, c);
const HOST: Pick<OciOptions, 'machine' | 'kernelRelease'> = { machine: 'x86_64', kernelRelease: '6.18.0-1-amd64' };
const oci = (spec: ContainerSpec, opts: Partial<OciOptions> = {}) =>
  toOciConfig(spec, { args: ['sh'], seccompProfile: DOCKER_PROFILE, ...HOST, ...opts });

describe('toDockerRun', () => {
  it("is bare `docker run` for docker's defaults", () => {
    expect(toDockerRun(DOCKER_RUN_DEFAULT)).toEqual({
      argv: ['docker', 'run', '--rm', '-it', 'busybox'],
      flags: [],
      commandLine: 'docker run --rm -it busybox',
      lines: ['docker run --rm -it', '  busybox'],
      unsupported: [],
    });
  });

  it('lays the command out one option a line, each with its value', () => {
    const out = toDockerRun(change({ hostname: 'box', noNewPrivs: true }), { image: 'alpine', command: ['sh', '-c', 'echo hi'], env: { A: '1 2' } });
    expect(out.lines).toEqual(['docker run --rm -it', '  --hostname box', '  --security-opt no-new-privileges', "  -e 'A=1 2'", "  alpine sh -c 'echo hi'"]);
  });

  it('names the image, the command and the environment; -it only for an interactive run', () => {
    const out = toDockerRun(change({ hostname: 'box' }), { image: 'alpine', command: ['sh', '-c', "echo it's"], env: { A: '1 2' }, interactive: false });
    expect(out.argv).toEqual(['docker', 'run', '--rm', '--hostname', 'box', '-e', 'A=1 2', 'alpine', 'sh', '-c', "echo it's"]);
    expect(out.commandLine).toBe(`docker run --rm --hostname box -e 'A=1 2' alpine sh -c 'echo it'\\''s'`);
  });

  it.each<[string, SpecChange, string[]]>([
    ['host namespaces', { namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, pid: false, ipc: false, uts: false } }, ['--uts', 'host', '--pid', 'host', '--ipc', 'host']],
    ['no network', { network: { mode: 'loopback', rate: null } }, ['--network', 'none']],
    ['host network', { namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, net: false }, network: { mode: 'loopback', rate: null } }, ['--network', 'host']],
    ['host cgroup namespace', { namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, cgroup: false } }, ['--cgroupns', 'host']],
    ['a user', { user: { uid: 1000, gid: 1000 } }, ['--user', '1000:1000']],
    ['one capability dropped', { capabilities: DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'NET_RAW') }, ['--cap-drop', 'NET_RAW']],
    ['one added', { capabilities: [...DOCKER_DEFAULT_CAPABILITIES, 'SYS_PTRACE'] }, ['--cap-add', 'SYS_PTRACE']],
    ['none', { capabilities: [] }, ['--cap-drop', 'ALL']],
    ['only one', { capabilities: ['NET_BIND_SERVICE'] }, ['--cap-drop', 'ALL', '--cap-add', 'NET_BIND_SERVICE']],
    ['all', { capabilities: 'all' }, ['--cap-add', 'ALL']],
    ['no seccomp', { seccomp: 'unconfined' }, ['--security-opt', 'seccomp=unconfined']],
    ['own seccomp', { seccomp: 'custom' }, ['--security-opt', 'seccomp=seccomp.json']],
    ['no_new_privs', { noNewPrivs: true }, ['--security-opt', 'no-new-privileges']],
    ['AppArmor', { apparmor: 'lab' }, ['--security-opt', 'apparmor=lab']],
    ['an SELinux type', { selinuxLabel: 'system_u:system_r:spc_t:s0' }, ['--security-opt', 'label=type:spc_t']],
    ['no system paths', { filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, maskedPaths: false, readonlyPaths: false } }, ['--security-opt', 'systempaths=unconfined']],
    ['read-only with a tmpfs', { filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, readOnly: true, tmpfs: [{ path: '/tmp', sizeBytes: 64 << 20 }] } }, ['--read-only', '--tmpfs', '/tmp:size=64m']],
    ['limits', { resources: { ...DOCKER_RUN_DEFAULT.resources, memoryBytes: 512 << 20, memorySwapBytes: -1, cpus: 0.5, cpuShares: 512, cpusetCpus: '0', pidsLimit: 64 } }, ['--memory', '512m', '--memory-swap', '-1', '--cpus', '0.5', '--cpu-shares', '512', '--cpuset-cpus', '0', '--pids-limit', '64']],
    ['block I/O', { resources: { ...DOCKER_RUN_DEFAULT.resources, rootfsReadBps: 1 << 20, rootfsWriteBps: 1000 } }, ['--device-read-bps', '/dev/sda:1m', '--device-write-bps', '/dev/sda:1000']],
    ['a device rule', { resources: { ...DOCKER_RUN_DEFAULT.resources, deviceRules: ['c 10:200 rwm'] } }, ['--device-cgroup-rule', 'c 10:200 rwm']],
    ['every device', { resources: { ...DOCKER_RUN_DEFAULT.resources, devices: 'allow-all' } }, ['--device-cgroup-rule', 'a *:* rwm']],
    ['ulimits', { rlimits: { nofile: { soft: 1024, hard: 2048 }, core: { soft: 0, hard: 0 } } }, ['--ulimit', 'nofile=1024:2048', '--ulimit', 'core=0']],
    [
      'privileged',
      { capabilities: 'all', seccomp: 'unconfined', filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, maskedPaths: false, readonlyPaths: false }, resources: { ...DOCKER_RUN_DEFAULT.resources, devices: 'allow-all' } },
      ['--privileged'],
    ],
  ])('%s → only the flags that differ', (_name, c, flags) => {
    const out = toDockerRun(change(c));
    expect(out.flags).toEqual(flags);
    expect(out.unsupported).toEqual([]);
  });

  it('quotes what the shell would split', () => {
    expect(toDockerRun(change({ resources: { ...DOCKER_RUN_DEFAULT.resources, devices: 'allow-all' } })).commandLine).toBe(
      "docker run --rm -it --device-cgroup-rule 'a *:* rwm' busybox",
    );
  });

  it("on a cgroup v1 docker host a private cgroup namespace must be asked for", () => {
    expect(toDockerRun(DOCKER_RUN_DEFAULT, { hostCgroupVersion: 1 }).flags).toEqual(['--cgroupns', 'private']);
    expect(toDockerRun(change({ namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, cgroup: false } }), { hostCgroupVersion: 1 }).flags).toEqual([]);
  });

  it('names the image disk and the profile file where the caller knows them', () => {
    const spec = change({ seccomp: 'custom', resources: { ...DOCKER_RUN_DEFAULT.resources, rootfsReadBps: 2 << 20 } });
    expect(toDockerRun(spec, { seccompProfilePath: '/p.json', blockDevicePath: '/dev/vda' }).flags).toEqual(['--security-opt', 'seccomp=/p.json', '--device-read-bps', '/dev/vda:2m']);
  });

  it("lists what docker cannot express, and leaves it out of the command", () => {
    const out = toDockerRun(PLAIN_PROCESS);
    expect(out.unsupported).toEqual([
      'no mount namespace: every docker container has its own mount table',
      "the host's root filesystem: a docker container always starts from an image",
      "staying in the server's cgroup: docker always gives a container its own",
    ]);
    // Everything else of a plain process docker can say: host namespaces, all capabilities, no filter.
    expect(out.flags).toEqual([
      '--uts', 'host', '--pid', 'host', '--ipc', 'host', '--network', 'host', '--cgroupns', 'host',
      '--cap-add', 'ALL', '--security-opt', 'seccomp=unconfined', '--security-opt', 'systempaths=unconfined',
    ]);
  });

  it.each<[string, SpecChange, string]>([
    ['chroot', { filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, rootMode: 'chroot' } }, 'chroot instead of pivot_root: docker (runc) always uses pivot_root'],
    ['user namespace', { namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, user: true } }, 'a user namespace for one container: docker turns it on for the whole daemon (dockerd --userns-remap)'],
    ['time namespace', { namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, time: true }, timeOffsetSeconds: 60 }, 'the time namespace (clocks 60 s ahead): docker has no option for it'],
    ['Landlock', { landlock: { enabled: true, readOnly: ['/'], readWrite: ['/tmp'] } }, 'Landlock rules: docker has no Landlock option'],
    ['rate', { network: { mode: 'bridge', rate: '1mbit' } }, 'the 1mbit bandwidth limit: docker has none (tc on the veth by hand)'],
    ['masked only', { filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, readonlyPaths: false } }, 'masked paths without read-only paths: docker turns both off together (systempaths=unconfined)'],
    ['read-only paths only', { filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, maskedPaths: false } }, 'read-only paths without masked paths: docker turns both off together (systempaths=unconfined)'],
    ['"as" ulimit', { rlimits: { as: { soft: 1 << 30, hard: 1 << 30 } } }, 'the "as" (address space) ulimit: docker does not accept it'],
  ])('%s is noted as unsupported', (_name, c, note) => {
    expect(toDockerRun(change(c)).unsupported).toEqual([note]);
  });
});

describe('formatSize and shellQuote', () => {
  it.each([
    [1024 ** 3, '1g'],
    [512 * 1024 ** 2, '512m'],
    [1536 * 1024 ** 2, '1536m'],
    [65536, '64k'],
    [1000, '1000'],
    [0, '0'],
  ])('%d → %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
  it.each([
    ['plain-word_1.2/x:y=z', 'plain-word_1.2/x:y=z'],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['', "''"],
    ['$HOME', "'$HOME'"],
  ])('%j → %s', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });
});

describe('toOciConfig', () => {
  it("docker's defaults: namespaces, docker's 14 capabilities, mounts, masked paths, devices", () => {
    const { config, unsupported } = oci(DOCKER_RUN_DEFAULT, { cgroupsPath: '/isolab/c1' });
    const caps = DOCKER_DEFAULT_CAPABILITIES.map((c) => `CAP_${c}`);
    expect(config.ociVersion).toBe('1.0.2');
    expect(config.process).toMatchObject({
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: false,
    });
    expect(config.process.rlimits).toBeUndefined();
    expect(config.process.apparmorProfile).toBeUndefined();
    expect(config.root).toEqual({ path: 'rootfs', readonly: false });
    expect(config.hostname).toBe('isolab');
    expect(config.mounts.map((m) => `${m.destination} ${m.type}`)).toEqual([
      '/proc proc', '/dev tmpfs', '/dev/pts devpts', '/dev/shm tmpfs', '/dev/mqueue mqueue', '/sys sysfs', '/sys/fs/cgroup cgroup',
    ]);
    expect(config.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
    expect(config.linux.uidMappings).toBeUndefined();
    expect(config.linux.resources).toEqual({ devices: DOCKER_DEVICE_RULES });
    expect(config.linux.cgroupsPath).toBe('/isolab/c1');
    expect(config.linux.maskedPaths).toEqual([...DOCKER_MASKED_PATHS]);
    expect(config.linux.readonlyPaths).toEqual([...DOCKER_READONLY_PATHS]);
    expect(config.linux.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    // The bridge's veth is the one thing a runtime does not set up.
    expect(unsupported).toEqual(["the veth onto isolab's bridge: a runtime configures no network (loopback only); a CNI plugin or a hook adds interfaces"]);
  });

  it('user namespace, user, no_new_privs, LSM labels, rlimits, read-only root with a tmpfs', () => {
    const spec = change({
      namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, user: true },
      network: { mode: 'loopback', rate: null },
      user: { uid: 1000, gid: 100 },
      noNewPrivs: true,
      apparmor: 'lab',
      selinuxLabel: 'system_u:system_r:container_t:s0:c1,c2',
      rlimits: { nofile: { soft: 1024, hard: 2048 }, core: { soft: 0, hard: -1 } },
      filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, readOnly: true, tmpfs: [{ path: '/tmp', sizeBytes: 16 << 20 }] },
      capabilities: [],
      seccomp: 'unconfined',
    });
    const { config, unsupported } = oci(spec);
    expect(unsupported).toEqual([]);
    expect(config.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'user', 'cgroup']);
    expect(config.linux.uidMappings).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
    expect(config.linux.gidMappings).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
    expect(config.process).toMatchObject({
      user: { uid: 1000, gid: 100 },
      noNewPrivileges: true,
      apparmorProfile: 'lab',
      selinuxLabel: 'system_u:system_r:container_t:s0:c1,c2',
      capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
      rlimits: [
        { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 },
        { type: 'RLIMIT_CORE', soft: 0, hard: RLIM_INFINITY },
      ],
    });
    expect(config.root.readonly).toBe(true);
    expect(config.mounts.at(-1)).toEqual({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', `size=${16 << 20}`] });
    expect(config.linux.seccomp).toBeUndefined();
  });

  it('cgroup limits as the runtime-spec names them', () => {
    const spec = change({
      resources: { ...DOCKER_RUN_DEFAULT.resources, memoryBytes: 256 << 20, memorySwapBytes: -1, cpus: 1.5, cpuShares: 512, cpusetCpus: '0-1', pidsLimit: 32, rootfsReadBps: 1 << 20, rootfsWriteBps: 2 << 20, deviceRules: ['c 10:200 rwm', 'b *:* m'] },
    });
    const { config } = oci(spec, { rootfsDevice: '8:0' });
    expect(config.linux.resources).toEqual({
      devices: [...DOCKER_DEVICE_RULES, { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, { allow: true, type: 'b', access: 'm' }],
      memory: { limit: 256 << 20, swap: -1 },
      cpu: { shares: 512, quota: 150000, period: 100000, cpus: '0-1' },
      pids: { limit: 32 },
      blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 << 20 }], throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2 << 20 }] },
    });
    expect(oci(spec).unsupported).toContain('block I/O limits: no block device behind the image (or none given) to throttle');
    expect(oci(change({ resources: { ...DOCKER_RUN_DEFAULT.resources, devices: 'allow-all' } })).config.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
  });

  it('host namespaces: no mqueue of its own without IPC, the host\'s /sys bound without a network namespace, no hostname without UTS', () => {
    const spec = change({ namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, ipc: false, net: false, uts: false }, network: { mode: 'loopback', rate: null } });
    const { config } = oci(spec);
    expect(config.mounts.map((m) => m.destination)).not.toContain('/dev/mqueue');
    expect(config.mounts.find((m) => m.destination === '/sys')).toEqual({ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    expect(config.hostname).toBeUndefined();
    expect(config.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'mount', 'cgroup']);
  });

  it('time namespace: runtime-spec 1.1 and its offsets', () => {
    const { config, unsupported } = oci(change({ namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, time: true }, timeOffsetSeconds: -60, network: { mode: 'loopback', rate: null } }));
    expect(config.ociVersion).toBe('1.1.0');
    expect(config.linux.timeOffsets).toEqual({ monotonic: { secs: -60 }, boottime: { secs: -60 } });
    expect(unsupported).toEqual(['the time namespace needs runtime-spec 1.1 (runc 1.2 or later)']);
  });

  it('lists what OCI cannot say', () => {
    const { config, unsupported } = oci(PLAIN_PROCESS);
    expect(config.root).toEqual({ path: '/', readonly: false });
    expect(config.process.capabilities.bounding).toEqual(CAPABILITIES.map((c) => `CAP_${c}`));
    // "all" is what the caller has, as docker takes it from its own bounding set.
    expect(oci(PLAIN_PROCESS, { allCapabilities: ['CHOWN', 'KILL'] }).config.process.capabilities).toMatchObject({ bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_CHOWN', 'CAP_KILL'] });
    expect(unsupported).toEqual([
      'no mount namespace: runc always gives the container its own (and requires one)',
      "the host's root filesystem: root.path is \"/\" here, but runc still pivots into it and mounts over /proc, /dev and /sys",
      "staying in the caller's cgroup: runc always creates one for the container (here with no limits and every device allowed)",
    ]);
    expect(oci(change({ filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, rootMode: 'chroot' }, landlock: { enabled: true, readOnly: ['/'], readWrite: [] }, network: { mode: 'bridge', rate: '1mbit' } })).unsupported).toEqual([
      'chroot instead of pivot_root: runc chroots only when the root is on a ramfs (or with --no-pivot)',
      "the veth onto isolab's bridge: a runtime configures no network (loopback only); a CNI plugin or a hook adds interfaces",
      'the 1mbit bandwidth limit: OCI has no network shaping',
      'Landlock rules: the runtime-spec has no Landlock section',
    ]);
  });

  it('needs the profile for a seccomp filter', () => {
    expect(() => toOciConfig(DOCKER_RUN_DEFAULT, { args: ['sh'], ...HOST })).toThrow('toOciConfig: seccomp "docker-default" needs its Docker-format profile (opts.seccompProfile)');
  });

  it('passes the program, its environment and the terminal through', () => {
    const { config } = oci(FULL_ISOLATION, { args: ['/bin/ls', '-l'], env: ['A=1'], terminal: true, rootfsPath: 'img' });
    expect(config.process).toMatchObject({ args: ['/bin/ls', '-l'], env: ['A=1'], terminal: true });
    expect(config.root.path).toBe('img');
  });

  it('writes "unlimited" as the exact uint64 runc expects', () => {
    const { config } = oci(change({ rlimits: { nofile: { soft: -1, hard: -1 } } }));
    const text = ociConfigJson(config);
    expect(text).toContain('"soft": 18446744073709551615');
    expect(text).toContain('"hard": 18446744073709551615');
    expect(JSON.parse(text).process.rlimits[0].type).toBe('RLIMIT_NOFILE');
    expect(JSON.parse(ociConfigJson(oci(DOCKER_RUN_DEFAULT).config))).toEqual(JSON.parse(JSON.stringify(oci(DOCKER_RUN_DEFAULT).config)));
  });
});
