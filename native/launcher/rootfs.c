/* The container's own root filesystem: a throwaway copy-on-write view of a read-only image,
 * dressed with the kernel filesystems a program expects (/proc, /dev, /sys), then made "/" with
 * pivot_root. Everything here happens in the container's private mount namespace: when its last
 * process exits, the kernel unmounts it all and nothing is left on the host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

/* The writable layer lives in RAM: a learner filling the disk fills this instead. */
#define LAB_SCRATCH_OPTIONS "size=64m,mode=0755"

/* Refuses an image that someone other than root could change under every container. */
void lab_rootfs_check(const char *dir, int dir_fd)
{
	struct stat st;
	if (dir[0] != '/')
		die("args", "--rootfs \"%s\": must be an absolute path", dir);
	if (strcmp(dir, "/") == 0)
		die("args", "--rootfs /: the host's root is not an image");
	if (fstat(dir_fd, &st) < 0)
		die_with_error("args", "fstat(\"%s\")", dir);
	if (st.st_uid != 0)
		die("args", "--rootfs \"%s\": must be owned by root (owner is uid %u)", dir, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		die("args", "--rootfs \"%s\": must not be group- or world-writable (mode %04o)", dir,
		    (unsigned)(st.st_mode & 07777));
}

/* Where the scratch tmpfs goes. Any directory will do that is not the image itself (the kernel
 * refuses an overmounted lowerdir); /tmp exists on every host, and the image cannot be /tmp
 * (world-writable, refused above). Covered in this mount namespace only: the host's /tmp is
 * untouched, and after pivot_root the container no longer sees this place at all. */
#define LAB_SCRATCH "/tmp"
#define LAB_OVERLAY_OPTIONS "lowerdir=.,upperdir=" LAB_SCRATCH "/upper,workdir=" LAB_SCRATCH "/work"

/* Step 1. Stand in the image directory, then cover /tmp with an empty tmpfs. Our working directory
 * keeps pointing at the image even if /tmp hid its path (an image under /tmp), so "." keeps
 * meaning the image. (chdir by path, not fchdir(image_fd): that fd was opened before clone() and
 * names the image through the host's mount namespace, which overlayfs refuses as a layer.) */
static void mount_scratch(const char *image, int image_fd)
{
	struct stat checked;
	struct stat here;
	if (chdir(image) < 0)
		die_with_error("rootfs_tmpfs", "chdir(\"%s\")", image);
	if (fstat(image_fd, &checked) < 0 || stat(".", &here) < 0)
		die_with_error("rootfs_tmpfs", "stat(\"%s\")", image);
	if (checked.st_dev != here.st_dev || checked.st_ino != here.st_ino)
		die("rootfs_tmpfs", "--rootfs \"%s\" was replaced after it was checked", image);
	if (mount("isolab-scratch", LAB_SCRATCH, "tmpfs", 0, LAB_SCRATCH_OPTIONS) < 0)
		die_with_error("rootfs_tmpfs", "mount(\"tmpfs\", \"" LAB_SCRATCH "\", \"%s\")", LAB_SCRATCH_OPTIONS);
}

/* Step 2. The overlay: reads fall through to the image (lowerdir), writes land in upperdir (on
 * the tmpfs), workdir is overlayfs's own scratch. merged is the combined view. */
static void mount_overlay(void)
{
	if (mkdir(LAB_SCRATCH "/upper", 0755) < 0)
		die_with_error("rootfs_overlay", "mkdir(\"" LAB_SCRATCH "/upper\")");
	if (mkdir(LAB_SCRATCH "/work", 0755) < 0)
		die_with_error("rootfs_overlay", "mkdir(\"" LAB_SCRATCH "/work\")");
	if (mkdir(LAB_SCRATCH "/merged", 0755) < 0)
		die_with_error("rootfs_overlay", "mkdir(\"" LAB_SCRATCH "/merged\")");
	/* lowerdir=. is the image: the working directory we stood in before covering /tmp. */
	if (mount("overlay", LAB_SCRATCH "/merged", "overlay", 0, LAB_OVERLAY_OPTIONS) < 0)
		die_with_error("rootfs_overlay", "mount(\"overlay\", \"" LAB_SCRATCH "/merged\", \"%s\")", LAB_OVERLAY_OPTIONS);
	/* From here on every path is relative to the new root-to-be. */
	if (chdir(LAB_SCRATCH "/merged") < 0)
		die_with_error("rootfs_overlay", "chdir(\"" LAB_SCRATCH "/merged\")");
}

/* Step 4. /dev: a small tmpfs with only the harmless devices, each bind-mounted from the host's
 * /dev (a bind mount needs no mknod and keeps the host's device permissions). */
static void mount_dev(void)
{
	static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };
	if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=0755,size=64k") < 0)
		die_with_error("dev", "mount(\"tmpfs\", \"dev\")");
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		char host[64];
		char target[64];
		snprintf(host, sizeof(host), "/dev/%s", devices[i]);
		snprintf(target, sizeof(target), "dev/%s", devices[i]);
		int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			die_with_error("dev", "create \"%s\"", target);
		if (close(fd) < 0)
			die_with_error("dev", "close(\"%s\")", target);
		if (mount(host, target, NULL, MS_BIND, NULL) < 0)
			die_with_error("dev", "mount(\"%s\", \"%s\", MS_BIND)", host, target);
	}
	/* What shells and scripts expect to find next to the devices. */
	if (symlink("/proc/self/fd", "dev/fd") < 0)
		die_with_error("dev", "symlink(\"dev/fd\")");
	if (symlink("/proc/self/fd/0", "dev/stdin") < 0)
		die_with_error("dev", "symlink(\"dev/stdin\")");
	if (symlink("/proc/self/fd/1", "dev/stdout") < 0)
		die_with_error("dev", "symlink(\"dev/stdout\")");
	if (symlink("/proc/self/fd/2", "dev/stderr") < 0)
		die_with_error("dev", "symlink(\"dev/stderr\")");
}

/* Step 5. Pseudo-terminals: a new devpts instance has its own numbering, so the container sees
 * only the terminals opened inside it, never the host's. /dev/ptmx must be its multiplexer. */
static void mount_devpts(void)
{
	if (mkdir("dev/pts", 0755) < 0)
		die_with_error("devpts", "mkdir(\"dev/pts\")");
	if (mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		die_with_error("devpts", "mount(\"devpts\", \"dev/pts\", \"newinstance\")");
	if (symlink("pts/ptmx", "dev/ptmx") < 0)
		die_with_error("devpts", "symlink(\"dev/ptmx\")");
}

/* Step 6. POSIX shared memory (shm_open) lives in files under /dev/shm. */
static void mount_shm(void)
{
	if (mkdir("dev/shm", 01777) < 0)
		die_with_error("shm", "mkdir(\"dev/shm\")");
	if (mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=64m") < 0)
		die_with_error("shm", "mount(\"tmpfs\", \"dev/shm\")");
}

/* Step 7. POSIX message queues belong to the IPC namespace; an mqueue mount shows the queues of
 * the namespace that mounted it. */
static void mount_mqueue(void)
{
	if (mkdir("dev/mqueue", 0755) < 0)
		die_with_error("mqueue", "mkdir(\"dev/mqueue\")");
	if (mount("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_with_error("mqueue", "mount(\"mqueue\", \"dev/mqueue\")");
}

/* Step 8. /sys, read-only. A sysfs mounted from a new network namespace lists that namespace's
 * devices (just lo); without one, a read-only view of the host's is the honest answer. */
static void mount_sys(unsigned long ns_flags)
{
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (ns_flags & CLONE_NEWNET) {
		if (mount("sysfs", "sys", "sysfs", ro, NULL) < 0)
			die_with_error("sysfs", "mount(\"sysfs\", \"sys\", MS_RDONLY)");
		return;
	}
	if (mount("/sys", "sys", NULL, MS_BIND, NULL) < 0)
		die_with_error("sysfs", "mount(\"/sys\", \"sys\", MS_BIND)");
	/* A bind mount takes the read-only flag only on a second, remounting call. */
	if (mount(NULL, "sys", NULL, MS_REMOUNT | MS_BIND | ro, NULL) < 0)
		die_with_error("sysfs", "mount(\"sys\", MS_REMOUNT|MS_BIND|MS_RDONLY)");
}

/* Step 9. Make the overlay "/". pivot_root(".", ".") stacks the old root on top of the new one at
 * the same place; unmounting "." then removes exactly the old root (lazily, MNT_DETACH, since
 * it is busy), and the host's filesystem is out of reach. */
static void pivot_to_cwd(void)
{
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_with_error("pivot_root", "pivot_root(\".\", \".\")");
	if (umount2(".", MNT_DETACH) < 0)
		die_with_error("pivot_root", "umount2(\".\", MNT_DETACH)");
	if (chdir("/") < 0)
		die_with_error("pivot_root", "chdir(\"/\")");
}

void lab_rootfs_enter(const char *image, int image_fd, unsigned long ns_flags)
{
	lab_step("rootfs_tmpfs");
	mount_scratch(image, image_fd);
	lab_step("rootfs_overlay");
	mount_overlay();
	lab_step("proc");
	lab_mount_proc("proc");
	lab_step("dev");
	mount_dev();
	lab_step("devpts");
	mount_devpts();
	lab_step("shm");
	mount_shm();
	if (ns_flags & CLONE_NEWIPC) {
		lab_step("mqueue");
		mount_mqueue();
	}
	lab_step("sysfs");
	mount_sys(ns_flags);
	lab_step("pivot_root");
	pivot_to_cwd();
}

/* ---- options (being written) ---- */
static const struct lab_option fs_options[] = { { NULL, false, NULL } };
const struct lab_module lab_fs_module = { "fs", fs_options, NULL };

void lab_fs_enter(const char *image, int image_fd, unsigned long flags)
{
	if (image != NULL) {
		lab_rootfs_enter(image, image_fd, flags);
	} else if ((flags & CLONE_NEWNS) && (flags & CLONE_NEWPID)) {
		lab_step("proc");
		lab_mount_proc("/proc");
	}
}
