// The probe against the real kernel: what it reports from inside (run as PROGRAM, through --join,
// under a seccomp filter, in a user namespace, in a cgroup with limits, behind masked paths) is
// checked against what the host reads from outside (/proc/PID/status, uid_map, cgroup files, the
// launcher's ready line). Needs root and `npm run setup` (native/build/Release).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, lstatSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_SECTIONS, PartialProbeReport, ProbeReport, TrySyscallReport, type TrySyscallResult } from '../../common/probe.js';
import { LineReader, StatusLine, type ReadyLine } from '../../server/runtime/status-lines.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import { LAUNCHER, PROBE, PROBE_IN_IMAGE, buildImage, expectRootAndBuilt, hostInode } from '../helpers/launcher-run.js';
import { Prober, pidInsideContainer } from '../../server/observe/probe.js';
import { compileSeccompProfile, nativeArch, parseSeccompProfileJson } from '../../server/runtime/seccomp/profile.js';

const NOBODY = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'];
const RUN_ID = randomBytes(4).toString('hex');

const hasOverlay = /\boverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'));

// ---- running things ----

function probeJson(cmd: string[]): unknown {
  const out = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  expect(out.status, `${cmd.join(' ')}: ${out.stderr}`).toBe(0);
  return JSON.parse(out.stdout);
}
const report = (cmd: string[]) => ProbeReport.parse(probeJson(cmd));
const partial = (cmd: string[]) => PartialProbeReport.parse(probeJson(cmd));
const trySyscalls = (cmd: string[]) => TrySyscallReport.parse(probeJson(cmd)).trySyscall;
const byName = (results: TrySyscallResult[]) => new Map(results.map((r) => [r.name, r]));

/** A launcher started with its status on fd 3; resolves once ready. */
interface Container {
  ready: ReadyLine;
  stop(): Promise<void>;
}

function startContainer(args: string[], program: string[]): Promise<Container> {
  const child = spawn(LAUNCHER, ['--status-fd', '3', ...args, '--', ...program], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const reader = new LineReader((raw) => {
        const line = StatusLine.parse(JSON.parse(raw));
        if (line.type === 'ready') {
          resolve({
            ready: line,
            stop: async () => {
              child.kill('SIGTERM');
              await closed;
            },
          });
        } else if (line.type === 'error') reject(new Error(`launcher: ${line.step}: ${line.message}`));
    });
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => reader.push(d));
    child.on('close', (code) => reject(new Error(`launcher exited ${code} before ready: ${stderr}`)));
  });
}

/** A host process (not a container) that sleeps until killed; its PID is the spawned one (the wrappers exec). */
function sleeper(wrap: string[]): { pid: number; child: ChildProcess; stop(): Promise<void> } {
  const child = spawn(wrap[0]!, [...wrap.slice(1), '/bin/sleep', '300'], { stdio: 'ignore' });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    pid: child.pid!,
    child,
    stop: async () => {
      child.kill('SIGKILL');
      await closed;
    },
  };
}

/** Waits until PID has exec'd its last program (the wrappers exec into sleep). */
async function untilComm(pid: number, comm: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) return;
    } catch {
      /* not there yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pid ${pid} never became ${comm}`);
}

// ---- what the host reads from outside ----

function statusOf(pid: number | 'self'): Map<string, string> {
  const lines = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
  return new Map(lines.filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

function capsOutside(pid: number | 'self') {
  const s = statusOf(pid);
  return { inheritable: s.get('CapInh'), permitted: s.get('CapPrm'), effective: s.get('CapEff'), bounding: s.get('CapBnd'), ambient: s.get('CapAmb') };
}

const capsHex = (r: ProbeReport) => {
  const c = r.caps!;
  return { inheritable: c.inheritable.hex, permitted: c.permitted.hex, effective: c.effective.hex, bounding: c.bounding.hex, ambient: c.ambient.hex };
};

function cgroupLines(pid: number | 'self') {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [id, controllers, ...path] = line.split(':');
      return { hierarchy: Number(id), controllers: controllers ? controllers.split(',') : [], path: path.join(':') };
    });
}

function idMapOutside(pid: number | 'self', file: 'uid_map' | 'gid_map') {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/).map(Number))
    .map(([inside, outside, count]) => ({ inside, outside, count }));
}

function nofileOutside(pid: number | 'self') {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/);
  const n = (v: string | undefined) => (v === 'unlimited' ? null : Number(v));
  return { soft: n(soft), hard: n(hard) };
}

/** The mount in TABLE that a path lives on: the longest target that is a prefix of it. */
function mountOf(mounts: ProbeReport['mounts'], path: string) {
  return mounts
    .filter((m) => path === m.target || path.startsWith(m.target === '/' ? '/' : `${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
}

let workDir: string;
let image: string;
let seccompDeny: string;

beforeAll(async () => {
  expectRootAndBuilt([LAUNCHER, PROBE]);
  workDir = mkdtempSync(join(tmpdir(), `isolab-probe-test-${RUN_ID}-`));
  image = join(workDir, 'rootfs');
  await buildImage(image);
  // The seccomp helper: a test tool, compiled here (node-gyp needs a C compiler anyway).
  seccompDeny = join(workDir, 'seccomp-deny');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-Werror', '-o', seccompDeny, join(REPO_ROOT, 'test', 'helpers', 'seccomp-deny.c')], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---- the host ----

describe('the probe on the host, against /proc of the same process tree', () => {
  let r: ProbeReport;
  beforeAll(() => {
    r = report([PROBE]);
  });

  it('reports format 2, every section, about itself', () => {
    expect(r.probe).toBe(2);
    expect(r.sections).toEqual([...PROBE_SECTIONS]);
    expect(r.subject).toBeNull();
    expect(r.user.nsPids).toEqual([r.pid]);
    expect(r.ppid).toBe(process.pid);
  });

  it('identity: uid, gid, groups and the initial user namespace\'s identity map', () => {
    const s = statusOf('self');
    expect(r.uid).toBe(Number(s.get('Uid')!.split(/\s+/)[0]));
    expect(r.user.uid).toEqual({ real: 0, effective: 0, saved: 0, fs: 0 });
    expect(r.user.groups).toEqual(s.get('Groups')!.split(/\s+/).filter(Boolean).map(Number));
    expect(r.user.uidMap).toEqual(idMapOutside('self', 'uid_map'));
    expect(r.user.gidMap).toEqual(idMapOutside('self', 'gid_map'));
    expect(r.user.setgroups).toBe(readFileSync('/proc/self/setgroups', 'utf8').trim());
  });

  it('namespaces, capabilities, no_new_privs and seccomp are the parent\'s (inherited)', () => {
    for (const ns of Object.keys(r.namespaces)) expect(r.namespaces[ns], ns).toBe(hostInode(ns));
    expect(capsHex(r)).toEqual(capsOutside('self'));
    expect(r.caps!.effective.names.length).toBe(r.caps!.effective.hex.split('').reduce((n, d) => n + [...parseInt(d, 16).toString(2)].filter((b) => b === '1').length, 0));
    expect(r.noNewPrivs).toBe(statusOf('self').get('NoNewPrivs') === '1');
    expect(r.seccomp).toEqual({ mode: Number(statusOf('self').get('Seccomp')), filters: Number(statusOf('self').get('Seccomp_filters')) });
    expect(r.caps!.lastCap).toBe(Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')));
  });

  it('cgroup: membership as /proc/PID/cgroup says, and limits as the cgroup files say', () => {
    const lines = cgroupLines('self');
    expect(r.cgroup.paths).toEqual(lines);
    const v1 = lines.some((l) => l.hierarchy !== 0);
    const v2 = lines.some((l) => l.hierarchy === 0);
    expect(r.cgroup.version).toBe(v1 && v2 ? 'hybrid' : v1 ? 'v1' : 'v2');
    expect(r.cgroup.mounted).toBe(true);
    expect(r.cgroup.reason).toBeNull();
    const memory = r.cgroup.memory;
    if (memory) {
      expect(existsSync(memory.dir)).toBe(true);
      const file = memory.version === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
      const text = readFileSync(join(memory.dir, file), 'utf8').trim();
      expect(memory.max).toBe(text === 'max' || Number(text) >= 2 ** 62 ? null : Number(text));
    }
    // Every controller is either read or explained.
    for (const c of ['memory', 'pids', 'cpu', 'cpuset', 'io', 'devices'] as const) {
      if (r.cgroup[c] === null) expect(r.cgroup.notes.some((n) => n.startsWith(`${c}:`)), c).toBe(true);
    }
  });

  it('rlimits as /proc/PID/limits says (null = unlimited)', () => {
    expect(r.rlimits.nofile).toEqual(nofileOutside('self'));
    expect(Object.keys(r.rlimits)).toHaveLength(16);
  });

  it('mounts: the table\'s size and the root filesystem as /proc/self/mountinfo says', () => {
    const info = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n');
    const rootLine = info.filter((l) => l.split(' ')[4] === '/').at(-1)!;
    expect(r.rootfs?.fstype).toBe(rootLine.split(' - ')[1]!.split(' ')[0]);
    expect(r.root).toEqual({ dev: statSync('/').dev, ino: statSync('/').ino });
    expect(r.mounts.find((m) => m.target === '/proc')?.fstype).toBe('proc');
  });

  it('kernel, hostname, CPUs and memory as Node reads them', () => {
    expect(r.hostname).toBe(hostname());
    expect(r.kernel.release).toBe(release());
    expect(r.system.memTotalKiB).toBe(totalmem() / 1024);
    const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    const count = online.split(',').reduce((n, part) => {
      const [a, b] = part.split('-').map(Number);
      return n + (b === undefined ? 1 : b - a! + 1);
    }, 0);
    expect(r.system.cpusOnline).toBe(count);
    expect(r.system.cpusAllowed).toBeLessThanOrEqual(count);
    expect(r.pid1Comm).toBe(readFileSync('/proc/1/comm', 'utf8').trim());
  });

  it('/dev: every entry with its type and device number, as lstat says', () => {
    for (const e of r.devices.entries) {
      const st = lstatSync(join('/dev', e.name));
      const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFIFO() ? 'p' : st.isSocket() ? 's' : 'f';
      expect(e.type, e.name).toBe(type);
      if (type === 'c' || type === 'b') expect([e.major, e.minor], e.name).toEqual([Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)]);
    }
    expect(r.devices.open.find((o) => o.path === '/dev/null')?.error).toBeNull();
  });

  it('network: the default route as /proc/net/route says', () => {
    const route = readFileSync('/proc/net/route', 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/))
      .find((f) => f[1] === '00000000' && f[7] === '00000000');
    if (!route) expect(r.defaultRoute).toBeNull();
    else {
      const gw = Buffer.from(route[2]!, 'hex').reverse().join('.');
      expect(r.defaultRoute).toEqual({ interface: route[0], gateway: gw === '0.0.0.0' ? null : gw });
    }
    expect(r.netInterfaces[0]).toBe('lo');
    expect(r.interfaces.find((i) => i.name === 'lo')).toMatchObject({ up: true, loopback: true });
  });

  it('LSMs: the active list, and the Landlock ABI when Landlock is active', () => {
    if (existsSync('/sys/kernel/security/lsm')) {
      expect(r.lsm.activeSource).toBe('securityfs');
      expect(r.lsm.active).toEqual(readFileSync('/sys/kernel/security/lsm', 'utf8').trim().split(','));
    } else {
      expect(r.lsm.activeSource).toBe('syscall');
    }
    expect(r.lsm.active).toContain('capability');
    if (r.lsm.active?.includes('landlock')) expect(r.lsm.landlock.abi).toBeGreaterThanOrEqual(1);
    else expect(r.lsm.landlock.abi).toBeNull();
    expect(r.lsm.landlock.restricted).toBe('unknown');
  });
});

describe('command line', () => {
  it('--sections reports only those sections', () => {
    const p = partial([PROBE, '--sections', 'caps,ns']);
    expect(p.sections).toEqual(['ns', 'caps']);
    expect(Object.keys(p).sort()).toEqual(['caps', 'namespaces', 'probe', 'sections', 'subject']);
  });

  it('--list-sections names the sections of common/probe.ts', () => {
    const out = spawnSync(PROBE, ['--list-sections'], { encoding: 'utf8' });
    expect(out.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual([...PROBE_SECTIONS]);
  });

  it.each([
    [['--sections', 'caps,bogus'], /unknown section "bogus"/],
    [['--pid', '0'], /--pid/],
    [['--pid', '2147483'], /--pid/],
    // One integer parser for native/ (parse-number.c): no blank, no sign, no trailing text.
    [['--pid', ' 1'], /--pid: expected a process ID, got " 1"/],
    [['--pid', '+1'], /--pid: expected a process ID/],
    [['--pid', '1 '], /--pid: expected a process ID/],
    [['--bogus'], /unknown/],
    [['try-syscall', 'no_such_call'], /unknown syscall "no_such_call"/],
    [['try-syscall'], /usage/],
  ])('%j is refused with exit 2', (args, message) => {
    const out = spawnSync(PROBE, args, { encoding: 'utf8' });
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe('');
  });

  it('--pid N reports process N\'s attributes, as /proc/N says', async () => {
    const s = sleeper(['setpriv', '--no-new-privs', '--bounding-set=-sys_admin', 'prlimit', '--nofile=77:88', '--']);
    try {
      await untilComm(s.pid, 'sleep');
      const r = report([PROBE, '--pid', String(s.pid)]);
      expect(r.subject).toBe(s.pid);
      expect(r.pid).toBe(s.pid);
      expect(r.ppid).toBe(process.pid);
      expect(r.noNewPrivs).toBe(true);
      expect(r.rlimits.nofile).toEqual({ soft: 77, hard: 88 });
      expect(r.caps!.bounding.names).not.toContain('CAP_SYS_ADMIN');
      expect(capsHex(r)).toEqual(capsOutside(s.pid));
      // ...while the probe's own are the test's.
      const own = report([PROBE]);
      expect(own.noNewPrivs).toBe(false);
      expect(own.caps!.bounding.hex).toBe(capsOutside('self').bounding);
    } finally {
      await s.stop();
    }
  });
});

// ---- try-syscall ----

/** Calls whose harmless arguments fail only after a capability check: refused without privilege. */
const PRIVILEGED = [
  'reboot', 'mount', 'umount2', 'unshare', 'setns', 'clone', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module',
  'delete_module', 'swapon', 'swapoff', 'settimeofday', 'sethostname', 'setdomainname', 'chroot', 'pivot_root', 'mknod',
  'acct', 'syslog', 'vhangup', 'open_by_handle_at', 'fanotify_init', 'fsopen', 'fsmount', 'fspick', 'move_mount', 'open_tree',
  'mbind', 'move_pages',
];

describe('try-syscall', () => {
  let asRoot: Map<string, TrySyscallResult>;
  beforeAll(() => {
    asRoot = byName(trySyscalls([PROBE, 'try-syscall', 'all']));
  });

  it('--list describes every call that "all" makes, with its arguments and why they are harmless', () => {
    const out = spawnSync(PROBE, ['try-syscall', '--list'], { encoding: 'utf8' });
    const rows = out.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual([...asRoot.keys()]);
    for (const row of rows) {
      expect(row, row[0]).toHaveLength(5);
      expect(row[4]!.length, row[0]).toBeGreaterThan(5);
    }
    // At least the calls Docker's default profile refuses.
    for (const name of ['reboot', 'mount', 'umount2', 'unshare', 'setns', 'ptrace', 'kexec_load', 'init_module', 'finit_module', 'delete_module', 'swapon', 'swapoff', 'keyctl', 'add_key', 'bpf', 'perf_event_open', 'clock_settime', 'settimeofday', 'sethostname', 'chroot', 'pivot_root', 'mknod', 'personality', 'acct', 'quotactl', 'userfaultfd', 'open_by_handle_at', 'name_to_handle_at', 'iopl', 'ioperm', 'syslog', 'uselib', 'lookup_dcookie']) {
      expect(asRoot.has(name), name).toBe(true);
    }
  });

  it('as root on the host nothing is denied: every call gets its designed answer (or ENOSYS: not built into this kernel)', () => {
    for (const [name, t] of asRoot) {
      if (t.nr === null) expect(t.verdict, name).toBe('skipped');
      else expect(['allowed', 'unavailable', 'skipped'], `${name}: ${t.error}`).toContain(t.verdict);
      if (t.verdict === 'unavailable') expect(t.error, name).toBe('ENOSYS');
    }
  });

  it('changes nothing on the machine', () => {
    const before = { host: hostname(), domain: readFileSync('/proc/sys/kernel/domainname', 'utf8'), tz: new Date().getTimezoneOffset() };
    trySyscalls([PROBE, 'try-syscall', 'all']);
    expect({ host: hostname(), domain: readFileSync('/proc/sys/kernel/domainname', 'utf8'), tz: new Date().getTimezoneOffset() }).toEqual(before);
    for (const dir of ['/dev/shm', '/tmp']) {
      if (existsSync(dir)) expect(readdirSync(dir).filter((n) => n.startsWith('.isolab-probe-mknod-')), dir).toEqual([]);
    }
    expect(existsSync('/isolab-probe-no-such-dir')).toBe(false);
  });

  it('without privilege, the calls that reach a capability check are refused (EPERM/EACCES), the others still answer', () => {
    const asNobody = byName(trySyscalls([...NOBODY, PROBE, 'try-syscall', 'all']));
    for (const name of PRIVILEGED) {
      if (asRoot.get(name)?.verdict !== 'allowed') continue; // not built into this kernel
      expect(asRoot.get(name)!.reveals, name).toBe('seccomp+privilege');
      expect(asNobody.get(name), name).toMatchObject({ verdict: 'denied' });
    }
    // A call refused before any privilege check answers the same without privilege.
    for (const name of ['clock_settime', 'keyctl', 'add_key', 'ptrace', 'personality', 'iopl']) {
      expect(asNobody.get(name)?.error, name).toBe(asRoot.get(name)?.error);
    }
  });

  it.each([
    { action: 'errno', verdict: 'denied', error: 'EPERM', signal: null },
    { action: 'kill', verdict: 'killed', error: null, signal: 'SIGSYS' },
  ])('a seccomp filter ($action) refuses exactly the calls it names', ({ action, verdict, error, signal }) => {
    const denied = ['reboot', 'sethostname', 'unshare'];
    const nrs = denied.map((n) => asRoot.get(n)!.nr).join(',');
    const filtered = byName(trySyscalls([seccompDeny, action, nrs, '--', PROBE, 'try-syscall', ...denied, 'chroot', 'setdomainname']));
    for (const name of denied) expect(filtered.get(name), name).toMatchObject({ verdict, error, signal });
    expect(filtered.get('chroot')).toMatchObject({ verdict: 'allowed', result: 0 });
    expect(filtered.get('setdomainname')).toMatchObject({ verdict: 'allowed', error: 'EINVAL' });
  });

  it('skips, and says why, a call this architecture does not have', () => {
    for (const t of asRoot.values()) if (t.nr === null) expect(t.note).toBe('not on this architecture');
  });
});

// ---- seccomp and no_new_privs, inside and out ----

describe('seccomp and no_new_privs: the probe says what /proc/PID/status says', () => {
  it('under one filter and then two: mode 2, the filter count, no_new_privs', async () => {
    const nr = '169'; // any number: the filter is what matters here
    const one = report([seccompDeny, 'errno', nr, '--', PROBE]);
    expect(one.seccomp).toEqual({ mode: 2, filters: 1 });
    expect(one.noNewPrivs).toBe(true);
    const two = report([seccompDeny, 'errno', nr, '--', seccompDeny, 'errno', nr, '--', PROBE]);
    expect(two.seccomp).toEqual({ mode: 2, filters: 2 });

    const s = sleeper([seccompDeny, 'errno', nr, '--']);
    try {
      await untilComm(s.pid, 'sleep');
      const outside = statusOf(s.pid);
      const r = report([PROBE, '--pid', String(s.pid)]);
      expect(r.seccomp).toEqual({ mode: Number(outside.get('Seccomp')), filters: Number(outside.get('Seccomp_filters')) });
      expect(r.seccomp.mode).toBe(2);
      expect(r.noNewPrivs).toBe(outside.get('NoNewPrivs') === '1');
    } finally {
      await s.stop();
    }
  });

  it('the launcher\'s --no-new-privs: from inside, and through --join --pid while the joiner itself has none', async () => {
    expect(report([LAUNCHER, '--unshare', 'pid,mount', '--no-new-privs', '--', PROBE]).noNewPrivs).toBe(true);
    expect(report([LAUNCHER, '--unshare', 'pid,mount', '--', PROBE]).noNewPrivs).toBe(false);
    const c = await startContainer(['--unshare', 'pid,mount', '--no-new-privs'], ['/bin/sleep', '300']);
    try {
      expect(statusOf(c.ready.pid).get('NoNewPrivs')).toBe('1');
      const joined = report([LAUNCHER, '--join', String(c.ready.pid), '--', PROBE]);
      expect(joined.noNewPrivs).toBe(false); // the probe's own: the launcher that joined has none
      const shell = await new Prober({ launcher: LAUNCHER, probe: PROBE }).container(c.ready.pid);
      expect(shell.subject).toBe(1);
      expect(shell.noNewPrivs).toBe(true); // the shell's, read through --pid
    } finally {
      await c.stop();
    }
  });
});

// ---- containers made by the launcher ----

const ALL = ['--unshare', 'mount,uts,ipc,pid,net', '--hostname', 'box', '--no-new-privs'];

describe.each([
  { name: 'no namespaces', args: [] as string[], own: [] as string[], rootfs: false },
  { name: 'pid only (/proc is the host\'s)', args: ['--unshare', 'pid'], own: ['pid'], rootfs: false },
  { name: 'mount + pid (a fresh /proc)', args: ['--unshare', 'mount,pid'], own: ['mnt', 'pid'], rootfs: false },
  { name: 'everything + own root filesystem', args: ALL, own: ['mnt', 'uts', 'ipc', 'pid', 'net'], rootfs: true },
])('a container with $name: Prober.container() reports the shell, as the host sees it', ({ args, own, rootfs }) => {
  it.skipIf(rootfs && !hasOverlay)('names, numbers, credentials and limits agree with the ready line and /proc/PID (--rootfs needs overlayfs)', async () => {
    const c = await startContainer([...args, ...(rootfs ? ['--rootfs', image] : [])], ['/bin/sleep', '300']);
    try {
      const pid = c.ready.pid;
      const inside = await pidInsideContainer(pid);
      expect(inside).toBe(own.includes('pid') && own.includes('mnt') ? 1 : pid);
      const r = await new Prober({ launcher: LAUNCHER, probe: PROBE }).container(pid);
      expect(r.subject).toBe(inside);
      expect(r.pid).toBe(inside);
      // Namespaces: the launcher's word, and which are the container's own.
      for (const [ns, ino] of Object.entries(c.ready.namespaces)) {
        if (ns.endsWith('_for_children')) continue;
        expect(r.namespaces[ns], ns).toBe(ino);
        expect(ino !== hostInode(ns), ns).toBe(own.includes(ns));
      }
      // The shell's process attributes, as the host reads them.
      const outside = statusOf(pid);
      expect(capsHex(r)).toEqual(capsOutside(pid));
      expect(r.noNewPrivs).toBe(outside.get('NoNewPrivs') === '1');
      expect(r.noNewPrivs).toBe(args.includes('--no-new-privs'));
      expect(r.seccomp.mode).toBe(Number(outside.get('Seccomp')));
      expect(r.rlimits.nofile).toEqual(nofileOutside(pid));
      expect(r.cgroup.paths).toEqual(cgroupLines(pid)); // no cgroup namespace: the same view
      expect(r.user.uidMap).toEqual(idMapOutside(pid, 'uid_map'));
      // What it sees.
      expect(r.hostname).toBe(own.includes('uts') ? 'box' : hostname());
      expect(r.rootfs?.fstype).toBe(rootfs ? 'overlay' : partial([PROBE, '--sections', 'mounts']).rootfs?.fstype);
      if (own.includes('mnt') && own.includes('pid')) expect(r.processes.map((p) => p.comm).sort()).toEqual(['isolab-probe', 'sleep']);
      if (own.includes('net')) expect(r.netInterfaces).toEqual(['lo']);
    } finally {
      await c.stop();
    }
  });
});

describe.skipIf(!hasOverlay)('inside an own root filesystem (needs overlayfs), as PROGRAM', () => {
  let r: ProbeReport;
  beforeAll(() => {
    r = report([LAUNCHER, ...ALL, '--rootfs', image, '--', PROBE_IN_IMAGE]);
  });

  it('is PID 1, in the overlay, with its layers', () => {
    expect(r.pid).toBe(1);
    expect(r.user.nsPids).toEqual([1]);
    expect(r.pid1Comm).toBe('isolab-probe');
    expect(r.rootfs).toMatchObject({ fstype: 'overlay', readOnly: false });
    expect(r.rootfs?.overlay?.upper).toBeTruthy();
    expect(r.rootfs?.overlay?.lower.length).toBeGreaterThanOrEqual(1);
    expect(r.mounts.find((m) => m.target === '/sys')).toMatchObject({ readOnly: true });
  });

  it('says why no cgroup limit can be read: no cgroup filesystem is mounted in there', () => {
    expect(r.cgroup.mounted).toBe(false);
    expect(r.cgroup.reason).toMatch(/no cgroup filesystem is mounted/);
    expect(r.cgroup.memory).toBeNull();
    expect(r.cgroup.paths).toEqual(cgroupLines('self')); // membership still shows (no cgroup namespace)
  });

  it('/dev holds only the devices the launcher binds in', () => {
    const nodes = r.devices.entries.filter((e) => e.type === 'c').map((e) => `${e.name} ${e.major}:${e.minor}`);
    expect(nodes.sort()).toEqual(['full 1:7', 'null 1:3', 'random 1:8', 'tty 5:0', 'urandom 1:9', 'zero 1:5']);
    const open = new Map(r.devices.open.map((o) => [o.path, o.error]));
    expect(open.get('/dev/null')).toBeNull();
    expect(open.get('/dev/kmsg')).toBe('ENOENT');
  });

  it('read-only paths: what statvfs says agrees with the mount table', () => {
    for (const p of r.paths.readOnly.filter((p) => p.exists)) {
      expect(p.readOnlyMount, p.path).toBe(mountOf(r.mounts, p.path)!.readOnly);
    }
  });

  it('network: only lo, no default route', () => {
    expect(r.interfaces.map((i) => i.name)).toEqual(['lo']);
    expect(r.defaultRoute).toBeNull();
  });
});

// ---- user namespaces (made with util-linux unshare: the launcher's own comes from another module) ----

describe('user namespaces', () => {
  it('an unprivileged uid mapped onto root: uid, maps and setgroups inside; the host\'s view outside', async () => {
    const inside = report(['unshare', '--user', '--map-user=1000', '--map-group=1000', PROBE]);
    expect(inside.uid).toBe(1000);
    expect(inside.user.uidMap).toEqual([{ inside: 1000, outside: 0, count: 1 }]);
    expect(inside.user.setgroups).toBe('deny');
    expect(inside.namespaces.user).not.toBe(hostInode('user'));
    // Not root in there: execve cleared the capabilities; the bounding set is the new namespace's full one.
    expect(inside.caps!.effective.names).toEqual([]);
    expect(inside.caps!.bounding.names.length).toBe(inside.caps!.lastCap! + 1);

    const s = sleeper(['unshare', '--user', '--map-user=1000', '--map-group=1000', '--']);
    try {
      await untilComm(s.pid, 'sleep');
      expect(idMapOutside(s.pid, 'uid_map')).toEqual([{ inside: 1000, outside: 0, count: 1 }]);
      // From the host, /proc/PID/status shows the IDs as the host knows them.
      const fromHost = report([PROBE, '--pid', String(s.pid)]);
      expect(fromHost.uid).toBe(0);
      expect(fromHost.namespaces.user).toBe(statSync(`/proc/${s.pid}/ns/user`).ino);
      expect(fromHost.namespaces.user).not.toBe(hostInode('user'));
      expect(capsHex(fromHost)).toEqual(capsOutside(s.pid));
    } finally {
      await s.stop();
    }
  });

  it('no map at all: the overflow uid 65534 and empty maps', () => {
    const r = report(['unshare', '--user', PROBE]);
    expect(r.uid).toBe(65534);
    expect(r.user.uidMap).toEqual([]);
    expect(r.user.gidMap).toEqual([]);
  });
});

// ---- cgroups ----

/** The host's cgroup layout for one controller, as /proc/self/cgroup and mountinfo tell it. */
function controllerRoot(controller: string): { version: 'v1' | 'v2'; root: string } | null {
  const lines = cgroupLines('self');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((l) => {
    const [pre, post] = l.split(' - ');
    const [fstype, , superOptions] = post!.split(' ');
    return { root: pre!.split(' ')[3]!, target: pre!.split(' ')[4]!, fstype: fstype!, superOptions: superOptions ?? '' };
  });
  if (lines.some((l) => l.hierarchy !== 0 && l.controllers.includes(controller))) {
    const m = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.split(',').includes(controller) && m.root === '/');
    return m ? { version: 'v1', root: m.target } : null;
  }
  const m = mounts.find((m) => m.fstype === 'cgroup2' && m.root === '/');
  if (!m || !readFileSync(join(m.target, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller)) return null;
  return { version: 'v2', root: m.target };
}

describe('cgroup limits, set by hand and read back by the probe from inside the cgroup', () => {
  const made: string[] = [];
  const name = `isolab-probe-test-${RUN_ID}`;

  afterAll(() => {
    for (const dir of made.reverse()) if (existsSync(dir)) rmdirSync(dir);
  });

  /** Makes NAME under each controller's root (v1: one per hierarchy; v2: one) and writes FILES there. */
  function makeCgroup(files: Record<string, Record<string, string>>): string[] {
    const dirs = new Set<string>();
    for (const [controller, writes] of Object.entries(files)) {
      const where = controllerRoot(controller)!;
      const dir = join(where.root, name);
      if (!existsSync(dir)) {
        if (where.version === 'v2') writeFileSync(join(where.root, 'cgroup.subtree_control'), `+${controller}`);
        mkdirSync(dir);
        made.push(dir);
      }
      dirs.add(dir);
      for (const [file, value] of Object.entries(writes)) writeFileSync(join(dir, file), value);
    }
    return [...dirs];
  }

  /** The probe in DIRS (its shell joins each cgroup, then execs the probe). */
  const probeIn = (dirs: string[], args: string[] = []) =>
    report(['/bin/sh', '-c', `${dirs.map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ')} && exec "$@"`, 'sh', PROBE, ...args]);

  it('memory, pids, cpu quota and cpuset: the values written, and the CPUs narrowed', (ctx) => {
    const memory = controllerRoot('memory');
    const pids = controllerRoot('pids');
    const cpu = controllerRoot('cpu');
    if (!memory || !pids || !cpu) return ctx.skip('the memory, pids or cpu cgroup controller is not enabled on this host');
    const v2 = memory.version === 'v2';
    const dirs = makeCgroup({
      memory: v2 ? { 'memory.max': String(64 * 1024 * 1024) } : { 'memory.limit_in_bytes': String(64 * 1024 * 1024) },
      pids: { 'pids.max': '32' },
      cpu: cpu.version === 'v2' ? { 'cpu.max': '50000 100000' } : { 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '50000' },
    });
    const r = probeIn(dirs);
    expect(r.cgroup.memory).toMatchObject({ version: memory.version, dir: join(memory.root, name), max: 64 * 1024 * 1024 });
    expect(r.cgroup.memory!.current).toBeGreaterThan(0);
    expect(r.cgroup.pids).toMatchObject({ max: 32 });
    expect(r.cgroup.pids!.current).toBeGreaterThanOrEqual(1);
    expect(r.cgroup.cpu).toMatchObject({ quotaUs: 50000, periodUs: 100000 });
    expect(r.cgroup.paths.find((p) => p.controllers.includes('memory') || (v2 && p.hierarchy === 0))?.path).toBe(`/${name}`);
  });

  it('cpuset: the cpus written, and sched_getaffinity narrowed to them', (ctx) => {
    const cpuset = controllerRoot('cpuset');
    if (!cpuset) return ctx.skip('the cpuset cgroup controller is not enabled on this host');
    const dirs = makeCgroup({ cpuset: cpuset.version === 'v2' ? { 'cpuset.cpus': '0', 'cpuset.mems': '0' } : { 'cpuset.cpus': '0', 'cpuset.mems': '0' } });
    const r = probeIn(dirs);
    expect(r.cgroup.cpuset).toMatchObject({ cpus: '0', mems: '0' });
    expect(r.system.cpusAllowed).toBe(1);
  });

  it('io throttling of the root filesystem\'s device', (ctx) => {
    const io = controllerRoot('blkio') ?? controllerRoot('io');
    const dev = statSync('/').dev;
    const device = `${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
    if (!io || !existsSync(`/sys/dev/block/${device}`)) return ctx.skip('no io/blkio cgroup controller, or "/" is not on a block device');
    const dirs =
      io.version === 'v1'
        ? makeCgroup({ blkio: { 'blkio.throttle.read_bps_device': `${device} 1048576` } })
        : makeCgroup({ io: { 'io.max': `${device} rbps=1048576` } });
    const r = probeIn(dirs);
    expect(r.cgroup.io?.throttle).toEqual([{ device, rbps: 1048576, wbps: null, riops: null, wiops: null }]);
  });

  it('devices (v1): the allow-list, and what may be opened', (ctx) => {
    const devices = controllerRoot('devices');
    if (!devices || devices.version !== 'v1') return ctx.skip('no cgroup v1 devices controller (cgroup v2 controls devices with an eBPF program: there is no file to read)');
    const dirs = makeCgroup({ devices: { 'devices.deny': 'a' } });
    writeFileSync(join(dirs[0]!, 'devices.allow'), 'c 1:3 rwm');
    const r = probeIn(dirs);
    expect(r.cgroup.devices?.list).toEqual(['c 1:3 rwm']);
    const open = new Map(r.devices.open.map((o) => [o.path, o.error]));
    expect(open.get('/dev/null')).toBeNull();
    expect(open.get('/dev/zero')).toBe('EPERM');
    if (existsSync('/dev/kmsg')) expect(open.get('/dev/kmsg')).toBe('EPERM');
  });

  it('in a cgroup namespace, the host\'s cgroup mount lies outside: said, not misread', (ctx) => {
    const memory = controllerRoot('memory');
    if (!memory) return ctx.skip('the memory cgroup controller is not enabled on this host');
    const dirs = makeCgroup({ memory: {} });
    const r = report(['/bin/sh', '-c', `echo $$ > ${dirs[0]}/cgroup.procs && exec unshare --cgroup "$@"`, 'sh', PROBE]);
    expect(r.cgroup.paths.every((p) => p.path === '/')).toBe(true);
    expect(r.cgroup.memory).toBeNull();
    expect(r.cgroup.notes.some((n) => n.startsWith('memory:') && /outside/.test(n))).toBe(true);
  });
});

// ---- masked and read-only paths, made by hand in a private mount namespace ----

describe('masked and read-only paths', () => {
  it('a /dev/null bind over a file and a read-only tmpfs over a directory are "masked"; a read-only bind refuses writes', (ctx) => {
    const host = partial([PROBE, '--sections', 'paths']).paths!;
    const visible = host.masked.filter((p) => p.state === 'visible').map((p) => p.path);
    const file = visible.find((p) => statSync(p).isFile());
    const dir = visible.find((p) => statSync(p).isDirectory());
    if (!file || !dir) return ctx.skip("this kernel exposes none of Docker's masked files, or none of its masked directories");
    const script = [
      `mount --bind /dev/null ${file}`,
      `mount -t tmpfs -o ro,size=4k tmpfs ${dir}`,
      'mount --bind /proc/sys /proc/sys',
      'mount -o remount,bind,ro /proc/sys',
      `exec ${PROBE} --sections paths,mounts`,
    ].join(' && ');
    const r = partial(['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', script]);
    const masked = new Map(r.paths!.masked.map((p) => [p.path, p]));
    expect(masked.get(file)).toEqual({ path: file, state: 'masked', how: 'devnull' });
    expect(masked.get(dir)).toEqual({ path: dir, state: 'masked', how: 'tmpfs' });
    expect(r.paths!.readOnly.find((p) => p.path === '/proc/sys')).toEqual({ path: '/proc/sys', exists: true, writable: false, error: 'EROFS', readOnlyMount: true });
    expect(mountOf(r.mounts!, '/proc/sys')).toMatchObject({ target: '/proc/sys', readOnly: true });
    // Nothing leaked to the host.
    expect(partial([PROBE, '--sections', 'paths']).paths).toEqual(host);
  });
});

// ---- what the launcher's own primitives change ----

/** Docker's default capabilities (moby oci/caps/defaults.go). */
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const DOCKER_PRESET = ['--cap-drop', 'ALL', '--cap-add', DOCKER_CAPS.map((c) => c.slice(4)).join(',')];
const PID_MOUNT = ['--unshare', 'mount,pid'];

describe('what the launcher\'s primitives change: the probe inside, /proc/PID outside', () => {
  const prober = () => new Prober({ launcher: LAUNCHER, probe: PROBE });

  it('--cap-drop/--cap-add: Docker\'s preset in every set but inheritable and ambient', async () => {
    const r = report([LAUNCHER, ...PID_MOUNT, ...DOCKER_PRESET, '--', PROBE]);
    const sorted = [...DOCKER_CAPS].sort();
    for (const set of ['effective', 'permitted', 'bounding'] as const) expect([...r.caps![set].names].sort(), set).toEqual(sorted);
    expect(r.caps!.inheritable.names).toEqual([]);
    expect(r.caps!.ambient.names).toEqual([]);
    const c = await startContainer([...PID_MOUNT, ...DOCKER_PRESET], ['/bin/sleep', '300']);
    try {
      const shell = await prober().container(c.ready.pid);
      expect(capsHex(shell)).toEqual(capsOutside(c.ready.pid));
      expect(capsHex(shell)).toEqual(capsHex(r));
    } finally {
      await c.stop();
    }
  });

  it('--seccomp (Docker\'s default profile): mode 2, one filter, and try-syscall tells the filter\'s refusals from the kernel\'s', async () => {
    const profile = parseSeccompProfileJson(readFileSync(join(REPO_ROOT, 'profiles/seccomp/docker-default.json'), 'utf8'));
    const compiled = join(workDir, 'docker-default.seccomp');
    writeFileSync(compiled, compileSeccompProfile(profile, { arch: nativeArch(), capabilities: DOCKER_CAPS, kernelRelease: release() })!);
    const docker = [...PID_MOUNT, ...DOCKER_PRESET, '--no-new-privs', '--seccomp', compiled];
    const r = report([LAUNCHER, ...docker, '--', PROBE]);
    expect(r.seccomp).toEqual({ mode: 2, filters: 1 });
    expect(r.noNewPrivs).toBe(true);

    const names = ['reboot', 'mount', 'unshare', 'keyctl', 'clock_settime', 'personality', 'clone3', 'chroot', 'ptrace', 'name_to_handle_at'];
    const filtered = byName(trySyscalls([LAUNCHER, ...docker, '--', PROBE, 'try-syscall', ...names]));
    const open = byName(trySyscalls([LAUNCHER, ...PID_MOUNT, '--', PROBE, 'try-syscall', ...names]));
    // Refused by the filter: EPERM where the kernel would have said something else.
    for (const name of ['reboot', 'mount', 'unshare', 'keyctl', 'clock_settime', 'personality']) {
      expect(filtered.get(name), name).toMatchObject({ verdict: 'denied', error: 'EPERM' });
      expect(open.get(name)?.verdict, name).toBe('allowed');
    }
    // Docker answers clone3 with ENOSYS, so that the C library falls back to clone().
    expect(filtered.get('clone3')).toMatchObject({ verdict: 'unavailable', error: 'ENOSYS' });
    expect(open.get('clone3')).toMatchObject({ verdict: 'allowed', error: 'EINVAL' });
    // Allowed by the profile (chroot with CAP_SYS_CHROOT, ptrace on a 4.8+ kernel, name_to_handle_at).
    for (const name of ['chroot', 'ptrace', 'name_to_handle_at']) expect(filtered.get(name)?.verdict, name).toBe('allowed');

    const c = await startContainer(docker, ['/bin/sleep', '300']);
    try {
      const outside = statusOf(c.ready.pid);
      const shell = await prober().container(c.ready.pid);
      expect(shell.seccomp).toEqual({ mode: Number(outside.get('Seccomp')), filters: Number(outside.get('Seccomp_filters')) });
      expect(shell.seccomp.mode).toBe(2);
    } finally {
      await c.stop();
    }
  });

  it('--masked-paths/--readonly-paths default: what was visible is masked, the knobs are read-only mounts', () => {
    const host = partial([PROBE, '--sections', 'paths']).paths!;
    const r = partial([LAUNCHER, ...PID_MOUNT, '--masked-paths', 'default', '--readonly-paths', 'default', '--', PROBE, '--sections', 'paths,mounts']);
    const inside = new Map(r.paths!.masked.map((p) => [p.path, p]));
    for (const p of host.masked) {
      if (p.state === 'visible') expect(inside.get(p.path)?.state, p.path).toBe('masked');
      else expect(inside.get(p.path)?.state, p.path).toBe(p.state);
    }
    expect(host.masked.some((p) => p.state === 'visible')).toBe(true);
    for (const p of r.paths!.readOnly.filter((p) => p.exists)) {
      expect(p, p.path).toMatchObject({ readOnlyMount: true, writable: false, error: 'EROFS' });
      expect(mountOf(r.mounts!, p.path)?.readOnly, p.path).toBe(true);
    }
    // Without the options the container sees what the host sees.
    expect(partial([LAUNCHER, ...PID_MOUNT, '--', PROBE, '--sections', 'paths']).paths!.masked).toEqual(host.masked);
  });

  it.skipIf(!hasOverlay)('--read-only: the root filesystem is a read-only mount (needs overlayfs)', () => {
    const r = report([LAUNCHER, ...PID_MOUNT, '--rootfs', image, '--read-only', '--', PROBE_IN_IMAGE]);
    expect(r.rootfs).toMatchObject({ fstype: 'overlay', readOnly: true });
    expect(report([LAUNCHER, ...PID_MOUNT, '--rootfs', image, '--', PROBE_IN_IMAGE]).rootfs).toMatchObject({ readOnly: false });
  });

  it('--ulimit: the limit inside, and in /proc/PID/limits outside', async () => {
    expect(report([LAUNCHER, '--ulimit', 'nofile=64:128', '--', PROBE]).rlimits.nofile).toEqual({ soft: 64, hard: 128 });
    const c = await startContainer([...PID_MOUNT, '--ulimit', 'nofile=64:128'], ['/bin/sleep', '300']);
    try {
      expect(nofileOutside(c.ready.pid)).toEqual({ soft: 64, hard: 128 });
      expect((await prober().container(c.ready.pid)).rlimits.nofile).toEqual({ soft: 64, hard: 128 });
    } finally {
      await c.stop();
    }
  });

  it('--cgroup with limits: read back from the cgroup files, and the device list at work', async () => {
    const name = `isolab-probe-${RUN_ID}-limits`;
    const limits = ['--cgroup', name, '--memory', '64m', '--pids-limit', '32', '--cpus', '0.5'];
    const r = report([LAUNCHER, ...PID_MOUNT, ...limits, '--', PROBE]);
    expect(r.cgroup.memory).toMatchObject({ max: 64 * 1024 * 1024 });
    expect(r.cgroup.memory!.dir).toMatch(new RegExp(`/isolab/${name}$`));
    expect(r.cgroup.pids).toMatchObject({ max: 32 });
    expect(r.cgroup.cpu).toMatchObject({ quotaUs: 50000, periodUs: 100000 });
    // Docker's device list: null opens, the kernel log does not.
    const open = new Map(r.devices.open.map((o) => [o.path, o.error]));
    expect(open.get('/dev/null')).toBeNull();
    if (existsSync('/dev/kmsg')) expect(open.get('/dev/kmsg')).toBe('EPERM');
    if (r.cgroup.devices) expect(r.cgroup.devices.list).toContain('c 1:3 rwm');
    else expect(r.cgroup.notes.some((n) => n.startsWith('devices:'))).toBe(true);

    const c = await startContainer([...PID_MOUNT, ...limits.map((a) => (a === name ? `${name}-2` : a))], ['/bin/sleep', '300']);
    try {
      const shell = await prober().container(c.ready.pid);
      const memory = shell.cgroup.memory!;
      const file = memory.version === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
      expect(memory.max).toBe(Number(readFileSync(join(memory.dir, file), 'utf8')));
      expect(shell.cgroup.pids!.current).toBe(Number(readFileSync(join(shell.cgroup.pids!.dir, 'pids.current'), 'utf8')));
      expect(shell.cgroup.paths).toEqual(cgroupLines(c.ready.pid));
    } finally {
      await c.stop();
    }
  });

  it('--unshare cgroup: every path is "/" inside, and the host\'s cgroup mount is said to lie outside', () => {
    const name = `isolab-probe-${RUN_ID}-ns`;
    const r = report([LAUNCHER, '--unshare', 'mount,pid,cgroup', '--cgroup', name, '--memory', '64m', '--', PROBE]);
    expect(r.namespaces.cgroup).not.toBe(hostInode('cgroup'));
    expect(r.cgroup.paths.every((p) => p.path === '/')).toBe(true);
    expect(r.cgroup.memory).toBeNull();
    expect(r.cgroup.notes.some((n) => n.startsWith('memory:') && /outside/.test(n))).toBe(true);
  });
});
