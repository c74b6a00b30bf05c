// Landlock (--landlock-ro, --landlock-rw, --landlock-net-bind, --landlock-net-connect): the kernel
// refuses what the rules do not allow. Inside: the errno of open/bind/connect (try-syscall) and a
// shell in the busybox image; outside: what did or did not land in the host's directories.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRNO, LAUNCHER, buildTrySyscall, lsmStatus, itRefuses, output, run, start, trySyscall } from '../helpers/harden.js';

const landlock = lsmStatus().landlock;
const hasOverlay = /\boverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'));

const AT_FDCWD = '-100';
const O_RDONLY = '0';
const O_WRONLY_CREAT = String(0o1 | 0o100);
const O_RDONLY_DIRECTORY = String(0o200000);

let workDir: string;
let helper: string;
let roDir: string;
let rwDir: string;
let elsewhere: string;
/** What the helper and the shell need to run at all: their programs and libraries, read-only. */
const SYSTEM = '/usr:/bin:/lib:/lib64:/etc';

beforeAll(() => {
  expect(process.getuid?.(), 'run the integration tests as root').toBe(0);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-landlock-test-'));
  helper = buildTrySyscall(workDir);
  roDir = join(workDir, 'ro');
  rwDir = join(workDir, 'rw');
  elsewhere = join(workDir, 'elsewhere');
  for (const dir of [roDir, rwDir, elsewhere]) mkdirSync(dir);
  writeFileSync(join(roDir, 'readme'), 'read me\n');
  writeFileSync(join(elsewhere, 'secret'), 'secret\n');
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!landlock.available)(`Landlock filesystem rules (${landlock.reason ?? `ABI ${landlock.abi}`})`, () => {
  const rules = () => ['--landlock-ro', `${SYSTEM}:${roDir}:${helper}`, '--landlock-rw', `${rwDir}:/dev/null`];

  it('reads below a read-only path work; writes there fail with EACCES and leave nothing on the host', async () => {
    expect(await trySyscall(helper, rules(), ['openat', AT_FDCWD, join(roDir, 'readme'), O_RDONLY])).toMatchObject({ errno: 0 });
    expect(await trySyscall(helper, rules(), ['openat', AT_FDCWD, join(roDir, 'new'), O_WRONLY_CREAT, '420'])).toMatchObject({
      errno: ERRNO.EACCES,
    });
    expect(await trySyscall(helper, rules(), ['openat', AT_FDCWD, join(roDir, 'readme'), String(0o1)])).toMatchObject({
      errno: ERRNO.EACCES,
    });
    expect(existsSync(join(roDir, 'new'))).toBe(false);
    expect(readFileSync(join(roDir, 'readme'), 'utf8')).toBe('read me\n');
  });

  it('writes below a read-write path work and land on the host', async () => {
    expect(await trySyscall(helper, rules(), ['openat', AT_FDCWD, join(rwDir, 'made-inside'), O_WRONLY_CREAT, '420'])).toMatchObject({
      errno: 0,
    });
    expect(existsSync(join(rwDir, 'made-inside'))).toBe(true);
    expect(await trySyscall(helper, rules(), ['mkdirat', AT_FDCWD, join(rwDir, 'subdir'), '493'])).toMatchObject({ errno: 0 });
    expect(await trySyscall(helper, rules(), ['unlinkat', AT_FDCWD, join(rwDir, 'made-inside'), '0'])).toMatchObject({ errno: 0 });
    expect(existsSync(join(rwDir, 'made-inside'))).toBe(false);
  });

  it('everything else is denied, even to root: reading, listing, creating', async () => {
    expect(await trySyscall(helper, rules(), ['openat', AT_FDCWD, join(elsewhere, 'secret'), O_RDONLY])).toMatchObject({
      errno: ERRNO.EACCES,
    });
    expect(await trySyscall(helper, rules(), ['openat', AT_FDCWD, elsewhere, O_RDONLY_DIRECTORY])).toMatchObject({ errno: ERRNO.EACCES });
    expect(await trySyscall(helper, rules(), ['mkdirat', AT_FDCWD, join(elsewhere, 'x'), '493'])).toMatchObject({ errno: ERRNO.EACCES });
    // The same calls without Landlock succeed.
    expect(await trySyscall(helper, [], ['openat', AT_FDCWD, join(elsewhere, 'secret'), O_RDONLY])).toMatchObject({ errno: 0 });
    expect(existsSync(join(elsewhere, 'x'))).toBe(false);
  });

  it('a file can be a rule of its own: /dev/null writable while the rest of /dev is not', async () => {
    expect(await trySyscall(helper, rules(), ['openat', AT_FDCWD, '/dev/null', String(0o1)])).toMatchObject({ errno: 0 });
    expect(await trySyscall(helper, rules(), ['openat', AT_FDCWD, '/dev/zero', O_RDONLY])).toMatchObject({ errno: ERRNO.EACCES });
  });

  it('the restriction is inherited: a shell and its children are bound by it too', async () => {
    const script = `cat ${roDir}/readme; echo x > ${roDir}/by-shell; echo "write=$?"; cat ${elsewhere}/secret; echo "read=$?"`;
    const result = await run(rules(), ['/bin/sh', '-c', script]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('read me\nwrite=2\nread=1\n');
    expect(result.stderr).toMatch(/Permission denied/);
  });

  it('the ready line still carries every namespace (read before the rules go on)', async () => {
    const started = start(['--unshare', 'uts', ...rules()], [helper, 'getpid']);
    const ready = await started.ready;
    await started.done;
    expect(Object.keys(ready.namespaces)).toEqual(expect.arrayContaining(['uts', 'mnt', 'pid', 'net']));
  });

  it('a path that does not exist fails at step landlock, naming it', async () => {
    const result = await run(['--landlock-ro', '/no/such/dir'], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toEqual([
      { type: 'error', step: 'landlock', errno: ERRNO.ENOENT, message: 'open("/no/such/dir", O_PATH): No such file or directory' },
    ]);
  });

  describe.skipIf(!hasOverlay)('inside an own root filesystem (needs overlayfs)', () => {
    let image: string;
    beforeAll(async () => {
      image = join(workDir, 'rootfs');
      const { ensureRootfs } = (await import(new URL('../../scripts/rootfs.mjs', import.meta.url).href)) as {
        ensureRootfs(o: { outDir: string }): Promise<{ built: boolean }>;
      };
      await ensureRootfs({ outDir: image });
    });

    it('paths are the container\'s: "/" read-only and /tmp writable', async () => {
      const container = ['--unshare', 'mount,uts,ipc,pid', '--rootfs', image];
      const script = 'echo hi > /tmp/ok && cat /tmp/ok; echo x > /etc/motd; echo "etc=$?"; ls /root > /dev/null; echo "root=$?"';
      const out = await output([...container, '--landlock-ro', '/', '--landlock-rw', '/tmp:/dev/null'], ['/bin/sh', '-c', script]);
      expect(out).toBe('hi\netc=1\nroot=0\n');
      // /lib exists on the host but not in the busybox image: the rule is looked up inside.
      const missing = await run([...container, '--landlock-ro', '/bin:/lib'], ['/bin/true']);
      expect(missing.status).toMatchObject([{ type: 'error', step: 'landlock', errno: ERRNO.ENOENT }]);
      const etcHidden = await output([...container, '--landlock-ro', '/bin:/usr', '--landlock-rw', '/tmp'], ['/bin/sh', '-c', 'ls /etc; echo "etc=$?"']);
      expect(etcHidden).toBe('etc=1\n');
    });
  });
});

describe.skipIf(!landlock.available || (landlock.abi ?? 0) < 4)(`Landlock TCP port rules (ABI 4, Linux 6.7; here ${landlock.abi ?? 'none'})`, () => {
  const net = ['--unshare', 'net'];

  it('--landlock-net-bind: only the listed ports can be bound', async () => {
    const args = [...net, '--landlock-net-bind', '8080,9090'];
    expect(await trySyscall(helper, args, ['bind', '8080'])).toMatchObject({ ret: 0 });
    expect(await trySyscall(helper, args, ['bind', '9090'])).toMatchObject({ ret: 0 });
    expect(await trySyscall(helper, args, ['bind', '8081'])).toMatchObject({ errno: ERRNO.EACCES });
    expect(await trySyscall(helper, [...net, '--landlock-net-bind', 'none'], ['bind', '8080'])).toMatchObject({ errno: ERRNO.EACCES });
    expect(await trySyscall(helper, net, ['bind', '8081'])).toMatchObject({ ret: 0 });
  });

  it('--landlock-net-connect: other ports are refused before any packet is sent', async () => {
    const args = [...net, '--landlock-net-connect', '80'];
    // Nothing listens in the new namespace: an allowed connect reaches the kernel's TCP (ECONNREFUSED).
    expect(await trySyscall(helper, args, ['connect', '80'])).toMatchObject({ errno: 111 });
    expect(await trySyscall(helper, args, ['connect', '81'])).toMatchObject({ errno: ERRNO.EACCES });
    // Binding is not restricted by a connect rule.
    expect(await trySyscall(helper, args, ['bind', '8081'])).toMatchObject({ ret: 0 });
  });
});

describe('refused up front', () => {
  itRefuses([
    [['--landlock-ro', 'relative/path'], '--landlock-ro: expected absolute paths separated by \':\', got "relative/path"'],
    [['--landlock-rw', '/tmp::/var'], '--landlock-rw: expected absolute paths separated by \':\', got "/tmp::/var"'],
    [['--landlock-net-bind', '80,99999'], '--landlock-net-bind: expected TCP ports 0-65535 separated by \',\' (or none), got "80,99999"'],
    [['--landlock-net-connect', 'http'], '--landlock-net-connect: expected TCP ports 0-65535 separated by \',\' (or none), got "http"'],
  ]);

  // A kernel without Landlock, simulated: the launcher runs under a seccomp filter that answers
  // landlock_create_ruleset as such a kernel would (ENOSYS: not built; EOPNOTSUPP: not enabled).
  it.each([
    { errno: ERRNO.ENOSYS, reason: 'landlock_create_ruleset() is not implemented: the kernel was built without CONFIG_SECURITY_LANDLOCK' },
    { errno: ERRNO.EOPNOTSUPP, reason: 'Landlock is built in but not enabled: it is missing from the kernel\'s lsm= list' },
  ])('a kernel without Landlock (errno $errno): asking for it names what is missing', async ({ errno, reason }) => {
    const profile = join(workDir, `no-landlock-${errno}.seccomp`);
    writeFileSync(profile, `isolab-seccomp 1\ndefault allow\nsyscall landlock_create_ruleset errno:${errno}\n`);
    const inner = `${LAUNCHER} --status-fd 3 --landlock-ro / -- /bin/true 3>&1`;
    const result = await run(['--seccomp', profile], ['/bin/sh', '-c', inner]);
    expect(result.code).toBe(125);
    expect(JSON.parse(result.stdout)).toEqual({
      type: 'error',
      step: 'args',
      errno: 0,
      message: `--landlock-ro/--landlock-rw: Landlock is not available on this kernel: ${reason}`,
    });
  });
});
