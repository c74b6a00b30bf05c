// Compile once, load many: `--seccomp-compile PROFILE --seccomp-out FILE` builds Docker's default
// filter with libseccomp and writes the raw BPF program; `--seccomp-bpf FILE` loads it with
// seccomp(2) directly. The kernel must then judge every system call exactly as it does with the
// filter --seccomp builds at start (inside: try-syscall's errno; outside: /proc/PID/status).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_PROCESS, type ContainerSpec } from '../../common/spec.js';
import { ContainerContexts } from '../../server/runtime/container-context.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../common/capabilities.js';
import { launcherArgs } from '../../server/runtime/launcher.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import { parseSeccompProfileJson } from '../../server/runtime/seccomp/profile.js';
import { DOCKER_PRESET, ERRNO, LAUNCHER, SIGSYS_EXIT, buildTrySyscall, compileDockerDefault, procStatus, refused, run, trySyscall, whileRunning } from '../helpers/harden.js';
import { IMAGE } from '../helpers/launcher-run.js';

const isX86_64 = process.arch === 'x64';

interface Compiled {
  type: 'seccomp-compiled';
  out: string;
  instructions: number;
  flags: string[];
  us: number;
}

let workDir: string;
let helper: string;
let profileFile: string;
let bpf: string;

const write = (name: string, content: string | Buffer) => {
  const path = join(workDir, name);
  writeFileSync(path, content);
  return path;
};

/** isolab-launcher --seccomp-compile PROFILE --seccomp-out OUT: its JSON line. */
function compile(profile: string, out: string): Compiled {
  const result = spawnSync(LAUNCHER, ['--seccomp-compile', profile, '--seccomp-out', out], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Compiled;
}

beforeAll(() => {
  expect(process.getuid?.(), 'run the integration tests as root').toBe(0);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-seccomp-bpf-test-'));
  helper = buildTrySyscall(workDir);
  profileFile = compileDockerDefault(workDir).file;
  bpf = join(workDir, 'docker-default.bpf');
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('--seccomp-compile', () => {
  it('writes the raw program (whole sock_filter instructions, root\'s, 0600) and says how many', () => {
    const line = compile(profileFile, bpf);
    expect(line).toMatchObject({ type: 'seccomp-compiled', out: bpf, flags: [] });
    const bytes = readFileSync(bpf);
    expect(bytes.length).toBe(line.instructions * 8);
    expect(line.instructions).toBeGreaterThan(100); // three architectures of Docker's rules
    expect(line.instructions).toBeLessThanOrEqual(4096);
    // The last instruction of a seccomp program is a return (BPF_RET | BPF_K = 0x06).
    expect(bytes.readUInt16LE(bytes.length - 8)).toBe(0x06);
    // Built from the same profile, the same program; no temporary file left beside it.
    const again = join(workDir, 'again.bpf');
    compile(profileFile, again);
    expect(readFileSync(again).equals(bytes)).toBe(true);
    expect(readdirSync(workDir).filter((n) => n.includes('.bpf.'))).toEqual([]);
  });

  it('replaces an existing program by rename (a starting container reads the old or the new one, whole)', () => {
    const out = write('replaced.bpf', 'old');
    compile(profileFile, out);
    expect(readFileSync(out).length % 8).toBe(0);
  });

  it('reports the profile\'s flags, which --seccomp-bpf then takes as --seccomp-flag', async () => {
    const logged = write('log.seccomp', 'isolab-seccomp 1\ndefault allow\nflag log\nflag spec_allow\nsyscall uname errno:99\n');
    const out = join(workDir, 'log.bpf');
    expect(compile(logged, out).flags).toEqual(['log', 'spec_allow']);
    const result = await trySyscall(helper, ['--seccomp-bpf', out, '--seccomp-flag', 'log', '--seccomp-flag', 'spec_allow'], ['uname', '0']);
    expect(result).toMatchObject({ ret: -1, errno: 99 });
  });

  it('refuses a bad profile as --seccomp does (exit 125, step args)', () => {
    const bad = write('bad.seccomp', 'isolab-seccomp 1\ndefault permit\n');
    const result = spawnSync(LAUNCHER, ['--seccomp-compile', bad, '--seccomp-out', join(workDir, 'bad.bpf')], { encoding: 'utf8' });
    expect(result.status).toBe(125);
    expect(result.stderr).toMatch(/line 2: expected: default ACTION/);
  });
});

describe('--seccomp-bpf: the same filter as --seccomp, without building it at start', () => {
  beforeAll(() => {
    compile(profileFile, bpf);
  });

  describe.each([
    { call: ['unshare', '0'] },
    { call: ['mount', '0', '0', '0', '0', '0'] },
    { call: ['reboot', '0', '0', '0', '0'] },
    { call: ['keyctl', '9999'] },
    { call: ['bpf', '9999', '0', '0'] },
    { call: ['chroot', '/nonexistent'] },
    { call: ['personality', '0x0040000'] },
    { call: ['personality', '8'] },
    { call: ['clone', String(0x20000 | 0x200)] },
    { call: ['clone3', '0', '0'] },
    { call: ['socket', '38', '5', '0'] },
    { call: ['socket', '2', '1', '0'] },
    { call: ['getpid'] },
    ...(isX86_64 ? [{ call: ['i386:unshare', '0'] }, { call: ['i386:getpid'] }, { call: ['x32:unshare', '0'] }] : []),
  ])('$call', ({ call }) => {
    it('gets the answer --seccomp FILE gives', async () => {
      // (the errno, and whether it failed: getpid's value differs from run to run)
      const answer = ({ errno, ret }: { errno: number; ret: number }) => ({ errno, failed: ret === -1 });
      const fromText = answer(await trySyscall(helper, ['--seccomp', profileFile], call));
      const fromBpf = answer(await trySyscall(helper, ['--seccomp-bpf', bpf], call));
      expect(fromBpf).toEqual(fromText);
    });
  });

  it('refuses unshare with EPERM (the filter, not the kernel: unfiltered it succeeds)', async () => {
    expect(await trySyscall(helper, ['--seccomp-bpf', bpf], ['unshare', '0'])).toMatchObject({ errno: ERRNO.EPERM });
    expect(await trySyscall(helper, [], ['unshare', '0'])).toMatchObject({ errno: 0 });
  });

  it('is one filter in filter mode, seen from the host (Seccomp 2, Seccomp_filters 1), without no_new_privs', async () => {
    const status = await whileRunning([...DOCKER_PRESET, '--seccomp-bpf', bpf], (pid) => procStatus(pid));
    expect(status).toMatchObject({ Seccomp: '2', Seccomp_filters: '1', NoNewPrivs: '0', CapEff: '00000000a80425fb' });
  });

  it('with --no-new-privs goes in last, after the capabilities are gone', async () => {
    const status = await whileRunning(['--cap-drop', 'ALL', '--no-new-privs', '--seccomp-bpf', bpf], (pid) => procStatus(pid));
    expect(status).toMatchObject({ Seccomp: '2', Seccomp_filters: '1', NoNewPrivs: '1', CapEff: '0000000000000000' });
  });

  it('kill_process and a missing architecture section end in SIGSYS, as with --seccomp', async () => {
    const small = write('kill.seccomp', 'isolab-seccomp 1\ndefault allow\nsyscall getppid kill_process\n');
    const out = join(workDir, 'kill.bpf');
    compile(small, out);
    expect((await run(['--seccomp-bpf', out], [helper, 'getppid'])).code).toBe(SIGSYS_EXIT);
    if (isX86_64) expect((await run(['--seccomp-bpf', out], [helper, 'i386:getpid'])).code).toBe(SIGSYS_EXIT);
  });

  it('a program the kernel\'s verifier refuses fails at step seccomp (EINVAL), not at exec', async () => {
    // One instruction, a load with no return: structurally fine for us, not for the kernel.
    const junk = write('junk.bpf', Buffer.from([0x20, 0, 0, 0, 0, 0, 0, 0]));
    chmodSync(junk, 0o600);
    const result = await run(['--seccomp-bpf', junk], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toMatchObject([{ type: 'error', step: 'seccomp', errno: ERRNO.EINVAL }]);
  });
});

describe('--seccomp-bpf refuses a file it would not have written (exit 125, step args)', () => {
  const refusedFile = async (name: string, prepare: (path: string) => void, problem: RegExp) => {
    const path = join(workDir, name);
    writeFileSync(path, readFileSync(bpf));
    chmodSync(path, 0o600);
    prepare(path);
    expect(await refused(['--seccomp-bpf', path])).toMatch(problem);
  };
  beforeAll(() => {
    compile(profileFile, bpf);
  });

  it('not root\'s', () => refusedFile('user.bpf', (p) => chownSync(p, 1000, 1000), /must be owned by root and not writable by group or others/));
  it('group-writable', () => refusedFile('group.bpf', (p) => chmodSync(p, 0o620), /must be owned by root and not writable by group or others/));
  it('world-writable', () => refusedFile('world.bpf', (p) => chmodSync(p, 0o602), /must be owned by root and not writable by group or others/));
  it('not whole instructions', () => refusedFile('odd.bpf', (p) => writeFileSync(p, Buffer.alloc(12)), /not a whole, non-zero number of BPF instructions/));
  it('empty', () => refusedFile('empty.bpf', (p) => writeFileSync(p, ''), /not a whole, non-zero number of BPF instructions/));
  it('more than BPF_MAXINSNS', () => refusedFile('long.bpf', (p) => writeFileSync(p, Buffer.alloc(4097 * 8)), /BPF_MAXINSNS/));
  it('a symbolic link', async () => {
    const link = join(workDir, 'link.bpf');
    symlinkSync(bpf, link);
    expect(await refused(['--seccomp-bpf', link])).toMatch(/: a symbolic link \(ELOOP\): give the file's own path$/);
  });
  it('a directory', async () => {
    expect(await refused(['--seccomp-bpf', workDir])).toMatch(/not a regular file/);
  });

  it.each([
    [['--seccomp-bpf', 'relative.bpf'], /--seccomp-bpf: expected an absolute path/],
    [['--seccomp-bpf', '/nonexistent.bpf'], /--seccomp-bpf \/nonexistent.bpf: No such file or directory/],
    [['--seccomp', '/x', '--seccomp-bpf', '/y'], /--seccomp-bpf: given twice/],
    [['--seccomp-flag', 'log'], /--seccomp-flag goes with --seccomp-bpf/],
    [['--seccomp-flag', 'tsync'], /--seccomp-flag: expected log or spec_allow/],
    [['--seccomp-out', '/tmp/x.bpf'], /--seccomp-out goes with --seccomp-compile/],
  ])('%j', async (args, message) => {
    expect(await refused(args)).toMatch(message);
  });

  it.each([
    [['--seccomp-compile', '/x'], /--seccomp-compile needs --seccomp-out/],
    [['--seccomp-compile', '/x', '--seccomp-out', '/tmp/x.bpf', '--', '/bin/true'], /starts no container and takes no PROGRAM/],
    [['--seccomp-compile', 'x', '--seccomp-out', '/tmp/x.bpf'], /--seccomp-compile: expected an absolute path/],
    [['--seccomp-compile', '/x', '--seccomp-out', 'x.bpf'], /--seccomp-out: expected an absolute path/],
  ])('compile mode %j', (args, message) => {
    const result = spawnSync(LAUNCHER, args, { encoding: 'utf8' });
    expect(result.status).toBe(125);
    expect(result.stderr).toMatch(message);
  });
});

describe("the server's ContainerContexts: each distinct profile built once, loaded by every container", () => {
  const docker: ContainerSpec = { ...PLAIN_PROCESS, seccomp: 'docker-default', capabilities: [...DOCKER_DEFAULT_CAPABILITIES] };
  let contexts: ContainerContexts;
  let dir: string;
  beforeAll(() => {
    dir = join(workDir, 'containers');
    contexts = new ContainerContexts(IMAGE, dir, join(REPO_ROOT, 'profiles/seccomp/docker-default.json'), LAUNCHER);
  });

  it('builds Docker\'s default for these capabilities once, a root-only program the launcher loads', async () => {
    const first = contexts.acquire(docker, 'a');
    const second = contexts.acquire(docker, 'b');
    expect(first.ctx.seccomp).toEqual(second.ctx.seccomp);
    const program = first.ctx.seccomp!;
    expect(program.flags).toEqual([]);
    const st = statSync(program.bpf);
    expect({ uid: st.uid, mode: st.mode & 0o777, whole: st.size % 8 }).toEqual({ uid: 0, mode: 0o600, whole: 0 });
    // Only the program stays in the directory (the line-format text is gone once built).
    expect(readdirSync(dir).filter((n) => n.startsWith('seccomp-'))).toEqual([program.bpf.split('/').at(-1)]);
    // The same program libseccomp builds from the profile the tests compile.
    expect(readFileSync(program.bpf).equals(readFileSync(compile(profileFile, join(workDir, 'same.bpf')).out))).toBe(true);
    // And it is what the container gets: launcherArgs passes it, the kernel refuses unshare.
    const args = launcherArgs(docker, first.ctx);
    expect(args).toContain('--seccomp-bpf');
    expect(await trySyscall(helper, args, ['unshare', '0'])).toMatchObject({ errno: ERRNO.EPERM });
    first.release();
    second.release();
  });

  it('builds another program for other capabilities (moby\'s includes depend on them)', () => {
    const withAdmin = contexts.acquire({ ...docker, capabilities: ['SYS_ADMIN'] }, 'c');
    const plain = contexts.acquire(docker, 'd');
    expect(withAdmin.ctx.seccomp!.bpf).not.toBe(plain.ctx.seccomp!.bpf);
    withAdmin.release();
    plain.release();
  });

  it('a custom profile without defaultAction or syscalls asks for no filter: seccomp null, --seccomp unconfined', () => {
    const { ctx, release } = contexts.acquire({ ...PLAIN_PROCESS, seccomp: 'custom' }, 'e', parseSeccompProfileJson('{}'));
    expect(ctx.seccomp).toBeNull();
    expect(launcherArgs({ ...PLAIN_PROCESS, seccomp: 'custom' }, ctx)).toEqual(['--seccomp', 'unconfined']);
    release();
  });
});
