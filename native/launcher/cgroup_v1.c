/* cgroup v1: every controller (or group of controllers mounted together) is a hierarchy of its own,
 * mounted on its own directory: /sys/fs/cgroup/memory, /sys/fs/cgroup/pids, ... A process is in
 * one cgroup per hierarchy, so a container's cgroup is a directory in each:
 *
 *   /sys/fs/cgroup/memory/isolab/NAME/memory.limit_in_bytes
 *   /sys/fs/cgroup/pids/isolab/NAME/pids.max
 *   ...
 *
 * and joining it means a write into every one of them: a PID into cgroup.procs (the whole process),
 * or "0" into `tasks` (the writing thread: how the container's first process moves itself in). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

/* Controllers we use but set no limit with: freezer stops the processes while they are killed,
 * cpuacct counts CPU time (it sits beside cpu in its own hierarchy on some hosts, as here). */
#define V1_FREEZER (1u << 8)
#define V1_CPUACCT (1u << 9)

static const struct {
	const char *name; /* as mountinfo's super options list it */
	unsigned bit;
} controllers[] = {
	{ "memory", LAB_CG_NEEDS_MEMORY }, { "cpu", LAB_CG_NEEDS_CPU },   { "cpuacct", V1_CPUACCT },
	{ "cpuset", LAB_CG_NEEDS_CPUSET }, { "pids", LAB_CG_NEEDS_PIDS }, { "blkio", LAB_CG_NEEDS_IO },
	{ "devices", LAB_CG_NEEDS_DEVICES }, { "freezer", V1_FREEZER },
};
#define CONTROLLER_COUNT (sizeof(controllers) / sizeof(controllers[0]))

struct hierarchy {
	char *mount;          /* /sys/fs/cgroup/memory */
	char *parent;         /* .../isolab */
	char *dir;            /* .../isolab/NAME */
	unsigned bits;        /* which controllers it carries */
	bool created;         /* we made dir: the clean-up removes it */
};
static struct hierarchy hierarchies[CONTROLLER_COUNT];
static unsigned hierarchy_count;
static bool found;

/* The hierarchy that carries controller BIT, or NULL. */
static struct hierarchy *hierarchy_of(unsigned bit)
{
	for (unsigned i = 0; i < hierarchy_count; i++)
		if (hierarchies[i].bits & bit)
			return &hierarchies[i];
	return NULL;
}

/* Each line of /proc/self/mountinfo is one mount:
 *   36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory
 * A v1 hierarchy is a "cgroup" mount whose super options name its controllers. We take those
 * mounted directly under the root (a hierarchy mounted twice counts once: same device number). */
static void find_hierarchies(void)
{
	if (found)
		return;
	found = true;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return;
	char line[4096];
	char devices[CONTROLLER_COUNT][32];
	while (fgets(line, sizeof(line), f) != NULL && hierarchy_count < CONTROLLER_COUNT) {
		char device[32], root[PATH_MAX], target[PATH_MAX], fstype[32], super[1024];
		const char *dash = strstr(line, " - ");
		if (dash == NULL || sscanf(line, "%*s %*s %31s %4095s %4095s", device, root, target) != 3 ||
		    sscanf(dash, " - %31s %*s %1023s", fstype, super) != 2)
			continue;
		char *slash = strrchr(target, '/');
		if (strcmp(fstype, "cgroup") != 0 || strcmp(root, "/") != 0 || slash == NULL ||
		    (size_t)(slash - target) != strlen(lab_cg_root) || strncmp(target, lab_cg_root, strlen(lab_cg_root)) != 0)
			continue;
		bool seen = false;
		for (unsigned i = 0; i < hierarchy_count; i++)
			seen = seen || strcmp(devices[i], device) == 0;
		unsigned bits = 0;
		for (char *option = strtok(super, ","); option != NULL; option = strtok(NULL, ","))
			for (size_t c = 0; c < CONTROLLER_COUNT; c++)
				if (strcmp(option, controllers[c].name) == 0)
					bits |= controllers[c].bit;
		if (seen || bits == 0)
			continue; /* a named hierarchy (name=systemd) or one we have no use for (net_cls) */
		struct hierarchy *h = &hierarchies[hierarchy_count];
		snprintf(devices[hierarchy_count++], sizeof(devices[0]), "%s", device);
		h->mount = lab_strdup(lab_cg_step, target);
		h->bits = bits;
	}
	fclose(f);
}

static void set_dirs(void)
{
	for (unsigned i = 0; i < hierarchy_count; i++) {
		struct hierarchy *h = &hierarchies[i];
		/* NAME is fixed for the run: the paths, once made, stay (and the clean-up may use them). */
		if (h->dir != NULL)
			continue;
		char path[PATH_MAX];
		lab_cg_path(path, h->mount, LAB_CG_PARENT);
		h->parent = lab_strdup(lab_cg_step, path);
		lab_cg_path(path, h->parent, lab_cg_name);
		h->dir = lab_strdup(lab_cg_step, path);
	}
}

static const char *v1_check(unsigned needs, const struct lab_cg_limits *limits)
{
	find_hierarchies();
	if (hierarchy_count == 0) {
		return lab_problem("no cgroup v1 hierarchy is mounted under %.128s", lab_cg_root);
	}
	for (size_t c = 0; c < CONTROLLER_COUNT; c++)
		if ((needs & controllers[c].bit) && hierarchy_of(controllers[c].bit) == NULL) {
			return lab_problem("the %s controller is not available: no cgroup v1 hierarchy under %.128s carries it",
					   controllers[c].name, lab_cg_root);
		}
	struct hierarchy *memory = hierarchy_of(LAB_CG_NEEDS_MEMORY);
	if (limits->memory_swap && !lab_cg_file_exists(memory->mount, "memory.memsw.limit_in_bytes")) {
		return lab_problem("--memory-swap is not available on this host because the kernel does not account swap "
				   "(%.128s/memory.memsw.limit_in_bytes is missing; boot with swapaccount=1)", memory->mount);
	}
	return NULL;
}

/* A new cpuset cgroup starts with no CPUs and no memory nodes, and the kernel refuses to put a
 * process there (ENOSPC) until it has some: give it its parent's. */
static void inherit_cpuset(const char *from, const char *to)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (int i = 0; i < 2; i++) {
		char mine[1024], parents[1024];
		if (lab_cg_read(to, files[i], mine, sizeof(mine)) < 0 || lab_cg_read(from, files[i], parents, sizeof(parents)) < 0)
			die_with_error(lab_cg_step, "read(\"%s/%s\")", to, files[i]);
		if (mine[0] == '\0')
			lab_cg_write(to, files[i], parents);
	}
}

static void v1_create(unsigned needs)
{
	(void)needs; /* every hierarchy we know, so that a later --cgroup-update can set any limit */
	set_dirs();
	for (unsigned i = 0; i < hierarchy_count; i++) {
		struct hierarchy *h = &hierarchies[i];
		/* isolab/ is shared by every container and stays; it may be there already. */
		if (mkdir(h->parent, 0755) < 0 && errno != EEXIST)
			die_with_error("cgroup_create", "mkdir(\"%s\")", h->parent);
		if (h->bits & LAB_CG_NEEDS_CPUSET)
			inherit_cpuset(h->mount, h->parent);
		/* mkdir is atomic: EEXIST means another container (or anyone) has this name. */
		if (mkdir(h->dir, 0755) < 0) {
			if (errno == EEXIST)
				die_with_error("cgroup_create", "mkdir(\"%s\"): refusing a cgroup that is not ours", h->dir);
			die_with_error("cgroup_create", "mkdir(\"%s\")", h->dir);
		}
		h->created = true;
		if (h->bits & LAB_CG_NEEDS_CPUSET)
			inherit_cpuset(h->parent, h->dir);
	}
}

static bool v1_exists(unsigned needs)
{
	set_dirs();
	for (unsigned i = 0; i < hierarchy_count; i++) {
		struct stat st;
		if ((hierarchies[i].bits & needs) && stat(hierarchies[i].dir, &st) < 0)
			return false;
	}
	return true;
}

static void write_number(const char *dir, const char *file, int64_t value)
{
	char text[32];
	snprintf(text, sizeof(text), "%lld", (long long)value);
	lab_cg_write(dir, file, text);
}

static void v1_write_limits(const struct lab_cg_limits *l, bool updating)
{
	if (l->memory || l->memory_swap) {
		const char *dir = hierarchy_of(LAB_CG_NEEDS_MEMORY)->dir;
		/* memory.memsw (memory + swap) may never be below memory.limit: when raising both, raise
		 * memsw first, when lowering, memory first (runc does the same). */
		bool swap_first = !l->memory;
		char current[32];
		if (l->memory_swap && updating && lab_cg_read(dir, "memory.memsw.limit_in_bytes", current, sizeof(current)) == 0)
			swap_first = swap_first || l->memory_swap == -1 || l->memory_swap > strtoll(current, NULL, 10);
		if (l->memory_swap && swap_first)
			write_number(dir, "memory.memsw.limit_in_bytes", l->memory_swap);
		if (l->memory)
			write_number(dir, "memory.limit_in_bytes", l->memory);
		if (l->memory_swap && !swap_first)
			write_number(dir, "memory.memsw.limit_in_bytes", l->memory_swap);
	}
	const char *cpu = (l->cpu_period || l->cpu_quota || l->cpu_shares) ? hierarchy_of(LAB_CG_NEEDS_CPU)->dir : NULL;
	/* CFS bandwidth: in every period of cfs_period_us, the cgroup may run for cfs_quota_us. */
	if (l->cpu_period)
		write_number(cpu, "cpu.cfs_period_us", l->cpu_period);
	if (l->cpu_quota)
		write_number(cpu, "cpu.cfs_quota_us", l->cpu_quota);
	if (l->cpu_shares)
		write_number(cpu, "cpu.shares", l->cpu_shares);
	if (l->cpuset_cpus)
		lab_cg_write(hierarchy_of(LAB_CG_NEEDS_CPUSET)->dir, "cpuset.cpus", l->cpuset_cpus);
	if (l->cpuset_mems)
		lab_cg_write(hierarchy_of(LAB_CG_NEEDS_CPUSET)->dir, "cpuset.mems", l->cpuset_mems);
	if (l->pids_set) {
		if (l->pids_limit < 0)
			lab_cg_write(hierarchy_of(LAB_CG_NEEDS_PIDS)->dir, "pids.max", "max");
		else
			write_number(hierarchy_of(LAB_CG_NEEDS_PIDS)->dir, "pids.max", l->pids_limit);
	}
	static const char *const throttle_files[] = {
		[LAB_CG_READ_BPS] = "blkio.throttle.read_bps_device",
		[LAB_CG_WRITE_BPS] = "blkio.throttle.write_bps_device",
		[LAB_CG_READ_IOPS] = "blkio.throttle.read_iops_device",
		[LAB_CG_WRITE_IOPS] = "blkio.throttle.write_iops_device",
	};
	for (unsigned i = 0; i < l->throttle_count; i++) {
		const struct lab_cg_throttle *t = &l->throttles[i];
		char line[64];
		/* One device per write; a rate of 0 removes that device's limit. */
		snprintf(line, sizeof(line), "%u:%u %llu", t->major, t->minor, (unsigned long long)t->rate);
		lab_cg_write(hierarchy_of(LAB_CG_NEEDS_IO)->dir, throttle_files[t->kind], line);
	}
}

static void v1_write_devices(const struct lab_cg_device_rule *rules, unsigned count)
{
	/* No devices hierarchy: only --device-policy allow-all gets here (check() refuses the rest),
	 * and without the controller every device is allowed already. */
	const struct hierarchy *devices = hierarchy_of(LAB_CG_NEEDS_DEVICES);
	if (devices == NULL)
		return;
	const char *dir = devices->dir;
	/* The kernel keeps the list: each write to devices.deny or devices.allow changes it, and "a"
	 * (every device, every access) replaces the whole list with deny-all or allow-all. */
	for (unsigned i = 0; i < count; i++) {
		const struct lab_cg_device_rule *r = &rules[i];
		char line[48], major_text[16] = "*", minor_text[16] = "*";
		if (r->major != LAB_CG_ANY)
			snprintf(major_text, sizeof(major_text), "%ld", r->major);
		if (r->minor != LAB_CG_ANY)
			snprintf(minor_text, sizeof(minor_text), "%ld", r->minor);
		if (r->type == 'a')
			snprintf(line, sizeof(line), "a");
		else
			snprintf(line, sizeof(line), "%c %s:%s %s", r->type, major_text, minor_text, r->access);
		lab_cg_write(dir, r->allow ? "devices.allow" : "devices.deny", line);
	}
}

static void v1_attach(pid_t pid)
{
	char text[16];
	snprintf(text, sizeof(text), "%d", (int)pid);
	for (unsigned i = 0; i < hierarchy_count; i++)
		lab_cg_write(hierarchies[i].dir, "cgroup.procs", text);
}

static unsigned v1_open_self_move(int *fds, unsigned max)
{
	set_dirs();
	unsigned count = 0;
	for (unsigned i = 0; i < hierarchy_count && count < max; i++) {
		char path[PATH_MAX];
		lab_cg_path(path, hierarchies[i].dir, "tasks");
		fds[count] = open(path, O_WRONLY | O_CLOEXEC);
		if (fds[count] < 0)
			die_with_error(lab_cg_step, "open(\"%s\", O_WRONLY)", path);
		count++;
	}
	return count;
}

/* v1's freezer: FROZEN stops every process of the cgroup (and every one it forks meanwhile), so
 * a fork loop cannot outrun the kill. Frozen processes die once thawed. */
static void freeze(const char *dir, const char *state)
{
	if (lab_cg_try_write(dir, "freezer.state", state) < 0)
		return; /* then we kill without freezing, and simply loop more */
	for (int tries = 0; tries < 1000 && strcmp(state, "FROZEN") == 0; tries++) {
		char now[32];
		if (lab_cg_read(dir, "freezer.state", now, sizeof(now)) < 0 || strcmp(now, "FREEZING") != 0)
			return;
		lab_cg_pause();
	}
}

static void v1_destroy(void)
{
	struct hierarchy *freezer = hierarchy_of(V1_FREEZER);
	if (freezer != NULL && !freezer->created)
		freezer = NULL;
	/* Until no hierarchy lists a process: freeze, SIGKILL every one listed, thaw. The launcher
	 * has normally reaped them all already; this catches anything that got away from it. */
	for (int round = 0; round < 5000; round++) {
		int left = 0;
		if (freezer != NULL)
			freeze(freezer->dir, "FROZEN");
		for (unsigned i = 0; i < hierarchy_count; i++)
			if (hierarchies[i].created) {
				int n = lab_cg_kill_procs(hierarchies[i].dir);
				left += n > 0 ? n : 0;
			}
		if (freezer != NULL)
			freeze(freezer->dir, "THAWED");
		if (left == 0)
			break;
		lab_cg_reap_ours();
		lab_cg_pause();
	}
	for (unsigned i = 0; i < hierarchy_count; i++) {
		struct hierarchy *h = &hierarchies[i];
		if (!h->created)
			continue;
		if (lab_cg_rmdir(h->dir) < 0)
			lab_say("clean-up: rmdir(\"%s\"): %s", h->dir, strerror(errno));
		h->created = false;
	}
}

const struct lab_cg_ops lab_cg_v1_ops = {
	.name = "v1",
	.version = 1,
	.check = v1_check,
	.create = v1_create,
	.exists = v1_exists,
	.write_limits = v1_write_limits,
	.write_devices = v1_write_devices,
	.open_dir = NULL, /* one directory per hierarchy: clone3 can place a child in a cgroup2 one only */
	.attach = v1_attach,
	.self_move_file = "tasks",
	.open_self_move = v1_open_self_move,
	.destroy = v1_destroy,
};
