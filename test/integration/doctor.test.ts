// `isolab doctor` on this host, held against what the host really has, read here independently
// (/proc/sys, /proc/self/mountinfo, the cgroup files, util-linux's own unshare); and the refusal
// made real: the doctor, and `serve --mode workshop`, run in a private mount namespace
// (`unshare -m`, a child process) where /sys/fs/cgroup is hidden or a sysctl is faked through a
// bind mount. This host's own sysctls and mounts are never changed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartialProbeReport } from '../../common/probe.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import type { Check } from '../../server/doctor/checks.js';
import type { DoctorReport } from '../../server/doctor/report.js';
import { PROBE } from '../helpers/launcher-run.js';

const ISOLAB = join(REPO_ROOT, 'bin', 'isolab.mjs');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `isolab ARGS...`, or with SHELL_PREFIX: `unshare -m sh -c 'PREFIX; exec isolab ARGS...'` (a private mount namespace). */
function isolab(args: string[], privateMounts?: string): Promise<CliRun> {
  const command = privateMounts === undefined ? [process.execPath, ISOLAB, ...args] : ['unshare', '-m', '--propagation', 'private', 'sh', '-ec', `${privateMounts}\nexec "$@"`, 'sh', process.execPath, ISOLAB, ...args];
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function byId(report: DoctorReport, id: string): Check {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
  return c;
}

const sysctl = (path: string): string | null => (existsSync(`/proc/sys/${path}`) ? readFileSync(`/proc/sys/${path}`, 'utf8').trim() : null);
const MOUNTINFO = readFileSync('/proc/self/mountinfo', 'utf8');
const mountAt = (target: string) => MOUNTINFO.split('\n').filter((l) => l.split(' ')[4] === target).at(-1);
const fstypeAt = (target: string) => mountAt(target)?.split(' - ')[1]?.split(' ')[0];
const HOST_IS_V2 = fstypeAt('/sys/fs/cgroup') === 'cgroup2';

/** Whether this host lets a limit be set, read from the cgroup files themselves (not the launcher). */
function hostHasController(name: string): boolean {
  // v1: a hierarchy of its own at /sys/fs/cgroup/NAME; v2: enabled for the root's children.
  if (!HOST_IS_V2) return fstypeAt(`/sys/fs/cgroup/${name}`) === 'cgroup' && (mountAt(`/sys/fs/cgroup/${name}`) ?? '').split(' ').at(-1)!.split(',').includes(name);
  return readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').split(/\s+/).includes(name);
}
function hostAccountsSwap(): boolean {
  if (!HOST_IS_V2) return existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
  // memory.swap.max exists in every non-root cgroup with the memory controller.
  return readdirSync('/sys/fs/cgroup', { withFileTypes: true }).some((d) => d.isDirectory() && existsSync(join('/sys/fs/cgroup', d.name, 'memory.swap.max')));
}
const hostSwapKiB = Number(/^SwapTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);

/** Every doctor-* cgroup left on the host (the trials' are removed by the launcher as it exits). */
function doctorCgroups(): string[] {
  const roots = HOST_IS_V2 ? ['/sys/fs/cgroup'] : readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c));
  return roots.flatMap((root) => {
    const dir = join(root, 'isolab');
    return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('doctor-')).map((n) => join(dir, n)) : [];
  });
}

describe('isolab doctor on this host', () => {
  let run: CliRun;
  let report: DoctorReport;
  let text: CliRun;

  beforeAll(async () => {
    run = await isolab(['doctor', '--json']);
    report = JSON.parse(run.stdout) as DoctorReport;
    text = await isolab(['doctor']);
  });

  it('exits 0 exactly when no essential is missing, and the text says the same', () => {
    const missing = report.checks.filter((c) => c.essential && c.verdict === 'missing');
    expect(report.ok).toBe(missing.length === 0);
    expect(run.code).toBe(report.ok ? 0 : 1);
    expect(text.code).toBe(run.code);
    const lines = text.stdout.split('\n');
    for (const c of report.checks) expect(lines.filter((l) => l.startsWith(`  ${c.verdict.padEnd(7)}  ${c.title}: `))).toHaveLength(1);
    expect(lines.at(-2)).toMatch(report.ok ? /^Yes: every essential is here/ : /^No: /);
  });

  it("reports this kernel and each sysctl as /proc/sys has it", () => {
    expect(report.kernel).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    const sysctls: [string, string][] = [
      ['userns.max', 'user/max_user_namespaces'],
      ['userns.debian', 'kernel/unprivileged_userns_clone'],
      ['userns.apparmor', 'kernel/apparmor_restrict_unprivileged_userns'],
      ['io_uring', 'kernel/io_uring_disabled'],
      ['bpf', 'kernel/unprivileged_bpf_disabled'],
      ['perf', 'kernel/perf_event_paranoid'],
    ];
    for (const [id, path] of sysctls) {
      const value = sysctl(path);
      const c = byId(report, id);
      if (value === null) expect(c.detail, id).toMatch(/^(not on this kernel|absent|no such file)/);
      else expect(c.detail, id).toMatch(new RegExp(`^${value}[: ]`));
    }
    // The switches' meaning, from their values here.
    expect(byId(report, 'userns.max').verdict).toBe(Number(sysctl('user/max_user_namespaces') ?? 0) > 0 ? 'ok' : 'missing');
    expect(byId(report, 'io_uring').verdict).toBe(sysctl('kernel/io_uring_disabled') === '0' || sysctl('kernel/io_uring_disabled') === null ? 'weaker' : 'ok');
    expect(byId(report, 'bpf').verdict).toBe(['1', '2'].includes(sysctl('kernel/unprivileged_bpf_disabled') ?? '') ? 'ok' : 'weaker');
  });

  it("judges the cgroup layout and each controller by the host's own cgroup files", () => {
    expect(byId(report, 'cgroup.version').verdict).toBe(HOST_IS_V2 ? 'ok' : 'weaker');
    if (!HOST_IS_V2 && fstypeAt('/sys/fs/cgroup/unified') === 'cgroup2') {
      const controllers = readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim();
      expect(byId(report, 'cgroup.version').detail).toContain(`hybrid: cgroup v1 hierarchies`);
      expect(byId(report, 'cgroup.version').detail).toContain(`cgroup2 at /sys/fs/cgroup/unified with ${controllers || 'no controllers'}`);
    }
    for (const name of ['memory', 'pids', 'cpu']) expect(byId(report, `cgroup.${name}`).verdict, name).toBe(hostHasController(name) ? 'ok' : 'missing');
    expect(byId(report, 'cgroup.swap').verdict).toBe(hostAccountsSwap() ? 'ok' : hostSwapKiB === 0 ? 'weaker' : 'missing');
  });

  it('finds an unprivileged user namespace exactly when util-linux can make one as the same uid', () => {
    // util-linux's unshare as uid 65534: its own user namespace (root mapped to itself), then a hostname in a UTS namespace it owns.
    const u = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'unshare', '--user', '--map-root-user', '--uts', 'hostname', 'doctor-test'], { encoding: 'utf8' });
    expect(byId(report, 'userns.unprivileged').verdict, u.stderr).toBe(u.status === 0 ? 'ok' : 'missing');
  });

  it('reports Landlock with the ABI the probe reads itself', () => {
    const lsm = PartialProbeReport.parse(JSON.parse(spawnSync(PROBE, ['--sections', 'lsm'], { encoding: 'utf8' }).stdout)).lsm!;
    const c = byId(report, 'landlock');
    if (lsm.landlock.abi === null) expect(c.verdict).toBe('missing');
    else expect(c.detail).toMatch(new RegExp(`^ABI ${lsm.landlock.abi}:`));
  });

  it('finds seccomp filters when the kernel lists the errno action', () => {
    const actions = sysctl('kernel/seccomp/actions_avail')?.split(' ') ?? [];
    expect(byId(report, 'seccomp.filter').verdict).toBe(actions.includes('errno') ? 'ok' : 'missing');
    expect(byId(report, 'seccomp.notify').verdict).toBe(actions.includes('user_notif') ? 'ok' : 'missing');
  });

  it("sees isolab's tmpfs on the containers directory when mountinfo shows it", () => {
    const top = mountAt('/run/isolab/containers');
    const ours = top !== undefined && / - tmpfs isolab-containers /.test(top);
    expect(byId(report, 'containers.tmpfs').verdict === 'ok' && byId(report, 'containers.tmpfs').detail.includes("isolab's own tmpfs")).toBe(ours);
  });

  it('leaves no cgroup and no seccomp program of its trials behind', () => {
    expect(doctorCgroups()).toEqual([]);
    const dir = '/run/isolab/containers';
    expect(readdirSync(dir).filter((n) => /^doctor-|^seccomp-.*\.txt$/.test(n))).toEqual([]);
  });
});

describe('a missing essential, made real in a private mount namespace', () => {
  let fake: string;
  beforeAll(() => {
    fake = mkdtempSync(join(tmpdir(), 'isolab-doctor-test-'));
    writeFileSync(join(fake, 'zero'), '0\n');
  });
  afterAll(() => rmSync(fake, { recursive: true, force: true }));

  const HIDE_CGROUPS = 'mount -t tmpfs -o size=1m,mode=755 isolab-doctor-test /sys/fs/cgroup';

  it('/sys/fs/cgroup hidden: no limit can be set; doctor exits 1 and names the cgroup checks', async () => {
    const run = await isolab(['doctor', '--json'], HIDE_CGROUPS);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report.ok).toBe(false);
    const missing = report.checks.filter((c) => c.essential && c.verdict === 'missing').map((c) => c.id);
    expect(missing).toEqual(expect.arrayContaining(['cgroup.version', 'cgroup.memory', 'cgroup.pids', 'cgroup.cpu', 'floor.shell']));
    // What does not depend on cgroups is still found.
    expect(byId(report, 'userns.unprivileged').verdict).toBe('ok');
    expect(byId(report, 'seccomp.filter').verdict).toBe('ok');
    // The host's own cgroup filesystem was never touched.
    expect(fstypeAt('/sys/fs/cgroup')).toBe(HOST_IS_V2 ? 'cgroup2' : 'tmpfs');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain('isolab-doctor-test');
  });

  it('user.max_user_namespaces faked to 0 by a bind mount: doctor names it, with the sysctl that fixes it', async () => {
    const before = sysctl('user/max_user_namespaces');
    const run = await isolab(['doctor', '--json'], `mount --bind ${fake}/zero /proc/sys/user/max_user_namespaces`);
    expect(run.code, run.stderr).toBe(1);
    const c = byId(JSON.parse(run.stdout) as DoctorReport, 'userns.max');
    expect(c).toMatchObject({ essential: true, verdict: 'missing', detail: '0: no user namespace can be created' });
    expect(c.fix).toMatch(/^sysctl -w user\.max_user_namespaces=\d+/);
    expect(sysctl('user/max_user_namespaces')).toBe(before);
  });

  it('serve --mode workshop refuses to start, naming what is missing and how to fix it', async () => {
    const run = await isolab(['serve', '--mode', 'workshop', '--port', '0'], HIDE_CGROUPS);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('Open http');
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe('isolab: refusing to serve workshop mode: this host cannot give the floor every learner is promised. Missing:');
    const memory = lines.findIndex((l) => /^ {2}missing {2}cgroup memory: tried: /.test(l));
    expect(lines[memory + 1]).toMatch(HOST_IS_V2 ? /^ {13}to fix: enable the memory controller/ : /^ {13}to fix: mount the memory controller at \/sys\/fs\/cgroup\/memory /);
    // Only the missing essentials: nothing that is ok, nothing merely weaker.
    expect(lines.filter((l) => /^ {2}(ok|weaker) /.test(l))).toEqual([]);
  });
});

describe('serve starts on this host', () => {
  /** Starts serve, waits for its URL, stops it with SIGTERM; what it printed until then. */
  function serveUntilOpen(mode: string): Promise<CliRun> {
    return new Promise((resolve) => {
      const data = mkdtempSync(join(tmpdir(), 'isolab-doctor-data-'));
      const child = spawn(process.execPath, [ISOLAB, 'serve', '--mode', mode, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ISOLAB_DATA_DIR: data } });
      let stdout = '';
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('Open http')) child.kill('SIGTERM');
      });
      child.on('close', (code) => {
        rmSync(data, { recursive: true, force: true });
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('workshop mode runs the checks first and says the floor can be given', async () => {
    const run = await serveUntilOpen('workshop');
    expect(run.stdout).toMatch(/^\[isolab\] this host gives the workshop floor \(isolab doctor's \d+ checks, \d+ ms\)$/m);
    expect(run.stdout).toContain('Open http');
    // Weaker checks are warnings on stderr, one line each.
    for (const l of run.stderr.split('\n').filter((x) => x.startsWith('[isolab] warning:'))) expect(l).toMatch(/^\[isolab\] warning: .+: .+/);
  });

  it('solo mode does not run them', async () => {
    const run = await serveUntilOpen('solo');
    expect(run.stdout).toContain('Open http');
    expect(run.stdout + run.stderr).not.toContain('workshop floor');
  });
});
