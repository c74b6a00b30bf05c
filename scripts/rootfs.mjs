#!/usr/bin/env node
// The busybox image every container's root filesystem is made from (read-only; each container
// gets a copy-on-write overlay of it, see native/launcher/rootfs.c). Plain Node, no dependencies:
// it runs from setup before anything else is built or installed.
//
//   node scripts/rootfs.mjs OUTDIR [PROBE [TOOL...]]
//   import { ensureRootfs } from './rootfs.mjs'; await ensureRootfs({ outDir, probe, tools })
//
// PROBE and each TOOL (static binaries: the image has no libc) go to /usr/local/bin, and so do the
// lessons' shell scripts in scripts/image/ (busybox sh). isolab-become-root is installed set-user-ID
// and set-group-ID root (mode 6755, owned by root when built as root, as setup does): the
// no_new_privs lesson needs a setuid-root program to show an escalation, and the image is the
// only place one can come from (it is root's, and read-only to every container).
//
// Idempotent: a stamp (hash of busybox, the probe, the tools and this script) skips an unchanged
// image. The image is built in a sibling temp dir and renamed into place, so a reader never sees
// half an image.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the image's layout or files change, so existing images are rebuilt. */
const IMAGE_VERSION = 2;
const STAMP = '.isolab-image';

/** The lessons' scripts (scripts/image/NAME → /usr/local/bin/NAME). */
const SCRIPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'image');
const SCRIPTS = ['blast-radius', 'try-syscall'];
/** Tools installed set-user-ID and set-group-ID root. */
const SETUID_ROOT = new Set(['isolab-become-root']);
/** The image's ordinary user (docker's `--user 1000:1000`; lessons run shells and services as it). */
const LEARNER = { uid: 1000, gid: 1000, name: 'learner', home: 'home/learner' };

const FILES = {
  'etc/passwd':
    'root:x:0:0:root:/root:/bin/sh\n' +
    `${LEARNER.name}:x:${LEARNER.uid}:${LEARNER.gid}:isolab learner:/${LEARNER.home}:/bin/sh\n` +
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  'etc/group': `root:x:0:\n${LEARNER.name}:x:${LEARNER.gid}:\nnogroup:x:65534:\n`,
  'etc/hostname': 'isolab\n',
  'etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost\n',
  'etc/profile':
    'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' +
    "export PS1='\\u@\\h:\\w\\$ '\n" +
    'export HOME=/root\n',
  'etc/os-release':
    'NAME="isolab"\nID=isolab\nPRETTY_NAME="isolab busybox image"\n' +
    'VERSION_ID="' + IMAGE_VERSION + '"\n',
};

function hashFile(h, path) {
  h.update(path).update('\0').update(readFileSync(path)).update('\0');
}

/** What the image is made from: if this is unchanged, so is the image. */
function imageHash(busybox, probe, tools) {
  const h = createHash('sha256').update(`isolab-rootfs-v${IMAGE_VERSION}\0`);
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  hashFile(h, busybox);
  if (probe) hashFile(h, probe);
  for (const tool of tools) hashFile(h, tool);
  for (const script of SCRIPTS) hashFile(h, join(SCRIPTS_DIR, script));
  // Built by root or not decides the owners (and so what set-user-ID means): part of the image.
  h.update(`builder-uid=${process.getuid?.() ?? -1}\0`);
  return h.digest('hex');
}

/** Applet paths ("bin/ls", "usr/bin/awk") from busybox itself. */
function appletPaths(busybox) {
  const run = (flag) => execFileSync(busybox, [flag], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  try {
    return run('--list-full');
  } catch {
    return run('--list').map((name) => `bin/${name}`);
  }
}

function build(dir, busybox, probe, tools, stamp) {
  const mkdir = (rel, mode = 0o755) => {
    const p = join(dir, rel);
    mkdirSync(p, { recursive: true });
    chmodSync(p, mode); // explicit: the caller's umask must not decide the image's permissions
  };
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  // mnt: an empty mount point, as on any FHS system (the mount namespace lesson mounts there).
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/local/bin', 'etc', 'proc', 'sys', 'dev', 'var', 'run', 'mnt']) mkdir(d);
  mkdir('root', 0o700);
  mkdir('tmp', 0o1777);
  mkdir(LEARNER.home, 0o755);
  const asRoot = process.getuid?.() === 0;
  // Only root can give a file away; an image built by someone else is theirs throughout anyway.
  if (asRoot) chownSync(join(dir, LEARNER.home), LEARNER.uid, LEARNER.gid);

  copyFileSync(busybox, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const rel of appletPaths(busybox)) {
    const target = join(dir, rel);
    if (rel === 'bin/busybox' || rel === 'linuxrc' || existsSync(target)) continue; // linuxrc: only for initrds
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync('/bin/busybox', target);
  }
  if (!existsSync(join(dir, 'bin/sh'))) symlinkSync('/bin/busybox', join(dir, 'bin/sh'));

  for (const [rel, text] of Object.entries(FILES)) {
    writeFileSync(join(dir, rel), text);
    chmodSync(join(dir, rel), 0o644);
  }
  // busybox's mount and df read the mount table from here.
  symlinkSync('/proc/self/mounts', join(dir, 'etc/mtab'));

  if (probe) {
    copyFileSync(probe, join(dir, 'usr/local/bin/isolab-probe'));
    chmodSync(join(dir, 'usr/local/bin/isolab-probe'), 0o755);
  }
  for (const tool of tools) {
    const target = join(dir, 'usr/local/bin', basename(tool));
    copyFileSync(tool, target);
    if (SETUID_ROOT.has(basename(tool))) {
      // chown first: changing a file's owner clears its set-user-ID bit.
      if (asRoot) chownSync(target, 0, 0);
      chmodSync(target, 0o6755);
    } else chmodSync(target, 0o755);
  }
  for (const script of SCRIPTS) {
    copyFileSync(join(SCRIPTS_DIR, script), join(dir, 'usr/local/bin', script));
    chmodSync(join(dir, 'usr/local/bin', script), 0o755);
  }
  writeFileSync(join(dir, STAMP), `${stamp}\n`);
  chmodSync(join(dir, STAMP), 0o644);
}

/**
 * Builds the busybox image at outDir unless an identical one is already there.
 * Returns { outDir, built } (built = false when the stamp matched).
 */
export async function ensureRootfs({ outDir, busybox = '/bin/busybox', probe, tools = [] } = {}) {
  if (!outDir) throw new Error('ensureRootfs: outDir is required');
  outDir = resolve(outDir);
  if (!existsSync(busybox)) {
    throw new Error(`${busybox} is missing: the containers' root filesystem is made from busybox. Install it with: apt-get install busybox-static`);
  }
  if (probe && !existsSync(probe)) {
    throw new Error(`the probe ${probe} is missing: build native/ first (node-gyp rebuild in native/)`);
  }
  for (const tool of tools) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: build native/ first (node-gyp rebuild in native/)`);
  }
  const stamp = imageHash(busybox, probe, tools);
  const stampFile = join(outDir, STAMP);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) return { outDir, built: false };

  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const fresh = join(parent, `.${basename(outDir)}.new-${suffix}`);
  const old = join(parent, `.${basename(outDir)}.old-${suffix}`);
  try {
    build(fresh, busybox, probe, tools, stamp);
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(fresh, outDir);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  return { outDir, built: true };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir, probe, ...tools] = process.argv.slice(2);
  if (!outDir) {
    process.stderr.write('usage: node scripts/rootfs.mjs OUTDIR [PROBE [TOOL...]]\n');
    process.exit(2);
  }
  try {
    const { built } = await ensureRootfs({ outDir, probe, tools });
    process.stdout.write(`${built ? 'built' : 'up to date'}: ${resolve(outDir)}\n`);
  } catch (err) {
    process.stderr.write(`rootfs: ${err.message}\n`);
    process.exit(1);
  }
}
