// The root filesystem primitives (native/launcher/rootfs.c, mounts.c) against the real kernel:
// chroot against pivot_root (and the escape that tells them apart), overlay layers with the upper
// layer on the host, a read-only root with --tmpfs, Docker's masked and read-only paths, mount
// propagation. Asserted from inside (busybox in the image, the escape demo, the probe) and from
// outside (the upper directory, the image, /proc/PID/mountinfo, the host's mount table).
// Needs root and `npm run setup`. Contract: native/README.md.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeReport } from '../../common/probe.js';
import {
  LAUNCHER,
  PROBE,
  RELEASE,
  buildImage,
  expectRootAndBuilt,
  join_ as joinIn,
  start as startLauncher,
  type Run,
  processesMarked,
} from '../helpers/launcher-run.js';

const ESCAPE = join(RELEASE, 'isolab-chroot-escape');
/** Where scripts/rootfs.mjs puts them in the image. */
const ESCAPE_IN_IMAGE = '/usr/local/bin/isolab-chroot-escape';
/** A static shell on the host, run inside containers through --join. */
const HOST_BUSYBOX = '/bin/busybox';
const NS = ['--unshare', 'mount,uts,ipc,pid,net', '--hostname', 'box'];

const hasOverlay = /\boverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'));

// The image's own tools (isolab-chroot-escape) live in /usr/local/bin.
const start = (args: string[], program: string[], env: Record<string, string> = {}) =>
  startLauncher(args, program, { PATH: '/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env });
const run = (args: string[], program: string[], env?: Record<string, string>) => start(args, program, env).done;

/** Runs PROGRAM and expects it to succeed. */
async function runOk(args: string[], program: string[]): Promise<Run> {
  const result = await run(args, program);
  expect(result.status.at(-1), `${result.stderr}\n${JSON.stringify(result.status)}`).toEqual({ type: 'exit', code: 0 });
  return result;
}

/** A shell script in the container; "$@" are ARGS. */
const sh = (script: string, ...args: string[]) => ['/bin/sh', '-c', script, 'sh', ...args];

/** The errno name for the strerror text busybox prints after "...: ". */
const ERRNO_BY_TEXT: Record<string, string> = {
  'Read-only file system': 'EROFS',
  'No space left on device': 'ENOSPC',
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
  'No such file or directory': 'ENOENT',
};

/** Tries to write each path inside a container: "ok", or the errno name the write failed with. */
async function tryWrites(args: string[], paths: string[]): Promise<Record<string, string>> {
  const script = 'for p; do if err=$( (printf x > "$p") 2>&1 ); then echo "$p	ok"; else echo "$p	${err##*: }"; fi; done';
  const result = await runOk(args, sh(script, ...paths));
  return Object.fromEntries(
    result.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [path, outcome] = line.split('\t') as [string, string];
        return [path, outcome === 'ok' ? 'ok' : (ERRNO_BY_TEXT[outcome] ?? outcome)];
      }),
  );
}

/** One mount from /proc/PID/mountinfo. */
interface MountEntry {
  target: string;
  options: string[];
  fstype: string;
  superOptions: string[];
}
function mountsOf(pid: number | 'self'): MountEntry[] {
  return readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [left, right] = line.split(' - ') as [string, string];
      const fields = left.split(' ');
      const [fstype, , superOptions] = right.split(' ');
      return { target: fields[4]!, options: fields[5]!.split(','), fstype: fstype!, superOptions: (superOptions ?? '').split(',') };
    });
}

/** Content and metadata of every file below DIR: equal fingerprints, untouched tree. */
function fingerprint(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const path = join(dir, rel);
    const st = lstatSync(path);
    h.update(`${rel}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.size}\0${st.mtimeMs}\0${st.ino}\0`);
    if (st.isSymbolicLink()) h.update(readlinkSync(path));
    else if (st.isFile()) h.update(readFileSync(path));
    else if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(rel, name));
  };
  walk('.');
  return h.digest('hex');
}


async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a host command, returns its exit status. */
const spawnOk = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status;

let workDir: string;
let image: string;
let imageFingerprint: string;
/** Where the per-container directories go: root's, 0700 (as /run/isolab/containers). */
let containers: string;

/** A fresh container directory (0700) with an empty upper directory in it, as the server makes them. */
function freshUpper(): { dir: string; upper: string } {
  const dir = mkdtempSync(join(containers, 'c-'));
  const upper = join(dir, 'upper');
  mkdirSync(upper, { mode: 0o755 });
  return { dir, upper };
}

/** A root-owned layer directory holding FILES (relative path → content). */
function makeLayer(name: string, files: Record<string, string>): string {
  const dir = join(workDir, 'layers', name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, rel), text, { mode: 0o644 });
  }
  return dir;
}

beforeAll(async () => {
  expectRootAndBuilt([LAUNCHER, PROBE, ESCAPE]);
  workDir = mkdtempSync(join(tmpdir(), 'isolab-rootfs-test-'));
  chmodSync(workDir, 0o755);
  image = join(workDir, 'rootfs');
  await buildImage(image, { probe: PROBE, tools: [ESCAPE] });
  imageFingerprint = fingerprint(image);
  containers = join(workDir, 'containers');
  mkdirSync(containers, { mode: 0o700 });
  chmodSync(containers, 0o700);
  mkdirSync(join(workDir, 'layers'), { mode: 0o755 });
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const escapeReport = (stdout: string) =>
  JSON.parse(stdout) as {
    escaped: boolean;
    before: { dev: number; ino: number };
    after: { dev: number; ino: number };
    climbed: number;
    entries: string[];
    hostname: string;
  };

describe.skipIf(!hasOverlay)('--root-mode: chroot is escapable, pivot_root is not (needs overlayfs)', () => {
  it('chroot: the mkdir+chroot+chdir("..") escape reaches the host\'s root and reads its files', async () => {
    const result = await runOk([...NS, '--rootfs', image, '--root-mode', 'chroot'], [ESCAPE_IN_IMAGE, '--json']);
    const report = escapeReport(result.stdout);
    expect(report.escaped).toBe(true);
    expect(report.climbed).toBeGreaterThan(0);
    // What it found is the host's "/" (the container's private copy of the host's mount tree).
    expect(report.after).toEqual({ dev: statSync('/').dev, ino: statSync('/').ino });
    expect(report.entries).toEqual(readdirSync('/').sort());
    if (existsSync('/etc/hostname')) expect(report.hostname).toBe(readFileSync('/etc/hostname', 'utf8').split('\n')[0]);
  });

  it('chroot: the escaped process can run a host program (a shell outside the jail)', async () => {
    const marker = join(workDir, `outside-${randomBytes(4).toString('hex')}`);
    writeFileSync(marker, 'host file\n');
    const result = await runOk([...NS, '--rootfs', image, '--root-mode', 'chroot'], [ESCAPE_IN_IMAGE, '/bin/cat', marker]);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('host file');
  });

  it('pivot (the default): the same program climbs nowhere and finds only the container\'s root', async () => {
    for (const mode of [[], ['--root-mode', 'pivot']]) {
      const result = await runOk([...NS, '--rootfs', image, ...mode], [ESCAPE_IN_IMAGE, '--json']);
      const report = escapeReport(result.stdout);
      expect(report.escaped).toBe(false);
      expect(report.after).toEqual(report.before);
      expect(report.after).not.toEqual({ dev: statSync('/').dev, ino: statSync('/').ino });
      expect(report.entries).toEqual(readdirSync(image).sort());
      expect(report.hostname).toBe('isolab'); // the image's /etc/hostname
    }
  });

  it('outside: under chroot the mount namespace\'s root is still the host\'s; after pivot_root it is the container\'s', async () => {
    for (const [mode, nsRootIsHost] of [['chroot', true], ['pivot', false]] as const) {
      const container = start([...NS, '--rootfs', image, '--root-mode', mode], ['/bin/sleep', '300']);
      try {
        const { pid } = await container.ready;
        // The process's own root is the overlay either way...
        const processRoot = statSync(`/proc/${pid}/root`);
        expect(processRoot.ino === statSync('/').ino && processRoot.dev === statSync('/').dev).toBe(false);
        // ...but entering its mount namespace (nsenter moves to the namespace's root, as setns does)
        // finds the host's "/" under chroot: every mount of the host is still in there.
        const nsRoot = spawnSync('nsenter', ['--mount=' + `/proc/${pid}/ns/mnt`, '--', '/bin/busybox', 'stat', '-c', '%d %i', '/'], {
          encoding: 'utf8',
        });
        expect(nsRoot.status, nsRoot.stderr).toBe(0);
        const [dev, ino] = nsRoot.stdout.trim().split(' ').map(Number);
        const host = { dev: statSync('/').dev, ino: statSync('/').ino };
        expect({ dev, ino }).toEqual(nsRootIsHost ? host : { dev: processRoot.dev, ino: processRoot.ino });
      } finally {
        container.kill('SIGTERM');
        await container.done;
      }
    }
  });

  it('--join into a chroot-mode container lands in its chroot, not in the namespace\'s root', async () => {
    const container = start([...NS, '--rootfs', image, '--root-mode', 'chroot'], ['/bin/sleep', '300']);
    try {
      const { pid } = await container.ready;
      const joined = await joinIn(pid, [PROBE]);
      expect(joined.code, joined.stderr).toBe(0);
      const report = ProbeReport.parse(JSON.parse(joined.stdout));
      expect(report.root).toEqual({ dev: statSync(`/proc/${pid}/root`).dev, ino: statSync(`/proc/${pid}/root`).ino });
      expect(report.hostname).toBe('box');
    } finally {
      container.kill('SIGTERM');
      await container.done;
    }
  });

  it.each([
    [['--root-mode', 'jail'], /--root-mode: expected host, chroot or pivot/],
    [['--unshare', 'mount', '--root-mode', 'chroot'], /need --rootfs/],
    [['--unshare', 'mount', '--root-mode', 'pivot'], /need --rootfs/],
    [['--unshare', 'mount', '--root-mode', 'host', '--rootfs', '/srv'], /--root-mode host .* does not go with --rootfs/],
  ])('%j is refused (step args, exit 125)', async (args, message) => {
    const result = await run(args, ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toMatchObject([{ type: 'error', step: 'args', errno: 0 }]);
    expect((result.status[0] as { message: string }).message).toMatch(message);
  });

  it('refuses an image path that overlayfs\'s option syntax cannot carry', async () => {
    const odd = join(workDir, 'image,with-comma');
    mkdirSync(odd, { mode: 0o755 });
    const result = await run(['--unshare', 'mount', '--rootfs', odd], ['/bin/true']);
    expect(result.code).toBe(125);
    expect((result.status[0] as { message: string }).message).toMatch(/--rootfs: a path with ','/);
  });

  it('--root-mode host without --rootfs keeps the host\'s root', async () => {
    const result = await runOk(['--unshare', 'mount', '--root-mode', 'host'], ['/bin/sh', '-c', 'stat -c %i /']);
    expect(Number(result.stdout.trim())).toBe(statSync('/').ino);
  });
});

describe.skipIf(!hasOverlay)('overlay: a shared read-only image, an upper layer per container (needs overlayfs)', () => {
  it('with --overlay-upper, writes and whiteouts appear in the upper directory on the host, never in the image', async () => {
    const { dir, upper } = freshUpper();
    const container = start(
      [...NS, '--rootfs', image, '--overlay-upper', upper],
      sh('echo written-inside > /new-file && rm /etc/hostname && echo appended >> /etc/passwd && exec sleep 300'),
    );
    try {
      const { pid } = await container.ready;
      await waitFor('the container\'s writes', () => existsSync(join(upper, 'etc', 'passwd')));
      // The write is a file in the upper directory, on the host.
      expect(readFileSync(join(upper, 'new-file'), 'utf8')).toBe('written-inside\n');
      // Changing an image file copied it up whole.
      expect(readFileSync(join(upper, 'etc', 'passwd'), 'utf8')).toBe(`${readFileSync(join(image, 'etc', 'passwd'), 'utf8')}appended\n`);
      // Deleting an image file left a whiteout: a character device 0:0.
      const whiteout = lstatSync(join(upper, 'etc', 'hostname'));
      expect(whiteout.isCharacterDevice()).toBe(true);
      expect(whiteout.rdev).toBe(0);
      // The image itself is untouched.
      expect(existsSync(join(image, 'new-file'))).toBe(false);
      expect(readFileSync(join(image, 'etc', 'hostname'), 'utf8')).toBe('isolab\n');
      // Beside the upper: overlayfs's work directory and the mount point, empty on the host (the
      // merged view is mounted only in the container's namespace; the host sees it via /proc/PID/root).
      expect(readdirSync(dir).sort()).toEqual(['merged', 'upper', 'work']);
      expect(readdirSync(join(dir, 'merged'))).toEqual([]);
      expect(readFileSync(`/proc/${pid}/root/new-file`, 'utf8')).toBe('written-inside\n');
      expect(statSync(upper).mode & 0o7777).toBe(statSync(image).mode & 0o7777);
      const root = mountsOf(pid).find((m) => m.target === '/')!;
      expect(root.fstype).toBe('overlay');
      expect(root.superOptions).toContain(`upperdir=${upper}`);
      expect(root.superOptions).toContain(`workdir=${join(dir, 'work')}`);
    } finally {
      container.kill('SIGTERM');
      await container.done;
    }
    // Torn down: work and merged are gone, the upper is kept (the server shows what changed).
    expect(readdirSync(dir)).toEqual(['upper']);
    expect(readFileSync(join(upper, 'new-file'), 'utf8')).toBe('written-inside\n');
  });

  it('--overlay-upper-remove: the upper directory goes with the container', async () => {
    const { dir, upper } = freshUpper();
    await runOk([...NS, '--rootfs', image, '--overlay-upper', upper, '--overlay-upper-remove'], sh('echo x > /file'));
    expect(readdirSync(dir)).toEqual([]);
  });

  describe.each([
    { name: 'upper on a tmpfs (default)', upperArgs: (): string[] => [] },
    { name: 'upper on the host', upperArgs: (): string[] => ['--overlay-upper', freshUpper().upper, '--overlay-upper-remove'] },
  ])('$name', ({ upperArgs }) => {
    it('two containers on the same image each see only their own writes', async () => {
      const a = start([...NS, '--rootfs', image, ...upperArgs()], ['/bin/sleep', '300']);
      const b = start([...NS, '--rootfs', image, ...upperArgs()], ['/bin/sleep', '300']);
      try {
        const [ra, rb] = await Promise.all([a.ready, b.ready]);
        expect((await joinIn(ra.pid, [HOST_BUSYBOX, 'sh', '-c', 'echo a > /from-a && rm /etc/os-release'])).code).toBe(0);
        expect((await joinIn(rb.pid, [HOST_BUSYBOX, 'sh', '-c', 'echo b > /from-b'])).code).toBe(0);
        const list = async (pid: number) => (await joinIn(pid, [HOST_BUSYBOX, 'ls', '-a', '/', '/etc'])).stdout;
        const seenByA = await list(ra.pid);
        const seenByB = await list(rb.pid);
        expect(seenByA).toMatch(/^from-a$/m);
        expect(seenByA).not.toMatch(/^from-b$/m);
        expect(seenByA).not.toMatch(/^os-release$/m);
        expect(seenByB).toMatch(/^from-b$/m);
        expect(seenByB).not.toMatch(/^from-a$/m);
        expect(seenByB).toMatch(/^os-release$/m);
      } finally {
        a.kill('SIGTERM');
        b.kill('SIGTERM');
        await Promise.all([a.done, b.done]);
      }
      expect(existsSync(join(image, 'from-a'))).toBe(false);
      expect(existsSync(join(image, 'etc', 'os-release'))).toBe(true);
    });
  });

  it.each([
    {
      name: 'not empty',
      make: () => {
        const { upper } = freshUpper();
        writeFileSync(join(upper, 'left-over'), '');
        return upper;
      },
      message: /must be empty/,
    },
    {
      name: 'not root\'s',
      make: () => {
        const { upper } = freshUpper();
        chownSync(upper, 65534, 65534);
        return upper;
      },
      message: /owned by root/,
    },
    {
      name: 'world-writable',
      make: () => {
        const { upper } = freshUpper();
        chmodSync(upper, 0o777);
        return upper;
      },
      message: /owned by root and not group- or world-writable/,
    },
    {
      name: 'in a directory others can enter',
      make: () => {
        const { dir, upper } = freshUpper();
        chmodSync(dir, 0o755);
        return upper;
      },
      message: /parent directory must be root's, mode 0700/,
    },
    {
      name: 'with a work directory beside it already',
      make: () => {
        const { dir, upper } = freshUpper();
        mkdirSync(join(dir, 'work'));
        return upper;
      },
      message: /"work" or "merged" already exists/,
    },
    {
      name: 'named work',
      make: () => {
        const dir = mkdtempSync(join(containers, 'c-'));
        mkdirSync(join(dir, 'work'));
        return join(dir, 'work');
      },
      message: /cannot be named work or merged/,
    },
    { name: 'missing', make: () => join(containers, 'no-such-dir'), message: /must be an existing directory/ },
    { name: 'relative', make: () => 'relative/upper', message: /must be an absolute path/ },
    { name: 'inside the image', make: () => join(image, 'tmp'), message: /owned by root and not group- or world-writable|overlaps the image/ },
  ])('refuses an upper directory $name, and leaves it as it was', async ({ make, message }) => {
    const upper = make();
    const before = existsSync(upper) ? readdirSync(upper) : null;
    const result = await run(['--unshare', 'mount', '--rootfs', image, '--overlay-upper', upper, '--overlay-upper-remove'], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toMatchObject([{ type: 'error', step: 'args', errno: 0 }]);
    expect((result.status[0] as { message: string }).message).toMatch(message);
    expect(existsSync(upper) ? readdirSync(upper) : null).toEqual(before);
  });

  it.each([
    [['--unshare', 'mount', '--overlay-upper', '/run'], /need --rootfs/],
    [['--unshare', 'mount', '--rootfs', '/srv', '--overlay-upper-remove'], /--overlay-upper-remove needs --overlay-upper/],
  ])('%j is refused', async (args, message) => {
    const result = await run(args, ['/bin/true']);
    expect(result.code).toBe(125);
    expect((result.status[0] as { message: string }).message).toMatch(message);
  });
});

describe.skipIf(!hasOverlay)('--layer: image layers stacked under the container\'s upper layer (needs overlayfs)', () => {
  let bottom: string;
  let top: string;
  let layerPrints: string[];
  beforeAll(() => {
    bottom = makeLayer('bottom', { 'etc/motd': 'from the bottom layer\n', 'opt/bottom-only': 'bottom\n' });
    top = makeLayer('top', { 'etc/motd': 'from the top layer\n', 'etc/hostname': 'layered\n', 'opt/top-only': 'top\n' });
    layerPrints = [fingerprint(bottom), fingerprint(top)];
  });

  it('the last --layer is on top; each shows through where the ones above are silent', async () => {
    const { upper } = freshUpper();
    const result = await runOk(
      [...NS, '--rootfs', image, '--layer', bottom, '--layer', top, '--overlay-upper', upper],
      sh('cat /etc/motd /etc/hostname /opt/bottom-only /opt/top-only /etc/os-release | head -5; echo changed > /etc/motd'),
    );
    expect(result.stdout.split('\n').slice(0, 4)).toEqual(['from the top layer', 'layered', 'bottom', 'top']);
    expect(result.stdout).toMatch(/NAME="isolab"/); // from the image, the bottom of the stack
    // The write went to the upper layer; no layer changed.
    expect(readFileSync(join(upper, 'etc', 'motd'), 'utf8')).toBe('changed\n');
    expect([fingerprint(bottom), fingerprint(top)]).toEqual(layerPrints);
  });

  it('the overlay\'s lowerdir lists the layers top first, then the image (seen in /proc/PID/mountinfo)', async () => {
    const container = start([...NS, '--rootfs', image, '--layer', bottom, '--layer', top], ['/bin/sleep', '300']);
    try {
      const { pid } = await container.ready;
      const root = mountsOf(pid).find((m) => m.target === '/')!;
      expect(root.superOptions).toContain(`lowerdir=${top}:${bottom}:.`);
    } finally {
      container.kill('SIGTERM');
      await container.done;
    }
  });

  it.each([
    { name: 'relative', make: () => 'layers/x', message: /must be an absolute path|No such file/ },
    { name: 'missing', make: () => join(workDir, 'layers', 'missing'), message: /No such file or directory/ },
    {
      name: 'world-writable',
      make: () => {
        const dir = makeLayer(`ww-${randomBytes(3).toString('hex')}`, {});
        chmodSync(dir, 0o777);
        return dir;
      },
      message: /must not be group- or world-writable/,
    },
    {
      name: 'not root\'s',
      make: () => {
        const dir = makeLayer(`nr-${randomBytes(3).toString('hex')}`, {});
        chownSync(dir, 65534, 65534);
        return dir;
      },
      message: /must be owned by root/,
    },
    { name: 'inside the image', make: () => join(image, 'etc'), message: /overlaps the image/ },
    { name: 'the host\'s root', make: () => '/', message: /the host's root is not an image/ },
  ])('refuses a layer $name', async ({ make, message }) => {
    const result = await run(['--unshare', 'mount', '--rootfs', image, '--layer', make()], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toMatchObject([{ type: 'error', step: 'args', errno: 0 }]);
    expect((result.status[0] as { message: string }).message).toMatch(message);
  });
});

describe.skipIf(!hasOverlay)('--read-only and --tmpfs (needs overlayfs)', () => {
  it.each([['--read-only'], ['--tmpfs', '/tmp']])('%j needs --rootfs', async (...args) => {
    const result = await run(['--unshare', 'mount', ...args], ['/bin/true']);
    expect(result.code).toBe(125);
    expect((result.status[0] as { message: string }).message).toMatch(/need --rootfs/);
  });

  it('writes to / fail with EROFS, writes to a --tmpfs work', async () => {
    const outcome = await tryWrites([...NS, '--rootfs', image, '--read-only', '--tmpfs', '/tmp'], ['/file', '/etc/passwd', '/tmp/file']);
    expect(outcome).toEqual({ '/file': 'EROFS', '/etc/passwd': 'EROFS', '/tmp/file': 'ok' });
    // Without --read-only the same root is writable (through the overlay).
    expect(await tryWrites([...NS, '--rootfs', image], ['/file'])).toEqual({ '/file': 'ok' });
  });

  it('a --tmpfs is size-limited: ENOSPC beyond size=', async () => {
    const result = await runOk(
      [...NS, '--rootfs', image, '--read-only', '--tmpfs', '/tmp:rw,size=1m'],
      sh('dd if=/dev/zero of=/tmp/fill bs=1024 count=1024 2>/dev/null && echo filled; dd if=/dev/zero of=/tmp/more bs=1024 count=64 2>&1 | head -1 | sed "s/.*: //"'),
    );
    const [filled, more] = result.stdout.trim().split('\n');
    expect(filled).toBe('filled');
    expect(ERRNO_BY_TEXT[more!]).toBe('ENOSPC');
  });

  it('outside: "/" is mounted ro, each --tmpfs with its options and the 64m default size', async () => {
    const container = start(
      [...NS, '--rootfs', image, '--read-only', '--tmpfs', '/tmp', '--tmpfs', '/run:size=2m,mode=0755,exec', '--tmpfs', '/var/cache/new'],
      ['/bin/sleep', '300'],
    );
    try {
      const { pid } = await container.ready;
      const byTarget = new Map(mountsOf(pid).map((m) => [m.target, m]));
      expect(byTarget.get('/')!.options).toContain('ro');
      const tmp = byTarget.get('/tmp')!;
      expect(tmp.fstype).toBe('tmpfs');
      expect(tmp.options).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec']));
      expect(tmp.superOptions).toContain(`size=${64 * 1024}k`);
      const runMount = byTarget.get('/run')!;
      expect(runMount.options).not.toContain('noexec');
      expect(runMount.superOptions).toEqual(expect.arrayContaining([`size=${2 * 1024}k`, 'mode=755']));
      // A missing mount point is created (in the container's upper layer, not in the image).
      expect(byTarget.get('/var/cache/new')?.fstype).toBe('tmpfs');
      expect(existsSync(join(image, 'var', 'cache'))).toBe(false);
    } finally {
      container.kill('SIGTERM');
      await container.done;
    }
  });

  it('noexec by default: a program copied to a --tmpfs cannot run (126); with exec it can', async () => {
    const copyAndRun = 'cp /bin/busybox /tmp/busybox && /tmp/busybox true';
    const noexec = await run([...NS, '--rootfs', image, '--tmpfs', '/tmp'], sh(copyAndRun));
    expect(noexec.code).toBe(126);
    await runOk([...NS, '--rootfs', image, '--tmpfs', '/tmp:exec'], sh(copyAndRun));
  });

  it('chroot mode: "/" is read-only inside, but the host\'s tree is still there to write to after an escape', async () => {
    const marker = join(workDir, `escaped-write-${randomBytes(4).toString('hex')}`);
    const result = await run(
      [...NS, '--rootfs', image, '--root-mode', 'chroot', '--read-only', '--tmpfs', '/tmp'],
      sh('if (printf x > /file) 2>/dev/null; then echo root-writable; else echo root-read-only; fi; ' + `${ESCAPE_IN_IMAGE} /bin/sh -c "echo escaped > ${marker}" >/dev/null`),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('root-read-only');
    expect(readFileSync(marker, 'utf8')).toBe('escaped\n');
  });

  it.each([
    [['--tmpfs', 'tmp'], /--tmpfs "tmp": must be an absolute path/],
    [['--tmpfs', '/'], /cannot be "\/" itself/],
    [['--tmpfs', '/a/../etc'], /"\.\." component/],
    [['--tmpfs', '/proc/x'], /not over \/proc or \/sys/],
    [['--tmpfs', '/tmp:size=0'], /bad value/],
    [['--tmpfs', '/tmp:size=10%'], /bad value/],
    [['--tmpfs', '/tmp:mode=999'], /bad value/],
    [['--tmpfs', '/tmp:suid,bogus'], /unknown option/],
    [['--tmpfs', '/tmp', '--tmpfs', '/tmp'], /the same path twice/],
  ])('%j is refused', async (args, message) => {
    const result = await run(['--unshare', 'mount', '--rootfs', image, ...args], ['/bin/true']);
    expect(result.code).toBe(125);
    expect(result.status).toMatchObject([{ type: 'error', step: 'args', errno: 0 }]);
    expect((result.status[0] as { message: string }).message).toMatch(message);
  });
});

/** Docker's lists (moby daemon/pkg/oci/defaults.go), as native/README.md gives them. */
const DOCKER_MASKED = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];
const DOCKER_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const DOCKER_PATHS = ['--masked-paths', 'default', '--readonly-paths', 'default'];

describe.skipIf(!hasOverlay)('masked and read-only paths, as Docker does (needs overlayfs)', () => {
  /** Which of Docker's paths this kernel has (a masked path that does not exist is skipped). */
  const present = (paths: string[]) => paths.filter((p) => existsSync(p));

  it('inside: every masked file reads empty, every masked directory lists empty', async () => {
    const script = 'for p; do if [ -d "$p" ]; then echo "$p	dir	$(ls -A "$p" | wc -l)"; else echo "$p	file	$(cat "$p" | wc -c)"; fi; done';
    const masked = present(DOCKER_MASKED);
    expect(masked).toContain('/proc/keys');
    const result = await runOk([...NS, '--rootfs', image, ...DOCKER_PATHS], sh(script, ...masked));
    const seen = result.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(seen.map(([path, , count]) => [path, Number(count)])).toEqual(masked.map((p) => [p, 0]));
    // and without masking they are not all empty (the host's /proc/interrupts, /proc/timer_list...)
    const unmasked = await runOk([...NS, '--rootfs', image], sh(script, ...masked));
    expect(unmasked.stdout.trim().split('\n').some((l) => Number(l.split('\t')[2]) > 0)).toBe(true);
  });

  it.skipIf(!existsSync('/proc/kcore'))('inside: /proc/kcore reads empty (needs CONFIG_PROC_KCORE)', async () => {
    const result = await runOk([...NS, '--rootfs', image, ...DOCKER_PATHS], sh('cat /proc/kcore | wc -c'));
    expect(Number(result.stdout.trim())).toBe(0);
  });

  it('inside: writing a sysctl through /proc/sys fails with EROFS; without --readonly-paths it works', async () => {
    const hostname = '/proc/sys/kernel/hostname'; // the uts namespace's own: harmless to write
    expect(await tryWrites([...NS, '--rootfs', image, ...DOCKER_PATHS], [hostname])).toEqual({ [hostname]: 'EROFS' });
    expect(await tryWrites([...NS, '--rootfs', image], [hostname])).toEqual({ [hostname]: 'ok' });
  });

  it.skipIf(!existsSync('/proc/sysrq-trigger'))('inside: writing /proc/sysrq-trigger fails with EROFS (needs CONFIG_MAGIC_SYSRQ)', async () => {
    // Never written for real: with the path read-only the write fails before the kernel sees it.
    expect(await tryWrites([...NS, '--rootfs', image, ...DOCKER_PATHS], ['/proc/sysrq-trigger'])).toEqual({ '/proc/sysrq-trigger': 'EROFS' });
  });

  it('outside: /proc/PID/mountinfo lists each masked path (tmpfs or /dev/null) and each read-only path (ro)', async () => {
    const container = start([...NS, '--rootfs', image, ...DOCKER_PATHS], ['/bin/sleep', '300']);
    try {
      const { pid } = await container.ready;
      const byTarget = new Map(mountsOf(pid).map((m) => [m.target, m]));
      const hostDevFs = mountsOf('self').filter((m) => m.target === '/dev').at(-1)!.fstype; // where /dev/null lives
      for (const path of present(DOCKER_MASKED)) {
        const mount = byTarget.get(path);
        expect(mount, path).toBeDefined();
        if (statSync(path).isDirectory()) expect([mount!.fstype, mount!.options.includes('ro')], path).toEqual(['tmpfs', true]);
        else expect(mount!.fstype, path).toBe(hostDevFs); // the host's /dev/null, bound over it
      }
      for (const path of present(DOCKER_READONLY)) expect(byTarget.get(path)?.options, path).toContain('ro');
      // thermal_throttle of every CPU that has one (moby masks those too)
      for (const cpu of readdirSync('/sys/devices/system/cpu').filter((n) => /^cpu\d+$/.test(n))) {
        const path = `/sys/devices/system/cpu/${cpu}/thermal_throttle`;
        if (existsSync(path)) expect(byTarget.get(path)?.fstype, path).toBe('tmpfs');
      }
    } finally {
      container.kill('SIGTERM');
      await container.done;
    }
  });

  it('"none" (or no option) adds no mount; a list of our own masks and freezes exactly those', async () => {
    const plain = await runOk([...NS, '--rootfs', image], ['/bin/cat', '/proc/self/mountinfo']);
    const none = await runOk([...NS, '--rootfs', image, '--masked-paths', 'none', '--readonly-paths', 'none'], ['/bin/cat', '/proc/self/mountinfo']);
    expect(none.stdout.trim().split('\n').length).toBe(plain.stdout.trim().split('\n').length);
    const result = await runOk(
      [...NS, '--rootfs', image, '--masked-paths', '/etc/hostname:/usr/local/bin', '--readonly-paths', '/etc:/nonexistent'],
      sh('wc -c < /etc/hostname; ls -A /usr/local/bin | wc -l; if (printf x > /etc/new) 2>/dev/null; then echo etc-writable; else echo etc-read-only; fi; printf x > /root-ok && echo root-writable'),
    );
    expect(result.stdout.trim().split('\n').map((s) => s.trim())).toEqual(['0', '0', 'etc-read-only', 'root-writable']);
  });

  it('without --rootfs: the host\'s /proc, seen in a private mount namespace, can be masked too', async () => {
    const result = await runOk(['--unshare', 'mount,pid', '--masked-paths', 'default', '--readonly-paths', 'default'], sh('wc -c < /proc/keys'));
    expect(Number(result.stdout.trim())).toBe(0);
    expect(readFileSync('/proc/keys', 'utf8').length).toBeGreaterThan(0); // the host's is untouched
  });

  it.each([
    [['--masked-paths', 'proc/kcore'], /--masked-paths "proc\/kcore": must be an absolute path/],
    [['--masked-paths', '/proc/kcore::/proc/keys'], /--masked-paths "": must be an absolute path/],
    [['--readonly-paths', '/proc/../etc'], /"\.\." component/],
    [['--readonly-paths', Array.from({ length: 33 }, (_, i) => `/p${i}`).join(':')], /at most 32 paths/],
  ])('%j is refused', async (args, message) => {
    const result = await run(['--unshare', 'mount', ...args], ['/bin/true']);
    expect(result.code).toBe(125);
    expect((result.status[0] as { message: string }).message).toMatch(message);
  });

  it('needs the mount namespace', async () => {
    const result = await run(['--masked-paths', 'default'], ['/bin/true']);
    expect(result.code).toBe(125);
    expect((result.status[0] as { message: string }).message).toMatch(/need the mount namespace/);
  });
});

describe('--propagation: what crosses between the host\'s mount tree and the container\'s', () => {
  let shared: string;
  beforeAll(() => {
    // A test-only shared mount: the host here marks nothing shared, and the test must not change
    // the propagation of anything it did not create.
    shared = join(workDir, 'shared');
    mkdirSync(shared);
    expect(spawnOk('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'isolab-test-shared', shared])).toBe(0);
    expect(spawnOk('mount', ['--make-shared', shared])).toBe(0);
  });
  afterAll(() => {
    if (shared) spawnOk('umount', ['-R', shared]);
  });

  it.each([
    { propagation: 'private', hostMountSeenInside: false },
    { propagation: 'slave', hostMountSeenInside: true },
  ])('$propagation: a mount the host makes later is seen inside: $hostMountSeenInside; one made inside never reaches the host', async ({ propagation, hostMountSeenInside }) => {
    const container = start(['--unshare', 'mount,pid', '--propagation', propagation], ['/bin/sleep', '300']);
    const sub = join(shared, `host-${propagation}`);
    const inner = join(shared, `inner-${propagation}`);
    mkdirSync(sub);
    mkdirSync(inner);
    try {
      const { pid } = await container.ready;
      expect(spawnOk('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'isolab-test-sub', sub])).toBe(0);
      expect(mountsOf(pid).some((m) => m.target === sub)).toBe(hostMountSeenInside);
      const mounted = await joinIn(pid, [HOST_BUSYBOX, 'mount', '-t', 'tmpfs', 'isolab-test-inner', inner]);
      expect(mounted.code, mounted.stderr).toBe(0);
      expect(mountsOf(pid).some((m) => m.target === inner)).toBe(true);
      expect(mountsOf('self').some((m) => m.target === inner)).toBe(false);
    } finally {
      container.kill('SIGTERM');
      await container.done;
      spawnOk('umount', [sub]);
    }
  });

  it('shared is refused: every mount the launcher makes would appear on the host', async () => {
    const result = await run(['--unshare', 'mount', '--propagation', 'shared'], ['/bin/true']);
    expect(result.code).toBe(125);
    expect((result.status[0] as { message: string }).message).toMatch(/--propagation shared: refused/);
  });
});

describe.skipIf(!hasOverlay)('a failed start with every fs option leaves nothing behind (host upper removed)', () => {
  const allOptions = (upper: string) => [
    ...NS,
    '--rootfs', image,
    '--overlay-upper', upper,
    '--overlay-upper-remove',
    '--layer', makeLayer('fail-at', { 'etc/motd': 'layer\n' }),
    '--read-only',
    '--tmpfs', '/tmp',
    ...DOCKER_PATHS,
  ];

  it('at every step these options take (the ready line\'s timings name them)', { timeout: 120_000 }, async () => {
    const { dir, upper } = freshUpper();
    const ok = await start(allOptions(upper), ['/bin/true']);
    // Not "args": a launcher that stops there leaves DIR as it was (native/README.md).
    const steps = Object.keys((await ok.ready).timings_us).filter((s) => s !== 'total' && s !== 'args');
    await ok.done;
    expect(readdirSync(dir)).toEqual([]);
    expect(steps).toEqual(expect.arrayContaining(['overlay_upper', 'rootfs_overlay', 'pivot_root', 'tmpfs', 'readonly_paths', 'masked_paths', 'readonly_root']));
    // The host's mounts that this test could leak: a leak means propagation to the host, which would
    // carry the overlay and scratch mounts under workDir (or named isolab-*) along with the rest.
    // (Other helpers' tests mount and unmount elsewhere on this host concurrently.)
    const ours = () =>
      readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((l) => l.includes(workDir) || l.includes('isolab-'));
    for (const step of steps) {
      const fresh = freshUpper();
      const mark = `ISOLAB_TEST_${randomBytes(6).toString('hex')}`;
      const mountsBefore = ours();
      const result = await run([...allOptions(fresh.upper), '--fail-at', step], ['/bin/sleep', '300'], { [mark]: '1' });
      expect(result.code, step).toBe(125);
      expect(result.status, step).toMatchObject([{ type: 'error', step, errno: 22 }]);
      expect(readdirSync(fresh.dir), step).toEqual([]);
      expect(ours(), step).toEqual(mountsBefore);
      expect(processesMarked(mark), step).toEqual([]);
    }
  });
});

describe.skipIf(!hasOverlay)('the image', () => {
  it('is unchanged after every test above (content, modes, mtimes, inodes)', () => {
    expect(fingerprint(image)).toBe(imageFingerprint);
  });
});
