/* cgroup v2: one hierarchy for every controller. A container's cgroup is one directory,
 *
 *   /sys/fs/cgroup/isolab/NAME/{memory.max, cpu.max, pids.max, io.max, cgroup.procs, ...}
 *
 * and a controller works in it only once every ancestor has it in cgroup.subtree_control (a parent
 * hands its controllers down explicitly). There is no devices controller: access to device nodes
 * is decided by a BPF program attached to the cgroup (cgroup_bpf.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

static const struct {
	const char *name;
	unsigned bit;
} controllers[] = {
	{ "memory", LAB_CG_NEEDS_MEMORY }, { "cpu", LAB_CG_NEEDS_CPU }, { "cpuset", LAB_CG_NEEDS_CPUSET },
	{ "pids", LAB_CG_NEEDS_PIDS },     { "io", LAB_CG_NEEDS_IO },
};
#define CONTROLLER_COUNT (sizeof(controllers) / sizeof(controllers[0]))

static char parent[PATH_MAX]; /* <root>/isolab */
static char dir[PATH_MAX];    /* <root>/isolab/NAME */
static bool created;

static void set_dirs(void)
{
	lab_cg_path(parent, lab_cg_root, LAB_CG_PARENT);
	lab_cg_path(dir, parent, lab_cg_name);
}

/* Is NAME one of the space-separated words in LIST ("cpuset cpu io memory pids")? */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

static const char *v2_check(unsigned needs, const struct lab_cg_limits *limits)
{
	(void)limits; /* memory.swap.max exists only below the root: checked when it is written */
	char available[256];
	if (lab_cg_read(lab_cg_root, "cgroup.controllers", available, sizeof(available)) < 0) {
		return lab_problem("%.128s is not a cgroup v2 hierarchy (no cgroup.controllers)", lab_cg_root);
	}
	for (size_t c = 0; c < CONTROLLER_COUNT; c++)
		if ((needs & controllers[c].bit) && !listed(available, controllers[c].name)) {
			return lab_problem("the %s controller is not available in %.128s (its cgroup.controllers lists: %.64s)",
					   controllers[c].name, lab_cg_root, available[0] ? available : "nothing");
		}
	return NULL;
}

/* Hands the controllers NEEDS asks for down from the root to isolab/ and from isolab/ to NAME. */
static void enable_controllers(unsigned needs)
{
	const char *const levels[] = { lab_cg_root, parent };
	for (int level = 0; level < 2; level++)
		for (size_t c = 0; c < CONTROLLER_COUNT; c++) {
			char enabled[256];
			if (!(needs & controllers[c].bit))
				continue;
			if (lab_cg_read(levels[level], "cgroup.subtree_control", enabled, sizeof(enabled)) < 0)
				die_with_error(lab_cg_step, "read(\"%s/cgroup.subtree_control\")", levels[level]);
			if (listed(enabled, controllers[c].name))
				continue;
			char change[16];
			snprintf(change, sizeof(change), "+%s", controllers[c].name);
			lab_cg_write(levels[level], "cgroup.subtree_control", change);
		}
}

static void v2_create(unsigned needs)
{
	set_dirs();
	/* isolab/ is shared by every container and stays; it may be there already. */
	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		die_with_error("cgroup_create", "mkdir(\"%s\")", parent);
	enable_controllers(needs);
	/* mkdir is atomic: EEXIST means another container (or anyone) has this name. */
	if (mkdir(dir, 0755) < 0) {
		if (errno == EEXIST)
			die_with_error("cgroup_create", "mkdir(\"%s\"): refusing a cgroup that is not ours", dir);
		die_with_error("cgroup_create", "mkdir(\"%s\")", dir);
	}
	created = true;
}

static bool v2_exists(unsigned needs)
{
	(void)needs;
	set_dirs();
	struct stat st;
	return stat(dir, &st) == 0;
}

/* cgroup v1's cpu.shares (2..262144, default 1024) as v2's cpu.weight (1..10000, default 100): the
 * curve runc (PR #4785) and crun (#1721) adopted in 2025, which keeps 2 → 1, 1024 → 100,
 * 262144 → 10000 (the older straight line mapped the default 1024 to 39). */
static int64_t shares_to_weight(int64_t shares)
{
	if (shares <= 2)
		return 1;
	if (shares >= 262144)
		return 10000;
	double l = log2((double)shares);
	return (int64_t)ceil(pow(10, (l * l + 125 * l) / 612.0 - 7.0 / 34.0));
}

static void write_max(const char *file, int64_t value)
{
	char text[32];
	if (value < 0)
		snprintf(text, sizeof(text), "max");
	else
		snprintf(text, sizeof(text), "%lld", (long long)value);
	lab_cg_write(dir, file, text);
}

/* cpu.max is "QUOTA PERIOD" in microseconds, QUOTA "max" for none; a single number changes only
 * the quota. */
static void write_cpu_max(const struct lab_cg_limits *l)
{
	char quota[32], line[80];
	if (!l->cpu_quota && !l->cpu_period)
		return;
	if (l->cpu_quota < 0) {
		snprintf(quota, sizeof(quota), "max");
	} else if (l->cpu_quota > 0) {
		snprintf(quota, sizeof(quota), "%lld", (long long)l->cpu_quota);
	} else {
		/* Only the period changes: keep the quota there is. */
		char current[64];
		if (lab_cg_read(dir, "cpu.max", current, sizeof(current)) < 0)
			die_with_error(lab_cg_step, "read(\"%s/cpu.max\")", dir);
		snprintf(quota, sizeof(quota), "%.*s", (int)strcspn(current, " "), current);
	}
	if (l->cpu_period)
		snprintf(line, sizeof(line), "%s %lld", quota, (long long)l->cpu_period);
	else
		snprintf(line, sizeof(line), "%s", quota);
	lab_cg_write(dir, "cpu.max", line);
}

static void v2_write_limits(const struct lab_cg_limits *l, bool updating)
{
	if (updating) /* a limit the container started without may need its controller now */
		enable_controllers(lab_cg_needs(l, false));
	if (l->memory)
		write_max("memory.max", l->memory);
	if (l->memory_swap) {
		/* v1 and docker count memory + swap; v2 counts swap alone. */
		if (!lab_cg_file_exists(dir, "memory.swap.max")) {
			die_with_errno(ENOENT, lab_cg_step, "--memory-swap is not available on this host because the kernel "
				       "does not account swap (%s/memory.swap.max is missing)", dir);
		}
		write_max("memory.swap.max", l->memory_swap < 0 ? -1 : l->memory_swap - l->memory);
	}
	write_cpu_max(l);
	if (l->cpu_shares)
		write_max("cpu.weight", shares_to_weight(l->cpu_shares));
	if (l->cpuset_cpus)
		lab_cg_write(dir, "cpuset.cpus", l->cpuset_cpus);
	if (l->cpuset_mems)
		lab_cg_write(dir, "cpuset.mems", l->cpuset_mems);
	if (l->pids_set)
		write_max("pids.max", l->pids_limit);
	/* io.max: one line per device, "MAJ:MIN rbps=N wbps=N riops=N wiops=N", "max" for none. */
	static const char *const keys[] = {
		[LAB_CG_READ_BPS] = "rbps", [LAB_CG_WRITE_BPS] = "wbps",
		[LAB_CG_READ_IOPS] = "riops", [LAB_CG_WRITE_IOPS] = "wiops",
	};
	for (unsigned i = 0; i < l->throttle_count; i++) {
		const struct lab_cg_throttle *t = &l->throttles[i];
		char line[80];
		if (t->rate == 0)
			snprintf(line, sizeof(line), "%u:%u %s=max", t->major, t->minor, keys[t->kind]);
		else
			snprintf(line, sizeof(line), "%u:%u %s=%llu", t->major, t->minor, keys[t->kind], (unsigned long long)t->rate);
		lab_cg_write(dir, "io.max", line);
	}
}

static void v2_write_devices(const struct lab_cg_device_rule *rules, unsigned count)
{
	/* Allow-all is the absence of a program: nothing to attach. */
	if (count == 1 && rules[0].allow && rules[0].type == 'a')
		return;
	struct lab_bpf_program prog;
	lab_bpf_device_program(rules, count, &prog);
	lab_bpf_attach_device_program(&prog, dir);
}

/* O_PATH: the descriptor only names the directory for clone3, which looks it up with fget_raw();
 * nothing is read or written through it. */
static int v2_open_dir(void)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die_with_error(lab_cg_step, "open(\"%s\", O_PATH|O_DIRECTORY)", dir);
	return fd;
}

static void v2_attach(pid_t pid)
{
	char text[16];
	snprintf(text, sizeof(text), "%d", (int)pid);
	lab_cg_write(dir, "cgroup.procs", text);
}

static unsigned v2_open_self_move(int *fds, unsigned max)
{
	set_dirs();
	char path[PATH_MAX];
	lab_cg_path(path, dir, "cgroup.procs");
	if (max == 0)
		return 0;
	fds[0] = open(path, O_WRONLY | O_CLOEXEC);
	if (fds[0] < 0)
		die_with_error(lab_cg_step, "open(\"%s\", O_WRONLY)", path);
	return 1;
}

/* cgroup.events says "populated 1" while any process is in the cgroup (or below it). */
static bool populated(void)
{
	char events[256];
	if (lab_cg_read(dir, "cgroup.events", events, sizeof(events)) < 0)
		return lab_cg_kill_procs(dir) > 0;
	return strstr(events, "populated 1") != NULL;
}

static void v2_destroy(void)
{
	if (!created)
		return;
	created = false;
	/* cgroup.kill (Linux 5.14) SIGKILLs every process in the cgroup at once, forks in flight
	 * included. Before it: freeze (cgroup.freeze, 5.2), SIGKILL each listed process, thaw. The
	 * launcher has normally reaped them all already; this catches anything that got away. */
	bool has_kill = lab_cg_file_exists(dir, "cgroup.kill");
	for (int round = 0; round < 5000 && populated(); round++) {
		if (has_kill) {
			lab_cg_try_write(dir, "cgroup.kill", "1");
		} else {
			lab_cg_try_write(dir, "cgroup.freeze", "1");
			lab_cg_kill_procs(dir);
			lab_cg_try_write(dir, "cgroup.freeze", "0");
		}
		lab_cg_reap_ours();
		lab_cg_pause();
	}
	if (lab_cg_rmdir(dir) < 0)
		lab_say("clean-up: rmdir(\"%s\"): %s", dir, strerror(errno));
}

const struct lab_cg_ops lab_cg_v2_ops = {
	.name = "v2",
	.version = 2,
	.check = v2_check,
	.create = v2_create,
	.exists = v2_exists,
	.write_limits = v2_write_limits,
	.write_devices = v2_write_devices,
	.open_dir = v2_open_dir,
	.attach = v2_attach,
	.self_move_file = "cgroup.procs",
	.open_self_move = v2_open_self_move,
	.destroy = v2_destroy,
};
