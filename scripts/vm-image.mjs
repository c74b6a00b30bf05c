#!/usr/bin/env node
// The comparison panel's virtual machine: a Debian kernel and a small initramfs, prepared at setup.
// Plain Node, no dependencies (it runs from setup before `npm ci`).
//
//   node scripts/vm-image.mjs OUTDIR PROBE SYSVIEW
//   import { ensureVmImage } from './vm-image.mjs'
//
// 1. The kernel: Debian's linux-image-amd64 names the current kernel package; `apt-get download`
//    fetches it and only the kernel and four virtio modules are taken out of it (dpkg-deb | tar):
//    nothing is installed on the host. The bzImage carries an XZ-compressed ELF; it is unpacked
//    to `vmlinux`, which QEMU boots directly through PVH (no firmware, no decompression in the guest:
//    under TCG that is seconds saved).
// 2. The initramfs: an uncompressed newc cpio (the kernel unpacks it without a decompressor) with
//    busybox, the probe, the sysview, the virtio modules and the guest's /init.
//
// Idempotent: the kernel is kept once extracted (build/vm/kernel/, with the package version), the
// initramfs is rebuilt only when its inputs change. Without network or apt, it writes
// build/vm/UNAVAILABLE with the reason and returns: the lab runs, and the panel explains.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Bump when the initramfs's layout or /init changes. */
const IMAGE_VERSION = 1;
/** The modules the learners' shells need: virtio console ports over virtio-mmio (microvm's bus). */
const MODULES = ['drivers/virtio/virtio_ring.ko', 'drivers/virtio/virtio.ko', 'drivers/virtio/virtio_mmio.ko', 'drivers/char/virtio_console.ko'];
/** A VM has at most this many learner shells: the hvc driver allocates eight consoles. */
export const MAX_VM_SHELLS = 8;

const log = (msg) => process.stdout.write(`[setup] ${msg}\n`);

// ---- the guest's files ----

const INIT = `#!/bin/sh
# PID 1 of isolab's virtual machine. It mounts the kernel's filesystems, serves the host's console
# (ttyS0: the isolab server types commands there, e.g. the probe, and reads their output between
# markers) and, behind it, brings up one shell per learner port.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run/isolab
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777,size=32m tmpfs /tmp
hostname isolab-vm
# Kernel messages stay in the log (dmesg) but off the console the server parses.
dmesg -n 1
# Boot time is time to the console's first line; the learners' shells come up behind it. Their
# output goes to a log, never to the console: on a cold start the first probe's JSON is on the
# console while they start, and a line of theirs in the middle of it broke the VM's column.
/etc/isolab/shells >/run/isolab/shells.log 2>&1 &
while :; do /etc/isolab/console; done
`;

const SHELLS = `#!/bin/sh
# The virtio console driver (modules: the Debian kernel builds it as one), then a shell loop per
# learner port (isolab.shells=N on the kernel command line). /run/isolab/shells-ready says done.
for m in virtio_ring virtio virtio_mmio virtio_console; do insmod /lib/modules/$m.ko; done
shells=$(sed -n 's/.*isolab[.]shells=\\([0-9]*\\).*/\\1/p' /proc/cmdline)
i=1
while [ "$i" -le "\${shells:-0}" ]; do
  /etc/isolab/home "$i"
  /etc/isolab/shell-loop "$i" &
  i=$((i + 1))
done
i=1
while [ "$i" -le "\${shells:-0}" ]; do
  while [ ! -e /dev/hvc$((i - 1)) ]; do sleep 0.05; done
  i=$((i + 1))
done
touch /run/isolab/shells-ready
`;

const CONSOLE = `#!/bin/sh
# The server's side of the console: no echo, no prompt, one command per line. The first line out
# says the VM is ready (the server measures boot time to here).
stty -echo 2>/dev/null
printf '\\036ISOLAB-VM-READY %s\\n' "$(cut -d' ' -f1 /proc/uptime)"
while IFS= read -r line; do eval "$line"; done
`;

const SHELL_LOOP = `#!/bin/sh
# Learner shell N: a login shell of user learnerN on /dev/hvc(N-1) (virtio console port N), started
# again whenever it ends. Own uid per port, so one learner can neither signal nor read another's
# processes, and a per-uid process limit keeps a fork bomb from taking the VM from the others.
n=$1
tty=/dev/hvc$((n - 1))
export TERM=xterm-256color
ulimit -u 64
ulimit -v 262144
while [ ! -e "$tty" ]; do sleep 0.05; done
while :; do
  if [ -e /run/isolab/hold$n ]; then sleep 0.1; continue; fi
  setsid -c su -l learner$n <"$tty" >"$tty" 2>&1
done
`;

const HOME = `#!/bin/sh
# A fresh, small home for learner N (its own tmpfs: a learner cannot fill the VM's memory).
n=$1
umount /home/learner$n 2>/dev/null
mkdir -p /home/learner$n
mount -t tmpfs -o size=8m,mode=0700,uid=$((1000 + n)),gid=$((1000 + n)) tmpfs /home/learner$n
`;

const RESET = `#!/bin/sh
# Port N changes hands: end everything its learner left running, empty its home, start a new shell
# (with "hold" as second argument, not yet: the server lets it start once it has drained the port).
n=$1
touch /run/isolab/hold$n
su -s /bin/sh learner$n -c 'kill -9 -1' 2>/dev/null
sleep 0.05
find /tmp -user learner$n -maxdepth 1 -exec rm -rf {} + 2>/dev/null
/etc/isolab/home "$n"
[ "$2" = hold ] || rm -f /run/isolab/hold$n
`;

const PROFILE = `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PS1='\\u@\\h:\\w\\$ '
if [ "$(id -u)" != 0 ]; then
  echo "This is a virtual machine with its own kernel ($(uname -r)), shared read-only by the lab's learners."
  echo "You are $(id -un): the VM's root is not yours, and no network leads out of it."
fi
`;

function guestFiles() {
  const learners = Array.from({ length: MAX_VM_SHELLS }, (_, i) => i + 1);
  return {
    init: { mode: 0o755, text: INIT },
    'etc/isolab/console': { mode: 0o755, text: CONSOLE },
    'etc/isolab/shells': { mode: 0o755, text: SHELLS },
    'etc/isolab/shell-loop': { mode: 0o755, text: SHELL_LOOP },
    'etc/isolab/home': { mode: 0o755, text: HOME },
    'etc/isolab/reset': { mode: 0o755, text: RESET },
    'etc/profile': { mode: 0o644, text: PROFILE },
    'etc/passwd': {
      mode: 0o644,
      text: 'root:x:0:0:root:/root:/bin/sh\n' + learners.map((n) => `learner${n}:x:${1000 + n}:${1000 + n}:isolab learner ${n}:/home/learner${n}:/bin/sh\n`).join(''),
    },
    'etc/group': { mode: 0o644, text: 'root:x:0:\n' + learners.map((n) => `learner${n}:x:${1000 + n}:\n`).join('') },
    'etc/hostname': { mode: 0o644, text: 'isolab-vm\n' },
    'etc/os-release': { mode: 0o644, text: `NAME="isolab VM"\nID=isolab-vm\nPRETTY_NAME="isolab busybox VM"\nVERSION_ID="${IMAGE_VERSION}"\n` },
  };
}

// ---- a newc cpio writer (the initramfs format the kernel unpacks) ----

class Cpio {
  constructor() {
    this.chunks = [];
    this.size = 0;
    this.ino = 1;
  }

  push(buf) {
    this.chunks.push(buf);
    this.size += buf.length;
  }

  pad() {
    const rem = this.size % 4;
    if (rem) this.push(Buffer.alloc(4 - rem));
  }

  entry(name, mode, data = Buffer.alloc(0)) {
    const hex = (n) => n.toString(16).padStart(8, '0');
    const nameBuf = Buffer.from(`${name}\0`);
    const fields = [this.ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBuf.length, 0];
    this.push(Buffer.from(`070701${fields.map(hex).join('')}`));
    this.push(nameBuf);
    this.pad();
    this.push(data);
    this.pad();
  }

  dir(name, perm = 0o755) {
    this.entry(name, 0o040000 | perm);
  }

  file(name, data, perm = 0o644) {
    this.entry(name, 0o100000 | perm, data);
  }

  symlink(name, target) {
    this.entry(name, 0o120000 | 0o777, Buffer.from(target));
  }

  finish() {
    this.entry('TRAILER!!!', 0);
    return Buffer.concat(this.chunks, this.size);
  }
}

function appletPaths(busybox) {
  try {
    return execFileSync(busybox, ['--list-full'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  } catch {
    return execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean).map((n) => `bin/${n}`);
  }
}

function buildInitramfs({ busybox, probe, sysview, modulesDir }) {
  const cpio = new Cpio();
  const dirs = ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'usr/local', 'usr/local/bin', 'etc', 'etc/isolab', 'proc', 'sys', 'dev', 'run', 'home', 'lib', 'lib/modules', 'var'];
  cpio.dir('.');
  for (const d of dirs) cpio.dir(d);
  cpio.dir('root', 0o700);
  cpio.dir('tmp', 0o1777);
  // The kernel opens /dev/console before /init runs: devtmpfs is not mounted yet.
  cpio.entry('dev/console', 0o020000 | 0o600);
  cpio.file('bin/busybox', readFileSync(busybox), 0o755);
  const seen = new Set(['bin/busybox']);
  for (const rel of appletPaths(busybox)) {
    if (seen.has(rel) || rel === 'linuxrc') continue;
    seen.add(rel);
    cpio.symlink(rel, '/bin/busybox');
  }
  if (!seen.has('bin/sh')) cpio.symlink('bin/sh', '/bin/busybox');
  cpio.file('usr/local/bin/isolab-probe', readFileSync(probe), 0o755);
  cpio.file('usr/local/bin/isolab-sysview', readFileSync(sysview), 0o755);
  for (const mod of MODULES) {
    const name = mod.split('/').pop();
    cpio.file(`lib/modules/${name}`, readFileSync(join(modulesDir, name)), 0o644);
  }
  for (const [rel, { mode, text }] of Object.entries(guestFiles())) cpio.file(rel, Buffer.from(text), mode);
  return cpio.finish();
}

// ---- the kernel ----

function sh(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (res.error) throw new Error(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(res.stderr || res.stdout || '').trim().split('\n').slice(-2).join(' ')}`);
  return res.stdout;
}

/** The Debian package linux-image-amd64 points at, e.g. "linux-image-6.1.0-57-amd64". */
function currentKernelPackage() {
  const out = sh('apt-cache', ['depends', 'linux-image-amd64']);
  const m = /Depends:\s*(linux-image-[0-9][^\s]*)/.exec(out);
  if (!m) throw new Error('apt-cache does not know linux-image-amd64 (run `apt-get update`, or this is not Debian)');
  return m[1];
}

/** The ELF inside a bzImage: the payload starts at the compressor's magic bytes. */
export function unpackVmlinux(bzImage) {
  const data = readFileSync(bzImage);
  const xz = data.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (xz >= 0) {
    // --single-stream: the payload is followed by the bzImage's trailer, which xz must ignore.
    const res = spawnSync('xz', ['-dc', '--single-stream'], { input: data.subarray(xz), maxBuffer: 512 * 1024 * 1024 });
    if (res.status === 0 && res.stdout.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return res.stdout;
  }
  const gz = data.indexOf(Buffer.from([0x1f, 0x8b, 0x08]));
  if (gz >= 0) {
    try {
      const out = gunzipSync(data.subarray(gz));
      if (out.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return out;
    } catch {
      /* not this one */
    }
  }
  return null;
}

function ensureKernel(kernelDir, { isRoot }) {
  const manifest = join(kernelDir, 'kernel.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8'));
  if (!existsSync('/usr/bin/apt-get')) throw new Error('the guest kernel comes from Debian\'s linux-image-amd64 package, and this system has no apt-get');
  if (!isRoot) throw new Error('fetching the guest kernel (apt-get download linux-image-amd64) needs root: run setup as root');
  const pkg = currentKernelPackage();
  log(`VM: downloading the guest kernel (${pkg}, about 70 MB; extracted under build/vm, not installed)`);
  const work = mkdtempSync(join(dirname(kernelDir), '.kernel-'));
  try {
    // The download runs as root into a root-owned directory: apt's _apt sandbox user could not write there.
    sh('apt-get', ['download', '-o', 'APT::Sandbox::User=root', pkg], { cwd: work });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
    const version = sh('dpkg-deb', ['-f', join(work, deb), 'Version']).trim();
    const release = pkg.replace(/^linux-image-/, '');
    const members = [`./boot/vmlinuz-${release}`, ...MODULES.map((m) => `./lib/modules/${release}/kernel/${m}`)];
    // Only these members leave the archive (the whole package unpacks to 400 MB).
    const script = 'deb="$1"; dir="$2"; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" "$@"';
    const extract = spawnSync('sh', ['-c', script, 'sh', join(work, deb), work, ...members], { encoding: 'utf8' });
    if (extract.status !== 0) throw new Error(`extracting ${deb}: ${extract.stderr.trim()}`);
    const fresh = join(work, 'kernel');
    mkdirSync(join(fresh, 'modules'), { recursive: true });
    const bzImage = join(work, 'boot', `vmlinuz-${release}`);
    const vmlinux = unpackVmlinux(bzImage);
    let kernelFile;
    if (vmlinux) {
      writeFileSync(join(fresh, 'vmlinux'), vmlinux);
      kernelFile = 'vmlinux';
    } else {
      // Still bootable, only slower (the guest decompresses itself).
      writeFileSync(join(fresh, 'bzImage'), readFileSync(bzImage));
      kernelFile = 'bzImage';
      log('VM: could not unpack vmlinux from the bzImage; booting the compressed kernel (slower)');
    }
    for (const m of MODULES) {
      const name = m.split('/').pop();
      writeFileSync(join(fresh, 'modules', name), readFileSync(join(work, 'lib', 'modules', release, 'kernel', m)));
    }
    const info = { package: pkg, version, release, kernel: kernelFile };
    writeFileSync(join(fresh, 'kernel.json'), `${JSON.stringify(info, null, 2)}\n`);
    rmSync(kernelDir, { recursive: true, force: true });
    renameSync(fresh, kernelDir);
    return info;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function hashInputs(paths) {
  const h = createHash('sha256').update(`isolab-vm-v${IMAGE_VERSION}\0`).update(readFileSync(fileURLToPath(import.meta.url)));
  for (const p of paths) h.update(p).update('\0').update(readFileSync(p)).update('\0');
  return h.digest('hex');
}

/**
 * Prepares OUTDIR/kernel/ and OUTDIR/initramfs.cpio, writing OUTDIR/vm.json when both are there.
 * Never throws for a missing download: returns { ok: false, reason } and writes OUTDIR/UNAVAILABLE.
 */
export async function ensureVmImage({ outDir, probe, sysview, busybox = '/bin/busybox', isRoot = process.getuid?.() === 0 }) {
  outDir = resolve(outDir);
  mkdirSync(outDir, { recursive: true });
  const unavailable = join(outDir, 'UNAVAILABLE');
  let kernel;
  try {
    kernel = ensureKernel(join(outDir, 'kernel'), { isRoot });
  } catch (err) {
    const reason = `the guest kernel could not be prepared: ${err.message}`;
    writeFileSync(unavailable, `${reason}\n`);
    log(`VM: ${reason} (the lab still works; the comparison panel explains)`);
    return { ok: false, reason };
  }
  const modulesDir = join(outDir, 'kernel', 'modules');
  const inputs = [busybox, probe, sysview, join(outDir, 'kernel', 'kernel.json'), ...MODULES.map((m) => join(modulesDir, m.split('/').pop()))];
  const stamp = hashInputs(inputs);
  const stampFile = join(outDir, 'initramfs.stamp');
  const initramfs = join(outDir, 'initramfs.cpio');
  if (!(existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(initramfs))) {
    log('VM: building the initramfs (busybox, probe, sysview, virtio console modules)');
    const tmp = `${initramfs}.tmp-${process.pid}`;
    writeFileSync(tmp, buildInitramfs({ busybox, probe, sysview, modulesDir }));
    renameSync(tmp, initramfs);
    writeFileSync(stampFile, stamp);
  }
  const manifest = {
    kernel: join('kernel', kernel.kernel),
    initramfs: 'initramfs.cpio',
    kernelRelease: kernel.release,
    kernelPackage: `${kernel.package} ${kernel.version}`,
    maxShells: MAX_VM_SHELLS,
    initramfsBytes: statSync(initramfs).size,
  };
  writeFileSync(join(outDir, 'vm.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(unavailable, { force: true });
  return { ok: true, ...manifest };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir, probe, sysview] = process.argv.slice(2);
  if (!outDir || !probe || !sysview) {
    process.stderr.write('usage: node scripts/vm-image.mjs OUTDIR PROBE SYSVIEW\n');
    process.exit(2);
  }
  const res = await ensureVmImage({ outDir, probe, sysview });
  process.stdout.write(`${JSON.stringify(res)}\n`);
  process.exit(res.ok ? 0 : 1);
}
