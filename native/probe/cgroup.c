/* cgroups: which cgroup the process is in, and the limits and usage of that cgroup, read from the
 * cgroup filesystem as mounted where the probe runs.
 *
 *   v2      one hierarchy: /proc/PID/cgroup says "0::/PATH"; every controller's files
 *           (memory.max, pids.max, cpu.max, ...) sit in one directory
 *   v1      one hierarchy per controller (or group of them): "4:memory:/PATH", files named
 *           memory.limit_in_bytes, cpu.cfs_quota_us, ...
 *   hybrid  v1 controllers plus an (often empty) v2 hierarchy, as systemd mounts it
 *
 * Values follow one rule: a limit that is not set ("max", -1, the v1 page-counter maximum) is
 * null; a controller that cannot be read here is null, and notes[] says why. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "probe.h"

#define MAX_HIERARCHIES 16
#define MAX_CG_MOUNTS 32
#define MAX_NOTES 16

/* v1 reports "no limit" as the largest page-aligned counter value (about 2^63); anything this
 * large is no limit. */
#define V1_UNLIMITED (1ULL << 62)

struct hierarchy {
	int id;
	char controllers[128]; /* "cpu,cpuacct"; empty for v2 */
	char path[512];
};

struct cg_mount {
	bool v2;
	char target[256];
	char fs_root[256];
	char options[256];
};

static struct hierarchy hierarchies[MAX_HIERARCHIES];
static int hierarchy_count;
static struct cg_mount mounts[MAX_CG_MOUNTS];
static int mount_count;
static char notes[MAX_NOTES][768];
static int note_count;

static void note(const char *fmt, const char *a, const char *b)
{
	if (note_count < MAX_NOTES)
		snprintf(notes[note_count++], sizeof(notes[0]), fmt, a, b);
}

/* ---- where the files are ---- */

static void read_membership(void)
{
	char text[4096];
	if (read_proc_text("cgroup", text, sizeof(text)) < 0)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL && hierarchy_count < MAX_HIERARCHIES;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon1 = strchr(line, ':');
		char *colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
		if (colon2 == NULL)
			continue;
		struct hierarchy *h = &hierarchies[hierarchy_count++];
		h->id = atoi(line);
		snprintf(h->controllers, sizeof(h->controllers), "%.*s", (int)(colon2 - colon1 - 1), colon1 + 1);
		snprintf(h->path, sizeof(h->path), "%s", colon2 + 1);
	}
}

/* The cgroup filesystems mounted where the probe runs (its own mount table, not --pid's: the
 * files are read through the probe's paths). */
static void read_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	while (f != NULL && getline(&line, &cap, f) > 0 && mount_count < MAX_CG_MOUNTS) {
		char root[256], target[256], fstype[32], options[256];
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS */
		char *dash = strstr(line, " - ");
		if (dash == NULL || sscanf(line, "%*s %*s %*s %255s %255s", root, target) != 2 ||
		    sscanf(dash + 3, "%31s %*s %255s", fstype, options) != 2)
			continue;
		unescape_octal(root);
		unescape_octal(target);
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		struct cg_mount *m = &mounts[mount_count++];
		m->v2 = v2;
		snprintf(m->target, sizeof(m->target), "%s", target);
		snprintf(m->fs_root, sizeof(m->fs_root), "%s", root);
		snprintf(m->options, sizeof(m->options), "%s", options);
	}
	free(line);
	if (f != NULL)
		fclose(f);
}

/* The directory of the process's cgroup in the v1 hierarchy that has controller V1_NAME, or else
 * in the v2 hierarchy; false with a note (naming KEY) when there is none to read here. */
static bool find_dir(const char *key, const char *v1_name, char *dir, size_t size, bool *v2)
{
	const struct hierarchy *h = NULL;
	for (int i = 0; i < hierarchy_count && h == NULL; i++)
		if (hierarchies[i].id != 0 && list_has(hierarchies[i].controllers, v1_name))
			h = &hierarchies[i];
	*v2 = h == NULL;
	for (int i = 0; i < hierarchy_count && h == NULL; i++)
		if (hierarchies[i].id == 0)
			h = &hierarchies[i];
	if (h == NULL) {
		note("%s: the process is in no hierarchy with this controller%s", key, "");
		return false;
	}
	const struct cg_mount *m = NULL;
	for (int i = 0; i < mount_count && m == NULL; i++)
		if (*v2 ? mounts[i].v2 : (!mounts[i].v2 && list_has(mounts[i].options, v1_name)))
			m = &mounts[i];
	if (m == NULL) {
		note("%s: its cgroup hierarchy (%s) is not mounted here", key, *v2 ? "v2" : "v1");
		return false;
	}
	/* The mount shows the hierarchy from its root directory down: /proc/PID/cgroup's path must
	 * lie under it (a cgroup namespace makes both relative to the namespace's root). */
	size_t root_len = strcmp(m->fs_root, "/") == 0 ? 0 : strlen(m->fs_root);
	if (strncmp(h->path, m->fs_root, root_len) != 0 || (h->path[root_len] != '/' && h->path[root_len] != '\0')) {
		note("%s: the cgroup %s lies outside what is mounted here", key, h->path);
		return false;
	}
	snprintf(dir, size, "%s%s", m->target, h->path + root_len);
	/* A path ending in "/" is the hierarchy's root; drop the slash for tidy file names. */
	size_t len = strlen(dir);
	if (len > 1 && dir[len - 1] == '/')
		dir[len - 1] = '\0';
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		note("%s: %s is not there", key, dir);
		return false;
	}
	return true;
}

/* ---- reading values ---- */

static bool read_cg(const char *dir, const char *file, char *buf, size_t size)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return read_text(path, buf, size) >= 0;
}

/* A limit: "max" (v2), a negative number (v1's -1) or the v1 maximum are "no limit" → null. */
static void put_limit(const char *key, const char *dir, const char *file)
{
	char text[64];
	json_key(key);
	if (!read_cg(dir, file, text, sizeof(text)) || strcmp(text, "max") == 0 || text[0] == '-') {
		json_null();
		return;
	}
	unsigned long long v = strtoull(text, NULL, 10);
	json_int_or_null((long long)v, v >= V1_UNLIMITED);
}

static void put_number(const char *key, const char *dir, const char *file)
{
	char text[64];
	json_key(key);
	if (read_cg(dir, file, text, sizeof(text)))
		json_int(atoll(text));
	else
		json_null();
}

static void put_text(const char *key, const char *dir, const char *file)
{
	char text[256];
	json_key(key);
	json_string_or_null(read_cg(dir, file, text, sizeof(text)) ? text : NULL);
}

/* "KEY N" from a flat-keyed file such as memory.events ("oom_kill 2"). */
static void put_keyed(const char *key, const char *dir, const char *file, const char *wanted)
{
	char text[2048];
	json_key(key);
	if (!read_cg(dir, file, text, sizeof(text))) {
		json_null();
		return;
	}
	size_t len = strlen(wanted);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, wanted, len) == 0 && line[len] == ' ') {
			json_int(atoll(line + len + 1));
			return;
		}
	json_null();
}

/* Starts a controller's object, or writes null (and a note) when there is nothing to read: the
 * primary file (PRIMARY_V1 or PRIMARY_V2) names the controller's main interface. */
static bool begin_controller(const char *key, const char *v1_name, const char *primary_v1, const char *primary_v2,
			     char *dir, size_t size, bool *v2)
{
	json_key(key);
	if (!find_dir(key, v1_name, dir, size, v2)) {
		json_null();
		return false;
	}
	char first[64];
	const char *primary = *v2 ? primary_v2 : primary_v1;
	if (primary == NULL) {
		note("%s: cgroup v2 has no file for it (an eBPF program does the job)%s", key, "");
		json_null();
		return false;
	}
	if (!read_cg(dir, primary, first, sizeof(first))) {
		note(*v2 ? "%s: no %s here (the root cgroup has no limits, or the controller is not enabled)"
			 : "%s: no %s here (the root cgroup has no limits)",
		     key, primary);
		json_null();
		return false;
	}
	json_begin('{');
	json_key("version");
	json_string(*v2 ? "v2" : "v1");
	json_key("dir");
	json_string(dir);
	return true;
}

/* ---- controllers ---- */

static void put_memory(void)
{
	char dir[768];
	bool v2;
	if (!begin_controller("memory", "memory", "memory.limit_in_bytes", "memory.max", dir, sizeof(dir), &v2))
		return;
	if (v2) {
		put_limit("max", dir, "memory.max");
		put_limit("high", dir, "memory.high");
		put_number("current", dir, "memory.current");
		put_limit("swapMax", dir, "memory.swap.max");
		put_number("swapCurrent", dir, "memory.swap.current");
		put_keyed("oomKills", dir, "memory.events", "oom_kill");
	} else {
		put_limit("max", dir, "memory.limit_in_bytes");
		json_key("high");
		json_null();
		put_number("current", dir, "memory.usage_in_bytes");
		/* v1 limits memory+swap together (memsw); the swap part is the difference. */
		char mem[32], memsw[32], used[32], memsw_used[32];
		bool both = read_cg(dir, "memory.limit_in_bytes", mem, sizeof(mem)) &&
			    read_cg(dir, "memory.memsw.limit_in_bytes", memsw, sizeof(memsw));
		unsigned long long m = both ? strtoull(mem, NULL, 10) : 0, ms = both ? strtoull(memsw, NULL, 10) : 0;
		json_key("swapMax");
		if (both && ms < V1_UNLIMITED && ms >= m)
			json_int((long long)(ms - m));
		else
			json_null();
		json_key("swapCurrent");
		if (read_cg(dir, "memory.usage_in_bytes", used, sizeof(used)) &&
		    read_cg(dir, "memory.memsw.usage_in_bytes", memsw_used, sizeof(memsw_used)))
			json_int(atoll(memsw_used) - atoll(used));
		else
			json_null();
		put_keyed("oomKills", dir, "memory.oom_control", "oom_kill");
	}
	json_end('}');
}

static void put_pids(void)
{
	char dir[768];
	bool v2;
	if (!begin_controller("pids", "pids", "pids.max", "pids.max", dir, sizeof(dir), &v2))
		return;
	put_limit("max", dir, "pids.max");
	put_number("current", dir, "pids.current");
	/* How many fork()s the limit refused. */
	put_keyed("maxEvents", dir, "pids.events", "max");
	json_end('}');
}

static void put_cpu(void)
{
	char dir[768];
	bool v2;
	if (!begin_controller("cpu", "cpu", "cpu.shares", "cpu.max", dir, sizeof(dir), &v2))
		return;
	if (v2) {
		/* cpu.max: "QUOTA PERIOD", QUOTA "max" for none. */
		char text[64], quota[32] = "max";
		long period = 0;
		if (read_cg(dir, "cpu.max", text, sizeof(text)))
			sscanf(text, "%31s %ld", quota, &period);
		json_key("quotaUs");
		json_int_or_null(atoll(quota), strcmp(quota, "max") == 0);
		json_key("periodUs");
		json_int(period);
		put_number("weight", dir, "cpu.weight");
		json_key("shares");
		json_null();
	} else {
		put_limit("quotaUs", dir, "cpu.cfs_quota_us");
		put_number("periodUs", dir, "cpu.cfs_period_us");
		json_key("weight");
		json_null();
		put_number("shares", dir, "cpu.shares");
	}
	json_end('}');
}

static void put_cpuset(void)
{
	char dir[768];
	bool v2;
	if (!begin_controller("cpuset", "cpuset", "cpuset.effective_cpus", "cpuset.cpus.effective", dir, sizeof(dir), &v2))
		return;
	put_text("cpus", dir, v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus");
	put_text("mems", dir, v2 ? "cpuset.mems.effective" : "cpuset.effective_mems");
	json_end('}');
}

/* ---- io / blkio throttling, one entry per device ---- */

struct io_entry {
	char device[32];
	long long value[4]; /* rbps, wbps, riops, wiops; -1 = no limit */
};
static const char *const io_keys[4] = { "rbps", "wbps", "riops", "wiops" };

static struct io_entry *io_entry_for(struct io_entry *list, int *count, const char *device)
{
	for (int i = 0; i < *count; i++)
		if (strcmp(list[i].device, device) == 0)
			return &list[i];
	if (*count >= 16)
		return NULL;
	struct io_entry *e = &list[(*count)++];
	snprintf(e->device, sizeof(e->device), "%s", device);
	for (int k = 0; k < 4; k++)
		e->value[k] = -1;
	return e;
}

static void put_io(void)
{
	char dir[768];
	bool v2;
	if (!begin_controller("io", "blkio", "blkio.throttle.read_bps_device", "io.max", dir, sizeof(dir), &v2))
		return;
	struct io_entry list[16];
	int count = 0;
	char text[2048];
	if (v2) {
		/* io.max: "8:0 rbps=1048576 wbps=max riops=max wiops=max", one line per device. */
		if (read_cg(dir, "io.max", text, sizeof(text)))
			for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
				char *s2 = NULL;
				struct io_entry *e = io_entry_for(list, &count, strtok_r(line, " ", &s2));
				for (char *kv = strtok_r(NULL, " ", &s2); e != NULL && kv != NULL; kv = strtok_r(NULL, " ", &s2))
					for (int k = 0; k < 4; k++) {
						size_t len = strlen(io_keys[k]);
						if (strncmp(kv, io_keys[k], len) == 0 && kv[len] == '=' && strcmp(kv + len + 1, "max") != 0)
							e->value[k] = atoll(kv + len + 1);
					}
			}
	} else {
		/* v1: one file per kind, "8:0 1048576" per line. */
		static const char *const files[4] = { "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
						      "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };
		for (int k = 0; k < 4; k++) {
			if (!read_cg(dir, files[k], text, sizeof(text)))
				continue;
			for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
				char device[32];
				long long v;
				struct io_entry *e = sscanf(line, "%31s %lld", device, &v) == 2 ? io_entry_for(list, &count, device) : NULL;
				if (e != NULL)
					e->value[k] = v;
			}
		}
	}
	json_key("throttle");
	json_begin('[');
	for (int i = 0; i < count; i++) {
		json_begin('{');
		json_key("device");
		json_string(list[i].device);
		for (int k = 0; k < 4; k++) {
			json_key(io_keys[k]);
			json_int_or_null(list[i].value[k], list[i].value[k] < 0);
		}
		json_end('}');
	}
	json_end(']');
	json_end('}');
}

/* v1's device allow-list ("c 1:3 rwm"); v2 attaches an eBPF program instead, which has no file. */
static void put_devices(void)
{
	char dir[768];
	bool v2;
	if (!begin_controller("devices", "devices", "devices.list", NULL, dir, sizeof(dir), &v2))
		return;
	char text[8192];
	json_key("list");
	json_begin('[');
	if (read_cg(dir, "devices.list", text, sizeof(text)))
		for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
			json_string(line);
	json_end(']');
	json_end('}');
}

void section_cgroup(void)
{
	read_membership();
	read_mounts();
	bool has_v1 = false, has_v2 = false;
	for (int i = 0; i < hierarchy_count; i++) {
		if (hierarchies[i].id == 0)
			has_v2 = true;
		else
			has_v1 = true;
	}
	json_key("cgroup");
	json_begin('{');
	json_key("version");
	json_string_or_null(has_v1 && has_v2 ? "hybrid" : has_v1 ? "v1" : has_v2 ? "v2" : NULL);
	json_key("paths");
	json_begin('[');
	for (int i = 0; i < hierarchy_count; i++) {
		json_begin('{');
		json_key("hierarchy");
		json_int(hierarchies[i].id);
		json_key("controllers");
		json_begin('[');
		char list[128];
		snprintf(list, sizeof(list), "%s", hierarchies[i].controllers);
		for (char *save = NULL, *c = strtok_r(list, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save))
			json_string(c);
		json_end(']');
		json_key("path");
		json_string(hierarchies[i].path);
		json_end('}');
	}
	json_end(']');
	json_key("mounted");
	json_bool(mount_count > 0);
	/* Why nothing can be read at all; per-controller reasons go to notes. */
	json_key("reason");
	if (hierarchy_count == 0)
		json_string("/proc/PID/cgroup cannot be read here");
	else if (mount_count == 0)
		json_string("no cgroup filesystem is mounted here (/sys/fs/cgroup)");
	else
		json_null();
	if (hierarchy_count > 0 && mount_count > 0) {
		put_memory();
		put_pids();
		put_cpu();
		put_cpuset();
		put_io();
		put_devices();
	} else {
		static const char *const keys[] = { "memory", "pids", "cpu", "cpuset", "io", "devices" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			json_key(keys[i]);
			json_null();
		}
	}
	json_key("notes");
	json_begin('[');
	for (int i = 0; i < note_count; i++)
		json_string(notes[i]);
	json_end(']');
	json_end('}');
}
