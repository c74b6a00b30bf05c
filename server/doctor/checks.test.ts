// The doctor's verdicts on fixtures: a healthy cgroup v2 host gives the floor; each essential
// taken away makes `serve --mode workshop` refuse, naming it and how to fix it; the
// non-essentials only warn. (test/integration/doctor.test.ts runs the real checks on this host.)
import { describe, expect, it } from 'vitest';
import type { TrySyscallResult } from '../../common/probe.js';
import { CAPABILITIES } from '../../common/capabilities.js';
import { judge, missingEssentials } from './checks.js';
import { cgroupLayout, type HostFacts, type Trial } from './facts.js';
import { doctorReport, formatDoctorReport, refusalText, warnings } from './report.js';

function call(name: string, verdict: TrySyscallResult['verdict'], error: string | null, signal: string | null = null): TrySyscallResult {
  return { name, nr: 1, call: `${name}(...)`, expected: 'EINVAL', reveals: 'seccomp+privilege', result: error ? -1 : 0, error, signal, verdict, note: null };
}

const failed = (step: string | null, errno: number | null, message: string): Trial<never> => ({ ok: false, step, errno, message });

/** A host as Debian 12 with a 6.x kernel and cgroup v2 gives it, hardened: every check ok. */
function healthy(): HostFacts {
  return {
    kernelRelease: '6.12.0-1-amd64',
    sysctls: {
      'user.max_user_namespaces': '63000',
      'kernel.unprivileged_userns_clone': '1',
      'kernel.apparmor_restrict_unprivileged_userns': null,
      'kernel.io_uring_disabled': '2',
      'kernel.unprivileged_bpf_disabled': '2',
      'kernel.perf_event_paranoid': '3',
      'kernel.seccomp.actions_avail': 'kill_process kill_thread trap errno user_notif trace log allow',
    },
    launcher: { path: '/opt/isolab/native/build/Release/isolab-launcher', built: true },
    lsm: {
      ok: true,
      value: {
        type: 'lsm-status',
        active: ['lockdown', 'capability', 'landlock', 'yama', 'apparmor'],
        activeFrom: '/sys/kernel/security/lsm',
        apparmor: { available: true },
        selinux: { available: false, reason: 'it is not among the kernel\'s active LSMs' },
        landlock: { available: true, abi: 6 },
      },
    },
    capabilities: [...CAPABILITIES],
    cgroup: { kind: 'v2', unified: '/sys/fs/cgroup', unifiedControllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'], v1Controllers: [] },
    swapTotalKiB: 1048572,
    containersDir: { path: '/run/isolab/containers', ownTmpfs: true, entries: 0 },
    trials: {
      unprivilegedUserns: { ok: true, value: [call('io_uring_setup', 'denied', 'EPERM'), call('bpf', 'denied', 'EPERM'), call('perf_event_open', 'denied', 'EACCES')] },
      overlayInUserns: { ok: true, value: null },
      cgroup: {
        memory: { ok: true, value: { version: 'v2', dir: '/sys/fs/cgroup/isolab/doctor-memory-1' } },
        swap: { ok: true, value: { version: 'v2', dir: '/sys/fs/cgroup/isolab/doctor-swap-1' } },
        pids: { ok: true, value: { version: 'v2', dir: '/sys/fs/cgroup/isolab/doctor-pids-1' } },
        cpu: { ok: true, value: { version: 'v2', dir: '/sys/fs/cgroup/isolab/doctor-cpu-1' } },
      },
      seccomp: { ok: true, value: { calls: [call('kcmp', 'denied', 'EPERM'), call('personality', 'denied', 'EPERM'), call('ustat', 'killed', null, 'SIGSYS')], notified: ['personality'] } },
      floorShell: { ok: true, value: null },
    },
    elapsedMs: 42,
  };
}

type Change = (f: HostFacts) => void;

describe('isolab doctor on a healthy cgroup v2 host', () => {
  const report = doctorReport(healthy());

  it('finds every check ok, and serve starts without a warning', () => {
    expect(report.checks.filter((c) => c.verdict !== 'ok')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(refusalText(report)).toBeNull();
    expect(warnings(report)).toEqual([]);
  });

  it('prints one line per check, each with its verdict first, and says the floor can be given', () => {
    const lines = formatDoctorReport(report).split('\n');
    const checkLines = lines.filter((l) => /^ {2}(ok|weaker|missing) /.test(l));
    expect(checkLines).toHaveLength(report.checks.length);
    expect(lines.at(-1)).toMatch(/^Yes: every essential is here\. isolab serve --mode workshop can start\.$/);
    expect(lines[0]).toContain('checked in 42 ms');
  });

  it('gives every check its own id', () => {
    const ids = report.checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

/** Each essential taken away: the check that must turn missing, and a word its fix must contain. */
const ESSENTIALS: [string, string, Change, RegExp][] = [
  ['an old kernel', 'kernel', (f) => void (f.kernelRelease = '5.15.0-91-generic'), /newer kernel/],
  ['no launcher built', 'launcher', (f) => void (f.launcher.built = false), /npm run setup/],
  ['a launcher that does not answer', 'launcher', (f) => void (f.lsm = failed(null, null, 'isolab-launcher --lsm-status did not answer: ENOEXEC')), /npm run setup/],
  ['no CAP_SYS_ADMIN (a container host)', 'capabilities', (f) => void (f.capabilities = f.capabilities.filter((c) => c !== 'SYS_ADMIN')), /real root/],
  ['user.max_user_namespaces = 0', 'userns.max', (f) => void (f.sysctls['user.max_user_namespaces'] = '0'), /sysctl -w user\.max_user_namespaces=/],
  ['a kernel without user namespaces', 'userns.max', (f) => void (f.sysctls['user.max_user_namespaces'] = null), /CONFIG_USER_NS/],
  ['an unprivileged uid refused a user namespace', 'userns.unprivileged', (f) => void (f.trials.unprivilegedUserns = failed('clone', 1, 'step "clone": Operation not permitted')), /sysctls/],
  ['no overlay in a user namespace', 'overlay.userns', (f) => void (f.trials.overlayInUserns = failed('idmap', 22, 'step "idmap": Invalid argument')), /idmapped/],
  ['no cgroup filesystem', 'cgroup.version', (f) => void (f.cgroup = { kind: 'none', unified: null, unifiedControllers: null, v1Controllers: [] }), /mount cgroup2/],
  ['no memory controller', 'cgroup.memory', (f) => void (f.trials.cgroup.memory = failed('args', 0, 'step "args": --memory is not available on this host')), /\+memory > \/sys\/fs\/cgroup\/cgroup\.subtree_control/],
  ['no pids controller', 'cgroup.pids', (f) => void (f.trials.cgroup.pids = failed('cgroup_limits', 2, 'step "cgroup_limits": No such file or directory')), /\+pids/],
  ['no cpu controller', 'cgroup.cpu', (f) => void (f.trials.cgroup.cpu = failed('args', 0, 'step "args": --cpus is not available')), /\+cpu/],
  ['swap without swap accounting', 'cgroup.swap', (f) => void (f.trials.cgroup.swap = failed('cgroup_limits', 2, 'step "cgroup_limits": --memory-swap is not available on this host')), /swapaccount=1/],
  ['no seccomp filter', 'seccomp.filter', (f) => void (f.trials.seccomp = failed('seccomp', 22, 'step "seccomp": Invalid argument')), /CONFIG_SECCOMP_FILTER/],
  ['a filter that refuses nothing', 'seccomp.filter', (f) => void (f.trials.seccomp = { ok: true, value: { calls: [call('kcmp', 'allowed', null)], notified: [] } }), /CONFIG_SECCOMP_FILTER/],
  ["the floor's shell does not start", 'floor.shell', (f) => void (f.trials.floorShell = failed('pivot_root', 22, 'step "pivot_root": Invalid argument')), /above/],
];

describe.each(ESSENTIALS)('with %s', (_what, id, change, fix) => {
  const facts = healthy();
  change(facts);
  const report = doctorReport(facts);
  const c = report.checks.find((x) => x.id === id)!;

  it(`${id} is missing, essential, and says how to fix it`, () => {
    expect(c).toMatchObject({ essential: true, verdict: 'missing' });
    expect(c.fix).toMatch(fix);
  });

  it('serve refuses to start, naming it and its fix', () => {
    expect(report.ok).toBe(false);
    const refusal = refusalText(report)!;
    expect(refusal).toMatch(/^refusing to serve workshop mode/);
    expect(refusal).toContain(`${c.title}: ${c.detail}`);
    expect(refusal).toContain(`to fix: ${c.fix}`);
    // Only what is missing is named: not a list of every check.
    const named = missingEssentials(report.checks).map((m) => m.id);
    expect(named).toContain(id);
    expect(named.every((n) => n === id || n === 'floor.shell' || n === 'userns.unprivileged')).toBe(true);
  });
});

/** Weaker or missing, but not essential: serve warns and starts. */
const NON_ESSENTIALS: [string, string, Change, 'weaker' | 'missing'][] = [
  ['cgroup v1 (hybrid)', 'cgroup.version', (f) => void (f.cgroup = { kind: 'hybrid', unified: '/sys/fs/cgroup/unified', unifiedControllers: [], v1Controllers: ['cpu', 'memory', 'pids'] }), 'weaker'],
  ['no swap accounting on a host without swap', 'cgroup.swap', (f) => {
    f.swapTotalKiB = 0;
    f.trials.cgroup.swap = failed('cgroup_limits', 2, 'step "cgroup_limits": --memory-swap is not available on this host');
  }, 'weaker'],
  ['no seccomp user notification', 'seccomp.notify', (f) => {
    if (f.trials.seccomp.ok) f.trials.seccomp.value.notified = [];
  }, 'missing'],
  ['a kernel without user_notif among its actions', 'seccomp.actions', (f) => void (f.sysctls['kernel.seccomp.actions_avail'] = 'kill_process kill_thread trap errno trace log allow'), 'weaker'],
  ['no Landlock', 'landlock', (f) => {
    if (f.lsm.ok) f.lsm.value.landlock = { available: false, reason: 'landlock_create_ruleset() is not implemented' };
  }, 'missing'],
  ['Landlock ABI 3', 'landlock', (f) => {
    if (f.lsm.ok) f.lsm.value.landlock = { available: true, abi: 3 };
  }, 'weaker'],
  ['neither AppArmor nor SELinux', 'mac', (f) => {
    if (f.lsm.ok) f.lsm.value.apparmor = { available: false, reason: 'the kernel was built without AppArmor' };
  }, 'weaker'],
  ['io_uring enabled for everyone', 'io_uring', (f) => void (f.sysctls['kernel.io_uring_disabled'] = '0'), 'weaker'],
  ['a kernel without io_uring_disabled', 'io_uring', (f) => void (f.sysctls['kernel.io_uring_disabled'] = null), 'weaker'],
  ['unprivileged BPF', 'bpf', (f) => void (f.sysctls['kernel.unprivileged_bpf_disabled'] = '0'), 'weaker'],
  ['perf_event_paranoid 1', 'perf', (f) => void (f.sysctls['kernel.perf_event_paranoid'] = '1'), 'weaker'],
  ['the containers directory holding another server\'s files', 'containers.tmpfs', (f) => void (f.containersDir = { path: '/run/isolab/containers', ownTmpfs: false, entries: 3 }), 'weaker'],
];

describe.each(NON_ESSENTIALS)('with %s', (_what, id, change, verdict) => {
  const facts = healthy();
  change(facts);
  const report = doctorReport(facts);
  const c = report.checks.find((x) => x.id === id)!;

  it(`${id} is ${verdict}; serve starts and warns about it alone`, () => {
    expect(c.verdict).toBe(verdict);
    expect(c.fix).not.toBeNull();
    expect(report.ok).toBe(true);
    expect(refusalText(report)).toBeNull();
    expect(warnings(report)).toEqual([`${c.title}: ${c.detail} (to fix: ${c.fix})`]);
  });
});

describe('what a learner could reach, tried from an unprivileged user namespace, outweighs the sysctl', () => {
  it.each([
    ['io_uring', 'io_uring_setup'],
    ['bpf', 'bpf'],
    ['perf', 'perf_event_open'],
  ] as const)('%s: the sysctl says off, but %s got through: weaker', (id, name) => {
    const facts = healthy();
    if (facts.trials.unprivilegedUserns.ok) facts.trials.unprivilegedUserns.value = facts.trials.unprivilegedUserns.value.map((r) => (r.name === name ? call(name, 'allowed', 'EINVAL') : r));
    const c = judge(facts).find((x) => x.id === id)!;
    expect(c.verdict).toBe('weaker');
    expect(c.detail).toContain(`${name} allowed`);
  });
});

describe("Debian's and Ubuntu's switches for unprivileged user namespaces", () => {
  // The launcher holds root's capabilities while it makes each learner's namespace as their uid
  // (--userns-owner), and both switches let a capable process through: reported, not required.
  it.each([
    ['userns.debian', 'kernel.unprivileged_userns_clone', '0'],
    ['userns.apparmor', 'kernel.apparmor_restrict_unprivileged_userns', '1'],
  ] as const)('%s at its strictest is not essential and refuses nothing', (id, name, strictest) => {
    const facts = healthy();
    facts.sysctls[name] = strictest;
    const c = judge(facts).find((x) => x.id === id)!;
    expect(c).toMatchObject({ essential: false, verdict: 'ok' });
    expect(c.detail).toMatch(new RegExp(`^${strictest}: .*CAP_SYS_ADMIN`));
  });
});

describe('why an unprivileged user namespace failed, from the step', () => {
  it.each([
    ['clone', 28, 'user.max_user_namespaces'],
    ['clone', 1, 'kernel.unprivileged_userns_clone'],
    ['userns_enter', 1, 'kernel.apparmor_restrict_unprivileged_userns'],
    ['hostname', 1, 'kernel.apparmor_restrict_unprivileged_userns'],
  ] as const)('step %s, errno %i: points at %s', (step, errno, sysctl) => {
    const facts = healthy();
    facts.trials.unprivilegedUserns = failed(step, errno, `step "${step}": failed`);
    expect(judge(facts).find((c) => c.id === 'userns.unprivileged')!.detail).toContain(sysctl);
  });
});

describe('cgroupLayout (mountinfo as the kernel writes it)', () => {
  const line = (id: number, parent: number, target: string, fstype: string, superOptions: string) => `${id} ${parent} 0:${id} / ${target} rw,relatime - ${fstype} ${fstype} ${superOptions}`;
  const controllers = (dir: string) => (dir === '/sys/fs/cgroup/unified' ? '' : 'cpuset cpu io memory pids');

  it('pure v2', () => {
    expect(cgroupLayout(line(30, 23, '/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate,memory_recursiveprot'), controllers)).toEqual({
      kind: 'v2',
      unified: '/sys/fs/cgroup',
      unifiedControllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'],
      v1Controllers: [],
    });
  });

  it('hybrid: v1 hierarchies, cgroup2 on unified with no controllers', () => {
    const text = [
      line(31, 23, '/sys/fs/cgroup', 'tmpfs', 'rw,mode=755'),
      line(32, 31, '/sys/fs/cgroup/cpu', 'cgroup', 'rw,cpu'),
      line(35, 31, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'),
      line(39, 31, '/sys/fs/cgroup/pids', 'cgroup', 'rw,pids'),
      line(40, 31, '/sys/fs/cgroup/systemd', 'cgroup', 'rw,xattr,name=systemd'),
      line(41, 31, '/sys/fs/cgroup/unified', 'cgroup2', 'rw'),
    ].join('\n');
    expect(cgroupLayout(text, controllers)).toEqual({ kind: 'hybrid', unified: '/sys/fs/cgroup/unified', unifiedControllers: [], v1Controllers: ['cpu', 'memory', 'pids'] });
  });

  it('a tmpfs mounted over /sys/fs/cgroup hides the hierarchies below it: none', () => {
    const text = [line(31, 23, '/sys/fs/cgroup', 'tmpfs', 'rw,mode=755'), line(35, 31, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'), line(90, 31, '/sys/fs/cgroup', 'tmpfs', 'rw')].join('\n');
    expect(cgroupLayout(text, controllers).kind).toBe('none');
  });
});
