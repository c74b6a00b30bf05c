// The verdicts of `isolab doctor`: from what facts.ts learned about the host, one check per thing
// the workshop floor relies on, each ok (guaranteed), weaker (the floor holds, with one layer less
// beneath it) or missing, with what to do about it. Pure: the unit tests feed it fixtures.
// docs/doctor.md says what each check means.
import type { Capability } from '../../common/capabilities.js';
import type { TrySyscallResult } from '../../common/probe.js';
import { SECCOMP_TRIAL, TRIAL_UID, type CgroupTrialName, type HostFacts, type Trial } from './facts.js';

export type Verdict = 'ok' | 'weaker' | 'missing';

export interface Check {
  id: string;
  title: string;
  /** Without it the floor cannot be given: `serve --mode workshop` refuses to start when it is missing. */
  essential: boolean;
  verdict: Verdict;
  /** What was found: what is guaranteed, or what is not. */
  detail: string;
  /** What to do about it; null when nothing needs doing. */
  fix: string | null;
}

/** The oldest kernel the floor's shell can start on: overlayfs over an idmapped lower layer (native/README.md, "User namespace"). */
export const MIN_KERNEL: readonly [number, number] = [5, 19];

/**
 * What the launcher must be able to do as the server's root, and why. A container can be given no
 * capability the server lacks; these it cannot do without.
 */
const LAUNCHER_NEEDS: Partial<Record<Capability, string>> = {
  SYS_ADMIN: 'namespaces, mounts, the seccomp filter before no_new_privs',
  SETUID: "writing each container's uid map",
  SETGID: "writing each container's gid map",
  NET_ADMIN: 'the bridge and each container\'s veth',
  SYS_PTRACE: "opening a learner's namespaces for the probe (--join)",
  KILL: "ending a learner's processes, whoever they run as",
};

/** The seccomp actions the launcher's profiles may name (native/README.md, "seccomp"), as /proc/sys/kernel/seccomp/actions_avail spells them. */
export const LAUNCHER_SECCOMP_ACTIONS = ['allow', 'errno', 'kill_thread', 'kill_process', 'trap', 'log', 'trace', 'user_notif'] as const;

/** How to set a sysctl now and at every boot. */
function sysctlFix(name: string, value: string | number): string {
  return `sysctl -w ${name}=${value}, and keep it: echo '${name} = ${value}' > /etc/sysctl.d/60-isolab.conf`;
}

const check = (id: string, title: string, essential: boolean, verdict: Verdict, detail: string, fix: string | null = null): Check => ({ id, title, essential, verdict, detail, fix });

function kernelVersion(releaseText: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(releaseText);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function kernel(f: HostFacts): Check {
  const v = kernelVersion(f.kernelRelease);
  const min = `${MIN_KERNEL[0]}.${MIN_KERNEL[1]}`;
  if (v && (v[0] > MIN_KERNEL[0] || (v[0] === MIN_KERNEL[0] && v[1] >= MIN_KERNEL[1]))) {
    return check('kernel', 'kernel', true, 'ok', `Linux ${f.kernelRelease} (the floor needs ${min} or newer)`);
  }
  return check('kernel', 'kernel', true, 'missing', `Linux ${f.kernelRelease}: the floor's shell needs ${min} or newer (overlayfs over an idmapped image)`, `run the workshop on a newer kernel (Debian 12 backports, Ubuntu 24.04: 6.x)`);
}

function launcher(f: HostFacts): Check {
  if (!f.launcher.built) return check('launcher', 'native launcher', true, 'missing', `${f.launcher.path} (or the probe, or the image) is not built`, 'npm run setup');
  if (!f.lsm.ok) return check('launcher', 'native launcher', true, 'missing', f.lsm.message, 'npm run setup (rebuilds it)');
  return check('launcher', 'native launcher', true, 'ok', `${f.launcher.path} is built and answers`);
}

function capabilities(f: HostFacts): Check {
  const lacking = (Object.keys(LAUNCHER_NEEDS) as Capability[]).filter((c) => !f.capabilities.includes(c));
  if (lacking.length) {
    const why = lacking.map((c) => `CAP_${c} (${LAUNCHER_NEEDS[c]})`).join(', ');
    return check('capabilities', 'capabilities', true, 'missing', `this process lacks ${why}`, "run isolab as real root on the host, not in a container that drops capabilities");
  }
  return check('capabilities', 'capabilities', true, 'ok', `the launcher holds what it needs (${f.capabilities.length} capabilities in the bounding set)`);
}

function maxUserNamespaces(f: HostFacts): Check {
  const name = 'user.max_user_namespaces';
  const v = f.sysctls[name];
  if (v === null) return check('userns.max', name, true, 'missing', 'no such file: the kernel was built without user namespaces (CONFIG_USER_NS)', 'a kernel with CONFIG_USER_NS=y (every distribution kernel has it)');
  if (Number(v) <= 0) return check('userns.max', name, true, 'missing', `${v}: no user namespace can be created`, sysctlFix(name, 15000));
  return check('userns.max', name, true, 'ok', `${v} user namespaces per user`);
}

// The launcher makes each learner's user namespace as the learner's uid but holding root's
// capabilities (--userns-owner: only the effective uid changes, with SECBIT_NO_SETUID_FIXUP), and
// both switches below let a capable process through: they restrict other programs on the host,
// not isolab. They are reported, not required.
function debianUsernsClone(f: HostFacts): Check {
  const name = 'kernel.unprivileged_userns_clone';
  const v = f.sysctls[name];
  if (v === null) return check('userns.debian', name, false, 'ok', 'not on this kernel (a Debian patch)');
  if (v === '0') return check('userns.debian', name, false, 'ok', "0: only a process holding CAP_SYS_ADMIN may create a user namespace; isolab's launcher holds it while it makes each learner's (as their uid)");
  return check('userns.debian', name, false, 'ok', `${v}: unprivileged uids may create user namespaces`);
}

function ubuntuApparmorRestrict(f: HostFacts): Check {
  const name = 'kernel.apparmor_restrict_unprivileged_userns';
  const v = f.sysctls[name];
  if (v === null) return check('userns.apparmor', name, false, 'ok', 'not on this kernel (an Ubuntu switch)');
  if (v !== '0') return check('userns.apparmor', name, false, 'ok', `${v}: AppArmor restricts user namespaces made without CAP_SYS_ADMIN; isolab's launcher holds it while it makes each learner's (as their uid)`);
  return check('userns.apparmor', name, false, 'ok', '0: AppArmor does not restrict unprivileged user namespaces');
}

/** Why an unprivileged user namespace could not be made, from where the launcher failed. */
function usernsHint(t: Extract<Trial<unknown>, { ok: false }>): string {
  if (t.errno === 28) return 'ENOSPC: the per-user limit is reached (user.max_user_namespaces)';
  if (t.step === 'clone' && t.errno === 1) return 'the kernel refused it to a launcher holding CAP_SYS_ADMIN: a security module (kernel.unprivileged_userns_clone does not apply to it)';
  if ((t.step === 'userns_enter' || t.step === 'hostname') && t.errno === 1) return 'the namespace was made but its root has no capabilities in it (kernel.apparmor_restrict_unprivileged_userns)';
  return 'see the sysctls above';
}

function unprivilegedUserns(f: HostFacts): Check {
  const t = f.trials.unprivilegedUserns;
  const title = 'user namespace owned by an unprivileged uid';
  if (t.ok) return check('userns.unprivileged', title, true, 'ok', `tried: the launcher made a user namespace owned by uid ${TRIAL_UID}, whose root set the hostname of a UTS namespace it owns`);
  return check('userns.unprivileged', title, true, 'missing', `tried with uid ${TRIAL_UID} as owner: ${t.message} — ${usernsHint(t)}`, 'fix the user namespace sysctls above');
}

function overlayInUserns(f: HostFacts): Check {
  const t = f.trials.overlayInUserns;
  const title = 'overlayfs in a user namespace';
  if (t.ok) return check('overlay.userns', title, true, 'ok', "tried: the image, idmapped, as the overlay root of a user namespace's container");
  return check('overlay.userns', title, true, 'missing', `tried: ${t.message}`, 'the image must be on a filesystem with idmapped mounts (ext4, xfs, btrfs, tmpfs on Linux 6.3+), on Linux 5.19+');
}

function cgroupLayout(f: HostFacts): Check {
  const c = f.cgroup;
  const title = 'cgroup version';
  const controllers = (list: string[] | null) => (list && list.length ? list.join(' ') : 'no controllers');
  switch (c.kind) {
    case 'v2':
      return check('cgroup.version', title, true, 'ok', `cgroup v2 at /sys/fs/cgroup (${controllers(c.unifiedControllers)})`);
    case 'none':
      return check('cgroup.version', title, true, 'missing', 'no cgroup filesystem at /sys/fs/cgroup: no limit can be set', 'mount cgroup2 on /sys/fs/cgroup (systemd does at boot)');
    default: {
      const beside = c.kind === 'hybrid' ? `; cgroup2 at ${c.unified} with ${controllers(c.unifiedControllers)}` : '';
      return check(
        'cgroup.version',
        title,
        true,
        'weaker',
        `${c.kind}: cgroup v1 hierarchies (${c.v1Controllers.join(' ')})${beside}. The launcher uses v1: no memory.high, and a new process enters its cgroup itself rather than being created in it`,
        'boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2',
      );
    }
  }
}

const CGROUP_CHECKS: Record<CgroupTrialName, { title: string; what: string }> = {
  memory: { title: 'cgroup memory', what: 'RAM limited' },
  swap: { title: 'cgroup swap accounting', what: 'memory and swap limited together' },
  pids: { title: 'cgroup pids', what: 'process count limited' },
  cpu: { title: 'cgroup cpu', what: 'CPU bandwidth limited' },
};

function controllerFix(name: CgroupTrialName, f: HostFacts): string {
  const controller = name === 'swap' ? 'memory' : name;
  if (f.cgroup.kind === 'v2') return `enable the ${controller} controller: it must be listed in /sys/fs/cgroup/cgroup.subtree_control (echo +${controller} > /sys/fs/cgroup/cgroup.subtree_control)`;
  return `mount the ${controller} controller at /sys/fs/cgroup/${controller} (or boot with systemd.unified_cgroup_hierarchy=1)`;
}

function cgroupController(f: HostFacts, name: CgroupTrialName): Check {
  const t = f.trials.cgroup[name];
  const { title, what } = CGROUP_CHECKS[name];
  const id = `cgroup.${name}`;
  if (t.ok) return check(id, title, true, 'ok', `tried: ${what} (${t.value.version}, ${t.value.dir.replace(/\/isolab\/doctor-.*$/, '')})`);
  if (name === 'swap') {
    if (f.swapTotalKiB === 0) {
      return check(id, title, true, 'weaker', `tried: ${t.message}. This host has no swap, so a memory limit bounds everything; turn swap on only with swap accounting`, 'boot with swapaccount=1 before adding swap');
    }
    return check(id, title, true, 'missing', `tried: ${t.message}. This host has ${f.swapTotalKiB ?? 'some'} KiB of swap, which a learner's memory bomb would fill`, 'boot with swapaccount=1 (cgroup v1), or use a kernel with CONFIG_MEMCG_SWAP; or turn swap off (swapoff -a)');
  }
  return check(id, title, true, 'missing', `tried: ${t.message}`, controllerFix(name, f));
}

function callResult(calls: readonly TrySyscallResult[], name: string): TrySyscallResult | undefined {
  return calls.find((c) => c.name === name);
}

function seccompFilter(f: HostFacts): Check {
  const t = f.trials.seccomp;
  const title = 'seccomp filter';
  if (!t.ok) return check('seccomp.filter', title, true, 'missing', `tried: ${t.message}`, 'a kernel with CONFIG_SECCOMP_FILTER=y');
  const errno = callResult(t.value.calls, SECCOMP_TRIAL.errno);
  if (errno?.verdict !== 'denied') return check('seccomp.filter', title, true, 'missing', `tried: a filter refusing ${SECCOMP_TRIAL.errno} with EPERM was loaded, but ${SECCOMP_TRIAL.errno} got ${errno?.error ?? errno?.verdict ?? 'no answer'}`, 'a kernel with CONFIG_SECCOMP_FILTER=y');
  return check('seccomp.filter', title, true, 'ok', `tried: a filter loaded, and the call it refuses was refused (${SECCOMP_TRIAL.errno}: EPERM)`);
}

function seccompUserNotif(f: HostFacts): Check {
  const t = f.trials.seccomp;
  const title = 'seccomp user notification';
  const fix = 'Linux 5.0+ with CONFIG_SECCOMP_FILTER';
  if (!t.ok) return check('seccomp.notify', title, false, 'missing', 'no filter could be loaded (above)', fix);
  if (!t.value.notified.includes(SECCOMP_TRIAL.notify)) {
    return check('seccomp.notify', title, false, 'missing', `tried: ${SECCOMP_TRIAL.notify} was not handed to the supervisor: "Why did that fail?" cannot name a refused system call`, fix);
  }
  return check('seccomp.notify', title, false, 'ok', `tried: a refused call (${SECCOMP_TRIAL.notify}) was handed to the launcher's supervisor, which answered it`);
}

function seccompActions(f: HostFacts): Check {
  const title = 'seccomp actions';
  const avail = f.sysctls['kernel.seccomp.actions_avail'];
  const t = f.trials.seccomp;
  const kill = t.ok ? callResult(t.value.calls, SECCOMP_TRIAL.kill) : undefined;
  const lacking = avail === null ? [...LAUNCHER_SECCOMP_ACTIONS] : LAUNCHER_SECCOMP_ACTIONS.filter((a) => !avail.split(/\s+/).includes(a));
  const killed = kill?.verdict === 'killed' ? `; tried: kill_process ended the calling process (${kill.signal})` : '';
  if (lacking.length) {
    return check('seccomp.actions', title, false, 'weaker', `the kernel lacks ${lacking.join(', ')} (kernel.seccomp.actions_avail: ${avail ?? 'absent'})${killed}: a profile naming them cannot be loaded`, 'a newer kernel');
  }
  if (t.ok && kill?.verdict !== 'killed') return check('seccomp.actions', title, false, 'weaker', `tried: kill_process did not kill (${SECCOMP_TRIAL.kill}: ${kill?.verdict ?? 'no answer'})`, 'a newer kernel');
  return check('seccomp.actions', title, false, 'ok', `every action the launcher's profiles use: ${LAUNCHER_SECCOMP_ACTIONS.join(' ')}${killed}`);
}

function landlock(f: HostFacts): Check {
  const title = 'Landlock';
  if (!f.lsm.ok) return check('landlock', title, false, 'missing', 'the launcher could not say (above)', 'npm run setup');
  const l = f.lsm.value.landlock;
  if (!l.available) return check('landlock', title, false, 'missing', `not usable: ${l.reason ?? 'no reason given'}; the Landlock switch and lesson cannot work`, 'boot with lsm=…,landlock (Linux 5.13+, CONFIG_SECURITY_LANDLOCK)');
  if ((l.abi ?? 0) < 4) return check('landlock', title, false, 'weaker', `ABI ${l.abi}: files only, no TCP port rules (ABI 4, Linux 6.7)`, 'Linux 6.7 or newer');
  return check('landlock', title, false, 'ok', `ABI ${l.abi}: file and TCP port rules`);
}

function mac(f: HostFacts): Check {
  const title = 'AppArmor / SELinux';
  if (!f.lsm.ok) return check('mac', title, false, 'missing', 'the launcher could not say (above)', 'npm run setup');
  const { apparmor, selinux, active } = f.lsm.value;
  const usable = [apparmor.available ? 'AppArmor' : null, selinux.available ? `SELinux (${selinux.mode ?? 'mode unknown'})` : null].filter(Boolean);
  if (usable.length) return check('mac', title, false, 'ok', `${usable.join(' and ')} usable (active LSMs: ${active?.join(',') ?? 'unknown'})`);
  return check(
    'mac',
    title,
    false,
    'weaker',
    `neither is usable (${apparmor.reason ?? 'AppArmor: no reason given'}): the floor does not rely on one, but no mandatory access control stands beneath it, as docker's AppArmor profile would`,
    'a kernel with AppArmor or SELinux enabled (Debian and Ubuntu: AppArmor by default)',
  );
}

/** What a learner's root in their own user namespace got from CALL, tried as an unprivileged uid. */
function tried(f: HostFacts, call: string): string {
  const t = f.trials.unprivilegedUserns;
  if (!t.ok) return '';
  const r = callResult(t.value, call);
  return r ? `; tried as uid ${TRIAL_UID}'s root: ${call} ${r.verdict}${r.error ? ` (${r.error})` : ''}` : '';
}

function learnerReaches(f: HostFacts, call: string): boolean {
  const t = f.trials.unprivilegedUserns;
  return t.ok && callResult(t.value, call)?.verdict === 'allowed';
}

function ioUring(f: HostFacts): Check {
  const name = 'kernel.io_uring_disabled';
  const v = f.sysctls[name];
  const seen = tried(f, 'io_uring_setup');
  const fix = sysctlFix(name, 2);
  if (learnerReaches(f, 'io_uring_setup') || v === '0') {
    return check('io_uring', name, false, 'weaker', `${v ?? 'absent'}: any process may create io_uring rings; only the floor's seccomp filter keeps learners from them${seen}`, fix);
  }
  if (v === null) return check('io_uring', name, false, 'weaker', `absent (Linux < 6.6): only the floor's seccomp filter keeps learners from io_uring${seen}`, 'Linux 6.6 or newer, then ' + fix);
  return check('io_uring', name, false, 'ok', `${v}: ${v === '2' ? 'no process' : 'only root and kernel.io_uring_group'} may create io_uring rings${seen}`);
}

function unprivilegedBpf(f: HostFacts): Check {
  const name = 'kernel.unprivileged_bpf_disabled';
  const v = f.sysctls[name];
  const seen = tried(f, 'bpf');
  if (learnerReaches(f, 'bpf') || v === '0' || v === null) {
    return check('bpf', name, false, 'weaker', `${v ?? 'absent'}: unprivileged processes may load BPF programs; only the floor's seccomp filter keeps learners from bpf()${seen}`, sysctlFix(name, 2));
  }
  return check('bpf', name, false, 'ok', `${v}: only CAP_BPF on the host may load BPF programs${seen}`);
}

function perfEvents(f: HostFacts): Check {
  const name = 'kernel.perf_event_paranoid';
  const v = f.sysctls[name];
  const seen = tried(f, 'perf_event_open');
  if (learnerReaches(f, 'perf_event_open') || v === null || Number(v) < 2) {
    return check('perf', name, false, 'weaker', `${v ?? 'absent'}: unprivileged processes may watch kernel events; only the floor's seccomp filter keeps learners from perf_event_open${seen}`, sysctlFix(name, 3));
  }
  return check('perf', name, false, 'ok', `${v}: unprivileged processes may measure ${Number(v) >= 3 ? 'nothing' : 'only their own user-space code'}${seen}`);
}

function containersTmpfs(f: HostFacts): Check {
  const d = f.containersDir;
  const title = 'tmpfs for the containers';
  if (d.ownTmpfs) return check('containers.tmpfs', title, false, 'ok', `${d.path} is isolab's own tmpfs: containers write to memory`);
  if (d.entries === null || d.entries === 0) return check('containers.tmpfs', title, false, 'ok', `serve mounts a tmpfs of its own on ${d.path} at start`);
  return check('containers.tmpfs', title, false, 'weaker', `${d.path} holds ${d.entries} entries of another server and is not isolab's tmpfs: containers would write to the disk below it`, `stop the other server, or remove what is left in ${d.path}`);
}

function floorShell(f: HostFacts): Check {
  const t = f.trials.floorShell;
  const title = "the floor's shell";
  if (t.ok) return check('floor.shell', title, true, 'ok', 'tried: a shell with every floor switch on (as serve --mode workshop starts it) ran /bin/true');
  return check('floor.shell', title, true, 'missing', `tried: ${t.message}`, 'fix what is missing above; this trial repeats them together');
}

/** Every check, in the order they are printed. */
export function judge(f: HostFacts): Check[] {
  return [
    kernel(f),
    launcher(f),
    capabilities(f),
    maxUserNamespaces(f),
    debianUsernsClone(f),
    ubuntuApparmorRestrict(f),
    unprivilegedUserns(f),
    overlayInUserns(f),
    cgroupLayout(f),
    ...(['memory', 'swap', 'pids', 'cpu'] as const).map((name) => cgroupController(f, name)),
    seccompFilter(f),
    seccompUserNotif(f),
    seccompActions(f),
    landlock(f),
    mac(f),
    ioUring(f),
    unprivilegedBpf(f),
    perfEvents(f),
    containersTmpfs(f),
    floorShell(f),
  ];
}

/** The essentials that are missing: what makes `serve --mode workshop` refuse to start. */
export function missingEssentials(checks: readonly Check[]): Check[] {
  return checks.filter((c) => c.essential && c.verdict === 'missing');
}
