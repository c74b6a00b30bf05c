// The OCI exporter against a real runtime: the config.json that `isolab export --format oci` writes
// is run under runc, and what the probe sees inside runc's container is compared with what it sees
// inside isolab's own launcher given the same settings (launcherArgs + --rootfs build/rootfs):
// which namespaces are private (inode vs the host's), the five capability sets, no_new_privs,
// the seccomp mode, the uid/gid and the uid map, the hostname, a read-only root, where a file can
// be written, tmpfs mounts, Docker's masked and read-only paths, rlimits, and how many tasks the
// pids limit lets in.
// Last, the `isolab run` and `isolab export` commands end to end.
//
// Needs root and `npm run setup -- --for-tests` (which installs runc). cgroups: runc 1.1 works on
// a v1 hybrid host through linux.cgroupsPath, as on v2.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { machine, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCapabilityMask, type Capability } from '../../common/capabilities.js';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS, ociConfigJson, toOciConfig } from '../../common/export.js';
import { CAP_SET_NAMES, ProbeReport } from '../../common/probe.js';
import { DOCKER_RUN_DEFAULT, NAMESPACE_KINDS, applySpecChange, type ContainerSpec, type NamespaceKind } from '../../common/spec.js';
import { ContainerContexts } from '../../server/runtime/container-context.js';
import { launcherArgs } from '../../server/runtime/launcher.js';
import { REPO_ROOT, defaultPaths } from '../../server/base/paths.js';
import { parseSeccompProfileJson } from '../../server/runtime/seccomp/profile.js';
import { run as runLauncher } from '../helpers/harden.js';

const PATHS = defaultPaths();
const RUNC = '/usr/sbin/runc';
const PROBE_IN_IMAGE = '/usr/local/bin/isolab-probe';
/** isolab's "docker-default" profile (moby's): what runc filters with too, resolved by the exporter. */
const DOCKER_PROFILE = parseSeccompProfileJson(readFileSync(PATHS.dockerSeccompProfile, 'utf8'));
/** Enough tasks to hit any limit the cases set, few enough to be harmless without one. */
const MAX_TASKS = 40;
const RUN = randomBytes(4).toString('hex');

const PROC_NAME: Record<NamespaceKind, string> = { mount: 'mnt', uts: 'uts', ipc: 'ipc', pid: 'pid', net: 'net', user: 'user', cgroup: 'cgroup', time: 'time' };
const hostInode = (procName: string) => statSync(`/proc/self/ns/${procName}`).ino;
/** This process's bounding set: all a container can be given (this host may lack some, e.g. SYS_RESOURCE). */
const HOST_CAPS = decodeCapabilityMask(/^CapBnd:\s*(\w+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!) as Capability[];

// ---- the cases -------------------------------------------------------------------------------

// runc sets up no network beyond loopback (that is a CNI plugin's job), so every case compares
// a network namespace with only `lo` (docker's --network none) rather than isolab's bridge.
const NO_BRIDGE = applySpecChange(DOCKER_RUN_DEFAULT, { network: { mode: 'loopback', rate: null } });
const CASES: { name: string; spec: ContainerSpec }[] = [
  { name: "docker's defaults (--network none)", spec: NO_BRIDGE },
  {
    name: 'every namespace runc 1.1 has (all but time), --cap-drop ALL, no_new_privs',
    spec: applySpecChange(NO_BRIDGE, { namespaces: { ...NO_BRIDGE.namespaces, user: true, cgroup: true }, capabilities: [], noNewPrivs: true }),
  },
  { name: 'read-only root with a tmpfs, masked and read-only paths', spec: applySpecChange(NO_BRIDGE, { filesystem: { ...NO_BRIDGE.filesystem, readOnly: true, tmpfs: [{ path: '/tmp', sizeBytes: 16 << 20 }] } }) },
  { name: 'a non-root user with one capability added', spec: applySpecChange(NO_BRIDGE, { user: { uid: 1000, gid: 1000 }, capabilities: [...NO_BRIDGE.capabilities as Capability[], 'NET_ADMIN'] }) },
  { name: 'pids limit and ulimits (one unlimited)', spec: applySpecChange(NO_BRIDGE, { resources: { ...NO_BRIDGE.resources, pidsLimit: 12 }, rlimits: { nofile: { soft: 256, hard: 512 }, core: { soft: 0, hard: -1 } } }) },
];

// ---- what the probe shows from inside ----------------------------------------------------------

/** One program for every case: where it can write, the probe's report, then forks until refused. */
const SCRIPT = [
  'for d in / /tmp; do if touch "$d/.isolab-write-test" 2>/dev/null; then echo "$d writable"; else echo "$d read-only"; fi; done',
  'echo @@',
  PROBE_IN_IMAGE,
  'echo',
  'echo @@',
  // Each background sleep is one more task; busybox's sh gives up at the first refused fork.
  `i=0; while [ $i -lt ${MAX_TASKS} ]; do sleep 1 & i=$((i+1)); echo $i; done`,
].join('\n');
const PROGRAM = ['/bin/sh', '-c', SCRIPT];

type CapSetName = (typeof CAP_SET_NAMES)[number];
interface View {
  privateNamespaces: string[];
  caps: Record<CapSetName, string[]>;
  noNewPrivs: boolean | null;
  seccompMode: number | null;
  uid: number;
  gid: number;
  uidMap: ProbeReport['user']['uidMap'];
  hostname: string;
  rootReadOnly: boolean | undefined;
  /** "/ writable", "/tmp read-only": whether a file can be created there. */
  writable: string[];
  /** tmpfs mounts outside /dev, /proc and /sys (--tmpfs). */
  tmpfsMounts: string[];
  /** Docker's masked paths: "PATH masked|visible|absent", and its read-only paths: "PATH read-only|writable|absent". */
  masked: string[];
  readOnly: string[];
  rlimits: ProbeReport['rlimits'];
  /** How many background tasks sh could start (MAX_TASKS when nothing stops it). */
  tasksStarted: number;
}

function view(stdout: string): View {
  const [writes = '', probe = '', tasks = ''] = stdout.split('@@\n');
  const report = ProbeReport.parse(JSON.parse(probe));
  return {
    privateNamespaces: NAMESPACE_KINDS.map((k) => PROC_NAME[k]).filter((n) => report.namespaces[n] !== hostInode(n)).sort(),
    caps: Object.fromEntries(CAP_SET_NAMES.map((set) => [set, [...(report.caps?.[set].names ?? ['(unreadable)'])].sort()])) as View['caps'],
    noNewPrivs: report.noNewPrivs,
    seccompMode: report.seccomp.mode,
    uid: report.uid,
    gid: report.gid,
    uidMap: report.user.uidMap,
    hostname: report.hostname,
    rootReadOnly: report.rootfs?.readOnly,
    writable: writes.trim().split('\n'),
    tmpfsMounts: report.mounts.filter((m) => m.fstype === 'tmpfs' && !/^\/(dev|proc|sys)(\/|$)/.test(m.target)).map((m) => m.target).sort(),
    masked: report.paths.masked.map((m) => `${m.path} ${m.state}`).sort(),
    readOnly: report.paths.readOnly.map((r) => `${r.path} ${!r.exists ? 'absent' : r.writable ? 'writable' : 'read-only'}`).sort(),
    rlimits: report.rlimits,
    tasksStarted: Number(tasks.trim().split('\n').filter(Boolean).at(-1) ?? 0),
  };
}

/** What the settings say the view must be (for runc, which implements all of them). */
function expected(spec: ContainerSpec): Partial<View> {
  const caps = (spec.capabilities === 'all' ? [...HOST_CAPS] : [...spec.capabilities]).map((c) => `CAP_${c}`).sort();
  const exists = (p: string) => existsSync(p);
  const user = spec.user ?? { uid: 0, gid: 0 };
  // A program exec'd by a non-root user keeps no capability (none are ambient, as in docker): the
  // settings' list is then only its bounding set.
  const held = user.uid === 0 ? caps : [];
  return {
    privateNamespaces: NAMESPACE_KINDS.filter((k) => spec.namespaces[k]).map((k) => PROC_NAME[k]).sort(),
    caps: { effective: held, permitted: held, inheritable: [], bounding: caps, ambient: [] },
    noNewPrivs: spec.noNewPrivs,
    seccompMode: spec.seccomp === 'unconfined' ? 0 : 2,
    uid: user.uid,
    gid: user.gid,
    uidMap: spec.namespaces.user ? [{ inside: 0, outside: spec.userns.hostId, count: 65536 }] : [{ inside: 0, outside: 0, count: 4294967295 }],
    rootReadOnly: spec.filesystem.readOnly,
    tmpfsMounts: spec.filesystem.tmpfs.map((t) => t.path).sort(),
    // The image's / is root's (0755) and its /tmp everyone's (1777).
    writable: ['/', '/tmp'].map((d) => {
      const writable = spec.filesystem.tmpfs.some((t) => t.path === d) || (!spec.filesystem.readOnly && (d === '/tmp' || user.uid === 0));
      return `${d} ${writable ? 'writable' : 'read-only'}`;
    }),
    ...(spec.namespaces.uts ? { hostname: spec.hostname } : {}),
    // The container's /proc and /sys are the same kernel's as the host's: what exists here exists there.
    ...(spec.filesystem.maskedPaths ? { masked: DOCKER_MASKED_PATHS.map((p) => `${p} ${exists(p) ? 'masked' : 'absent'}`).sort() } : {}),
    ...(spec.filesystem.readonlyPaths ? { readOnly: DOCKER_READONLY_PATHS.map((p) => `${p} ${exists(p) ? 'read-only' : 'absent'}`).sort() } : {}),
    // The probe writes "unlimited" as null.
    rlimits: Object.fromEntries(Object.entries(spec.rlimits).map(([name, l]) => [name, { soft: l.soft === -1 ? null : l.soft, hard: l.hard === -1 ? null : l.hard }])) as View['rlimits'],
    // sh itself is one task of the limit.
    tasksStarted: spec.resources.cgroup && spec.resources.pidsLimit !== null ? spec.resources.pidsLimit - 1 : MAX_TASKS,
  };
}

// ---- running both ----------------------------------------------------------------------------

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ReturnType<typeof spawn>): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

let workDir: string;
let runcRoot: string;
let contexts: ContainerContexts;
let bundles = 0;

/** A bundle (config.json + a copy of the image, since runc writes into its rootfs) run under runc. */
async function underRunc(spec: ContainerSpec): Promise<Ran & { cgroupsPath: string }> {
  const id = `isolab-export-${RUN}-${++bundles}`;
  const bundle = join(workDir, id);
  mkdirSync(bundle, { mode: 0o755 });
  expect(spawnSync('cp', ['-a', PATHS.rootfs, join(bundle, 'rootfs')]).status).toBe(0);
  copyFileSync(PATHS.probe, join(bundle, 'rootfs', PROBE_IN_IMAGE));
  // Root of a user namespace should own its image, as isolab gives it (an idmapped image) and
  // dockerd --userns-remap does (it chowns the image's layers: runc 1.1 cannot idmap a mount).
  if (spec.namespaces.user) expect(spawnSync('chown', ['-R', `${spec.userns.hostId}:${spec.userns.hostId}`, join(bundle, 'rootfs')]).status).toBe(0);
  const cgroupsPath = `/${id}`;
  const { config } = toOciConfig(spec, { args: PROGRAM, seccompProfile: DOCKER_PROFILE, machine: machine(), kernelRelease: release(), cgroupsPath, allCapabilities: HOST_CAPS });
  writeFileSync(join(bundle, 'config.json'), ociConfigJson(config));
  const ran = await collect(spawn(RUNC, ['--root', runcRoot, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] }));
  return { ...ran, cgroupsPath };
}

beforeAll(() => {
  expect(process.getuid?.(), 'runc and the launcher need root').toBe(0);
  for (const f of [RUNC, PATHS.launcher, PATHS.probe, PATHS.rootfs]) expect(existsSync(f), `${f} is missing: run npm run setup -- --for-tests`).toBe(true);
  // Both containers must run the same probe: the image carries a copy made by setup.
  expect(readFileSync(join(PATHS.rootfs, PROBE_IN_IMAGE)).equals(readFileSync(PATHS.probe)), 'build/rootfs has a stale probe: run npm run setup').toBe(true);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-export-test-'));
  // runc in a user namespace works as the mapped uid: it must be able to walk to the bundle.
  chmodSync(workDir, 0o755);
  runcRoot = join(workDir, 'runc-state');
  // The server's own bookkeeping (cgroup names, overlay upper directories, compiled seccomp files), in this run's directory.
  contexts = new ContainerContexts(PATHS.rootfs, join(workDir, 'containers'), PATHS.dockerSeccompProfile, PATHS.launcher);
});

afterAll(() => {
  contexts?.dispose();
  if (!workDir) return;
  // A container left by a failed assertion would keep its cgroup: delete it through runc first.
  const list = spawnSync(RUNC, ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' });
  for (const id of list.stdout?.split('\n').filter(Boolean) ?? []) spawnSync(RUNC, ['--root', runcRoot, 'delete', '--force', id]);
  rmSync(workDir, { recursive: true, force: true });
});

describe.each(CASES)('$name', ({ spec }) => {

  it('runs under runc from the exported config.json, and looks inside as the settings say', async () => {
    const ran = await underRunc(spec);
    const limited = spec.resources.pidsLimit !== null;
    if (!limited) expect(ran.code, ran.stderr).toBe(0);
    else expect(ran.stderr).toMatch(/can't fork/);
    expect(view(ran.stdout)).toMatchObject(expected(spec));
    // runc removes the container's cgroup when it ends.
    expect(existsSync(`/sys/fs/cgroup/pids${ran.cgroupsPath}`)).toBe(false);
  });

  it("isolab's launcher and runc agree", async () => {
    // As the server runs it: with its per-launch context (cgroup name, overlay upper, seccomp file,
    // a uid range of its own, which runc is given too).
    const context = contexts.acquire(spec, `export-test-${RUN}`);
    try {
      const same = context.ctx.usernsHostId === undefined ? spec : applySpecChange(spec, { userns: { hostId: context.ctx.usernsHostId } });
      const fromRunc = await underRunc(same);
      const fromIsolab = await runLauncher(launcherArgs(spec, context.ctx), PROGRAM);
      expect(fromIsolab.status[0], fromIsolab.stderr).toMatchObject({ type: 'ready' });
      expect(fromIsolab.code).toBe(fromRunc.code);
      const isolab = view(fromIsolab.stdout);
      expect(isolab).toEqual(view(fromRunc.stdout));
      // And both are what the settings say (so agreeing is not agreeing on nothing).
      expect(isolab).toMatchObject(expected(same));
    } finally {
      context.release();
    }
  });

});

describe('the isolab command', () => {
  const ISOLAB = join(REPO_ROOT, 'bin', 'isolab.mjs');
  const isolab = (args: string[]) => spawnSync(process.execPath, [ISOLAB, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('isolab run: docker flags in, the program\'s exit status out', () => {
    const named = isolab(['run', '--network', 'none', '-h', 'box', '--rm', '-it', '--', 'hostname']);
    expect(named.stderr).toBe('');
    expect([named.status, named.stdout]).toEqual([0, 'box\n']);
    expect(isolab(['run', '--network=none', 'sh', '-c', 'exit 3']).status).toBe(3);
  });

  it('isolab run: a refused flag is exit 125 with the flag named', () => {
    const refused = isolab(['run', '--memory', '12x', '--', 'true']);
    expect(refused.status).toBe(125);
    expect(refused.stderr).toBe(`isolab run: --memory: "12x" is not a size: a number of bytes with an optional unit b, k, m, g (e.g. 512m, 1g)\nSee 'isolab run --help'.\n`);
  });

  it('isolab run --security-opt seccomp=FILE: the Docker-format profile is checked, compiled and enforced', () => {
    const file = join(workDir, 'no-mkdir.json');
    writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const ran = isolab(['run', '--network', 'none', '--security-opt', `seccomp=${file}`, '--', 'sh', '-c', 'mkdir /made; echo $?; grep ^Seccomp: /proc/self/status']);
    expect(ran.stdout).toBe('1\nSeccomp:\t2\n');
    expect(ran.stderr).toMatch(/Operation not permitted/);
    writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOPE' }] }));
    const bad = isolab(['run', '--security-opt', `seccomp=${file}`, '--', 'true']);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/^isolab run: --security-opt seccomp=.*: seccomp profile: syscalls\[0\]\.action: unknown action/);
  });

  it('isolab export --format oci writes a config.json runc runs as is', async () => {
    const exported = isolab(['export', '--format', 'oci', '--network', 'none', '-h', 'exported', '--cap-drop', 'ALL', '--', PROBE_IN_IMAGE]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stderr).toBe('');
    const id = `isolab-export-${RUN}-cli`;
    const bundle = join(workDir, id);
    mkdirSync(bundle, { mode: 0o755 });
    expect(spawnSync('cp', ['-a', PATHS.rootfs, join(bundle, 'rootfs')]).status).toBe(0);
    writeFileSync(join(bundle, 'config.json'), exported.stdout);
    const ran = await collect(spawn(RUNC, ['--root', runcRoot, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(ran.code, ran.stderr).toBe(0);
    const report = ProbeReport.parse(JSON.parse(ran.stdout));
    expect(report.hostname).toBe('exported');
    expect(report.netInterfaces).toEqual(['lo']);
  });

  it('isolab export --format docker prints the command, and on stderr what docker cannot say', () => {
    const out = isolab(['export', '--cap-drop', 'ALL', '--rootfs', 'host', '--mount-ns', 'host', '--', 'ls']);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^docker run --rm .*--cap-drop ALL .*busybox ls\n$/);
    expect(out.stderr.trim().split('\n')).toEqual([
      'isolab export: not expressible in docker run: no mount namespace: every docker container has its own mount table',
      "isolab export: not expressible in docker run: the host's root filesystem: a docker container always starts from an image",
    ]);
  });
});
