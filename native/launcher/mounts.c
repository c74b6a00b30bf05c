/* The mount namespace: a private copy of the host's mount tree, a /proc that matches the PID
 * namespace, and the single mounts a container is dressed with: a tmpfs, a masked path, a path
 * frozen read-only. Every one of them lives in the container's own mount namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "launcher.h"

/* clone(CLONE_NEWNS) copied the host's mount tree, but mounts marked "shared" (systemd marks them
 * all so) would still propagate: a mount made here would appear on the host. Marking the whole
 * tree private, recursively, cuts every propagation link in both directions. --propagation slave
 * keeps one direction: mounts the host makes later still appear in here, ours never reach it. */
void lab_mount_make_private(void)
{
	unsigned long propagation = lab_fs_propagation();
	if (mount(NULL, "/", NULL, MS_REC | propagation, NULL) < 0)
		die_with_error("mount_private", "mount(NULL, \"/\", MS_REC|%s)",
			       propagation == MS_SLAVE ? "MS_SLAVE" : "MS_PRIVATE");
}

/* /proc shows the processes of the PID namespace that mounted it. The copied /proc is the host's,
 * so ps would still list every host process: mount a fresh one from inside the new namespace. */
void lab_mount_proc(const char *target)
{
	if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_with_error("proc", "mount(\"proc\", \"%s\", \"proc\")", target);
}

/* mkdir -p: a mount needs an existing directory to sit on. */
static void make_mountpoint(const char *step, const char *path)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		die(step, "\"%s\": path too long", path);
	for (char *slash = strchr(dir + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			die_with_error(step, "mkdir(\"%s\")", dir);
		if (slash == NULL)
			return;
		*slash = '/';
	}
}

/* --tmpfs PATH: a filesystem in RAM, writable even on a read-only root, gone with the container. */
void lab_mount_tmpfs(const char *target, unsigned long flags, const char *data)
{
	make_mountpoint("tmpfs", target);
	if (mount("tmpfs", target, "tmpfs", flags, data) < 0)
		die_with_error("tmpfs", "mount(\"tmpfs\", \"%s\", 0x%lx, \"%s\")", target, flags, data);
}

/* A masked path is still there, but shows nothing: a file becomes /dev/null (reads empty, writes
 * vanish), a directory an empty read-only tmpfs. What the kernel would have shown through it (the
 * host's memory in /proc/kcore, its keyrings in /proc/keys, firmware tables) stays hidden. */
void lab_mount_mask(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return; /* not on this kernel: nothing to hide */
		die_with_error("masked_paths", "stat(\"%s\")", path);
	}
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
			die_with_error("masked_paths", "mount(\"tmpfs\", \"%s\", MS_RDONLY)", path);
		return;
	}
	if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0)
		die_with_error("masked_paths", "mount(\"/dev/null\", \"%s\", MS_BIND)", path);
}

/* A remount replaces the mount's flags: the ones it keeps (nosuid, nodev, noexec, the atime
 * policy) must be restated, and in a user namespace dropping a flag the host set is refused. */
static unsigned long kept_flags(const char *step, const char *path)
{
	static const struct {
		unsigned long st, ms;
	} flags[] = {
		{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;
	if (statvfs(path, &sv) < 0)
		die_with_error(step, "statvfs(\"%s\")", path);
	unsigned long kept = 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (sv.f_flag & flags[i].st)
			kept |= flags[i].ms;
	return kept;
}

/* Makes the mount at PATH read-only, for everyone who sees it through this mount (the filesystem
 * itself is untouched: the host's view stays writable). */
void lab_mount_remount_read_only(const char *step, const char *path)
{
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(step, path);
	if (mount(NULL, path, NULL, flags, NULL) < 0)
		die_with_error(step, "mount(\"%s\", MS_REMOUNT|MS_BIND|MS_RDONLY)", path);
}

/* A read-only path: bind-mount PATH onto itself (so it is a mount of its own), then make that
 * mount read-only. /proc/sys stays readable, but writing a sysctl fails with EROFS. */
void lab_mount_read_only(const char *path)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return; /* not on this kernel: nothing to protect */
		die_with_error("readonly_paths", "mount(\"%s\", \"%s\", MS_BIND|MS_REC)", path, path);
	}
	lab_mount_remount_read_only("readonly_paths", path);
}
