// seccomp (--seccomp FILE / --seccomp-fd N): Docker's default profile compiled by
// server/runtime/seccomp/profile.ts and loaded by the launcher, judged by the kernel. Inside: the errno a
// system call gets (try-syscall); outside: Seccomp and Seccomp_filters in /proc/PID/status.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_PRESET, ERRNO, SIGSYS_EXIT, buildTrySyscall, compileDockerDefault, output, procStatus, refused, run, trySyscall, whileRunning } from '../helpers/harden.js';

const isX86_64 = process.arch === 'x64';

let workDir: string;
let helper: string;
/** Docker's default profile compiled for a container with Docker's default capabilities. */
let dockerDefault: string;
let dockerDefaultText: string;
const writeProfile = (name: string, text: string) => {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  expect(process.getuid?.(), 'run the integration tests as root').toBe(0);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-seccomp-test-'));
  helper = buildTrySyscall(workDir);
  ({ text: dockerDefaultText, file: dockerDefault } = compileDockerDefault(workDir));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('Docker\'s default profile', () => {
  // The container keeps every capability here, so an EPERM can only come from the filter: without
  // it root's mount(NULL, ...) is EFAULT, reboot with a bad magic EINVAL, and so on.
  describe.each([
    { call: ['unshare', '0'], unfiltered: 0 },
    { call: ['mount', '0', '0', '0', '0', '0'], unfiltered: ERRNO.EFAULT },
    { call: ['umount2', '/nonexistent', '0'], unfiltered: ERRNO.ENOENT },
    { call: ['reboot', '0', '0', '0', '0'], unfiltered: ERRNO.EINVAL },
    { call: ['keyctl', '9999'], unfiltered: ERRNO.EOPNOTSUPP },
    { call: ['setns', '-1', '0'], unfiltered: 9 /* EBADF */ },
    { call: ['syslog', '10', '0', '0'], unfiltered: 0 /* SYSLOG_ACTION_SIZE_BUFFER */ },
    { call: ['bpf', '9999', '0', '0'], unfiltered: ERRNO.EINVAL },
    { call: ['chroot', '/nonexistent'], unfiltered: ERRNO.ENOENT, allowedByDocker: true },
  ])('$call.0', ({ call, unfiltered, allowedByDocker }) => {
    it(allowedByDocker ? 'passes the filter (allowed for CAP_SYS_CHROOT)' : 'is refused with EPERM by the filter', async () => {
      const result = await trySyscall(helper, ['--seccomp', dockerDefault], call);
      expect(result.errno).toBe(allowedByDocker ? unfiltered : ERRNO.EPERM);
    });
    it('reaches the kernel without a filter', async () => {
      expect((await trySyscall(helper, [], call)).errno).toBe(unfiltered);
    });
  });

  it('allows what it lists: getpid, uname, a plain shell', async () => {
    expect(await trySyscall(helper, ['--seccomp', dockerDefault], ['getpid'])).toMatchObject({ errno: 0 });
    expect(await output(['--seccomp', dockerDefault], ['/bin/sh', '-c', 'echo ok; ls / > /dev/null'])).toBe('ok\n');
  });

  it('is on in the process, seen from the host: Seccomp 2 (filter mode), one filter', async () => {
    const seen = await whileRunning(['--seccomp', dockerDefault], (pid) => procStatus(pid));
    expect(seen.Seccomp).toBe('2');
    expect(seen.Seccomp_filters).toBe('1');
    expect(seen.NoNewPrivs).toBe('0'); // the filter does not imply no_new_privs
  });

  it('goes in before the capabilities are dropped (loading it needs CAP_SYS_ADMIN without no_new_privs)', async () => {
    const status = await whileRunning([...DOCKER_PRESET, '--seccomp', dockerDefault], (pid) => procStatus(pid));
    expect(status.Seccomp).toBe('2');
    expect(status.CapEff).toBe('00000000a80425fb');
    expect(status.NoNewPrivs).toBe('0');
  });

  it('with --no-new-privs it goes in last: after the capabilities are gone, no_new_privs allows it', async () => {
    const result = await run([...DOCKER_PRESET, '--no-new-privs', '--seccomp', dockerDefault], ['cat', '/proc/self/status']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(result.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(result.stdout).toMatch(/^CapBnd:\s+00000000a80425fb$/m);
  });

  it('honours argument conditions: personality only with the listed values', async () => {
    const seccomp = ['--seccomp', dockerDefault];
    expect(await trySyscall(helper, seccomp, ['personality', '0xffffffff'])).toMatchObject({ errno: 0 }); // query
    expect(await trySyscall(helper, seccomp, ['personality', '8'])).toMatchObject({ errno: 0 }); // PER_LINUX32
    expect(await trySyscall(helper, seccomp, ['personality', '0x0040000'])).toMatchObject({ errno: ERRNO.EPERM }); // ADDR_NO_RANDOMIZE
    expect(await trySyscall(helper, [], ['personality', '0x0040000'])).toMatchObject({ errno: 0 });
  });

  it('honours masked comparisons: clone with a namespace flag is refused, other clone flags pass', async () => {
    const seccomp = ['--seccomp', dockerDefault];
    const CLONE_NEWNS_FS = String(0x20000 | 0x200); // the kernel itself refuses this pair with EINVAL
    const CLONE_THREAD = String(0x10000); // EINVAL from the kernel: CLONE_THREAD needs CLONE_SIGHAND
    expect(await trySyscall(helper, seccomp, ['clone', CLONE_NEWNS_FS])).toMatchObject({ errno: ERRNO.EPERM });
    expect(await trySyscall(helper, [], ['clone', CLONE_NEWNS_FS])).toMatchObject({ errno: ERRNO.EINVAL });
    expect(await trySyscall(helper, seccomp, ['clone', CLONE_THREAD])).toMatchObject({ errno: ERRNO.EINVAL });
  });

  it('clone3 gets ENOSYS (so libc falls back to clone, which the filter can inspect)', async () => {
    expect(await trySyscall(helper, ['--seccomp', dockerDefault], ['clone3', '0', '0'])).toMatchObject({ errno: ERRNO.ENOSYS });
  });

  it('allows socket() only for the listed address families', async () => {
    const seccomp = ['--seccomp', dockerDefault];
    expect(await trySyscall(helper, seccomp, ['socket', '2', '1', '0'])).toMatchObject({ errno: 0 }); // AF_INET
    expect(await trySyscall(helper, seccomp, ['socket', '38', '5', '0'])).toMatchObject({ errno: ERRNO.EPERM }); // AF_ALG
    expect(await trySyscall(helper, seccomp, ['socket', '40', '1', '0'])).toMatchObject({ errno: ERRNO.EPERM }); // AF_VSOCK
  });

  describe.skipIf(!isX86_64)('the 32-bit doors of an x86-64 process (needs x86-64)', () => {
    it('int 0x80 (i386) calls are filtered by the x86 section', async () => {
      expect(await trySyscall(helper, ['--seccomp', dockerDefault], ['i386:unshare', '0'])).toMatchObject({ errno: ERRNO.EPERM });
      expect(await trySyscall(helper, ['--seccomp', dockerDefault], ['i386:getpid'])).toMatchObject({ errno: 0 });
    });

    it('x32 calls are filtered by the x32 section (allowed ones reach the kernel)', async () => {
      expect(await trySyscall(helper, ['--seccomp', dockerDefault], ['x32:unshare', '0'])).toMatchObject({ errno: ERRNO.EPERM });
      // getpid passes the filter; a kernel without CONFIG_X86_X32_ABI then says ENOSYS itself.
      expect([0, ERRNO.ENOSYS]).toContain((await trySyscall(helper, ['--seccomp', dockerDefault], ['x32:getpid'])).errno);
    });

    it('without the x32 and x86 sections such calls do not match the filter at all: SIGSYS', async () => {
      const nativeOnly = writeProfile('native-only.seccomp', dockerDefaultText.replace(/^arch (x86|x32)\n/gm, ''));
      for (const call of ['x32:unshare', 'i386:unshare']) {
        const result = await run(['--seccomp', nativeOnly], [helper, call, '0']);
        expect(result.code, call).toBe(SIGSYS_EXIT);
        expect(result.status.at(-1)).toEqual({ type: 'exit', code: SIGSYS_EXIT });
      }
    });
  });
});

describe('the line format', () => {
  it('unconfined, or no --seccomp at all: no filter (Seccomp 0)', async () => {
    expect(await whileRunning(['--seccomp', 'unconfined'], (pid) => procStatus(pid).Seccomp)).toBe('0');
    expect(await whileRunning([], (pid) => procStatus(pid).Seccomp)).toBe('0');
  });

  it('errno:N returns N; kill_process kills with SIGSYS; unknown syscall names are skipped as docker does', async () => {
    const profile = writeProfile(
      'small.seccomp',
      ['isolab-seccomp 1', '# a comment', 'default allow', 'syscall uname errno:99', 'syscall no_such_syscall errno:1', 'syscall getppid kill_process', ''].join('\n'),
    );
    expect(await trySyscall(helper, ['--seccomp', profile], ['uname', '0'])).toMatchObject({ ret: -1, errno: 99 });
    expect(await trySyscall(helper, ['--seccomp', profile], ['getpid'])).toMatchObject({ errno: 0 });
    expect((await run(['--seccomp', profile], [helper, 'getppid'])).code).toBe(SIGSYS_EXIT);
  });

  it('several comparisons in one rule must all match (AND)', async () => {
    const profile = writeProfile('and.seccomp', 'isolab-seccomp 1\ndefault allow\nsyscall socket errno:97 0:eq:2 1:eq:2\n');
    expect(await trySyscall(helper, ['--seccomp', profile], ['socket', '2', '2', '0'])).toMatchObject({ errno: 97 }); // AF_INET, SOCK_DGRAM
    expect(await trySyscall(helper, ['--seccomp', profile], ['socket', '2', '1', '0'])).toMatchObject({ errno: 0 }); // AF_INET, SOCK_STREAM
  });

  it('--seccomp-fd reads the profile from an inherited descriptor', async () => {
    const fd = openSync(dockerDefault, 'r');
    try {
      const result = await run(['--seccomp-fd', '4'], [helper, 'unshare', '0'], { extraFds: [fd] });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ errno: ERRNO.EPERM });
    } finally {
      closeSync(fd);
    }
  });

  it.each([
    ['isolab-seccomp 2\ndefault allow\n', 'line 1: the first line must be "isolab-seccomp 1"'],
    ['', 'line 0: empty (the first line must be "isolab-seccomp 1")'],
    ['isolab-seccomp 1\narch x86_64\n', 'line 2: no default action (a "default ACTION" line)'],
    ['isolab-seccomp 1\ndefault permit\n', 'line 2: expected: default ACTION (allow, errno:N, kill_thread, kill_process, trap, log, trace:N, notify)'],
    ['isolab-seccomp 1\ndefault allow\narch vax\n', 'line 3: expected: arch NAME, a name libseccomp knows (x86_64, x86, x32, aarch64, arm, ...)'],
    ['isolab-seccomp 1\ndefault allow\nsyscall read errno:70000\n', 'line 3: unknown action (allow, errno:N, kill_thread, kill_process, trap, log, trace:N, notify)'],
    ['isolab-seccomp 1\ndefault allow\nsyscall read errno:1 6:eq:1\n', 'line 3: bad argument comparison: expected INDEX:OP:VALUE[:VALUETWO], INDEX 0-5, OP ne|lt|le|eq|ge|gt|masked_eq'],
    ['isolab-seccomp 1\ndefault allow\nsyscall read errno:1 0:like:1\n', 'line 3: bad argument comparison: expected INDEX:OP:VALUE[:VALUETWO], INDEX 0-5, OP ne|lt|le|eq|ge|gt|masked_eq'],
    ['isolab-seccomp 1\ndefault allow\nallow read\n', 'line 3: unknown keyword (default, arch, flag, syscall)'],
  ])('refuses %j', async (text, problem) => {
    const path = writeProfile('bad.seccomp', text);
    expect(await refused(['--seccomp', path])).toBe(`--seccomp ${path}: ${problem}`);
  });

  it.each([
    [['--seccomp', 'relative.seccomp'], '--seccomp: expected an absolute path to a compiled profile (native/README.md), or unconfined'],
    [['--seccomp-fd', '2'], '--seccomp-fd: expected a file descriptor number >= 3'],
    [['--seccomp', 'unconfined', '--seccomp-fd', '4'], '--seccomp-fd: given twice (or together with --seccomp)'],
    [['--seccomp', '/nonexistent/profile'], '--seccomp /nonexistent/profile: No such file or directory'],
  ])('refuses %j', async (args, message) => {
    expect(await refused(args)).toBe(message);
  });
});
