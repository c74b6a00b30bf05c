/* The filesystem as the process sees it: the mount table (with the layers of an overlay), the
 * root filesystem, the paths a container runtime hides or makes read-only, and /dev. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>

#include "probe.h"

#define MAX_MOUNTS 200
#define MAX_DEVICES 200
#define MAX_CPUS_CHECKED 256

/* ---- mounts ---- */

struct mount_line {
	char *fs_root;   /* the directory of the filesystem mounted here (a bind mount's source) */
	char *target;
	char *options;   /* per mount: ro/rw, nosuid, nodev, noexec, ... */
	char *fstype;
	char *source;
	char *super_options; /* per filesystem (superblock): for overlay, its layers */
};

/* One line of /proc/PID/mountinfo:
 * ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS */
static bool parse_mount_line(char *line, struct mount_line *m)
{
	char *fields[64];
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(line, " \n", &save); tok != NULL && n < 64; tok = strtok_r(NULL, " \n", &save))
		fields[n++] = tok;
	int dash = -1;
	for (int i = 6; i < n; i++)
		if (strcmp(fields[i], "-") == 0) {
			dash = i;
			break;
		}
	if (n < 6 || dash < 0 || dash + 2 >= n)
		return false;
	*m = (struct mount_line){ fields[3], fields[4], fields[5], fields[dash + 1], fields[dash + 2],
				  dash + 3 < n ? fields[dash + 3] : "" };
	unescape_octal(m->fs_root);
	unescape_octal(m->target);
	unescape_octal(m->source);
	return true;
}

/* Writes fail if either the mount or its filesystem is read-only. */
static bool mount_is_read_only(const struct mount_line *m)
{
	return list_has(m->options, "ro") || list_has(m->super_options, "ro");
}

/* An overlay's layers from its super options: lowerdir=A:B (or lowerdir+=A, one per layer, with
 * the new mount API), upperdir=U, workdir=W. Null for any other filesystem. */
static void put_overlay_layers(const struct mount_line *m)
{
	json_key("overlay");
	if (strcmp(m->fstype, "overlay") != 0) {
		json_null();
		return;
	}
	char options[4096];
	snprintf(options, sizeof(options), "%s", m->super_options);
	const char *upper = NULL, *work = NULL;
	json_begin('{');
	json_key("lower");
	json_begin('[');
	for (char *save = NULL, *opt = strtok_r(options, ",", &save); opt != NULL; opt = strtok_r(NULL, ",", &save)) {
		if (strncmp(opt, "lowerdir=", 9) == 0) {
			for (char *s2 = NULL, *dir = strtok_r(opt + 9, ":", &s2); dir != NULL; dir = strtok_r(NULL, ":", &s2)) {
				unescape_octal(dir);
				json_string(dir);
			}
		} else if (strncmp(opt, "lowerdir+=", 10) == 0) {
			unescape_octal(opt + 10);
			json_string(opt + 10);
		} else if (strncmp(opt, "upperdir=", 9) == 0) {
			upper = opt + 9;
		} else if (strncmp(opt, "workdir=", 8) == 0) {
			work = opt + 8;
		}
	}
	json_end(']');
	char upper_copy[1024], work_copy[1024];
	if (upper != NULL) {
		snprintf(upper_copy, sizeof(upper_copy), "%s", upper);
		unescape_octal(upper_copy);
	}
	if (work != NULL) {
		snprintf(work_copy, sizeof(work_copy), "%s", work);
		unescape_octal(work_copy);
	}
	json_key("upper");
	json_string_or_null(upper ? upper_copy : NULL);
	json_key("work");
	json_string_or_null(work ? work_copy : NULL);
	json_end('}');
}

static void put_mount(const struct mount_line *m)
{
	json_begin('{');
	json_key("source");
	json_string(m->source);
	json_key("target");
	json_string(m->target);
	json_key("fstype");
	json_string(m->fstype);
	json_key("readOnly");
	json_bool(mount_is_read_only(m));
	json_key("options");
	json_string(m->options);
	json_key("superOptions");
	json_string(m->super_options);
	json_key("fsRoot");
	json_string(m->fs_root);
	put_overlay_layers(m);
	json_end('}');
}

void section_mounts(void)
{
	/* Identity of "/": differs from the host's with an own root filesystem. */
	char root_path[64];
	snprintf(root_path, sizeof(root_path), "%s", probe_pid != 0 ? probe_proc : "/");
	if (probe_pid != 0)
		strcat(root_path, "/root/");
	struct stat st;
	if (stat(root_path, &st) < 0)
		memset(&st, 0, sizeof(st));
	json_key("root");
	json_begin('{');
	json_key("dev");
	json_int((long long)st.st_dev);
	json_key("ino");
	json_int((long long)st.st_ino);
	json_end('}');

	char path[64];
	snprintf(path, sizeof(path), "%s/mountinfo", probe_proc);
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int total = 0;
	/* The last mount on "/" is the one on top: the root filesystem. */
	char *root_line = NULL;
	json_key("mounts");
	json_begin('[');
	while (f != NULL && getline(&line, &cap, f) > 0) {
		char *copy = strdup(line);
		struct mount_line m;
		if (copy == NULL || !parse_mount_line(line, &m)) {
			free(copy);
			continue;
		}
		if (strcmp(m.target, "/") == 0) {
			free(root_line);
			root_line = copy;
		} else {
			free(copy);
		}
		if (++total <= MAX_MOUNTS)
			put_mount(&m);
	}
	free(line);
	if (f != NULL)
		fclose(f);
	json_end(']');
	json_key("mountCount");
	json_int(total);

	json_key("rootfs");
	struct mount_line rm;
	if (root_line == NULL || !parse_mount_line(root_line, &rm)) {
		json_null();
	} else {
		json_begin('{');
		json_key("fstype");
		json_string(rm.fstype);
		json_key("source");
		json_string(rm.source);
		json_key("readOnly");
		json_bool(mount_is_read_only(&rm));
		put_overlay_layers(&rm);
		json_end('}');
	}
	free(root_line);
}

/* ---- masked and read-only paths ---- */

/* Docker's default masked paths (moby daemon/pkg/oci/defaults.go, defaultLinuxMaskedPaths):
 * kernel information a container should not read. A runtime hides a file by bind-mounting
 * /dev/null over it and a directory with an empty read-only tmpfs. */
static const char *const masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
	"/sys/devices/virtual/powercap", "/sys/firmware",
};

/* Docker's default read-only paths: kernel knobs a container may read but not turn. */
static const char *const read_only_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static void put_masked(const char *path)
{
	struct stat st;
	const char *state, *how = NULL;
	if (stat(path, &st) < 0) {
		/* ENOENT: nothing there to hide (this kernel or machine has none). Anything else
		 * (EACCES, ...) means it exists but cannot be looked at. */
		state = errno == ENOENT ? "absent" : "masked";
		how = errno == ENOENT ? NULL : errno_name(errno);
	} else if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
		state = "masked", how = "devnull";
	} else if (S_ISDIR(st.st_mode)) {
		/* Under /proc or /sys a tmpfs can only be there because someone mounted it. */
		struct statfs sfs;
		bool tmpfs = statfs(path, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
		state = tmpfs ? "masked" : "visible";
		how = tmpfs ? "tmpfs" : NULL;
	} else {
		state = "visible";
	}
	json_begin('{');
	json_key("path");
	json_string(path);
	json_key("state");
	json_string(state);
	json_key("how");
	json_string_or_null(how);
	json_end('}');
}

/* Docker makes these read-only with a read-only bind mount of each onto itself. For a directory
 * the answer is whether the mount under it refuses writes (EROFS); for a file, whether this
 * process may open it for writing (W_OK with AT_EACCESS: its effective IDs and capabilities, and
 * the mount). Nothing is written. */
static void put_read_only(const char *path)
{
	struct stat st;
	struct statvfs vfs;
	int err = 0;
	bool read_only_mount = false;
	if (stat(path, &st) < 0) {
		err = errno;
	} else {
		read_only_mount = statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
		if (S_ISDIR(st.st_mode))
			err = read_only_mount ? EROFS : 0;
		else if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) < 0)
			err = errno;
	}
	json_begin('{');
	json_key("path");
	json_string(path);
	json_key("exists");
	json_bool(err != ENOENT);
	json_key("writable");
	json_bool(err == 0);
	json_key("error");
	json_string_or_null(err == 0 ? NULL : errno_name(err));
	json_key("readOnlyMount");
	json_bool(read_only_mount);
	json_end('}');
}

void section_paths(void)
{
	json_key("paths");
	json_begin('{');
	json_key("masked");
	json_begin('[');
	for (size_t i = 0; i < sizeof(masked_paths) / sizeof(masked_paths[0]); i++)
		put_masked(masked_paths[i]);
	/* Docker also masks each CPU's thermal_throttle directory, where the machine has one. */
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	for (long cpu = 0; cpu < cpus && cpu < MAX_CPUS_CHECKED; cpu++) {
		char path[96];
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/thermal_throttle", cpu);
		if (access(path, F_OK) == 0)
			put_masked(path);
	}
	json_end(']');
	json_key("readOnly");
	json_begin('[');
	for (size_t i = 0; i < sizeof(read_only_paths) / sizeof(read_only_paths[0]); i++)
		put_read_only(read_only_paths[i]);
	json_end(']');
	json_end('}');
}

/* ---- devices ---- */

/* Opened read-only, non-blocking, without becoming the controlling terminal, and closed at once:
 * nothing is read or written. (Never /dev/watchdog: opening it arms the watchdog.) */
static const char *const device_open_checks[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/console",
	"/dev/kmsg", "/dev/mem", "/dev/kmem", "/dev/port", "/dev/fuse", "/dev/net/tun", "/dev/kvm",
};

static char file_type(mode_t mode)
{
	return S_ISCHR(mode) ? 'c' : S_ISBLK(mode) ? 'b' : S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l'
	       : S_ISFIFO(mode) ? 'p' : S_ISSOCK(mode) ? 's' : 'f';
}

static int compare_dirents(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

void section_devices(void)
{
	json_key("devices");
	json_begin('{');
	json_key("entries");
	json_begin('[');
	struct dirent **names = NULL;
	int count = scandir("/dev", &names, NULL, compare_dirents);
	int shown = 0, total = 0;
	int dev_fd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < count; i++) {
		struct stat st;
		const char *name = names[i]->d_name;
		if (name[0] == '.' || dev_fd < 0 || fstatat(dev_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		total++;
		if (++shown > MAX_DEVICES)
			continue;
		char type[2] = { file_type(st.st_mode), '\0' };
		bool is_device = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
		json_begin('{');
		json_key("name");
		json_string(name);
		json_key("type");
		json_string(type);
		json_key("major");
		if (is_device)
			json_int(major(st.st_rdev));
		else
			json_null();
		json_key("minor");
		if (is_device)
			json_int(minor(st.st_rdev));
		else
			json_null();
		json_end('}');
	}
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	if (dev_fd >= 0)
		close(dev_fd);
	json_end(']');
	json_key("count");
	json_int(total);

	json_key("open");
	json_begin('[');
	for (size_t i = 0; i < sizeof(device_open_checks) / sizeof(device_open_checks[0]); i++) {
		int fd = open(device_open_checks[i], O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		int err = errno;
		if (fd >= 0)
			close(fd);
		json_begin('{');
		json_key("path");
		json_string(device_open_checks[i]);
		json_key("error");
		json_string_or_null(fd >= 0 ? NULL : errno_name(err));
		json_end('}');
	}
	json_end(']');
	json_end('}');
}
