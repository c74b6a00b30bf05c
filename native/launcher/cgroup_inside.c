/* cgroups, inside the container: its cgroup namespace, and the cgroup filesystem it sees.
 *
 * A container with its own root gets a read-only /sys, whose fs/cgroup is an empty directory: the
 * host's cgroup mounts are not in it. Docker (runc) mounts one there, and so do we, read-only:
 *
 *   with a cgroup namespace     a fresh cgroup filesystem: the namespace makes the container's own
 *                               cgroup the root of what it shows (v2: cgroup2 on /sys/fs/cgroup;
 *                               v1: a tmpfs there, each hierarchy mounted in a directory named as on
 *                               the host, "cpu,cpuacct" with cpu and cpuacct symlinks to it)
 *   without one, with --cgroup  the container's own cgroup directories bind-mounted (v2: the one
 *                               directory; v1: one per hierarchy), as docker does on v1: the same
 *                               files, though /proc/self/cgroup still names the full path
 *   neither                     nothing: there is no cgroup of the container's to show
 *
 * Planned by the parent while it reads the command line (cgroup_args.c's validate: the host's
 * mount table is still in sight), mounted by the child just before its root switch. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"

#define INSIDE_MAX 16
static struct {
	char name[64];         /* the directory under /sys/fs/cgroup: the host's, e.g. "cpu,cpuacct" */
	char *host;            /* the hierarchy on the host, e.g. /sys/fs/cgroup/cpu,cpuacct */
	char options[256];     /* what mounting it again takes, e.g. "cpu,cpuacct" or "xattr,name=systemd" */
} inside[INSIDE_MAX];
static unsigned inside_count;
static int inside_version;      /* 0: nothing to mount; 1 or 2 */
static bool inside_fresh;       /* a cgroup namespace: mount fresh; otherwise bind */
static char inside_root[PATH_MAX]; /* the host's cgroup root: /sys/fs/cgroup, .../unified, --cgroup-root */

/* Every v1 hierarchy mounted directly under ROOT (mountinfo: "... /sys/fs/cgroup/pids ... - cgroup
 * cgroup rw,pids"), with the superblock options a mount of it must repeat: its controllers,
 * name=, and flags such as xattr; not rw/ro (the mount's own) or release_agent (the host's). */
static void scan_v1_hierarchies(const char *root)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return;
	char line[4096];
	while (fgets(line, sizeof(line), f) != NULL && inside_count < INSIDE_MAX) {
		char mount_root[PATH_MAX], target[PATH_MAX], fstype[32], super[1024];
		const char *dash = strstr(line, " - ");
		if (dash == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", mount_root, target) != 2 ||
		    sscanf(dash, " - %31s %*s %1023s", fstype, super) != 2)
			continue;
		const char *slash = strrchr(target, '/');
		if (strcmp(fstype, "cgroup") != 0 || strcmp(mount_root, "/") != 0 || slash == NULL ||
		    (size_t)(slash - target) != strlen(root) || strncmp(target, root, strlen(root)) != 0 ||
		    strlen(slash + 1) >= sizeof(inside[0].name))
			continue;
		bool seen = false;
		for (unsigned i = 0; i < inside_count; i++)
			seen = seen || strcmp(inside[i].name, slash + 1) == 0;
		if (seen)
			continue;
		char repeat[256] = "";
		size_t len = 0;
		for (char *save = NULL, *o = strtok_r(super, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save))
			if (strcmp(o, "rw") != 0 && strcmp(o, "ro") != 0 && strncmp(o, "release_agent=", 14) != 0)
				len += (size_t)snprintf(repeat + len, sizeof(repeat) > len ? sizeof(repeat) - len : 0, "%s%s", len ? "," : "", o);
		if (len == 0 || len >= sizeof(repeat))
			continue;
		snprintf(inside[inside_count].name, sizeof(inside[0].name), "%s", slash + 1);
		inside[inside_count].host = lab_strdup(lab_cg_step, target);
		snprintf(inside[inside_count].options, sizeof(inside[0].options), "%s", repeat);
		inside_count++;
	}
	fclose(f);
}

/* Which layout (the backend's when the container has a cgroup, else the host's), and what to mount. */
void lab_cg_plan_inside(const struct lab_config *cfg)
{
	inside_fresh = (cfg->clone_flags & CLONE_NEWCGROUP) != 0;
	if (cfg->rootfs == NULL || (!inside_fresh && lab_cg.create == NULL))
		return;
	if (lab_cg.create != NULL) {
		inside_version = lab_cg.ops->version;
		snprintf(inside_root, sizeof(inside_root), "%s", lab_cg_root);
	} else {
		inside_version = lab_cg_fs_type("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC ? 2 : 1;
		snprintf(inside_root, sizeof(inside_root), "/sys/fs/cgroup");
	}
	if (inside_version == 1) {
		scan_v1_hierarchies(inside_root);
		if (inside_count == 0)
			inside_version = 0; /* no hierarchy to show */
	}
}

void lab_cgroupns_enter(void)
{
	/* A new cgroup namespace takes the cgroups we are in now as its root: inside, /proc/self/cgroup
	 * says "/" and the host's tree above is out of sight. That is why this waits for the parent
	 * to have moved us into our own cgroup. */
	lab_cg_take_step("cgroupns");
	if (unshare(CLONE_NEWCGROUP) < 0)
		die_with_error("cgroupns", "unshare(CLONE_NEWCGROUP)");
}

static void mount_read_only(const char *source, const char *target, const char *fstype, const char *data)
{
	const unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount(source, target, fstype, flags, data) < 0)
		die_with_error("cgroup_mount", "mount(\"%s\", \"%s\", \"%s\", MS_RDONLY, \"%s\")", source, target, fstype, data ? data : "");
}

/* A bind mount ignores MS_RDONLY on the first call: read-only takes a second, remounting one. */
static void bind_read_only(const char *source, const char *target)
{
	if (mount(source, target, NULL, MS_BIND, NULL) < 0)
		die_with_error("cgroup_mount", "mount(\"%s\", \"%s\", MS_BIND)", source, target);
	lab_mount_remount_read_only("cgroup_mount", target);
}

/* HOST/isolab/NAME: the container's cgroup directory in the hierarchy mounted at HOST. */
static void own_dir(char out[PATH_MAX], const char *host)
{
	char parent_dir[PATH_MAX];
	lab_cg_path(parent_dir, host, LAB_CG_PARENT);
	lab_cg_path(out, parent_dir, lab_cg_name);
}

/* cgroup v1: a tmpfs on TARGET with a directory per hierarchy, each a cgroup mount (or a bind of
 * the container's directory), then the tmpfs itself read-only. */
static void mount_v1_inside(const char *target)
{
	if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
		die_with_error("cgroup_mount", "mount(\"tmpfs\", \"%s\")", target);
	for (unsigned i = 0; i < inside_count; i++) {
		char dir[PATH_MAX], own[PATH_MAX];
		lab_cg_path(dir, target, inside[i].name);
		if (!inside_fresh) {
			/* The container's directory exists in each hierarchy the backend created it in. */
			own_dir(own, inside[i].host);
			if (access(own, F_OK) < 0)
				continue;
		}
		if (mkdir(dir, 0755) < 0)
			die_with_error("cgroup_mount", "mkdir(\"%s\")", dir);
		if (inside_fresh)
			mount_read_only("cgroup", dir, "cgroup", inside[i].options);
		else
			bind_read_only(own, dir);
		/* Co-mounted controllers: "cpu" and "cpuacct" lead to "cpu,cpuacct", as on the host. */
		if (strchr(inside[i].name, ',') == NULL)
			continue;
		char names[64];
		snprintf(names, sizeof(names), "%s", inside[i].name);
		for (char *save = NULL, *c = strtok_r(names, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save)) {
			char link[PATH_MAX];
			lab_cg_path(link, target, c);
			if (symlink(inside[i].name, link) < 0 && errno != EEXIST)
				die_with_error("cgroup_mount", "symlink(\"%s\", \"%s\")", inside[i].name, link);
		}
	}
	lab_mount_remount_read_only("cgroup_mount", target);
}

void lab_cgroup_mount_inside(const char *target)
{
	if (inside_version == 0)
		return;
	lab_cg_take_step("cgroup_mount");
	if (inside_version == 1) {
		mount_v1_inside(target);
	} else if (inside_fresh) {
		mount_read_only("cgroup2", target, "cgroup2", NULL);
	} else {
		char own[PATH_MAX];
		own_dir(own, inside_root);
		bind_read_only(own, target);
	}
}

