#!/usr/bin/env node
// One setup for `npm start`, `npm test` and `npm run bench`: everything isolab needs on a fresh
// Debian/Ubuntu machine, each step skipped when its inputs have not changed (so a second run takes
// seconds). Plain Node with no dependencies: it runs before `npm ci` has installed anything.
//
//   node scripts/setup.mjs [--for-tests] [--for-bench]
//
// Steps: system packages (apt, when root) → npm ci → native build (node-gyp) → web build (vite) → rootfs
// → the comparison's VM (guest kernel from Debian's linux-image-amd64, extracted; initramfs). The
// comparison's packages and kernel are optional: without them (no network, not root) setup says what
// is missing and the lab runs without those columns.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--for-tests');
const forBench = process.argv.includes('--for-bench');
const isRoot = process.getuid?.() === 0;

/** Debian package → a file whose presence proves it is installed (cheaper and clearer than dpkg -s). */
const SYSTEM_PACKAGES = [
  { pkg: 'busybox-static', proof: '/bin/busybox', why: 'the containers\' root filesystem' },
  { pkg: 'build-essential', proof: '/usr/bin/make', why: 'building the launcher (node-gyp)' },
  { pkg: 'g++', proof: '/usr/bin/g++', why: 'building the launcher (node-gyp)' },
  { pkg: 'python3', proof: '/usr/bin/python3', why: 'node-gyp' },
  { pkg: 'libseccomp-dev', proof: '/usr/include/seccomp.h', why: 'seccomp filters' },
  { pkg: 'musl-tools', proof: '/usr/bin/musl-gcc', why: 'the launcher, linked statically against musl: it starts in a quarter of the time (native/build-launcher.sh)' },
  { pkg: 'iproute2', proof: '/usr/sbin/ip', why: 'network namespaces' },
];
/** The peers the benchmark measures isolab against, in the same run. */
const BENCH_PACKAGES = [
  { pkg: 'runc', proof: '/usr/sbin/runc', why: 'benchmark peer (the OCI reference runtime)' },
  { pkg: 'crun', proof: '/usr/bin/crun', why: 'benchmark peer (the fast C OCI runtime)' },
  { pkg: 'runsc', proof: '/usr/bin/runsc', why: 'benchmark peer (gVisor)' },
];
/**
 * The comparison panel's container-vs-gVisor-vs-VM columns. Optional: a failed install is a warning
 * (the panel then names the package), never the end of setup.
 */
const COMPARE_PACKAGES = [
  { pkg: 'qemu-system-x86', proof: '/usr/bin/qemu-system-x86_64', why: 'the comparison\'s virtual machine' },
  { pkg: 'runsc', proof: '/usr/bin/runsc', why: 'the comparison\'s gVisor sandbox' },
  { pkg: 'xz-utils', proof: '/usr/bin/xz', why: 'unpacking the guest kernel (vmlinux from the bzImage)' },
];
const TEST_PACKAGES = [
  { pkg: 'chromium', proof: '/usr/bin/chromium', why: 'browser tests (playwright-core drives Debian\'s chromium)' },
  { pkg: 'runc', proof: '/usr/sbin/runc', why: 'the exported OCI config.json is run under runc and compared with isolab\'s launcher' },
  { pkg: 'asciinema', proof: '/usr/bin/asciinema', why: 'a recording of a session is read back with the real asciicast client' },
];

function log(msg) {
  process.stdout.write(`[setup] ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`\n[setup] ${msg}\n\n`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (res.error) fail(`${cmd} could not be started: ${res.error.message}`);
  if (res.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${res.status ?? res.signal})`);
}

/** Hash of every file under the given paths (sorted), so a step reruns exactly when an input changed. */
function hashInputs(paths, extra = '') {
  const h = createHash('sha256').update(extra);
  const files = [];
  const walk = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) {
        if (name === 'node_modules' || name === 'build') continue;
        walk(join(p, name));
      }
    } else files.push(p);
  };
  for (const p of paths) walk(join(ROOT, p));
  for (const f of files.sort()) h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

function upToDate(stampFile, hash) {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash;
}

function stamp(stampFile, hash) {
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, hash);
}

function ensureSystemPackages() {
  if (process.platform !== 'linux') fail('isolab needs Linux: containers are built from Linux kernel primitives.');
  const wanted = [...SYSTEM_PACKAGES, ...(forTests ? TEST_PACKAGES : []), ...(forBench ? BENCH_PACKAGES : [])];
  const missing = wanted.filter((p) => !existsSync(p.proof));
  if (missing.length === 0) return;
  const names = [...new Set(missing.map((p) => p.pkg))];
  const list = missing.map((p) => `  - ${p.pkg} (${p.why})`).join('\n');
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!hasApt) fail(`Missing system packages:\n${list}\nThis is not a Debian-like system: install their equivalents with your package manager.`);
  if (!isRoot) fail(`Missing system packages:\n${list}\nInstall them with:\n  sudo apt-get install -y ${names.join(' ')}\n(or run this command as root and it will install them).`);
  log(`installing ${names.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env });
}

function ensureComparePackages() {
  const wanted = forBench ? COMPARE_PACKAGES.filter((p) => !BENCH_PACKAGES.some((b) => b.pkg === p.pkg)) : COMPARE_PACKAGES;
  const missing = wanted.filter((p) => !existsSync(p.proof));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg);
  const list = missing.map((p) => `  - ${p.pkg} (${p.why})`).join('\n');
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    log(`the comparison panel will lack some columns; missing:\n${list}\n  install with: sudo apt-get install -y ${names.join(' ')}`);
    return;
  }
  log(`installing ${names.join(' ')} for the comparison panel (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { stdio: 'inherit', env });
  let res = install();
  if (res.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    res = install();
  }
  if (res.status !== 0) log(`could not install ${names.join(' ')}; the lab runs without those columns (the panel says what to install)`);
}

async function ensureVm() {
  const probe = join(ROOT, 'native/build/Release/isolab-probe');
  const sysview = join(ROOT, 'native/build/Release/isolab-sysview');
  const { ensureVmImage } = await import('./vm-image.mjs');
  await ensureVmImage({ outDir: join(ROOT, 'build', 'vm'), probe, sysview, isRoot });
}

function ensureNodeModules() {
  const lock = join(ROOT, 'package-lock.json');
  const hash = createHash('sha256').update(readFileSync(lock)).update(process.version).digest('hex');
  const stampFile = join(ROOT, 'node_modules', '.isolab-setup-stamp');
  if (upToDate(stampFile, hash)) return;
  log('npm ci');
  // better-sqlite3 has no prebuilt binary reachable here and compiles from source with node-gyp:
  // point it at this Node's own headers rather than letting node-gyp download them.
  const nodedir = nodeDirArgs()[0]?.slice('--nodedir='.length);
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) } });
  stamp(stampFile, hash);
}

/** node-gyp needs Node's headers; use the ones installed next to this node (Debian's nodejs ships them) instead of downloading. */
function nodeDirArgs() {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? [`--nodedir=${prefix}`] : [];
}

function ensureNative() {
  // The toolchain too: a launcher built before musl-tools was installed (glibc, build-launcher.sh's
  // fallback) is rebuilt once it is.
  const hash = hashInputs(['native'], `${process.version} musl-gcc:${existsSync('/usr/bin/musl-gcc')}`);
  const stampFile = join(ROOT, 'native', 'build', '.isolab-setup-stamp');
  if (upToDate(stampFile, hash) && existsSync(join(ROOT, 'native/build/Release/isolab-launcher'))) return;
  log('building native/ (launcher, probe, introspection addon)');
  run(join(ROOT, 'node_modules', '.bin', 'node-gyp'), ['rebuild', ...nodeDirArgs()], { cwd: join(ROOT, 'native') });
  stamp(stampFile, hash);
}

function ensureWeb() {
  const hash = hashInputs(['web', 'common', 'package-lock.json']);
  const stampFile = join(ROOT, 'build', 'web-stamp');
  if (upToDate(stampFile, hash) && existsSync(join(ROOT, 'build/web/index.html'))) return;
  log('building web/ (vite)');
  run(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn']);
  stamp(stampFile, hash);
}

async function ensureRootfsImage() {
  const { ensureRootfs } = await import('./rootfs.mjs');
  await ensureRootfs({
    outDir: join(ROOT, 'build', 'rootfs'),
    probe: join(ROOT, 'native/build/Release/isolab-probe'),
    tools: ['isolab-chroot-escape', 'isolab-sysview', 'isolab-become-root', 'isolab-seccomp-deny'].map((t) => join(ROOT, 'native/build/Release', t)),
  });
}

ensureSystemPackages();
ensureComparePackages();
ensureNodeModules();
ensureNative();
ensureWeb();
await ensureRootfsImage();
await ensureVm();
log('ready');
