import { describe, expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../common/capabilities.js';
import { DOCKER_RUN_DEFAULT, FULL_ISOLATION, PLAIN_PROCESS, applyToggle, type ContainerSpec } from '../../common/spec.js';
import { joinArgs, launcherArgs, shellCommand, shellEnv } from './launcher.js';

const ctx = { rootfsDir: '/r' };

describe('launcherArgs', () => {
  it('is empty for a plain process', () => {
    expect(launcherArgs(PLAIN_PROCESS, ctx)).toEqual([]);
  });
  it('names every namespace, the hostname and the rootfs', () => {
    expect(launcherArgs(FULL_ISOLATION, ctx)).toEqual(['--unshare', 'mount,uts,ipc,pid,net', '--hostname', 'isolab', '--rootfs', '/r']);
  });
  it('sets the hostname only with a UTS namespace (otherwise it would rename the host)', () => {
    const spec = applyToggle(PLAIN_PROCESS, 'pid', true).spec;
    expect(launcherArgs(spec, ctx)).toEqual(['--unshare', 'pid']);
  });
  it("maps docker's defaults to the launcher's primitives", () => {
    const args = launcherArgs(DOCKER_RUN_DEFAULT, { ...ctx, cgroupName: 'c1', netAddress: '10.88.0.2/16', seccomp: { bpf: '/s.bpf', flags: [] } });
    const joined = args.join(' ');
    expect(joined).toContain('--unshare mount,uts,ipc,pid,net,cgroup');
    expect(joined).toContain('--cgroup c1');
    expect(joined).toContain('--net-bridge isolab0 --net-gateway 10.88.0.1/16 --net-address 10.88.0.2/16');
    expect(joined).toContain('--masked-paths default --readonly-paths default');
    expect(joined).toContain(`--cap-drop ALL --cap-add ${DOCKER_DEFAULT_CAPABILITIES.join(',')}`);
    expect(joined).toContain('--seccomp-bpf /s.bpf');
    expect(joined).not.toContain('--seccomp-flag');
    expect(joined).not.toContain('--no-new-privs');
  });
  it('loads the prebuilt seccomp program with its flags, or says unconfined when the profile asks for no filter', () => {
    const spec: ContainerSpec = { ...PLAIN_PROCESS, seccomp: 'custom' };
    expect(launcherArgs(spec, { ...ctx, seccomp: { bpf: '/p.bpf', flags: ['log', 'spec_allow'] } })).toEqual([
      '--seccomp-bpf', '/p.bpf', '--seccomp-flag', 'log', '--seccomp-flag', 'spec_allow',
    ]);
    expect(launcherArgs(spec, { ...ctx, seccomp: null })).toEqual(['--seccomp', 'unconfined']);
    expect(() => launcherArgs(spec, ctx)).toThrow(/seccomp needs a compiled profile/);
  });
  it("passes a workshop's guard filter before the container's own, also when the profile is unconfined and to joined processes", () => {
    const guarded = { ...ctx, seccompGuard: '/g.bpf' };
    expect(launcherArgs(PLAIN_PROCESS, guarded)).toEqual(['--seccomp-guard', '/g.bpf']);
    const custom: ContainerSpec = { ...PLAIN_PROCESS, seccomp: 'custom' };
    expect(launcherArgs(custom, { ...guarded, seccomp: { bpf: '/p.bpf', flags: [] } })).toEqual(['--seccomp-guard', '/g.bpf', '--seccomp-bpf', '/p.bpf']);
    expect(launcherArgs(custom, { ...guarded, seccomp: null })).toEqual(['--seccomp-guard', '/g.bpf', '--seccomp', 'unconfined']);
    expect(joinArgs(custom, { ...guarded, seccomp: { bpf: '/p.bpf', flags: [] } })).toEqual(['--seccomp-guard', '/g.bpf', '--seccomp-bpf', '/p.bpf']);
    expect(launcherArgs(custom, { ...ctx, seccomp: { bpf: '/p.bpf', flags: [] } })).not.toContain('--seccomp-guard');
  });
  it('refuses to build a command line that would silently drop a primitive', () => {
    expect(() => launcherArgs(DOCKER_RUN_DEFAULT, ctx)).toThrow(/cgroup name/);
  });
  it('writes limits with the values the spec holds', () => {
    const spec: ContainerSpec = { ...FULL_ISOLATION, resources: { ...FULL_ISOLATION.resources, cgroup: true, memoryBytes: 64 << 20, pidsLimit: 20, cpus: 0.5, rootfsReadBps: 1048576 } };
    const args = launcherArgs(spec, { ...ctx, cgroupName: 'c', rootfsDevice: '254:0' }).join(' ');
    expect(args).toContain('--memory 67108864');
    expect(args).toContain('--pids-limit 20');
    expect(args).toContain('--cpus 0.5');
    expect(args).toContain('--device-read-bps 254:0:1048576');
  });
});

describe('joinArgs', () => {
  const full = { ...ctx, cgroupName: 'c1', netAddress: '10.88.0.2/16', seccomp: { bpf: '/s.bpf', flags: ['log' as const] } };
  const hardened: ContainerSpec = {
    ...DOCKER_RUN_DEFAULT,
    resources: { ...DOCKER_RUN_DEFAULT.resources, pidsLimit: 20, memoryBytes: 64 << 20 },
    filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, readOnly: true, tmpfs: [{ path: '/tmp', sizeBytes: 1 << 20 }] },
    noNewPrivs: true,
    user: { uid: 1000, gid: 1000 },
    landlock: { enabled: true, readOnly: ['/usr', '/bin'], readWrite: ['/tmp'] },
    rlimits: { nofile: { soft: 100, hard: 200 } },
  };

  it('is empty for a plain process (nothing to confine a joined process with)', () => {
    expect(joinArgs(PLAIN_PROCESS, ctx)).toEqual([]);
  });
  it("is the container's cgroup and its hardening options, in launcherArgs' order", () => {
    expect(joinArgs(hardened, full)).toEqual([
      '--cgroup', 'c1',
      '--ulimit', 'nofile=100:200',
      '--landlock-ro', '/usr:/bin', '--landlock-rw', '/tmp',
      '--cap-drop', 'ALL', '--cap-add', DOCKER_DEFAULT_CAPABILITIES.join(','),
      '--user', '1000:1000',
      '--no-new-privs',
      '--seccomp-bpf', '/s.bpf', '--seccomp-flag', 'log',
    ]);
  });
  it('is exactly the tail of launcherArgs after the --cgroup limits, namespaces and filesystem', () => {
    const container = launcherArgs(hardened, full);
    const joined = joinArgs(hardened, full);
    // every option a joined process gets, the container got with the same value
    expect(container.join(' ')).toContain(joined.slice(2).join(' '));
    expect(container.join(' ')).toContain('--cgroup c1');
    // and nothing that creates or shapes the container (the launcher refuses those with --join)
    for (const option of ['--unshare', '--hostname', '--rootfs', '--read-only', '--tmpfs', '--masked-paths', '--pids-limit', '--memory', '--net-bridge']) {
      expect(container, option).toContain(option);
      expect(joined, option).not.toContain(option);
    }
  });
  it('has no --cgroup when the container has no cgroup of its own', () => {
    expect(joinArgs({ ...hardened, resources: { ...hardened.resources, cgroup: false } }, full)).not.toContain('--cgroup');
  });
  it('refuses to drop a primitive silently', () => {
    expect(() => joinArgs(DOCKER_RUN_DEFAULT, ctx)).toThrow(/cgroup name/);
    expect(() => joinArgs({ ...PLAIN_PROCESS, seccomp: 'docker-default' }, ctx)).toThrow(/seccomp/);
  });
});

describe('shell', () => {
  it('uses the image shell with an own rootfs and bash on the host', () => {
    expect(shellCommand(FULL_ISOLATION)[0]).toBe('/bin/sh');
    expect(shellCommand(PLAIN_PROCESS)[0]).toBe('/bin/bash');
  });
  it('passes an explicit environment, nothing from the server', () => {
    expect(Object.keys(shellEnv()).sort()).toEqual(['HOME', 'ISOLAB', 'LANG', 'PATH', 'PS1', 'TERM']);
  });
});
