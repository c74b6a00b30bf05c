// Capabilities (--cap-drop, --cap-add, --cap-ambient) and no_new_privs (--no-new-privs), against the
// real kernel: the five sets from inside (/proc/self/status of PROGRAM) and outside (/proc/PID/status
// on the host), and what they change: chown, mknod, binding port 80, a setuid binary.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ERRNO,
  LAUNCHER,
  buildTrySyscall,
  capSets,
  itRefuses,
  output,
  parseStatus,
  procStatus,
  trySyscall,
  whileRunning,
} from '../helpers/harden.js';

/** What ALL means: every capability the kernel knows (cap_last_cap) that the launcher holds. */
const KNOWN = (1n << (BigInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()) + 1n)) - 1n;
const ALL = KNOWN & capSets(procStatus('self')).prm;
const CAP = { CHOWN: 0n, FOWNER: 3n, KILL: 5n, NET_BIND_SERVICE: 10n, NET_RAW: 13n, SYS_ADMIN: 21n, MKNOD: 27n } as const;
const bits = (...caps: bigint[]) => caps.reduce((m, c) => m | (1n << c), 0n);

/** Docker's default set (moby daemon/pkg/oci/caps/defaults.go), as the server passes it. */
const DOCKER_DEFAULT = [
  '--cap-drop', 'ALL',
  '--cap-add', 'CHOWN,DAC_OVERRIDE,FSETID,FOWNER,MKNOD,NET_RAW,SETGID,SETUID,SETFCAP,SETPCAP,NET_BIND_SERVICE,SYS_CHROOT,KILL,AUDIT_WRITE',
];

let workDir: string;
let helper: string;
let setuidHelper: string;

beforeAll(() => {
  expect(process.getuid?.(), 'run the integration tests as root').toBe(0);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-caps-test-'));
  chmodSync(workDir, 0o755); // the setuid test runs a program in here as uid 1000
  helper = buildTrySyscall(workDir);
  setuidHelper = join(workDir, 'setuid-try-syscall');
  copyFileSync(helper, setuidHelper);
  chownSync(setuidHelper, 0, 0);
  chmodSync(setuidHelper, 0o4755);
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const insideStatus = async (args: string[]) => parseStatus(await output(args, ['cat', '/proc/self/status']));

describe('the five capability sets', () => {
  it('no capability option: PROGRAM keeps what the launcher had (root: everything)', async () => {
    const inside = capSets(await insideStatus([]));
    const ours = capSets(procStatus('self'));
    expect(inside.bnd).toBe(ours.bnd);
    expect(inside.eff).toBe(ours.eff);
  });

  it('--cap-drop ALL: all five sets are empty, inside and seen from the host', async () => {
    expect(capSets(await insideStatus(['--cap-drop', 'ALL']))).toEqual({ inh: 0n, prm: 0n, eff: 0n, bnd: 0n, amb: 0n });
    const outside = await whileRunning(['--cap-drop', 'ALL'], (pid) => capSets(procStatus(pid)));
    expect(outside).toEqual({ inh: 0n, prm: 0n, eff: 0n, bnd: 0n, amb: 0n });
  });

  it('--cap-drop ALL --cap-add NET_BIND_SERVICE: exactly that one, in bounding, permitted and effective', async () => {
    const expected = { inh: 0n, prm: bits(CAP.NET_BIND_SERVICE), eff: bits(CAP.NET_BIND_SERVICE), bnd: bits(CAP.NET_BIND_SERVICE), amb: 0n };
    const args = ['--cap-drop', 'ALL', '--cap-add', 'NET_BIND_SERVICE'];
    expect(capSets(await insideStatus(args))).toEqual(expected);
    expect(await whileRunning(args, (pid) => capSets(procStatus(pid)))).toEqual(expected);
  });

  it('Docker\'s default preset gives Docker\'s well-known CapBnd 00000000a80425fb', async () => {
    const inside = await insideStatus(DOCKER_DEFAULT);
    expect(inside.CapBnd).toBe('00000000a80425fb');
    expect(inside.CapEff).toBe('00000000a80425fb');
    expect(inside.CapInh).toBe('0000000000000000');
  });

  it.each([
    { args: ['--cap-drop', 'CHOWN,cap_mknod'], bnd: ALL & ~bits(CAP.CHOWN, CAP.MKNOD) },
    { args: ['--cap-drop', 'chown', '--cap-drop', 'Cap_Kill'], bnd: ALL & ~bits(CAP.CHOWN, CAP.KILL) },
    { args: ['--cap-add', 'ALL', '--cap-drop', 'SYS_ADMIN'], bnd: ALL & ~bits(CAP.SYS_ADMIN) },
    { args: ['--cap-drop', 'ALL', '--cap-add', 'chown', '--cap-add', 'CAP_FOWNER,kill'], bnd: bits(CAP.CHOWN, CAP.FOWNER, CAP.KILL) },
    // As in moby's TweakCapabilities: drops first, then adds, so a cap both dropped and added stays.
    { args: ['--cap-drop', 'NET_RAW', '--cap-add', 'NET_RAW'], bnd: ALL },
    { args: ['--cap-drop', 'ALL', '--cap-add', 'ALL'], bnd: ALL },
  ])('$args → bounding set as docker computes it', async ({ args, bnd }) => {
    const sets = capSets(await insideStatus(args));
    expect(sets.bnd).toBe(bnd);
    expect(sets.eff).toBe(bnd); // root: after execve, permitted = effective = bounding
    expect(sets.inh).toBe(0n);
  });

  it('--cap-ambient: the kept caps are also inheritable and ambient (so a non-root program keeps them)', async () => {
    const args = ['--cap-drop', 'ALL', '--cap-add', 'NET_BIND_SERVICE', '--cap-ambient'];
    const one = bits(CAP.NET_BIND_SERVICE);
    expect(capSets(await insideStatus(args))).toEqual({ inh: one, prm: one, eff: one, bnd: one, amb: one });
    expect(await whileRunning(args, (pid) => capSets(procStatus(pid)).amb)).toBe(one);
  });
});

/** --user comes from userns.c (another part of the launcher); these tests need it. */
const HAS_USER = !(
  spawnSync(LAUNCHER, ['--status-fd', '3', '--user', '1000:1000', '--', '/bin/true'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
    .output[3] as unknown as string
).includes('unknown option \\"--user\\"');

describe.skipIf(!HAS_USER)('a non-root --user (skipped when this launcher has no --user option)', () => {
  const user = ['--unshare', 'net', '--user', '1000:1000', '--cap-drop', 'ALL', '--cap-add', 'NET_BIND_SERVICE'];

  it('as docker: the bounding set is kept, but execve leaves a non-root user no capability', async () => {
    const sets = capSets(await insideStatus(user));
    expect(sets).toEqual({ inh: 0n, prm: 0n, eff: 0n, bnd: bits(CAP.NET_BIND_SERVICE), amb: 0n });
    expect(await trySyscall(helper, user, ['bind', '80'])).toMatchObject({ errno: ERRNO.EACCES });
  });

  it('--cap-ambient: the user keeps NET_BIND_SERVICE across execve and can bind port 80', async () => {
    const one = bits(CAP.NET_BIND_SERVICE);
    expect(capSets(await insideStatus([...user, '--cap-ambient']))).toEqual({ inh: one, prm: one, eff: one, bnd: one, amb: one });
    expect(await trySyscall(helper, [...user, '--cap-ambient'], ['bind', '80'])).toMatchObject({ ret: 0 });
  });
});

describe('what dropping capabilities changes', () => {
  let file: string;
  beforeAll(() => {
    file = join(workDir, 'owned-by-root');
    writeFileSync(file, 'x');
  });

  it('chown: allowed with CAP_CHOWN, EPERM without', async () => {
    expect(await trySyscall(helper, [], ['chown', file, '1000', '1000'])).toMatchObject({ ret: 0, errno: 0 });
    expect(statSync(file).uid).toBe(1000);
    chownSync(file, 0, 0);
    expect(await trySyscall(helper, ['--cap-drop', 'ALL'], ['chown', file, '1000', '1000'])).toMatchObject({ errno: ERRNO.EPERM });
    expect(await trySyscall(helper, ['--cap-drop', 'CHOWN'], ['chown', file, '1000', '1000'])).toMatchObject({ errno: ERRNO.EPERM });
    expect(statSync(file).uid).toBe(0);
  });

  it('mknod of a character device: EPERM without CAP_MKNOD', async () => {
    const node = join(workDir, 'null-copy');
    const S_IFCHR_0600 = String(0o020600);
    const DEV_1_3 = String((1 << 8) | 3);
    expect(await trySyscall(helper, ['--cap-drop', 'ALL'], ['mknod', node, S_IFCHR_0600, DEV_1_3])).toMatchObject({ errno: ERRNO.EPERM });
    expect(await trySyscall(helper, ['--cap-drop', 'MKNOD'], ['mknod', node, S_IFCHR_0600, DEV_1_3])).toMatchObject({ errno: ERRNO.EPERM });
    expect(await trySyscall(helper, [], ['mknod', node, S_IFCHR_0600, DEV_1_3])).toMatchObject({ ret: 0 });
    expect(statSync(node).isCharacterDevice()).toBe(true);
  });

  it('binding port 80: EACCES without CAP_NET_BIND_SERVICE, works with --cap-add NET_BIND_SERVICE', async () => {
    // Each in its own network namespace: port 80 is free there, whatever the host runs.
    const net = ['--unshare', 'net'];
    expect(await trySyscall(helper, [...net, '--cap-drop', 'ALL'], ['bind', '80'])).toMatchObject({ ret: -1, errno: ERRNO.EACCES });
    expect(await trySyscall(helper, [...net, '--cap-drop', 'ALL', '--cap-add', 'NET_BIND_SERVICE'], ['bind', '80'])).toMatchObject({ ret: 0 });
    // Unprivileged ports need no capability.
    expect(await trySyscall(helper, [...net, '--cap-drop', 'ALL'], ['bind', '8080'])).toMatchObject({ ret: 0 });
  });

  it('busybox nc cannot listen on port 80 without the capability', async () => {
    const nc = await output(['--unshare', 'net', '--cap-drop', 'ALL'], ['/bin/sh', '-c', 'busybox nc -l -p 80 2>&1; echo "exit=$?"']);
    expect(nc).toMatch(/Permission denied/);
    expect(nc).toMatch(/exit=1/);
  });
});

describe('no_new_privs', () => {
  it('NoNewPrivs is 1 with --no-new-privs and 0 without, inside and from the host', async () => {
    expect((await insideStatus(['--no-new-privs'])).NoNewPrivs).toBe('1');
    expect((await insideStatus([])).NoNewPrivs).toBe('0');
    expect(await whileRunning(['--no-new-privs'], (pid) => procStatus(pid).NoNewPrivs)).toBe('1');
    expect(await whileRunning([], (pid) => procStatus(pid).NoNewPrivs)).toBe('0');
  });

  // uid 1000 runs a setuid-root copy of the helper, which reports its effective uid.
  const asUser = ['setpriv', '--reuid', '1000', '--regid', '1000', '--clear-groups'];

  it('without it a setuid-root binary makes uid 1000 root', async () => {
    expect(JSON.parse(await output([], [...asUser, '/bin/sh', '-c', `${setuidHelper} ids`]))).toEqual({ uid: 1000, euid: 0 });
  });

  it('with it the setuid bit is ignored', async () => {
    expect(JSON.parse(await output(['--no-new-privs'], [...asUser, '/bin/sh', '-c', `${setuidHelper} ids`]))).toEqual({ uid: 1000, euid: 1000 });
  });
});

describe('a launcher that does not hold every capability itself', () => {
  // setpriv lowers the bounding set before exec'ing the launcher as root: it then holds all but
  // CAP_SYS_TIME, as a launcher in a restricted environment would.
  const restricted = ['setpriv', '--bounding-set', '-sys_time', LAUNCHER, '--status-fd', '3'];
  const runRestricted = (args: string[], program: string[]) =>
    spawnSync(restricted[0]!, [...restricted.slice(1), ...args, '--', ...program], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });

  it('ALL means what it holds, and dropping one leaves the rest', () => {
    const out = runRestricted(['--cap-drop', 'CHOWN'], ['cat', '/proc/self/status']);
    expect(out.status, out.stderr).toBe(0);
    const sysTime = 1n << 25n;
    expect(capSets(parseStatus(out.stdout)).bnd).toBe(ALL & ~sysTime & ~bits(CAP.CHOWN));
  });

  it('refuses to add what it does not hold, with docker\'s message', () => {
    const out = runRestricted(['--cap-drop', 'ALL', '--cap-add', 'SYS_TIME'], ['/bin/true']);
    expect(out.status).toBe(125);
    expect(JSON.parse((out.output[3] as unknown as string).trim())).toEqual({
      type: 'error',
      step: 'args',
      errno: 0,
      message: '--cap-add: capability not supported by your kernel or not available in the current environment: "CAP_SYS_TIME"',
    });
  });
});

describe('refused up front', () => {
  itRefuses([
    [['--cap-add', 'FOO'], '--cap-add: unknown capability: "CAP_FOO"'],
    [['--cap-drop', 'CAP_SYS_ADMINN'], '--cap-drop: unknown capability: "CAP_SYS_ADMINN"'],
    [['--cap-drop', 'CHOWN,,KILL'], '--cap-drop: expected a comma-separated list of capabilities or ALL, got "CHOWN,,KILL"'],
    [['--cap-add', ''], '--cap-add: expected a comma-separated list of capabilities or ALL, got ""'],
  ]);
});
