/* Namespaces: the one table of them, their inodes, the UTS namespace's hostname, and the time
 * namespace's clock offsets. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

/* Each namespace: how --unshare names it, its /proc/PID/ns entry, and its clone() flag. */
const struct lab_namespace lab_namespaces[] = {
	{ "mount", "mnt", CLONE_NEWNS, true },
	{ "uts", "uts", CLONE_NEWUTS, true },
	{ "ipc", "ipc", CLONE_NEWIPC, true },
	{ "pid", "pid", CLONE_NEWPID, true },
	{ "net", "net", CLONE_NEWNET, true },
	{ "cgroup", "cgroup", CLONE_NEWCGROUP, true },
	{ "user", "user", CLONE_NEWUSER, true },
	{ "time", "time", CLONE_NEWTIME, true },
};
const size_t lab_namespace_count = sizeof(lab_namespaces) / sizeof(lab_namespaces[0]);

/* "mount,uts,pid" → CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID. Returns an error message or NULL. */
const char *lab_ns_parse_list(const char *list, unsigned long *flags)
{
	*flags = 0;
	const char *item = list;
	for (;;) {
		size_t len = strcspn(item, ",");
		const struct lab_namespace *found = NULL;
		for (size_t i = 0; i < lab_namespace_count; i++) {
			const struct lab_namespace *ns = &lab_namespaces[i];
			if (ns->can_unshare && strlen(ns->name) == len && strncmp(ns->name, item, len) == 0)
				found = ns;
		}
		if (found == NULL) {
			/* The names we can create, from the table, so the message cannot go stale. */
			char known[96] = "";
			for (size_t i = 0; i < lab_namespace_count; i++)
				if (lab_namespaces[i].can_unshare)
					snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", known[0] ? "," : "",
						 lab_namespaces[i].name);
			return lab_problem("--unshare: unknown namespace \"%.*s\" (known: %s)",
					   (int)(len > 32 ? 32 : len), item, known);
		}
		*flags |= found->flag;
		if (item[len] == '\0')
			return NULL;
		item += len + 1;
	}
}

/* A new UTS namespace starts with a copy of the host's name; this gives it its own. */
void lab_set_hostname(const char *name)
{
	if (sethostname(name, strlen(name)) < 0)
		die_with_error("hostname", "sethostname(\"%s\")", name);
}

/* Every entry /proc/PID/ns can have: the namespaces, and the two "for children" ones (a process's
 * children may be born into another PID or time namespace than its own). */
static const char *const ns_entries[] = {
	"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts",
};

/* The inode of each entry of NS_DIR (/proc/PID/ns): two processes share a namespace exactly when
 * these numbers are equal. Returns how many it read, -1 (errno set) when it read none.
 * Each entry is looked up by name rather than by listing the directory: once the child changed
 * its uid (user namespace, --user) it is not "dumpable" until execve, its /proc/self/ns belongs
 * to root and cannot be listed by it — but each link can still be followed by the process itself. */
int lab_ns_read_inodes(const char *ns_dir, struct lab_ns_inodes *out)
{
	out->count = 0;
	for (size_t i = 0; i < sizeof(ns_entries) / sizeof(ns_entries[0]) && out->count < LAB_MAX_NS; i++) {
		char path[96];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", ns_dir, ns_entries[i]);
		/* stat follows the magic link to the namespace itself: its inode is the namespace's id.
		 * ENOENT: this kernel lacks the type, or the process exited meanwhile. */
		if (stat(path, &st) < 0)
			continue;
		strcpy(out->ns[out->count].name, ns_entries[i]);
		out->ns[out->count].ino = st.st_ino;
		out->count++;
	}
	return out->count > 0 ? (int)out->count : -1;
}

/* The CLONE_NEW* flags of every namespace in which PID differs from us: what --join enters.
 * Joining a namespace we already share is pointless (and the kernel refuses it for user). */
unsigned long lab_ns_differing(pid_t pid)
{
	unsigned long flags = 0;
	for (size_t i = 0; i < lab_namespace_count; i++) {
		const struct lab_namespace *ns = &lab_namespaces[i];
		char theirs_path[64];
		char ours_path[64];
		struct stat theirs;
		struct stat ours;
		snprintf(theirs_path, sizeof(theirs_path), "/proc/%d/ns/%s", (int)pid, ns->proc_name);
		snprintf(ours_path, sizeof(ours_path), "/proc/self/ns/%s", ns->proc_name);
		if (stat(ours_path, &ours) < 0)
			continue; /* this kernel lacks the namespace type (e.g. time before 5.6) */
		if (stat(theirs_path, &theirs) < 0)
			die_with_error("setns", "stat(\"%s\") (has process %d exited?)", theirs_path, (int)pid);
		if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino)
			flags |= ns->flag;
	}
	return flags;
}

/* ---- the time namespace ----
 *
 * A time namespace shifts two clocks for the processes in it: CLOCK_MONOTONIC (what timers and
 * timeouts use) and CLOCK_BOOTTIME (what /proc/uptime shows). Not the wall clock: CLOCK_REALTIME
 * is one for the whole machine. What it is for: a container moved to another machine (CRIU)
 * keeps seeing its monotonic clock go on from where it was.
 *
 * Unlike every other namespace it cannot be created by clone() (its flag collides with clone()'s
 * exit-signal bits), and unshare(CLONE_NEWTIME) does not move the caller: it makes the namespace
 * its children will be born into. The offsets can be written only until the first process enters
 * it. So the parent unshares it and writes the offsets before clone(), and the child starts in it. */

/* The kernel refuses offsets beyond half of what a ktime_t holds (KTIME_SEC_MAX / 2). */
#define LAB_TIME_OFFSET_MAX 4611686018LL

static bool time_requested;        /* --unshare time */
static bool offset_given[2];       /* --time-offset-monotonic, --time-offset-boottime */
static long long offset_seconds[2];
static const char *const offset_clock_name[2] = { "monotonic", "boottime" };
static const clockid_t offset_clock[2] = { CLOCK_MONOTONIC, CLOCK_BOOTTIME };

/* A signed whole number of seconds, "-3600" or "86400", for the clock numbered ARG. */
static const char *parse_offset(const struct lab_option *option, const char *value)
{
	int64_t v;
	if (!lab_parse_i64(value, -LAB_TIME_OFFSET_MAX, LAB_TIME_OFFSET_MAX, &v)) {
		return lab_problem("%s: expected whole seconds between -%lld and %lld",
				   option->name, LAB_TIME_OFFSET_MAX, LAB_TIME_OFFSET_MAX);
	}
	offset_given[option->arg] = true;
	offset_seconds[option->arg] = v;
	return NULL;
}

static const char *time_validate(const struct lab_config *cfg)
{
	time_requested = (cfg->clone_flags & CLONE_NEWTIME) != 0;
	for (int i = 0; i < 2; i++) {
		if (!offset_given[i])
			continue;
		if (!time_requested)
			return "--time-offset-monotonic and --time-offset-boottime need the time namespace (--unshare time)";
		/* A clock in the namespace may not start below zero: the kernel would refuse it (ERANGE). */
		struct timespec now;
		if (clock_gettime(offset_clock[i], &now) == 0 && now.tv_sec + offset_seconds[i] < 0) {
			return lab_problem("--time-offset-%s %lld: the clock would start below zero (it reads %lld s now)",
					   offset_clock_name[i], offset_seconds[i], (long long)now.tv_sec);
		}
	}
	return NULL;
}

static const struct lab_option time_options[] = {
	{ "--time-offset-monotonic", true, parse_offset, NULL, 0 },
	{ "--time-offset-boottime", true, parse_offset, NULL, 1 },
	{ NULL },
};
const struct lab_module lab_time_module = { "time", time_options, time_validate };

void lab_time_prepare(void)
{
	if (!time_requested)
		return;
	lab_step("timens");
	/* From now on our children are born into the new time namespace; we stay where we are. */
	if (unshare(CLONE_NEWTIME) < 0)
		die_with_error("timens", "unshare(CLONE_NEWTIME)");
	/* "CLOCK SECONDS NANOSECONDS", one clock a line, all in one write, before anyone is inside. */
	char offsets[128];
	int len = snprintf(offsets, sizeof(offsets), "monotonic %lld 0\nboottime %lld 0\n", offset_seconds[0],
			   offset_seconds[1]);
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_with_error("timens", "open(\"/proc/self/timens_offsets\")");
	if (write(fd, offsets, (size_t)len) != len)
		die_with_error("timens", "write(\"/proc/self/timens_offsets\", \"monotonic %lld 0, boottime %lld 0\")",
			       offset_seconds[0], offset_seconds[1]);
	if (close(fd) < 0)
		die_with_error("timens", "close(\"/proc/self/timens_offsets\")");
}
