// --seccomp-notify: a profile whose refusals are handed to the launcher's supervisor (seccomp user
// notification), which answers with the errno the profile gives them and reports each call; loaded
// from the line format (--seccomp, libseccomp) and as a prebuilt program (--seccomp-bpf). Inside:
// every system call gets exactly the answer the plain profile gives (try-syscall, a real command);
// outside: the status lines, the supervisor as a process of the launcher's on the host, the
// container holding no listener, nothing left behind.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../../common/capabilities.js';
import type { SeccompNotifyLine, StatusLine } from '../../server/runtime/status-lines.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import { notifyingProfile, type NotifyingProfile } from '../../server/runtime/seccomp/notify.js';
import { compileSeccompProfile, nativeArch, parseSeccompProfileJson } from '../../server/runtime/seccomp/profile.js';
import { IMAGE, LAUNCHER, PROBE_IN_IMAGE, eventually, expectRefused, run, start } from '../helpers/launcher-run.js';

const CONTAINER = ['--unshare', 'mount,uts,ipc,pid,net', '--rootfs', IMAGE];
const DOCKER_PRESET = ['--cap-drop', 'ALL', '--cap-add', DOCKER_DEFAULT_CAPABILITIES.join(',')];

let workDir: string;
/** Docker's default profile for Docker's 14 capabilities: plain, and rewritten to notify. */
let plain: string;
let notifying: NotifyingProfile;
let notifyFile: string;
let plainAllCaps: string;
let notifyingAllCaps: NotifyingProfile;
let notifyAllCapsFile: string;

/** How the filter is loaded: "text" = --seccomp FILE (libseccomp builds it), "bpf" = --seccomp-bpf FILE (built by --seccomp-compile). */
type Loading = 'text' | 'bpf';
const filterArgs = (file: string, how: Loading) => (how === 'text' ? ['--seccomp', file] : ['--seccomp-bpf', bpfOf(file)]);
const notifyArgs = (file: string, p: NotifyingProfile, how: Loading = 'text') => [...filterArgs(file, how), '--seccomp-notify', p.answers];
/** isolab-launcher --seccomp-compile FILE --seccomp-out FILE.bpf, once per profile. */
const built = new Map<string, string>();
function bpfOf(file: string): string {
  let out = built.get(file);
  if (!out) {
    out = `${file}.bpf`;
    const result = spawnSync(LAUNCHER, ['--seccomp-compile', file, '--seccomp-out', out], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    built.set(file, out);
  }
  return out;
}
const notices = (status: StatusLine[]) => status.filter((l): l is SeccompNotifyLine => l.type === 'seccomp-notify');

beforeAll(() => {
  expect(process.getuid?.(), 'run the integration tests as root').toBe(0);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-notify-test-'));
  const docker = parseSeccompProfileJson(readFileSync(join(REPO_ROOT, 'profiles/seccomp/docker-default.json'), 'utf8'));
  const write = (name: string, text: string) => {
    const file = join(workDir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const compiled = (caps: readonly string[]) =>
    compileSeccompProfile(docker, { arch: nativeArch(), capabilities: caps.map((c) => `CAP_${c}`), kernelRelease: release() })!;
  plain = write('docker.seccomp', compiled(DOCKER_DEFAULT_CAPABILITIES));
  notifying = notifyingProfile(compiled(DOCKER_DEFAULT_CAPABILITIES))!;
  notifyFile = write('docker-notify.seccomp', notifying.text);
  plainAllCaps = write('docker-all.seccomp', compiled(CAPABILITIES));
  notifyingAllCaps = notifyingProfile(compiled(CAPABILITIES))!;
  notifyAllCapsFile = write('docker-all-notify.seccomp', notifyingAllCaps.text);
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.each(['text', 'bpf'] as const)('a refused call handed to the supervisor (%s)', (how) => {
  it('fails inside exactly as with the plain profile, and is named on the status channel', async () => {
    const command = ['/bin/sh', '-c', 'unshare -U true 2>&1; echo "rc=$?"'];
    const before = await run([...CONTAINER, ...DOCKER_PRESET, ...filterArgs(plain, how)], command);
    const after = await run([...CONTAINER, ...DOCKER_PRESET, ...notifyArgs(notifyFile, notifying, how)], command);
    expect(before.stdout).toBe('unshare: unshare(0x10000000): Operation not permitted\nrc=1\n');
    expect(after.stdout).toBe(before.stdout);
    expect(notices(before.status)).toEqual([]);
    const [notice, ...others] = notices(after.status);
    expect(others).toEqual([]);
    expect(notice).toMatchObject({ syscall: 'unshare', arch: 'x86_64', errno: 1, comm: 'unshare' });
    expect(notice!.args[0]).toBe('0x10000000'); // CLONE_NEWUSER
    expect(after.status.at(-1)).toEqual({ type: 'exit', code: 0 });
  });

  it('gives every system call the errno the plain profile gives it (try-syscall all, clone3 ENOSYS)', async () => {
    const answers = async (args: string[]) => {
      const result = await run([...CONTAINER, ...args], [PROBE_IN_IMAGE, 'try-syscall', 'all']);
      expect(result.status.at(-1), result.stderr).toEqual({ type: 'exit', code: 0 });
      const report = JSON.parse(result.stdout) as { trySyscall: { name: string; error: string | null; verdict: string }[] };
      return { by: Object.fromEntries(report.trySyscall.map((t) => [t.name, [t.error, t.verdict]])), status: result.status };
    };
    for (const [file, p, plainFile] of [[notifyFile, notifying, plain], [notifyAllCapsFile, notifyingAllCaps, plainAllCaps]] as const) {
      const caps = file === notifyFile ? DOCKER_PRESET : [];
      const expected = await answers([...caps, ...filterArgs(plainFile, how)]);
      const got = await answers([...caps, ...notifyArgs(file, p, how)]);
      expect(got.by).toEqual(expected.by);
      // What was refused was named, each call once; clone3 answered ENOSYS from the table.
      const named = notices(got.status);
      const denied = Object.entries(expected.by).filter(([, [error]]) => error === 'EPERM').map(([name]) => name);
      expect(denied.length).toBeGreaterThan(3);
      // try-syscall's socket_* trials are socket() calls of one family each.
      const syscallOf = (trial: string) => (trial.startsWith('socket_') ? 'socket' : trial);
      for (const name of denied) expect(named.map((n) => n.syscall), name).toContain(syscallOf(name));
      expect(new Set(named.map((n) => n.syscall)).size).toBe(named.length);
      if (file === notifyFile) {
        expect(expected.by['clone3']).toEqual(['ENOSYS', 'unavailable']);
        expect(named.find((n) => n.syscall === 'clone3')).toMatchObject({ errno: 38, comm: 'isolab-probe' });
      }
    }
  });

  it('reports a call once however often it is refused, also with no_new_privs (filter loaded last)', async () => {
    const result = await run([...CONTAINER, ...DOCKER_PRESET, '--no-new-privs', ...notifyArgs(notifyFile, notifying, how)], [
      '/bin/sh', '-c', 'for i in 1 2 3; do unshare -U true; mount -t tmpfs none /mnt; done 2>/dev/null; echo done',
    ]);
    expect(result.stdout).toBe('done\n');
    expect(notices(result.status).map((n) => n.syscall).sort()).toEqual(['mount', 'unshare']);
  });
});

describe('the supervisor', () => {
  it('is a process of the launcher on the host, outside the container, which holds no listener', async () => {
    const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
    const started = start([...CONTAINER, ...DOCKER_PRESET, ...notifyArgs(notifyFile, notifying)], ['/bin/sleep', '300'], { [mark]: '1' });
    try {
      const ready = await started.ready;
      const children = () =>
        readdirSync('/proc')
          .filter((d) => /^\d+$/.test(d))
          .filter((d) => {
            try {
              return readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1] === String(started.pid);
            } catch {
              return false;
            }
          })
          .map(Number);
      const kids = await eventually(() => (children().length === 2 ? children() : undefined), 'container and supervisor');
      const supervisor = kids.find((p) => p !== ready.pid)!;
      expect(readlinkSync(`/proc/${supervisor}/ns/pid`)).toBe(readlinkSync('/proc/self/ns/pid'));
      expect(readlinkSync(`/proc/${supervisor}/ns/mnt`)).toBe(readlinkSync('/proc/self/ns/mnt'));
      const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
      expect(fds(supervisor)).toContain('anon_inode:seccomp notify');
      expect(fds(ready.pid).filter((l) => l.includes('seccomp'))).toEqual([]);
    } finally {
      started.kill('SIGTERM');
    }
    const done = await started.done;
    expect(done.status.at(-1)).toMatchObject({ type: 'exit' });
    const left = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/environ`, 'utf8').includes(mark);
        } catch {
          return false;
        }
      });
    expect(left).toEqual([]);
  });
});

describe('refused command lines', () => {
  it.each([
    [() => ['--seccomp', notifyFile], /hands calls over \("notify" rules\): it needs --seccomp-notify/],
    [() => ['--seccomp-bpf', bpfOf(notifyFile)], /hands calls over \("notify" rules\): it needs --seccomp-notify/],
    [() => ['--seccomp', plain, '--seccomp-notify', '1'], /no "notify" rule/],
    [() => ['--seccomp-bpf', bpfOf(plain), '--seccomp-notify', '1'], /no "notify" rule/],
    [() => ['--seccomp-notify', '1'], /needs a filter/],
    [() => ['--seccomp', notifyFile, '--seccomp-notify', '0'], /expected ERRNO\[,NAME=ERRNO\.\.\.\]/],
    [() => ['--seccomp', notifyFile, '--seccomp-notify', '1,mount'], /expected ERRNO/],
    [() => ['--seccomp', notifyFile, '--seccomp-notify', '1,Mount=1'], /expected ERRNO/],
    [() => ['--seccomp', notifyFile, '--seccomp-notify', '1,mount=4096'], /expected ERRNO/],
    [() => ['--seccomp', notifyFile, '--seccomp-notify', '1,mount=1,mount=2'], /named twice/],
    [() => ['--seccomp', notifyFile, '--seccomp-notify', '1', '--seccomp-notify', '1'], /given twice/],
  ])('%#: %s', async (args, message) => {
    await expectRefused([...CONTAINER, ...args()], message);
  });

  it('not with --seccomp-compile (it builds a program, starts nothing) or --join', async () => {
    const compiled = spawnSync(LAUNCHER, ['--seccomp-compile', notifyFile, '--seccomp-out', join(workDir, 'x.bpf'), '--seccomp-notify', '1'], { encoding: 'utf8' });
    expect(compiled.status).toBe(125);
    expect(compiled.stderr).toMatch(/not with --join or --seccomp-compile/);
    const joined = spawnSync(LAUNCHER, ['--join', String(process.pid), '--seccomp', notifyFile, '--seccomp-notify', '1', '--', '/bin/true'], { encoding: 'utf8' });
    expect(joined.status).toBe(125);
    expect(joined.stderr).toMatch(/not with --join or --seccomp-compile/);
  });
});
