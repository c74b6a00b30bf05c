// The lessons' tools in the image, against the real kernel: isolab-become-root (the set-user-ID-root
// program of lesson 13), isolab-seccomp-deny (lesson 14's own filter), try-syscall and blast-radius
// (lesson 14's table, the capstone's compromised process). Inside: what they print; outside: the
// host's /proc/PID/status of the processes they leave, and the container's cgroup counters.
// Contract: native/README.md ("The lessons' tools").
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PartialProbeReport } from '../../common/probe.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../common/capabilities.js';
import { IMAGE, PROBE, eventually, procStatus, run as runWithEnv, start as startWithEnv, tag } from '../helpers/launcher-run.js';

const hasUserns = existsSync('/proc/self/ns/user');
const BIN = join(IMAGE, 'usr', 'local', 'bin');
const CONTAINER = ['--unshare', 'mount,uts,ipc,pid', '--rootfs', IMAGE];
const USERNS = ['--unshare', 'mount,uts,ipc,pid,user', '--userns-map', '0:100000:65536', '--rootfs', IMAGE];
const DOCKER_CAPS = ['--cap-drop', 'ALL', '--cap-add', DOCKER_DEFAULT_CAPABILITIES.join(',')];
/** The shell's PATH in the image (the server's shellEnv): the tools are in /usr/local/bin. */
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const run = (args: string[], program: string[]) => runWithEnv(args, program, ENV);
const start = (args: string[], program: string[]) => startWithEnv(args, program, ENV);

/** Starts PROGRAM, waits until its output shows MARK, hands its host PID to CHECK, then stops it. */
async function whileRunning(args: string[], program: string[], mark: RegExp, check: (pid: number, output: string) => void | Promise<void>): Promise<string> {
  const started = start(args, program);
  try {
    const ready = await started.ready;
    const output = await eventually(() => (mark.test(started.stdout()) ? started.stdout() : undefined), `${mark} in the output`, 20_000);
    await check(ready.pid, output);
  } finally {
    started.kill('SIGTERM');
  }
  return (await started.done).stderr;
}

/** The host's view of a process's cgroup (the probe run on the host with --pid). */
function hostCgroup(pid: number) {
  return PartialProbeReport.parse(JSON.parse(execFileSync(PROBE, ['--pid', String(pid), '--sections', 'cgroup'], { encoding: 'utf8' }))).cgroup!;
}

beforeAll(() => {
  expect(process.getuid?.(), 'the integration tests create namespaces: run them as root').toBe(0);
  for (const tool of ['isolab-become-root', 'isolab-seccomp-deny', 'try-syscall', 'blast-radius', 'isolab-probe']) {
    expect(existsSync(join(BIN, tool)), `${tool} missing from the image: run npm run setup`).toBe(true);
  }
});

describe('the image', () => {
  it('carries isolab-become-root set-user-ID and set-group-ID root, the scripts executable, and the user learner', () => {
    const st = statSync(join(BIN, 'isolab-become-root'));
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 }).toEqual({ uid: 0, gid: 0, mode: 0o6755 });
    for (const script of ['try-syscall', 'blast-radius']) expect(statSync(join(BIN, script)).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(IMAGE, 'etc', 'passwd'), 'utf8')).toMatch(/^learner:x:1000:1000:[^:]*:\/home\/learner:\/bin\/sh$/m);
    expect(readFileSync(join(IMAGE, 'etc', 'group'), 'utf8')).toMatch(/^learner:x:1000:$/m);
    expect(statSync(join(IMAGE, 'home', 'learner')).uid).toBe(1000);
  });
});

describe.skipIf(!hasUserns)('isolab-become-root (needs CONFIG_USER_NS)', () => {
  it('raises uid 1000 to the user namespace\'s root, which the host sees as 100000', async () => {
    // One process throughout: the launcher execs the helper, which execs sh, which execs sleep.
    const stderr = await whileRunning([...USERNS, '--user', '1000:1000', ...DOCKER_CAPS], ['isolab-become-root', 'sh', '-c', 'id -u; exec sleep 300'], /^0$/m, (pid) => {
      expect(procStatus(pid, 'Uid')).toEqual(['100000', '100000', '100000', '100000']);
      // Docker's 14 in the bounding set came back with uid 0.
      expect(procStatus(pid, 'CapEff')).toEqual(['00000000a80425fb']);
    });
    expect(stderr).toContain('isolab-become-root: started by uid 1000, now uid 0: the set-user-ID bit worked (root of this user namespace: uid 100000 on the host)');
  });

  it('gains nothing under no_new_privs: it says why and runs the command as the caller', async () => {
    const result = await run([...USERNS, '--user', '1000:1000', ...DOCKER_CAPS, '--no-new-privs'], ['isolab-become-root', 'id', '-u']);
    expect(result.stdout).toBe('1000\n');
    expect(result.stderr).toContain('started by uid 1000, still uid 1000: no privilege gained (no_new_privs is set on this process, so execve() ignored the set-user-ID bit)');
  });

  it('without a user namespace the same bit makes the host\'s root: what lesson 13\'s containment check catches', async () => {
    await whileRunning([...CONTAINER, '--user', '1000:1000'], ['isolab-become-root', 'sh', '-c', 'id -u; exec sleep 300'], /^0$/m, (pid) => {
      expect(procStatus(pid, 'Uid')).toEqual(['0', '0', '0', '0']);
    });
  });
});

describe('isolab-seccomp-deny', () => {
  it('refuses the named calls with EPERM, sets no_new_privs, and stacks: the host counts every filter', async () => {
    const program = ['isolab-seccomp-deny', 'mkdir,mkdirat', 'isolab-seccomp-deny', 'rmdir', 'sh', '-c', 'mkdir /tmp/x; echo mkdir=$?; exec sleep 300'];
    const stderr = await whileRunning(CONTAINER, program, /^mkdir=1$/m, (pid) => {
      expect(procStatus(pid, 'Seccomp')).toEqual(['2']);
      expect(procStatus(pid, 'Seccomp_filters')).toEqual(['2']);
      expect(procStatus(pid, 'NoNewPrivs')).toEqual(['1']);
    });
    expect(stderr).toContain("mkdir: can't create directory '/tmp/x': Operation not permitted");
  });

  it('an unknown system call name is refused before anything is loaded', async () => {
    const result = await run(CONTAINER, ['isolab-seccomp-deny', 'no_such_call', 'true']);
    expect(result.status.at(-1)).toEqual({ type: 'exit', code: 2 });
    expect(result.stderr).toContain('isolab-seccomp-deny: unknown system call "no_such_call" on this architecture');
  });

  it('NAME:ERRNO answers with that errno instead (by name or number); a bad one is refused', async () => {
    const table = (await run(CONTAINER, ['isolab-seccomp-deny', 'unshare:ENOSYS,keyctl:13', 'try-syscall', 'unshare', 'keyctl'])).stdout.split('\n');
    // ENOSYS reads as "this kernel has no such call": what a program's fallback keys on.
    expect(table[1]).toMatch(/^unshare +unavailable +ENOSYS /);
    expect(table[2]).toMatch(/^keyctl +denied +EACCES /);
    const bad = await run(CONTAINER, ['isolab-seccomp-deny', 'unshare:EWHAT', 'true']);
    expect(bad.status.at(-1)).toEqual({ type: 'exit', code: 2 });
    expect(bad.stderr).toContain('isolab-seccomp-deny: "EWHAT": not an errno');
  });
});

describe('try-syscall', () => {
  it('prints a row per call: unshare reaches the kernel as root, keyctl too, and a filter of one\'s own turns them into EPERM', async () => {
    const table = (await run(CONTAINER, ['try-syscall', 'unshare', 'keyctl'])).stdout.split('\n');
    expect(table[0]).toMatch(/^SYSCALL +VERDICT +ANSWER +IF ALLOWED +WHO CAN REFUSE IT$/);
    expect(table[1]).toMatch(/^unshare +allowed +success +success +a filter, or a missing privilege$/);
    expect(table[2]).toMatch(/^keyctl +allowed +EOPNOTSUPP +EOPNOTSUPP +only a seccomp filter$/);
    const filtered = (await run(CONTAINER, ['isolab-seccomp-deny', 'unshare,keyctl', 'try-syscall', 'unshare', 'keyctl'])).stdout.split('\n');
    expect(filtered[1]).toMatch(/^unshare +denied +EPERM /);
    expect(filtered[2]).toMatch(/^keyctl +denied +EPERM /);
  });
});

interface Scoreboard {
  attacks: { name: string; result: 'escaped' | 'contained'; detail: string }[];
  escaped: number;
  total: number;
}

describe('blast-radius', () => {
  const ATTACKS = ['read-host-files', 'see-host-procs', 'reach-network', 'fork-bomb', 'load-module', 'mount-disk', 'raise-limits'];

  it('in a container with namespaces and a root only: the fork bomb and the host\'s network get out; nothing is left behind', async () => {
    const result = await run(CONTAINER, ['blast-radius', '--json']);
    expect(result.status.at(-1)).toEqual({ type: 'exit', code: 0 });
    const board = JSON.parse(result.stdout) as Scoreboard;
    expect(board.attacks.map((a) => a.name)).toEqual(ATTACKS);
    expect(board.total).toBe(7);
    expect(board.escaped).toBe(board.attacks.filter((a) => a.result === 'escaped').length);
    const by = Object.fromEntries(board.attacks.map((a) => [a.name, a]));
    expect(by['fork-bomb']).toMatchObject({ result: 'escaped', detail: expect.stringMatching(/^256 processes started/) });
    expect(by['reach-network']).toMatchObject({ result: 'escaped', detail: expect.stringMatching(/^the host's network: /) });
    // Own root (pivot_root) and PID namespace: the host's files and processes stay out of reach.
    expect(by['read-host-files']!.result).toBe('contained');
    expect(by['see-host-procs']!.result).toBe('contained');
    // The launcher has reaped everything: no sleep of the bomb survives its container.
    expect(execFileSync('ps', ['-e', '-o', 'args'], { encoding: 'utf8' })).not.toMatch(/^sleep 30$/m);
  }, 30_000);

  it('with the host\'s PID namespace, it follows a host process\'s /proc/PID/root and counts the host\'s processes', async () => {
    const board = JSON.parse((await run(['--unshare', 'mount,uts,ipc', '--rootfs', IMAGE], ['blast-radius', '--json'])).stdout) as Scoreboard;
    const by = Object.fromEntries(board.attacks.map((a) => [a.name, a]));
    expect(by['see-host-procs']).toMatchObject({ result: 'escaped', detail: expect.stringMatching(/processes, \d+ of them outside this container/) });
    expect(by['read-host-files']).toMatchObject({ result: 'escaped', detail: expect.stringMatching(/^followed \/proc\/\d+\/root out/) });
  }, 30_000);

  it.skipIf(!hasUserns)('in a hardened container: 0/7, and the host\'s cgroup counts the forks its limit refused', async () => {
    const cgroup = `isolab-blast-${tag()}`;
    const hardened = [
      '--unshare', 'mount,uts,ipc,pid,net,user,cgroup', '--userns-map', '0:100000:65536', '--rootfs', IMAGE,
      '--read-only', '--tmpfs', '/tmp:size=67108864', '--masked-paths', 'default', '--readonly-paths', 'default',
      '--cgroup', cgroup, '--pids-limit', '64', '--memory', '268435456',
      '--user', '1000:1000', '--cap-drop', 'ALL', '--no-new-privs', '--landlock-ro', '/', '--landlock-rw', '/tmp:/dev',
    ];
    let board: Scoreboard | undefined;
    await whileRunning(hardened, ['/bin/sh', '-c', 'blast-radius --json; exec sleep 300'], /"total":7\}/, (pid, output) => {
      board = JSON.parse(output) as Scoreboard;
      // Outside: the process limit refused at least one fork of the bomb, and its processes are gone.
      expect(hostCgroup(pid).pids?.maxEvents).toBeGreaterThan(0);
      expect(hostCgroup(pid).pids?.current).toBeLessThan(5);
    });
    expect(board!.attacks.map((a) => [a.name, a.result])).toEqual(ATTACKS.map((n) => [n, 'contained']));
    expect(board!.escaped).toBe(0);
    const by = Object.fromEntries(board!.attacks.map((a) => [a.name, a]));
    expect(by['fork-bomb']!.detail).toMatch(/^fork failed after \d+ processes/);
    expect(by['reach-network']!.detail).toBe('only lo: no network beyond this container');
  }, 30_000);
});
