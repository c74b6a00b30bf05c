/* Namespaces: the one table of them, their inodes, and the UTS namespace's hostname. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Each namespace: how --unshare names it, its /proc/PID/ns entry, and its clone() flag. */
const struct lab_namespace lab_namespaces[] = {
	{ "mount", "mnt", CLONE_NEWNS, true },
	{ "uts", "uts", CLONE_NEWUTS, true },
	{ "ipc", "ipc", CLONE_NEWIPC, true },
	{ "pid", "pid", CLONE_NEWPID, true },
	{ "net", "net", CLONE_NEWNET, true },
	{ "cgroup", "cgroup", CLONE_NEWCGROUP, true },
	{ "user", "user", CLONE_NEWUSER, false },
	{ "time", "time", CLONE_NEWTIME, false },
};
const size_t lab_namespace_count = sizeof(lab_namespaces) / sizeof(lab_namespaces[0]);

/* "mount,uts,pid" → CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID. Returns an error message or NULL. */
const char *lab_ns_parse_list(const char *list, unsigned long *flags)
{
	static char error[160];
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
			snprintf(error, sizeof(error), "--unshare: unknown namespace \"%.*s\" (known: %s)",
				 (int)(len > 32 ? 32 : len), item, known);
			return error;
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

/* The inode of each entry of NS_DIR (/proc/PID/ns): two processes share a namespace exactly when
 * these numbers are equal. Returns how many it read, -1 (errno set) when NS_DIR cannot be read. */
int lab_ns_read_inodes(const char *ns_dir, struct lab_ns_inodes *out)
{
	out->count = 0;
	DIR *dir = opendir(ns_dir);
	if (dir == NULL)
		return -1;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL && out->count < LAB_MAX_NS) {
		if (entry->d_name[0] == '.' || strlen(entry->d_name) >= sizeof(out->ns[0].name))
			continue;
		struct stat st;
		/* stat follows the magic link to the namespace itself: its inode is the namespace's id.
		 * ENOENT: the process exited meanwhile (its namespaces are gone). */
		if (fstatat(dirfd(dir), entry->d_name, &st, 0) < 0)
			continue;
		strcpy(out->ns[out->count].name, entry->d_name);
		out->ns[out->count].ino = st.st_ino;
		out->count++;
	}
	closedir(dir);
	return (int)out->count;
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

/* ---- the time namespace (being written) ---- */
static const struct lab_option time_options[] = { { NULL, false, NULL } };
const struct lab_module lab_time_module = { "time", time_options, NULL };
void lab_time_prepare(void) {}
