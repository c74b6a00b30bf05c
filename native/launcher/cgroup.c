/* cgroups: a directory per container in which the kernel counts and limits what its processes use
 * (memory, CPU time, CPUs, process count, block I/O, devices), behind one interface with a v1 and a
 * v2 backend; the cgroup namespace; and live updates of a running container's limits.
 *
 *   parent, before clone()   cgroup_create   <root>/isolab/NAME (v1: in every hierarchy)
 *                            cgroup_limits   write the limit files
 *                            cgroup_devices  v1: devices.deny/allow; v2: attach a BPF program
 *   parent, at clone()       (clone)         v2: clone3(CLONE_INTO_CGROUP) creates the child in it
 *   child, first             cgroup_enter    v1: the child moves itself in, writing "0" to `tasks`
 *   parent, after clone()    cgroup_attach   otherwise: write the child's PID into cgroup.procs
 *   child, after "go"        cgroupns        unshare(CLONE_NEWCGROUP): our cgroup becomes "/"
 *   parent, at the end       (clean-up)      kill whatever is left in the cgroup, rmdir it
 *
 * Which backend: what the host mounted on /sys/fs/cgroup decides (as crun does). cgroup2 there:
 * v2. Otherwise a directory of v1 hierarchies, often with a cgroup2 beside them at
 * /sys/fs/cgroup/unified ("hybrid"): v1, unless the controllers asked for live only in unified.
 * Contract: native/README.md. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/sched.h> /* struct clone_args, CLONE_INTO_CGROUP */

#include "cgroup.h"

char lab_cg_root[PATH_MAX];
char lab_cg_name[LAB_CG_NAME_MAX + 1];
const char *lab_cg_step = "args";

/* ---- what the options said ---- */

static const char *cgroup_option;        /* --cgroup NAME */
static const char *update_option;        /* --cgroup-update NAME */
static const char *root_option;          /* --cgroup-root DIR */
static bool print_program;               /* --cgroup-device-program */
static bool attach_after_clone;          /* --cgroup-attach-after-clone */
static struct lab_cg_limits limits;
static const char *first_limit;          /* the first limit option seen, to name it in messages */
static int64_t nano_cpus;                /* --cpus, in billionths of a CPU */
static bool allow_all_devices;           /* --device-policy allow-all */
static bool device_options;              /* any --device-policy or --device-cgroup-rule */
static struct lab_cg_device_rule user_rules[LAB_CG_MAX_RULES];
static unsigned user_rule_count;

/* ---- decided by validate() ---- */

static const struct lab_cg_ops *ops;     /* the backend */
static unsigned needs;                   /* LAB_CG_NEEDS_* */
static struct lab_cg_device_rule rules[LAB_CG_MAX_RULES * 2];
static unsigned rule_count;

/* ---- parsing, with docker's syntax ---- */

static void note_limit(const char *option)
{
	if (first_limit == NULL)
		first_limit = option;
}

/* A size as docker reads it (go-units RAMInBytes): a number with an optional fraction, an optional
 * space, then an optional unit k, m, g, t or p (powers of 1024, any case) with an optional "i"
 * and/or "b": 512m, 1g, 1.5G, 64MiB, 100 (bytes). */
static bool parse_size(const char *s, int64_t *out)
{
	uint64_t whole;
	const char *p = lab_scan_u64(s, INT64_MAX, &whole);
	if (p == NULL)
		return false;
	unsigned long long frac = 0, frac_scale = 1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		for (; isdigit((unsigned char)*p); p++)
			if (frac_scale < 1000000000ULL) {
				frac = frac * 10 + (unsigned)(*p - '0');
				frac_scale *= 10;
			}
	}
	if (*p == ' ')
		p++;
	unsigned shift = 0;
	switch (tolower((unsigned char)*p)) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	case 'p': shift = 50; break;
	}
	if (shift != 0) {
		p++;
		if (tolower((unsigned char)*p) == 'i')
			p++;
	}
	if (tolower((unsigned char)*p) == 'b')
		p++;
	if (*p != '\0')
		return false;
	if (shift != 0 && whole > ((unsigned long long)INT64_MAX >> shift) - 1)
		return false;
	unsigned long long bytes = (whole << shift) + ((frac << shift) / frac_scale);
	if (bytes > (unsigned long long)INT64_MAX)
		return false;
	*out = (int64_t)bytes;
	return true;
}

/* "1.5" → 1500000000 billionths of a CPU; at most 9 decimals, as docker's NanoCPUs. */
static bool parse_cpus(const char *s, int64_t *out)
{
	const char *p = s;
	uint64_t whole = 0; /* ".5" has none; more than a million CPUs no host has */
	int64_t frac = 0;
	int decimals = 0;
	if (*p != '.' && (p = lab_scan_u64(s, 1000000, &whole)) == NULL)
		return false;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++) {
			if (++decimals > 9)
				return false;
			frac = frac * 10 + (*p - '0');
		}
	if (*p != '\0' || (p == s + 1 && s[0] == '.'))
		return false;
	for (; decimals < 9; decimals++)
		frac *= 10;
	*out = (int64_t)whole * 1000000000LL + frac;
	return true;
}

/* A CPU or memory-node list as the kernel writes it: "0-3,8,10-11". Numbers below 4096. */
#define LAB_CG_MAX_CPUS 4096
static bool parse_list(const char *s, unsigned char set[LAB_CG_MAX_CPUS / 8])
{
	memset(set, 0, LAB_CG_MAX_CPUS / 8);
	const char *p = s;
	for (;;) {
		uint64_t first, last;
		if ((p = lab_scan_u64(p, LAB_CG_MAX_CPUS - 1, &first)) == NULL)
			return false;
		last = first;
		if (*p == '-' && (p = lab_scan_u64(p + 1, LAB_CG_MAX_CPUS - 1, &last)) == NULL)
			return false;
		if (first > last)
			return false;
		for (uint64_t i = first; i <= last; i++)
			set[i / 8] |= (unsigned char)(1u << (i % 8));
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

/* Is every member of LIST in the kernel's list at SYSFS_FILE (e.g. the online CPUs)? */
static const char *check_list_available(const char *option, const char *list, const char *sysfs_file, const char *fallback)
{
	unsigned char wanted[LAB_CG_MAX_CPUS / 8], have[LAB_CG_MAX_CPUS / 8];
	if (!parse_list(list, wanted))
		return lab_problem("%s: expected a list like 0-3,8 (numbers below %d), got \"%.64s\"",
				   option, LAB_CG_MAX_CPUS, list);
	char online[1024];
	int fd = open(sysfs_file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, online, sizeof(online) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		snprintf(online, sizeof(online), "%s", fallback); /* no NUMA file: a single node 0 */
	else
		online[strcspn(online, "\n")] = online[n] = '\0';
	if (!parse_list(online, have))
		return lab_problem("%s: cannot understand %s (\"%.64s\")", option, sysfs_file, online);
	for (size_t i = 0; i < sizeof(wanted); i++)
		if (wanted[i] & ~have[i])
			return lab_problem("%s: %s asks for what this host does not have (available: %.64s)",
					   option, list, online);
	return NULL;
}

/* "c 1:3 rwm" — docker's --device-cgroup-rule, the kernel's devices.allow syntax:
 * TYPE (a, b or c), MAJOR:MINOR (numbers or *), ACCESS (1-3 of r, w, m). */
static bool parse_device_rule(const char *s, struct lab_cg_device_rule *rule)
{
	*rule = (struct lab_cg_device_rule){ .allow = true, .type = s[0] };
	if ((s[0] != 'a' && s[0] != 'b' && s[0] != 'c') || s[1] != ' ')
		return false;
	const char *p = s + 2;
	long *numbers[2] = { &rule->major, &rule->minor };
	for (int i = 0; i < 2; i++) {
		if (*p == '*') {
			*numbers[i] = LAB_CG_ANY;
			p++;
		} else {
			/* The kernel's: 12 bits of major, 20 of minor. */
			uint64_t number;
			if ((p = lab_scan_u64(p, i == 0 ? 4095 : 1048575, &number)) == NULL)
				return false;
			*numbers[i] = (long)number;
		}
		if (*p++ != (i == 0 ? ':' : ' '))
			return false;
	}
	bool r = false, w = false, m = false;
	if (*p == '\0' || strlen(p) > 3)
		return false;
	for (; *p; p++) {
		/* docker's [rwm]{1,3}: a letter may repeat ("rr" is "r"). */
		bool *seen = *p == 'r' ? &r : *p == 'w' ? &w : *p == 'm' ? &m : NULL;
		if (seen == NULL)
			return false;
		*seen = true;
	}
	snprintf(rule->access, sizeof(rule->access), "%s%s%s", r ? "r" : "", w ? "w" : "", m ? "m" : "");
	return true;
}

/* ---- the options ---- */

static bool valid_name(const char *s)
{
	size_t len = strlen(s);
	/* "." and ".." are made of allowed characters but name the directory itself and its parent. */
	if (len < 1 || len > LAB_CG_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* --cgroup and --cgroup-update: a cgroup's NAME, kept in the target. */
static const char *parse_name(const struct lab_option *option, const char *value)
{
	*(const char **)option->target = value;
	if (!valid_name(value))
		return lab_problem("%s: NAME must be 1-64 of A-Z a-z 0-9 _ . - (not \".\" or \"..\")", option->name);
	return NULL;
}

static const char *parse_root(const struct lab_option *option, const char *value)
{
	(void)option;
	root_option = value;
	if (value[0] != '/' || strlen(value) >= PATH_MAX - 200)
		return "--cgroup-root: expected an absolute directory path";
	return NULL;
}

static const char *parse_memory(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	/* docker's floor: below this a container cannot even start its first process. */
	if (!parse_size(value, &limits.memory) || limits.memory < 6 * 1024 * 1024)
		return lab_problem("--memory: expected a size of at least 6m, like 512m, 1g or a number of bytes, got \"%.64s\"",
				   value);
	return NULL;
}

static const char *parse_memory_swap(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	if (strcmp(value, "-1") == 0)
		limits.memory_swap = -1;
	else if (!parse_size(value, &limits.memory_swap) || limits.memory_swap == 0)
		return lab_problem("--memory-swap: expected memory+swap as a size (like 1g) or -1 for unlimited swap, got \"%.64s\"",
				   value);
	return NULL;
}

static const char *parse_cpus_option(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	/* docker's range: a quota of at least 1 ms per 100 ms period, at most every CPU there is. */
	if (!parse_cpus(value, &nano_cpus) || nano_cpus < 10000000 || nano_cpus > online * 1000000000LL)
		return lab_problem("--cpus: expected a number of CPUs from 0.01 to %ld (like 0.5), got \"%.64s\"",
				   online, value);
	return NULL;
}

static const char *parse_cpu_quota(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	if (!lab_parse_i64(value, -1, INT64_MAX / 1000, &limits.cpu_quota) || (limits.cpu_quota >= 0 && limits.cpu_quota < 1000))
		return lab_problem("--cpu-quota: expected microseconds per period, at least 1000, or -1 for none, got \"%.64s\"",
				   value);
	return NULL;
}

static const char *parse_cpu_period(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	if (!lab_parse_i64(value, 1000, 1000000, &limits.cpu_period))
		return lab_problem("--cpu-period: expected microseconds from 1000 to 1000000, got \"%.64s\"", value);
	return NULL;
}

static const char *parse_cpu_shares(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	/* The kernel's own range for cpu.shares (MIN_SHARES, MAX_SHARES). */
	if (!lab_parse_i64(value, 2, 262144, &limits.cpu_shares))
		return lab_problem("--cpu-shares: expected a relative weight from 2 to 262144 (default 1024), got \"%.64s\"",
				   value);
	return NULL;
}

/* --cpuset-cpus and --cpuset-mems: the list, kept in the target, of what the host has online
 * (ARG: the CPUs, or the memory nodes). */
enum { ONLINE_CPUS, ONLINE_NODES };
static const char *parse_cpuset(const struct lab_option *option, const char *value)
{
	static const char *const online_file[] = {
		[ONLINE_CPUS] = "/sys/devices/system/cpu/online",
		[ONLINE_NODES] = "/sys/devices/system/node/online",
	};
	note_limit(option->name);
	*(const char **)option->target = value;
	return check_list_available(option->name, value, online_file[option->arg], "0");
}

static const char *parse_pids_limit(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	if (!lab_parse_i64(value, -1, INT64_MAX, &limits.pids_limit))
		return lab_problem("--pids-limit: expected a number of processes, or 0 or -1 for unlimited, got \"%.64s\"",
				   value);
	/* docker: 0 and -1 both mean no limit. */
	if (limits.pids_limit == 0)
		limits.pids_limit = -1;
	limits.pids_set = true;
	return NULL;
}

/* --device-read-bps and the like (ARG: which), MAJ:MIN:RATE or /dev/PATH:RATE (docker takes only
 * the path). */
static const char *parse_throttle(const struct lab_option *option, const char *value)
{
	enum lab_cg_throttle_kind kind = option->arg;
	note_limit(option->name);
	bool bytes = kind == LAB_CG_READ_BPS || kind == LAB_CG_WRITE_BPS;
	if (limits.throttle_count == LAB_CG_MAX_THROTTLES)
		return lab_problem("%s: at most %d device throttles", option->name, LAB_CG_MAX_THROTTLES);
	struct lab_cg_throttle *t = &limits.throttles[limits.throttle_count];
	t->kind = kind;
	const char *colon = strrchr(value, ':');
	if (colon == NULL || colon == value)
		goto syntax;
	int64_t rate;
	if (!(bytes ? parse_size(colon + 1, &rate) : lab_parse_i64(colon + 1, 0, INT64_MAX, &rate)))
		goto syntax;
	t->rate = (uint64_t)rate;
	if (value[0] == '/') {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof(path), "%.*s", (int)(colon - value), value);
		if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
			return lab_problem("%s: %.128s is not a block device", option->name, path);
		t->major = major(st.st_rdev);
		t->minor = minor(st.st_rdev);
	} else {
		/* MAJOR:MINOR, and the colon after MINOR the one before RATE. */
		uint64_t major_number, minor_number;
		const char *p = lab_scan_u64(value, UINT32_MAX, &major_number);
		if (p == NULL || *p != ':' || (p = lab_scan_u64(p + 1, UINT32_MAX, &minor_number)) != colon)
			goto syntax;
		t->major = (unsigned)major_number;
		t->minor = (unsigned)minor_number;
	}
	limits.throttle_count++;
	return NULL;
syntax:
	return lab_problem("%s: expected MAJOR:MINOR:RATE or /dev/PATH:RATE, RATE %s, got \"%.64s\"", option->name,
		       bytes ? "bytes per second (like 1m)" : "operations per second", value);
}

static const char *parse_device_cgroup_rule(const struct lab_option *option, const char *value)
{
	(void)option;
	device_options = true;
	if (user_rule_count == LAB_CG_MAX_RULES)
		return lab_problem("--device-cgroup-rule: at most %d rules", LAB_CG_MAX_RULES);
	if (!parse_device_rule(value, &user_rules[user_rule_count]))
		return lab_problem("--device-cgroup-rule: expected 'TYPE MAJOR:MINOR ACCESS' (TYPE a, b or c; MAJOR, MINOR a "
			       "number or *; ACCESS 1-3 letters of r, w, m), like 'c 1:3 rwm', got \"%.64s\"", value);
	user_rule_count++;
	return NULL;
}

static const char *parse_device_policy(const struct lab_option *option, const char *value)
{
	(void)option;
	device_options = true;
	if (strcmp(value, "default") == 0)
		allow_all_devices = false;
	else if (strcmp(value, "allow-all") == 0)
		allow_all_devices = true;
	else
		return lab_problem("--device-policy: expected default or allow-all, got \"%.64s\"", value);
	return NULL;
}

static const struct lab_option options[] = {
	{ "--cgroup", true, parse_name, &cgroup_option, 0 },
	{ "--cgroup-update", true, parse_name, &update_option, 0 },
	{ "--cgroup-root", true, parse_root, NULL, 0 },
	{ "--cgroup-device-program", false, lab_option_flag, &print_program, 0 },
	{ "--cgroup-attach-after-clone", false, lab_option_flag, &attach_after_clone, 0 },
	{ "--memory", true, parse_memory, NULL, 0 },
	{ "--memory-swap", true, parse_memory_swap, NULL, 0 },
	{ "--cpus", true, parse_cpus_option, NULL, 0 },
	{ "--cpu-quota", true, parse_cpu_quota, NULL, 0 },
	{ "--cpu-period", true, parse_cpu_period, NULL, 0 },
	{ "--cpu-shares", true, parse_cpu_shares, NULL, 0 },
	{ "--cpuset-cpus", true, parse_cpuset, &limits.cpuset_cpus, ONLINE_CPUS },
	{ "--cpuset-mems", true, parse_cpuset, &limits.cpuset_mems, ONLINE_NODES },
	{ "--pids-limit", true, parse_pids_limit, NULL, 0 },
	{ "--device-read-bps", true, parse_throttle, NULL, LAB_CG_READ_BPS },
	{ "--device-write-bps", true, parse_throttle, NULL, LAB_CG_WRITE_BPS },
	{ "--device-read-iops", true, parse_throttle, NULL, LAB_CG_READ_IOPS },
	{ "--device-write-iops", true, parse_throttle, NULL, LAB_CG_WRITE_IOPS },
	{ "--device-cgroup-rule", true, parse_device_cgroup_rule, NULL, 0 },
	{ "--device-policy", true, parse_device_policy, NULL, 0 },
	{ NULL },
};

/* ---- the device list ---- */

/* What docker gives a container that is not --privileged (moby's default spec plus the rules runc
 * appends): nothing, except creating any device node (mknod is harmless without the right to open
 * it) and the few devices every program expects. runc 1.2.3+ also allows c 10:200 (/dev/net/tun)
 * for backward compatibility; a container here gets no /dev/net/tun, so neither do we. */
static const struct lab_cg_device_rule docker_default_rules[] = {
	{ false, 'a', LAB_CG_ANY, LAB_CG_ANY, "rwm" }, /* deny everything, then: */
	{ true, 'c', LAB_CG_ANY, LAB_CG_ANY, "m" },    /* mknod of any character device */
	{ true, 'b', LAB_CG_ANY, LAB_CG_ANY, "m" },    /* mknod of any block device */
	{ true, 'c', 1, 3, "rwm" },                    /* /dev/null */
	{ true, 'c', 1, 5, "rwm" },                    /* /dev/zero */
	{ true, 'c', 1, 7, "rwm" },                    /* /dev/full */
	{ true, 'c', 1, 8, "rwm" },                    /* /dev/random */
	{ true, 'c', 1, 9, "rwm" },                    /* /dev/urandom */
	{ true, 'c', 5, 0, "rwm" },                    /* /dev/tty */
	{ true, 'c', 5, 1, "rwm" },                    /* /dev/console */
	{ true, 'c', 5, 2, "rwm" },                    /* /dev/ptmx */
	{ true, 'c', 136, LAB_CG_ANY, "rwm" },         /* /dev/pts/N */
};

static bool is_everything(const struct lab_cg_device_rule *r)
{
	return r->type == 'a' && r->major == LAB_CG_ANY && r->minor == LAB_CG_ANY && strcmp(r->access, "rwm") == 0;
}

static void add_rule(struct lab_cg_device_rule rule)
{
	rules[rule_count++] = rule;
}

/* The rules both backends apply, first one first. cgroup v1 reads "a" as "every device, every
 * access" whatever follows it, so a rule for type a that names numbers or fewer accesses becomes
 * one rule for b and one for c, meaning exactly what it says in either version. */
static void build_device_rules(void)
{
	rule_count = 0;
	if (allow_all_devices) {
		add_rule((struct lab_cg_device_rule){ true, 'a', LAB_CG_ANY, LAB_CG_ANY, "rwm" });
		return;
	}
	for (size_t i = 0; i < sizeof(docker_default_rules) / sizeof(docker_default_rules[0]); i++)
		add_rule(docker_default_rules[i]);
	for (unsigned i = 0; i < user_rule_count; i++) {
		struct lab_cg_device_rule rule = user_rules[i];
		if (rule.type == 'a' && !is_everything(&rule)) {
			rule.type = 'c';
			add_rule(rule);
			rule.type = 'b';
		}
		add_rule(rule);
	}
}

static void format_rule(const struct lab_cg_device_rule *r, char *out, size_t size)
{
	char major_text[16] = "*", minor_text[16] = "*";
	if (r->major != LAB_CG_ANY)
		snprintf(major_text, sizeof(major_text), "%ld", r->major);
	if (r->minor != LAB_CG_ANY)
		snprintf(minor_text, sizeof(minor_text), "%ld", r->minor);
	snprintf(out, size, "%s %c %s:%s %s", r->allow ? "allow" : "deny", r->type, major_text, minor_text, r->access);
}

/* ---- choosing the backend ---- */

unsigned lab_cg_needs(const struct lab_cg_limits *l, bool devices)
{
	unsigned n = 0;
	if (l->memory || l->memory_swap)
		n |= LAB_CG_NEEDS_MEMORY;
	if (l->cpu_quota || l->cpu_period || l->cpu_shares)
		n |= LAB_CG_NEEDS_CPU;
	if (l->cpuset_cpus || l->cpuset_mems)
		n |= LAB_CG_NEEDS_CPUSET;
	if (l->pids_set)
		n |= LAB_CG_NEEDS_PIDS;
	if (l->throttle_count)
		n |= LAB_CG_NEEDS_IO;
	if (devices)
		n |= LAB_CG_NEEDS_DEVICES;
	return n;
}

static long fs_type(const char *path)
{
	struct statfs fs;
	return statfs(path, &fs) < 0 ? -1 : (long)fs.f_type;
}

static void set_root(const char *path)
{
	snprintf(lab_cg_root, sizeof(lab_cg_root), "%s", path);
}

/* The magic number of the filesystem says which cgroup version a directory belongs to. */
static const char *choose_backend(void)
{
	if (root_option != NULL) {
		/* A test hook (and a way to nest under a delegated subtree): it must be a real cgroup
		 * filesystem, never a directory we would merely create files in. */
		set_root(root_option);
		long type = fs_type(root_option);
		if (type == CGROUP2_SUPER_MAGIC)
			ops = &lab_cg_v2_ops;
		else if (type == CGROUP_SUPER_MAGIC)
			return lab_problem("--cgroup-root: %s is one cgroup v1 hierarchy; give the directory that holds them "
					   "(like /sys/fs/cgroup)",
					   root_option);
		else if (type == TMPFS_MAGIC)
			ops = &lab_cg_v1_ops;
		else
			return lab_problem("--cgroup-root: %s is not a cgroup filesystem (neither cgroup2 nor a tmpfs of cgroup v1 hierarchies)",
					   root_option);
		return ops->check(needs, &limits);
	}
	if (fs_type("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC) {
		set_root("/sys/fs/cgroup");
		ops = &lab_cg_v2_ops;
		return ops->check(needs, &limits);
	}
	/* Legacy or hybrid: v1 hierarchies under /sys/fs/cgroup, maybe cgroup2 on .../unified. */
	set_root("/sys/fs/cgroup");
	ops = &lab_cg_v1_ops;
	const char *v1_problem = ops->check(needs, &limits);
	if (v1_problem == NULL || fs_type("/sys/fs/cgroup/unified") != CGROUP2_SUPER_MAGIC)
		return v1_problem;
	/* Hybrid with the controllers we need given to the unified hierarchy instead. */
	set_root("/sys/fs/cgroup/unified");
	ops = &lab_cg_v2_ops;
	if (ops->check(needs, &limits) == NULL)
		return NULL;
	/* Neither can: what v1 lacks is the problem to report, and v2's words replaced it, so v1's
	 * check says it again. */
	set_root("/sys/fs/cgroup");
	ops = &lab_cg_v1_ops;
	return ops->check(needs, &limits);
}

/* ---- the cgroup filesystem inside the container (planned here, mounted by the child) ----
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
 *   neither                     nothing: there is no cgroup of the container's to show */
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
static const char *plan_inside(const struct lab_config *cfg)
{
	inside_fresh = (cfg->clone_flags & CLONE_NEWCGROUP) != 0;
	if (cfg->rootfs == NULL || (!inside_fresh && cgroup_option == NULL))
		return NULL;
	if (cgroup_option != NULL) {
		inside_version = ops->version;
		snprintf(inside_root, sizeof(inside_root), "%s", lab_cg_root);
	} else {
		inside_version = fs_type("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC ? 2 : 1;
		snprintf(inside_root, sizeof(inside_root), "/sys/fs/cgroup");
	}
	if (inside_version == 1) {
		scan_v1_hierarchies(inside_root);
		if (inside_count == 0)
			inside_version = 0; /* no hierarchy to show */
	}
	return NULL;
}

/* --join --cgroup NAME: the process joins the container's existing cgroup, as docker exec's does.
 * Where that cgroup is: the backend it was created with, which on a hybrid host is v1 unless its
 * limits needed a controller only the unified hierarchy has (choose_backend): look for it. */
static const char *validate_join(void)
{
	if (update_option || first_limit || device_options)
		return "--join: only --cgroup NAME (and --cgroup-root) apply: the joined process enters the container's "
		       "cgroup, whose limits and devices were set when it was created (--cgroup-update changes them)";
	if (cgroup_option == NULL)
		return root_option ? "--cgroup-root needs --cgroup NAME (with --join: the container's cgroup)" : NULL;
	snprintf(lab_cg_name, sizeof(lab_cg_name), "%s", cgroup_option);
	needs = 0;
	const char *choice_problem = choose_backend();
	if (choice_problem != NULL)
		return choice_problem;
	if (root_option == NULL && ops == &lab_cg_v1_ops && !ops->exists(LAB_CG_EVERY_HIERARCHY) &&
	    fs_type("/sys/fs/cgroup/unified") == CGROUP2_SUPER_MAGIC) {
		set_root("/sys/fs/cgroup/unified");
		ops = &lab_cg_v2_ops;
		if (!ops->exists(LAB_CG_EVERY_HIERARCHY)) {
			set_root("/sys/fs/cgroup"); /* found in neither: join_cgroup names the v1 place */
			ops = &lab_cg_v1_ops;
		}
	}
	return NULL;
}

static const char *validate(const struct lab_config *cfg)
{
	const char *name = cgroup_option ? cgroup_option : update_option;
	if (print_program) {
		if (name || first_limit || cfg->program)
			return "--cgroup-device-program only prints the device program for --device-policy and --device-cgroup-rule";
		build_device_rules();
		return NULL;
	}
	if (cgroup_option && update_option)
		return "--cgroup and --cgroup-update are alternatives: one creates a container's cgroup, the other changes one";
	if (attach_after_clone && (cgroup_option == NULL || cfg->join_pid))
		return "--cgroup-attach-after-clone needs --cgroup NAME (a new container): it chooses how the first process gets into its cgroup";
	if (cfg->join_pid)
		return validate_join();
	if (name == NULL) {
		if (first_limit)
			return lab_problem("%s needs --cgroup NAME: limits apply to the container's own cgroup",
					   first_limit);
		if (device_options)
			return "--device-policy and --device-cgroup-rule need --cgroup NAME: the device list belongs to a cgroup";
		if (root_option)
			return "--cgroup-root needs --cgroup NAME or --cgroup-update NAME";
		return plan_inside(cfg);
	}
	if (update_option) {
		if (cfg->program || cfg->clone_flags || cfg->hostname || cfg->rootfs)
			return "--cgroup-update changes a running container's limits and starts nothing: only limit options, --cgroup-root and the status options apply";
		if (device_options)
			return "--cgroup-update: the device list of a running container cannot change (docker update cannot either)";
		if (first_limit == NULL)
			return "--cgroup-update: give at least one limit option to change";
	}
	if (nano_cpus && (limits.cpu_quota || limits.cpu_period))
		return "--cpus is --cpu-quota/--cpu-period in other units: give one or the other (docker refuses both too)";
	if (nano_cpus) {
		/* docker: a period of 100 ms, and the quota that much of the CPUs. */
		limits.cpu_period = 100000;
		limits.cpu_quota = nano_cpus * limits.cpu_period / 1000000000;
	}
	/* docker: -1 (unlimited swap) stands alone; a total needs the memory limit it is the total of. */
	if (limits.memory_swap > 0 && !limits.memory)
		return "--memory-swap needs --memory: it is the total of memory and swap (only -1 stands alone)";
	if (limits.memory_swap > 0 && limits.memory_swap < limits.memory)
		return "--memory-swap is memory plus swap: it cannot be less than --memory (equal means no swap)";
	if (allow_all_devices && user_rule_count)
		return "--device-cgroup-rule adds to the default device list; with --device-policy allow-all every device is allowed already";
	/* Device rules belong to creating a cgroup; an update keeps the ones it has. */
	bool devices = cgroup_option != NULL;
	if (devices)
		build_device_rules();
	needs = lab_cg_needs(&limits, devices && !allow_all_devices);
	snprintf(lab_cg_name, sizeof(lab_cg_name), "%s", name);
	const char *backend_problem = choose_backend();
	return backend_problem != NULL || update_option ? backend_problem : plan_inside(cfg);
}

const struct lab_module lab_cgroup_module = { "cgroup", options, validate };

/* --cgroup-update and --cgroup-device-program start no container, so need no PROGRAM. */
bool lab_cgroup_standalone(void)
{
	return update_option != NULL || print_program;
}

/* ---- the hooks ---- */

static void step(const char *name)
{
	lab_cg_step = name;
	lab_step(name);
}

static bool has_limits(void)
{
	return first_limit != NULL;
}

static void cleanup(void)
{
	ops->destroy();
}

/* clone3() (Linux 5.3) with CLONE_INTO_CGROUP (5.7): the child is created inside the cgroup
 * CGROUP_FD names, so it never runs a single instruction outside it and nobody has to move it.
 * glibc has no wrapper, so this is the raw system call. Without CLONE_VM it behaves like fork():
 * the child gets a copy of our memory, our stack included, and returns here with 0, so it needs no
 * stack of its own. Returns the child's PID in the parent, 0 in the child, -1 with errno. */
pid_t lab_clone_into_cgroup(unsigned long flags, int cgroup_fd)
{
	struct clone_args args = {
		.flags = flags | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgroup_fd,
	};
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* ENOSYS (before 5.3, or a seccomp filter that hides clone3), EPERM (older container profiles,
 * Docker's before 2021 among them, refuse clone3 that way), E2BIG (a clone_args too big for
 * 5.3-5.6), EINVAL (CLONE_INTO_CGROUP unknown): fall back to clone()/fork() and a move. The
 * cgroup's own refusals are EACCES, ENOENT or EBUSY; a real EPERM from the namespace flags comes
 * back from clone() too, and is reported there. */
bool lab_clone3_unsupported(int err)
{
	return err == ENOSYS || err == EPERM || err == E2BIG || err == EINVAL;
}

/* v2: the cgroup directory, open for clone3(CLONE_INTO_CGROUP); -1 otherwise. */
static int clone_fd = -1;
static const char *via; /* how the first process got in: "clone3", "self" or "attach" */

/* The files through which a single-threaded process moves itself into the container's cgroup by
 * writing "0" (v1: `tasks` in every hierarchy; v2: cgroup.procs), opened on the host: by the
 * parent before clone() for the child's cgroup_enter (v1), or before setns() for --join. */
#define SELF_MOVE_MAX_FDS 16
static int self_move_fds[SELF_MOVE_MAX_FDS];
static unsigned self_move_fd_count;

static void close_self_move_fds(const char *step_name)
{
	for (unsigned i = 0; i < self_move_fd_count; i++)
		if (close(self_move_fds[i]) < 0)
			die_with_error(step_name, "close(%s of %s/%s)", ops->self_move_file, LAB_CG_PARENT, lab_cg_name);
	self_move_fd_count = 0;
}

/* Moves the calling process, which has one thread, in through the files opened above. Writing
 * "0" names the writer. Why not cgroup.procs and a PID, as runc does: moving a whole thread group
 * (cgroup.procs, or any PID) takes the write side of the kernel's global cgroup_threadgroup_rwsem,
 * and its first writer waits for an RCU grace period (10 ms here). A thread moving only itself
 * (`tasks` with "0"; the kernel's "cgroup: Optimize single thread migration", 2020) cannot exit
 * or exec meanwhile, so the kernel skips that lock: about 0.03 ms a hierarchy. With one thread,
 * that thread is the whole process. The move is allowed by the credentials the file was opened
 * with (Linux 5.16+; the host's root), or before that by ours, which are still the host's root's
 * at this point even inside a new user namespace. */
static void move_self_in(const char *step_name)
{
	for (unsigned i = 0; i < self_move_fd_count; i++) {
		if (TEMP_FAILURE_RETRY(write(self_move_fds[i], "0", 1)) != 1)
			die_with_error(step_name, "write(%s of %s/%s, \"0\") (cgroup %s)", ops->self_move_file, LAB_CG_PARENT, lab_cg_name, ops->name);
	}
	close_self_move_fds(step_name);
}

void lab_cgroup_prepare(void)
{
	if (cgroup_option == NULL)
		return;
	/* Registered first: whatever part of the cgroup exists when something fails is removed. */
	lab_on_cleanup(cleanup);
	step("cgroup_create");
	ops->create(needs);
	if (ops->open_dir != NULL && !attach_after_clone)
		clone_fd = ops->open_dir();
	else if (ops->version == 1 && !attach_after_clone)
		self_move_fd_count = ops->open_self_move(self_move_fds, SELF_MOVE_MAX_FDS);
	if (has_limits()) {
		step("cgroup_limits");
		ops->write_limits(&limits, false);
	}
	step("cgroup_devices");
	ops->write_devices(rules, rule_count);
}

int lab_cgroup_clone_fd(void)
{
	return clone_fd;
}

const char *lab_cgroup_via(void)
{
	return via;
}

void lab_cgroup_enter(void)
{
	if (self_move_fd_count == 0)
		return;
	step("cgroup_enter");
	move_self_in("cgroup_enter");
}

void lab_cgroup_attach(pid_t child, bool cloned_into)
{
	if (cgroup_option == NULL)
		return;
	if (clone_fd >= 0 && close(clone_fd) < 0)
		die_with_error("clone", "close(the cgroup directory)");
	clone_fd = -1;
	/* clone3 created the child inside its cgroup, or (v1) the child moves itself in as its first
	 * step (cgroup_enter): there is nothing to move here, and no cgroup_attach step. */
	if (cloned_into) {
		via = "clone3";
		return;
	}
	if (self_move_fd_count > 0) {
		via = "self";
		close_self_move_fds("clone"); /* the child has its own copies */
		return;
	}
	via = "attach";
	/* The child waits on the go pipe, so it runs nothing of the container's before it is in. */
	step("cgroup_attach");
	ops->attach(child);
}

/* --join: the files are opened here, on the host, before setns() takes the host's /sys/fs/cgroup
 * out of sight. v1: the forked child moves itself in with them (join_cgroup_attach). v2: the
 * directory too, so that clone3() creates the child inside (join.c); cgroup.procs stays open for
 * a kernel without clone3, where the child moves itself in after all. */
static int join_clone_fd = -1;

void lab_cgroup_join_open(void)
{
	if (cgroup_option == NULL)
		return;
	step("join_cgroup");
	if (!ops->exists(LAB_CG_EVERY_HIERARCHY)) {
		die_with_errno(ENOENT, "join_cgroup", "no cgroup %s/%s under %s to join (cgroup %s)", LAB_CG_PARENT, lab_cg_name,
			       lab_cg_root, ops->name);
	}
	self_move_fd_count = ops->open_self_move(self_move_fds, SELF_MOVE_MAX_FDS);
	if (ops->open_dir != NULL)
		join_clone_fd = ops->open_dir();
}

int lab_cgroup_join_clone_fd(void)
{
	return join_clone_fd;
}

void lab_cgroup_join_attach(bool born_inside)
{
	if (join_clone_fd >= 0 && close(join_clone_fd) < 0)
		die_with_error("join_cgroup", "close(the cgroup directory)");
	join_clone_fd = -1;
	if (self_move_fd_count == 0)
		return;
	if (born_inside) {
		close_self_move_fds("join_cgroup");
		return;
	}
	step("join_cgroup_attach");
	move_self_in("join_cgroup_attach");
}

void lab_cgroupns_enter(void)
{
	/* A new cgroup namespace takes the cgroups we are in now as its root: inside, /proc/self/cgroup
	 * says "/" and the host's tree above is out of sight. That is why this waits for the parent
	 * to have moved us into our own cgroup. */
	step("cgroupns");
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
	step("cgroup_mount");
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

static void print_device_program(void)
{
	struct lab_bpf_program prog;
	lab_bpf_device_program(rules, rule_count, &prog);
	printf("{\"type\":\"device_program\",\"rules\":[");
	for (unsigned i = 0; i < rule_count; i++) {
		char text[64];
		format_rule(&rules[i], text, sizeof(text));
		printf("%s\"%s\"", i ? "," : "", text);
	}
	printf("],\"insns\":[");
	for (unsigned i = 0; i < prog.count; i++) {
		const struct bpf_insn *in = &prog.insns[i];
		printf("%s[%u,%u,%u,%d,%d]", i ? "," : "", in->code, in->dst_reg, in->src_reg, in->off, in->imm);
	}
	printf("]}\n");
	exit(0);
}

void lab_cgroup_update_mode(void)
{
	if (print_program)
		print_device_program();
	if (update_option == NULL)
		return;
	step("cgroup_limits");
	if (!ops->exists(needs)) {
		die_with_errno(ENOENT, "cgroup_limits", "no cgroup %s/%s under %s to update (cgroup %s)", LAB_CG_PARENT, lab_cg_name,
			       lab_cg_root, ops->name);
	}
	ops->write_limits(&limits, true);
	lab_step_end();
	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"updated\",\"cgroup\":");
	lab_json_str(&j, lab_cg_name);
	lab_json_raw(&j, ",\"version\":");
	lab_json_int(&j, ops->version);
	lab_json_raw(&j, "}");
	if (lab_status_is_open())
		lab_status_send(&j);
	else
		printf("%.*s\n", (int)j.len, j.buf);
	exit(0);
}

/* ---- file helpers for the backends ---- */

void lab_cg_path(char out[PATH_MAX], const char *a, const char *b)
{
	if (snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX)
		die_with_errno(ENAMETOOLONG, lab_cg_step, "path %s/%s", a, b);
}

int lab_cg_try_write(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	lab_cg_path(path, dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* One write per value: cgroup files parse each write(2) on its own. */
	ssize_t n = write(fd, value, strlen(value));
	int err = errno;
	close(fd);
	errno = err;
	return n < 0 ? -1 : 0;
}

void lab_cg_write(const char *dir, const char *file, const char *value)
{
	if (lab_cg_try_write(dir, file, value) < 0)
		die_with_error(lab_cg_step, "write(\"%s/%s\", \"%s\")", dir, file, value);
}

int lab_cg_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	lab_cg_path(path, dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	int err = errno;
	close(fd);
	errno = err;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

bool lab_cg_file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	lab_cg_path(path, dir, file);
	return access(path, F_OK) == 0;
}

int lab_cg_kill_procs(const char *dir)
{
	char path[PATH_MAX];
	lab_cg_path(path, dir, "cgroup.procs");
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	int found = 0;
	long pid;
	/* PIDs as our PID namespace numbers them, so kill() understands them. */
	while (fscanf(f, "%ld", &pid) == 1) {
		found++;
		kill((pid_t)pid, SIGKILL); /* ESRCH: it died meanwhile, which is what we want */
	}
	fclose(f);
	return found;
}

void lab_cg_reap_ours(void)
{
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
}

void lab_cg_pause(void)
{
	struct timespec ms = { 0, 1000000 };
	nanosleep(&ms, NULL);
}

int lab_cg_rmdir(const char *dir)
{
	/* A killed process leaves its cgroup as it exits, a moment after the signal: EBUSY until then. */
	for (int tries = 0;; tries++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || tries == 5000)
			return -1;
		lab_cg_reap_ours();
		lab_cg_pause();
	}
}
