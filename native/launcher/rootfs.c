/* The container's own root filesystem: a copy-on-write view of a read-only image, dressed with the
 * kernel filesystems a program expects (/proc, /dev, /sys), then made "/" with pivot_root (or, to
 * show why that matters, only chroot). Then what Docker adds: --tmpfs mounts, masked and read-only
 * paths, a read-only root. Everything here happens in the container's private mount namespace:
 * when its last process exits, the kernel unmounts it all. The only things on the host are the
 * directories of --overlay-upper, which the parent prepares and removes (lab_fs_prepare). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

/* ---- what the options asked for (parsed at the bottom of this file) ---- */

enum root_mode { ROOT_UNSET, ROOT_HOST, ROOT_CHROOT, ROOT_PIVOT };
static enum root_mode root_mode = ROOT_UNSET;

#define LAB_MAX_LAYERS 16
static const char *layers[LAB_MAX_LAYERS]; /* --layer DIR, bottom first, as given */
static char *layer_real[LAB_MAX_LAYERS];   /* the same, resolved on the host (realpath) */
static int layer_count;

static const char *upper;         /* --overlay-upper DIR, or NULL: upper layer on a tmpfs */
static char *upper_real;          /* DIR resolved on the host */
static bool upper_remove;         /* --overlay-upper-remove */
static char upper_work[PATH_MAX];   /* DIR's sibling "work": overlayfs's own scratch */
static char upper_merged[PATH_MAX]; /* DIR's sibling "merged": where the overlay is mounted */

static bool read_only; /* --read-only */

#define LAB_MAX_TMPFS 16
static struct lab_tmpfs {
	char path[256];
	unsigned long flags;
	char data[160];
} tmpfs_mounts[LAB_MAX_TMPFS]; /* --tmpfs PATH[:OPTIONS] */
static int tmpfs_count;

#define LAB_MAX_PATHS 32
struct lab_path_list {
	bool docker_default; /* "default": Docker's list */
	const char *paths[LAB_MAX_PATHS];
	int count;
};
static struct lab_path_list masked_paths;   /* --masked-paths */
static struct lab_path_list readonly_paths; /* --readonly-paths */

static unsigned long propagation = MS_PRIVATE; /* --propagation */

/* ---- the image ---- */

/* Refuses an image (or layer) that someone other than root could change under every container. */
static const char *image_problem(const char *option, const char *dir, const struct stat *st)
{
	if (dir[0] != '/')
		return lab_problem("%s \"%s\": must be an absolute path", option, dir);
	if (strcmp(dir, "/") == 0)
		return lab_problem("%s /: the host's root is not an image", option);
	if (!S_ISDIR(st->st_mode))
		return lab_problem("%s \"%s\": not a directory", option, dir);
	if (st->st_uid != 0)
		return lab_problem("%s \"%s\": must be owned by root (owner is uid %u)",
				   option, dir, (unsigned)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return lab_problem("%s \"%s\": must not be group- or world-writable (mode %04o)", option, dir,
				   (unsigned)(st->st_mode & 07777));
	return NULL;
}

void lab_rootfs_check(const char *dir, int dir_fd)
{
	struct stat st;
	if (fstat(dir_fd, &st) < 0)
		die_with_error("args", "fstat(\"%s\")", dir);
	const char *problem = image_problem("--rootfs", dir, &st);
	if (problem != NULL)
		die("args", "%s", problem);
}

/* The writable layer, when it is not on the host, lives in RAM: a learner filling the disk fills
 * this instead. */
#define LAB_SCRATCH_OPTIONS "size=64m,mode=0755"
/* The kernel copies at most a page of mount options. */
#define LAB_OVERLAY_OPTIONS_MAX 4096
static char scratch_upper[PATH_MAX];
static char scratch_work[PATH_MAX];
static char scratch_merged[PATH_MAX];

/* Step 1. Stand in the image directory. From here on "." is the image, whatever later covers its
 * path. (chdir by path, not fchdir(image_fd): that fd was opened before clone() and names the
 * image through the host's mount namespace, which overlayfs refuses as a layer.) */
static void stand_in_image(const char *step, const char *image, int image_fd)
{
	struct stat checked;
	struct stat here;
	if (chdir(image) < 0)
		die_with_error(step, "chdir(\"%s\")", image);
	if (fstat(image_fd, &checked) < 0 || stat(".", &here) < 0)
		die_with_error(step, "stat(\"%s\")", image);
	if (checked.st_dev != here.st_dev || checked.st_ino != here.st_ino)
		die(step, "--rootfs \"%s\" was replaced after it was checked", image);
}

/* Step 2, without --overlay-upper. Cover the image's own path with an empty tmpfs, in this mount
 * namespace only: the host's view of the image is untouched, our working directory still holds
 * the image underneath, and no other path (a --layer anywhere, the host's /tmp) is hidden. The
 * upper layer, overlayfs's work directory and the mount point of the merged view go on it. */
static void mount_scratch(const char *image)
{
	snprintf(scratch_upper, sizeof(scratch_upper), "%s/upper", image);
	snprintf(scratch_work, sizeof(scratch_work), "%s/work", image);
	snprintf(scratch_merged, sizeof(scratch_merged), "%s/merged", image);
	if (mount("isolab-scratch", image, "tmpfs", 0, LAB_SCRATCH_OPTIONS) < 0)
		die_with_error("rootfs_tmpfs", "mount(\"tmpfs\", \"%s\", \"%s\")", image, LAB_SCRATCH_OPTIONS);
	if (mkdir(scratch_upper, 0755) < 0)
		die_with_error("rootfs_tmpfs", "mkdir(\"%s\")", scratch_upper);
	if (mkdir(scratch_work, 0755) < 0)
		die_with_error("rootfs_tmpfs", "mkdir(\"%s\")", scratch_work);
	if (mkdir(scratch_merged, 0755) < 0)
		die_with_error("rootfs_tmpfs", "mkdir(\"%s\")", scratch_merged);
}

/* Step 3. The overlay. Reads fall through the lower layers, top first: each --layer (the last
 * given on top), then the image ("." : where we stand). Writes land in upperdir; deleting a file
 * of a lower layer leaves a "whiteout" there (a 0:0 character device). workdir is overlayfs's own
 * scratch, on the same filesystem as upperdir. merged is the combined view. */
static void mount_overlay(const char *upperdir, const char *workdir, const char *merged, unsigned long ns_flags)
{
	char options[LAB_OVERLAY_OPTIONS_MAX];
	size_t len = (size_t)snprintf(options, sizeof(options), "lowerdir=");
	for (int i = layer_count - 1; i >= 0; i--)
		len += (size_t)snprintf(options + len, sizeof(options) - len, "%s:", layer_real[i]);
	len += (size_t)snprintf(options + len, sizeof(options) - len, ".,upperdir=%s,workdir=%s", upperdir, workdir);
	/* Overlayfs records deleted and replaced directories in extended attributes on the upper
	 * layer: trusted.overlay.*, which only the host's root may set. Root of a user namespace is
	 * not: "userxattr" has it use user.overlay.* instead (tmpfs keeps those). */
	if (ns_flags & CLONE_NEWUSER)
		len += (size_t)snprintf(options + len, sizeof(options) - len, ",userxattr");
	if (len >= sizeof(options))
		die("rootfs_overlay", "overlay options longer than %zu bytes", sizeof(options) - 1);
	if (mount("overlay", merged, "overlay", 0, options) < 0)
		die_with_error("rootfs_overlay", "mount(\"overlay\", \"%s\", \"%s\")", merged, options);
	/* From here on every path is relative to the new root-to-be. */
	if (chdir(merged) < 0)
		die_with_error("rootfs_overlay", "chdir(\"%s\")", merged);
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
	/* In a learner's machine, sharing its network: a sysfs of the machine's (machine.c). */
	if (!(ns_flags & CLONE_NEWNET) && lab_machine_take_sysfs("sys"))
		return;
	if (ns_flags & CLONE_NEWNET) {
		if (mount("sysfs", "sys", "sysfs", ro, NULL) < 0)
			die_with_error("sysfs", "mount(\"sysfs\", \"sys\", MS_RDONLY)");
		return;
	}
	if (ns_flags & CLONE_NEWUSER) {
		/* A user namespace may not bind /sys alone: that would uncover what the host's mounts
		 * below it (cgroup, ...) hide. It takes them all, and makes them all read-only. */
		struct mount_attr ro_all = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
		if (mount("/sys", "sys", NULL, MS_BIND | MS_REC, NULL) < 0)
			die_with_error("sysfs", "mount(\"/sys\", \"sys\", MS_BIND|MS_REC)");
		if (mount_setattr(AT_FDCWD, "sys", AT_RECURSIVE, &ro_all, sizeof(ro_all)) < 0)
			die_with_error("sysfs", "mount_setattr(\"sys\", AT_RECURSIVE, MOUNT_ATTR_RDONLY)");
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

/* Step 9, --root-mode chroot. chroot(".") changes where path lookups start for "/", and nothing
 * else: the host's tree stays mounted in this namespace, and a process that keeps CAP_SYS_CHROOT
 * can climb back out of it (isolab-chroot-escape shows how). A lesson, not a boundary. */
static void chroot_to_cwd(void)
{
	if (chroot(".") < 0)
		die_with_error("rootfs_chroot", "chroot(\".\")");
	if (chdir("/") < 0)
		die_with_error("rootfs_chroot", "chdir(\"/\")");
}

/* With a user namespace the image comes as an idmapped mount (userns.c): its host-root files show
 * as the container's root. The container's root is an ordinary user on the host and may not even
 * reach the image's path, so the scratch goes on /tmp, which everyone can reach (covered in this
 * mount namespace only), and the image is attached there by the descriptor the parent made. */
#define LAB_USERNS_SCRATCH "/tmp"

void lab_rootfs_enter(const char *image, int image_fd, unsigned long ns_flags)
{
	if (lab_userns_image_idmapped()) {
		lab_step("rootfs_tmpfs");
		mount_scratch(LAB_USERNS_SCRATCH);
		lab_userns_attach_image(LAB_USERNS_SCRATCH "/lower");
		if (chdir(LAB_USERNS_SCRATCH "/lower") < 0)
			die_with_error("idmap_attach", "chdir(\"" LAB_USERNS_SCRATCH "/lower\")");
		lab_step("rootfs_overlay");
		mount_overlay(scratch_upper, scratch_work, scratch_merged, ns_flags);
	} else if (upper == NULL) {
		lab_step("rootfs_tmpfs");
		stand_in_image("rootfs_tmpfs", image, image_fd);
		mount_scratch(image);
		lab_step("rootfs_overlay");
		mount_overlay(scratch_upper, scratch_work, scratch_merged, ns_flags);
	} else {
		lab_step("rootfs_overlay");
		stand_in_image("rootfs_overlay", image, image_fd);
		mount_overlay(upper_real, upper_work, upper_merged, ns_flags);
	}
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
	/* Still on the host's side of the root switch: without a cgroup namespace it binds the
	 * container's cgroup directories from the host's /sys/fs/cgroup. */
	lab_cgroup_mount_inside("sys/fs/cgroup");
	if (root_mode == ROOT_CHROOT) {
		lab_step("rootfs_chroot");
		chroot_to_cwd();
	} else {
		lab_step("pivot_root");
		pivot_to_cwd();
	}
}

/* ---- after the root is in place: paths from here on are the container's ---- */

/* Docker's masked paths (moby daemon/pkg/oci/defaults.go), plus, as moby does, each CPU's
 * thermal_throttle directory (mask_thermal_throttle). */
static const char *const docker_masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap",
	"/sys/firmware", NULL,
};
/* Docker's read-only paths: the kernel's knobs stay readable, not writable. */
static const char *const docker_readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* /sys/devices/system/cpu/cpuN/thermal_throttle for every possible CPU N, as moby masks them
 * (advisory GHSA-6fw5-f8r9-fgfm). "possible" reads like "0-3,8". */
static void mask_thermal_throttle(void)
{
	char list[256];
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	if (f == NULL)
		return; /* no CPU list in this /sys: nothing to mask */
	bool got = fgets(list, sizeof(list), f) != NULL;
	fclose(f);
	if (!got)
		return;
	for (char *range = strtok(list, ",\n"); range != NULL; range = strtok(NULL, ",\n")) {
		unsigned first, last;
		int n = sscanf(range, "%u-%u", &first, &last);
		if (n == 1)
			last = first;
		if (n < 1 || last < first || last > 8191)
			continue;
		for (unsigned cpu = first; cpu <= last; cpu++) {
			char path[96];
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/thermal_throttle", cpu);
			lab_mount_mask(path);
		}
	}
}

static void apply_tmpfs_mounts(void)
{
	if (tmpfs_count == 0)
		return;
	lab_step("tmpfs");
	for (int i = 0; i < tmpfs_count; i++)
		lab_mount_tmpfs(tmpfs_mounts[i].path, tmpfs_mounts[i].flags, tmpfs_mounts[i].data);
}

static void apply_readonly_paths(void)
{
	if (!readonly_paths.docker_default && readonly_paths.count == 0)
		return;
	lab_step("readonly_paths");
	for (int i = 0; readonly_paths.docker_default && docker_readonly_paths[i] != NULL; i++)
		lab_mount_read_only(docker_readonly_paths[i]);
	for (int i = 0; i < readonly_paths.count; i++)
		lab_mount_read_only(readonly_paths.paths[i]);
}

static void apply_masked_paths(void)
{
	if (!masked_paths.docker_default && masked_paths.count == 0)
		return;
	lab_step("masked_paths");
	for (int i = 0; masked_paths.docker_default && docker_masked_paths[i] != NULL; i++)
		lab_mount_mask(docker_masked_paths[i]);
	if (masked_paths.docker_default)
		mask_thermal_throttle();
	for (int i = 0; i < masked_paths.count; i++)
		lab_mount_mask(masked_paths.paths[i]);
}

/* --read-only: the container's "/" becomes read-only, last, once every mount point it needs
 * exists. The image was never writable through the overlay; now the upper layer is not either. */
static void make_root_read_only(void)
{
	if (!read_only)
		return;
	lab_step("readonly_root");
	lab_mount_remount_read_only("readonly_root", "/");
}

void lab_fs_enter(const char *image, int image_fd, unsigned long flags)
{
	if (image != NULL) {
		lab_rootfs_enter(image, image_fd, flags);
	} else if ((flags & CLONE_NEWNS) && (flags & CLONE_NEWPID)) {
		lab_step("proc");
		lab_mount_proc("/proc");
	}
	apply_tmpfs_mounts();
	apply_readonly_paths();
	apply_masked_paths();
	make_root_read_only();
}

/* ---- the host's side of --overlay-upper (the parent, before clone) ---- */

/* Removes PATH and everything below it, on this filesystem only (FTW_MOUNT), never following a
 * symbolic link (FTW_PHYS). A clean-up cannot fail the container any more: it warns. */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) < 0)
		lab_say("clean-up: remove(\"%s\"): %s", path, strerrordesc_np(errno));
	return 0;
}

static void remove_tree(const char *path)
{
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		lab_say("clean-up: nftw(\"%s\"): %s", path, strerrordesc_np(errno));
}

static void remove_upper_dirs(void)
{
	remove_tree(upper_merged);
	remove_tree(upper_work);
	if (upper_remove)
		remove_tree(upper_real);
}

/* The upper layer on the host, so the host can watch copy-on-write happen: DIR (checked empty and
 * root's) gets the image root's mode (overlayfs shows the upper directory's attributes as the
 * container's "/"), and two siblings: "work", overlayfs's scratch, and "merged", where the child
 * mounts the overlay. On the host, merged stays an empty directory: the mount lives only in the
 * container's mount namespace (the host sees the merged view through /proc/PID/root). */
void lab_fs_prepare(const char *image)
{
	if (upper == NULL)
		return;
	/* Registered first: whatever fails from here on, the parent takes all of it away again. */
	lab_on_cleanup(remove_upper_dirs);
	lab_step("overlay_upper");
	const char *top = layer_count > 0 ? layer_real[layer_count - 1] : image;
	struct stat st;
	if (stat(top, &st) < 0)
		die_with_error("overlay_upper", "stat(\"%s\")", top);
	if (chmod(upper_real, st.st_mode & 07777) < 0)
		die_with_error("overlay_upper", "chmod(\"%s\", %04o)", upper_real, (unsigned)(st.st_mode & 07777));
	if (mkdir(upper_work, 0700) < 0)
		die_with_error("overlay_upper", "mkdir(\"%s\")", upper_work);
	if (mkdir(upper_merged, 0755) < 0)
		die_with_error("overlay_upper", "mkdir(\"%s\")", upper_merged);
}

/* ---- options ---- */

unsigned long lab_fs_propagation(void)
{
	return propagation;
}

static const char *parse_root_mode(const struct lab_option *option, const char *value)
{
	(void)option;
	if (strcmp(value, "host") == 0)
		root_mode = ROOT_HOST;
	else if (strcmp(value, "chroot") == 0)
		root_mode = ROOT_CHROOT;
	else if (strcmp(value, "pivot") == 0)
		root_mode = ROOT_PIVOT;
	else
		return "--root-mode: expected host, chroot or pivot";
	return NULL;
}

static const char *parse_layer(const struct lab_option *option, const char *value)
{
	(void)option;
	if (layer_count == LAB_MAX_LAYERS)
		return "--layer: at most 16 layers";
	layers[layer_count++] = value;
	return NULL;
}

static const char *parse_overlay_upper(const struct lab_option *option, const char *value)
{
	(void)option;
	upper = value;
	return NULL;
}

/* A path inside the container: absolute, at most 255 bytes, no empty, "." or ".." component, no
 * ':' or ',' (the separators of these options) and no control character. */
static const char *container_path_problem(const char *option, const char *path, size_t len)
{
	const char *why = NULL;
	if (len == 0 || path[0] != '/')
		why = "must be an absolute path";
	else if (len == 1)
		why = "cannot be \"/\" itself";
	else if (len > 255)
		why = "longer than 255 bytes";
	for (size_t i = 0; why == NULL && i < len; i++) {
		if (path[i] == ':' || path[i] == ',' || (unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			why = "must not contain ':', ',' or control characters";
		if (path[i] == '/') {
			size_t end = i + 1;
			while (end < len && path[end] != '/')
				end++;
			size_t n = end - i - 1;
			if (n == 0 || (n == 1 && path[i + 1] == '.') || (n == 2 && path[i + 1] == '.' && path[i + 2] == '.'))
				why = "must not have an empty, \".\" or \"..\" component";
		}
	}
	if (why == NULL)
		return NULL;
	return lab_problem("%s \"%.*s\": %s", option, (int)(len > 300 ? 300 : len), path, why);
}

/* --masked-paths and --readonly-paths: "default" (Docker's list), "none", or P1:P2:..., into the
 * list that is the target. */
static const char *parse_path_list(const struct lab_option *option, const char *value)
{
	struct lab_path_list *list = option->target;
	*list = (struct lab_path_list){ .docker_default = false };
	if (strcmp(value, "default") == 0) {
		list->docker_default = true;
		return NULL;
	}
	if (strcmp(value, "none") == 0)
		return NULL;
	char *copy = strdup(value);
	if (copy == NULL)
		return "out of memory";
	for (char *path = copy;; path++) {
		char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);
		const char *problem = container_path_problem(option->name, path, len);
		if (problem != NULL)
			return problem;
		if (list->count == LAB_MAX_PATHS)
			return "at most 32 paths";
		list->paths[list->count++] = path;
		if (colon == NULL)
			return NULL;
		*colon = '\0';
		path = colon;
	}
}


/* A tmpfs size or inode count: a positive decimal number, optionally k, m or g. (0 would mean
 * "unlimited" to tmpfs, so it is refused; so is the %-of-RAM form. No leading 0 either: the
 * kernel reads these with memparse(), to which "010m" is octal.) */
static bool is_tmpfs_amount(const char *s)
{
	uint64_t v;
	const char *end = *s == '0' ? NULL : lab_scan_u64(s, UINT64_MAX, &v);
	if (end == NULL)
		return false;
	if (*end == 'k' || *end == 'K' || *end == 'm' || *end == 'M' || *end == 'g' || *end == 'G')
		end++;
	return *end == '\0';
}

/* One of the tmpfs option words docker's --tmpfs accepts (as mount(8) spells them). */
static const char *tmpfs_option(struct lab_tmpfs *t, const char *word, bool *sized)
{
	static const struct {
		const char *word;
		unsigned long flag;
		bool set;
	} flags[] = {
		{ "ro", MS_RDONLY, true }, { "rw", MS_RDONLY, false }, { "noexec", MS_NOEXEC, true },
		{ "exec", MS_NOEXEC, false }, { "nosuid", MS_NOSUID, true }, { "suid", MS_NOSUID, false },
		{ "nodev", MS_NODEV, true }, { "dev", MS_NODEV, false }, { "noatime", MS_NOATIME, true },
		{ "atime", MS_NOATIME, false },
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(word, flags[i].word) == 0) {
			t->flags = flags[i].set ? (t->flags | flags[i].flag) : (t->flags & ~flags[i].flag);
			return NULL;
		}
	}
	const char *eq = strchr(word, '=');
	const char *v = eq ? eq + 1 : "";
	size_t key = eq ? (size_t)(eq - word) : strlen(word);
	bool ok;
	uint64_t id; /* uid=, gid=: checked here, handed to the kernel as written */
	if (key == 4 && strncmp(word, "size", 4) == 0)
		ok = *sized = is_tmpfs_amount(v);
	else if (key == 9 && strncmp(word, "nr_inodes", 9) == 0)
		ok = is_tmpfs_amount(v);
	else if (key == 4 && strncmp(word, "mode", 4) == 0)
		ok = strlen(v) >= 1 && strlen(v) <= 4 && strspn(v, "01234567") == strlen(v);
	else if ((key == 3 && strncmp(word, "uid", 3) == 0) || (key == 3 && strncmp(word, "gid", 3) == 0))
		ok = lab_parse_u64(v, 0, UINT32_MAX, &id);
	else
		return "--tmpfs: unknown option (allowed: ro, rw, exec, noexec, suid, nosuid, dev, nodev, atime, noatime, "
		       "size=N[k|m|g], nr_inodes=N[k|m|g], mode=OCTAL, uid=N, gid=N)";
	if (!ok)
		return "--tmpfs: bad value (size and nr_inodes: a positive number with an optional k, m or g; mode: octal; "
		       "uid, gid: a number)";
	size_t len = strlen(t->data);
	if (len + strlen(word) + 2 > sizeof(t->data))
		return "--tmpfs: options too long";
	snprintf(t->data + len, sizeof(t->data) - len, "%s%s", len ? "," : "", word);
	return NULL;
}

/* --tmpfs PATH[:OPTIONS], as docker: e.g. /tmp:rw,size=64m,noexec. Defaults: nosuid, nodev,
 * noexec, and size=64m (a tmpfs is RAM: docker's is unlimited, ours is not). */
static const char *parse_tmpfs(const struct lab_option *option, const char *value)
{
	(void)option;
	if (tmpfs_count == LAB_MAX_TMPFS)
		return "--tmpfs: at most 16 mounts";
	struct lab_tmpfs *t = &tmpfs_mounts[tmpfs_count];
	*t = (struct lab_tmpfs){ .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC };
	const char *colon = strchr(value, ':');
	size_t len = colon ? (size_t)(colon - value) : strlen(value);
	const char *problem = container_path_problem("--tmpfs", value, len);
	if (problem != NULL)
		return problem;
	memcpy(t->path, value, len);
	for (int i = 0; i < tmpfs_count; i++)
		if (strcmp(tmpfs_mounts[i].path, t->path) == 0)
			return "--tmpfs: the same path twice";
	if (strcmp(t->path, "/proc") == 0 || strncmp(t->path, "/proc/", 6) == 0 || strcmp(t->path, "/sys") == 0 ||
	    strncmp(t->path, "/sys/", 5) == 0)
		return "--tmpfs: not over /proc or /sys (the kernel's views, and the masked paths live there)";
	bool sized = false;
	if (colon != NULL) {
		char words[256];
		if (snprintf(words, sizeof(words), "%s", colon + 1) >= (int)sizeof(words))
			return "--tmpfs: options too long";
		char *save = NULL;
		for (char *word = strtok_r(words, ",", &save); word != NULL; word = strtok_r(NULL, ",", &save)) {
			problem = tmpfs_option(t, word, &sized);
			if (problem != NULL)
				return problem;
		}
	}
	if (!sized) {
		size_t used = strlen(t->data);
		snprintf(t->data + used, sizeof(t->data) - used, "%ssize=64m", used ? "," : "");
	}
	tmpfs_count++;
	return NULL;
}

static const char *parse_propagation(const struct lab_option *option, const char *value)
{
	(void)option;
	if (strcmp(value, "private") == 0)
		propagation = MS_PRIVATE;
	else if (strcmp(value, "slave") == 0)
		propagation = MS_SLAVE;
	else if (strcmp(value, "shared") == 0)
		return "--propagation shared: refused: every mount the launcher makes (the overlay, /proc, /dev) "
		       "would appear on the host; expected private or slave";
	else
		return "--propagation: expected private or slave";
	return NULL;
}

static const struct lab_option fs_options[] = {
	{ "--root-mode", true, parse_root_mode, NULL, 0 },
	{ "--layer", true, parse_layer, NULL, 0 },
	{ "--overlay-upper", true, parse_overlay_upper, NULL, 0 },
	{ "--overlay-upper-remove", false, lab_option_flag, &upper_remove, 0 },
	{ "--read-only", false, lab_option_flag, &read_only, 0 },
	{ "--tmpfs", true, parse_tmpfs, NULL, 0 },
	{ "--masked-paths", true, parse_path_list, &masked_paths, 0 },
	{ "--readonly-paths", true, parse_path_list, &readonly_paths, 0 },
	{ "--propagation", true, parse_propagation, NULL, 0 },
	{ NULL },
};

/* A is B or lies below it. */
static bool path_within(const char *a, const char *b)
{
	size_t n = strlen(b);
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
}

static const char *layers_problem(const char *image)
{
	for (int i = 0; i < layer_count; i++) {
		struct stat st;
		if (stat(layers[i], &st) < 0) {
			return lab_problem("--layer \"%s\": %s", layers[i], strerrordesc_np(errno));
		}
		const char *why = image_problem("--layer", layers[i], &st);
		if (why != NULL)
			return why;
		layer_real[i] = realpath(layers[i], NULL);
		if (layer_real[i] == NULL || strpbrk(layer_real[i], ",:\\") != NULL) {
			return lab_problem("--layer \"%s\": must resolve to a path without ',', ':' or '\\'",
					   layers[i]);
		}
		if (image != NULL && (path_within(layer_real[i], image) || path_within(image, layer_real[i]))) {
			return lab_problem("--layer \"%s\": overlaps the image --rootfs", layers[i]);
		}
		for (int j = 0; j < i; j++) {
			if (path_within(layer_real[i], layer_real[j]) || path_within(layer_real[j], layer_real[i])) {
				return lab_problem("--layer \"%s\": overlaps --layer \"%s\"", layers[i], layers[j]);
			}
		}
	}
	return NULL;
}

static bool is_empty_dir(const char *path)
{
	DIR *dir = opendir(path);
	if (dir == NULL)
		return false;
	struct dirent *entry;
	int entries = 0;
	while ((entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			entries++;
	closedir(dir);
	return entries == 0;
}

/* --overlay-upper DIR: an empty directory of root's, in a directory only root can enter, with no
 * "work" or "merged" beside it yet; not inside (or around) the image or a layer. */
static const char *upper_problem(const char *image)
{
	struct stat st;
	struct stat parent_st;
	char parent[PATH_MAX];
	const char *why = NULL;
	upper_real = upper[0] == '/' ? realpath(upper, NULL) : NULL;
	if (upper[0] != '/')
		why = "must be an absolute path";
	else if (upper_real == NULL || lstat(upper_real, &st) < 0)
		why = "must be an existing directory";
	else if (strpbrk(upper_real, ",:\\") != NULL)
		why = "must not contain ',', ':' or '\\' (overlayfs's option syntax)";
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	else if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		why = "must be owned by root and not group- or world-writable";
	else if (!is_empty_dir(upper_real))
		why = "must be empty (a fresh directory for each container)";
	else if (strcmp(strrchr(upper_real, '/') + 1, "work") == 0 || strcmp(strrchr(upper_real, '/') + 1, "merged") == 0)
		why = "cannot be named work or merged (the launcher creates those beside it)";
	else if (image != NULL && (path_within(upper_real, image) || path_within(image, upper_real)))
		why = "overlaps the image --rootfs";
	for (int i = 0; why == NULL && i < layer_count; i++)
		if (path_within(upper_real, layer_real[i]) || path_within(layer_real[i], upper_real))
			why = "overlaps a --layer";
	if (why == NULL) {
		int parent_len = (int)(strrchr(upper_real, '/') - upper_real);
		snprintf(parent, sizeof(parent), "%.*s", parent_len, upper_real);
		if (snprintf(upper_work, sizeof(upper_work), "%s/work", parent) >= (int)sizeof(upper_work) ||
		    snprintf(upper_merged, sizeof(upper_merged), "%s/merged", parent) >= (int)sizeof(upper_merged))
			why = "path too long";
		else if (parent_len == 0 || lstat(parent, &parent_st) < 0 || !S_ISDIR(parent_st.st_mode) ||
			 parent_st.st_uid != 0 || (parent_st.st_mode & 077) != 0)
			why = "its parent directory must be root's, mode 0700 (nobody else may reach the upper layer)";
		else if (access(upper_work, F_OK) == 0 || access(upper_merged, F_OK) == 0)
			why = "\"work\" or \"merged\" already exists beside it";
	}
	if (why == NULL)
		return NULL;
	return lab_problem("--overlay-upper \"%s\": %s", upper, why);
}

/* What mount_overlay will write: the kernel takes at most a page of mount options. */
static size_t overlay_options_length(const char *image)
{
	size_t len = strlen("lowerdir=.,upperdir=,workdir=");
	for (int i = 0; i < layer_count; i++)
		len += strlen(layer_real[i]) + 1;
	if (upper != NULL)
		return len + strlen(upper_real) + strlen(upper_work);
	return len + 2 * strlen(image) + strlen("/upper/work");
}

static const char *fs_validate(const struct lab_config *cfg)
{
	const bool has_mount_ns = cfg->clone_flags & CLONE_NEWNS;
	bool paths = masked_paths.docker_default || masked_paths.count || readonly_paths.docker_default ||
		     readonly_paths.count;
	if (cfg->join_pid && (root_mode != ROOT_UNSET || layer_count || upper || upper_remove || read_only ||
			      tmpfs_count || paths || propagation != MS_PRIVATE))
		return "--join enters an existing container: its root filesystem options (--root-mode, --layer, "
		       "--overlay-upper, --read-only, --tmpfs, --masked-paths, --readonly-paths, --propagation) do not apply";
	if (root_mode == ROOT_UNSET)
		root_mode = cfg->rootfs ? ROOT_PIVOT : ROOT_HOST;
	if (root_mode == ROOT_HOST && cfg->rootfs)
		return "--root-mode host keeps the host's root: it does not go with --rootfs";
	if (root_mode != ROOT_HOST && !cfg->rootfs)
		return "--root-mode chroot and pivot need --rootfs DIR";
	if (!cfg->rootfs && (layer_count || upper || read_only || tmpfs_count))
		return "--layer, --overlay-upper, --read-only and --tmpfs need --rootfs DIR (they shape the container's own root)";
	if (upper_remove && !upper)
		return "--overlay-upper-remove needs --overlay-upper DIR";
	/* The container's root could neither read a layer nor write an upper directory of host root's
	 * as its own (only the image gets an idmapped mount, userns.c). */
	if ((cfg->clone_flags & CLONE_NEWUSER) && (layer_count || upper))
		return "--layer and --overlay-upper do not go with --unshare user (only the image is idmapped)";
	if (!has_mount_ns && (paths || propagation != MS_PRIVATE))
		return "--masked-paths, --readonly-paths and --propagation need the mount namespace (--unshare mount)";
	if (!cfg->rootfs || cfg->rootfs[0] != '/')
		return NULL; /* main.c reports a bad --rootfs */
	if (upper == NULL && strpbrk(cfg->rootfs, ",:\\") != NULL)
		return "--rootfs: a path with ',', ':' or '\\' cannot name the scratch upper layer in overlayfs's options";
	char *image = realpath(cfg->rootfs, NULL); /* missing: main.c reports it */
	const char *problem = layers_problem(image);
	if (problem == NULL && upper != NULL)
		problem = upper_problem(image);
	if (problem == NULL && overlay_options_length(cfg->rootfs) >= LAB_OVERLAY_OPTIONS_MAX)
		problem = "--layer, --overlay-upper: the overlay's options (every layer's path) exceed 4095 bytes";
	free(image);
	return problem;
}

const struct lab_module lab_fs_module = { "fs", fs_options, fs_validate };
