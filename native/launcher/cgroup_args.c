/* cgroups, the command line: the options (docker's syntax, where docker has the option), the device
 * list they make, and which backend can do what they ask, all checked in validate() before anything
 * exists. What they decided is lab_cg (cgroup.h), which the hooks (cgroup.c) and the backends read. */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"

char lab_cg_root[PATH_MAX];
char lab_cg_name[LAB_CG_NAME_MAX + 1];
struct lab_cg_request lab_cg;

/* ---- what the options said that only validate() needs ---- */

static const char *root_option;          /* --cgroup-root DIR */
static int64_t nano_cpus;                /* --cpus, in billionths of a CPU */
static bool allow_all_devices;           /* --device-policy allow-all */
static bool device_options;              /* any --device-policy or --device-cgroup-rule */
static struct lab_cg_device_rule user_rules[LAB_CG_MAX_RULES];
static unsigned user_rule_count;

/* ---- parsing, with docker's syntax ---- */

static void note_limit(const char *option)
{
	if (lab_cg.first_limit == NULL)
		lab_cg.first_limit = option;
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
	if (!parse_size(value, &lab_cg.limits.memory) || lab_cg.limits.memory < 6 * 1024 * 1024)
		return lab_problem("--memory: expected a size of at least 6m, like 512m, 1g or a number of bytes, got \"%.64s\"",
				   value);
	return NULL;
}

static const char *parse_memory_swap(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	if (strcmp(value, "-1") == 0)
		lab_cg.limits.memory_swap = -1;
	else if (!parse_size(value, &lab_cg.limits.memory_swap) || lab_cg.limits.memory_swap == 0)
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
	if (!lab_parse_i64(value, -1, INT64_MAX / 1000, &lab_cg.limits.cpu_quota) || (lab_cg.limits.cpu_quota >= 0 && lab_cg.limits.cpu_quota < 1000))
		return lab_problem("--cpu-quota: expected microseconds per period, at least 1000, or -1 for none, got \"%.64s\"",
				   value);
	return NULL;
}

static const char *parse_cpu_period(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	if (!lab_parse_i64(value, 1000, 1000000, &lab_cg.limits.cpu_period))
		return lab_problem("--cpu-period: expected microseconds from 1000 to 1000000, got \"%.64s\"", value);
	return NULL;
}

static const char *parse_cpu_shares(const struct lab_option *option, const char *value)
{
	note_limit(option->name);
	/* The kernel's own range for cpu.shares (MIN_SHARES, MAX_SHARES). */
	if (!lab_parse_i64(value, 2, 262144, &lab_cg.limits.cpu_shares))
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
	if (!lab_parse_i64(value, -1, INT64_MAX, &lab_cg.limits.pids_limit))
		return lab_problem("--pids-limit: expected a number of processes, or 0 or -1 for unlimited, got \"%.64s\"",
				   value);
	/* docker: 0 and -1 both mean no limit. */
	if (lab_cg.limits.pids_limit == 0)
		lab_cg.limits.pids_limit = -1;
	lab_cg.limits.pids_set = true;
	return NULL;
}

/* --device-read-bps and the like (ARG: which), MAJ:MIN:RATE or /dev/PATH:RATE (docker takes only
 * the path). */
static const char *parse_throttle(const struct lab_option *option, const char *value)
{
	enum lab_cg_throttle_kind kind = option->arg;
	note_limit(option->name);
	bool bytes = kind == LAB_CG_READ_BPS || kind == LAB_CG_WRITE_BPS;
	if (lab_cg.limits.throttle_count == LAB_CG_MAX_THROTTLES)
		return lab_problem("%s: at most %d device throttles", option->name, LAB_CG_MAX_THROTTLES);
	struct lab_cg_throttle *t = &lab_cg.limits.throttles[lab_cg.limits.throttle_count];
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
	lab_cg.limits.throttle_count++;
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
	{ "--cgroup", true, parse_name, &lab_cg.create, 0 },
	{ "--cgroup-update", true, parse_name, &lab_cg.update, 0 },
	{ "--cgroup-root", true, parse_root, NULL, 0 },
	{ "--cgroup-device-program", false, lab_option_flag, &lab_cg.print_program, 0 },
	{ "--cgroup-attach-after-clone", false, lab_option_flag, &lab_cg.attach_after_clone, 0 },
	{ "--memory", true, parse_memory, NULL, 0 },
	{ "--memory-swap", true, parse_memory_swap, NULL, 0 },
	{ "--cpus", true, parse_cpus_option, NULL, 0 },
	{ "--cpu-quota", true, parse_cpu_quota, NULL, 0 },
	{ "--cpu-period", true, parse_cpu_period, NULL, 0 },
	{ "--cpu-shares", true, parse_cpu_shares, NULL, 0 },
	{ "--cpuset-cpus", true, parse_cpuset, &lab_cg.limits.cpuset_cpus, ONLINE_CPUS },
	{ "--cpuset-mems", true, parse_cpuset, &lab_cg.limits.cpuset_mems, ONLINE_NODES },
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
	lab_cg.rules[lab_cg.rule_count++] = rule;
}

/* The rules both backends apply, first one first. cgroup v1 reads "a" as "every device, every
 * access" whatever follows it, so a rule for type a that names numbers or fewer accesses becomes
 * one rule for b and one for c, meaning exactly what it says in either version. */
static void build_device_rules(void)
{
	lab_cg.rule_count = 0;
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

void lab_cg_format_rule(const struct lab_cg_device_rule *r, char *out, size_t size)
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
		long type = lab_cg_fs_type(root_option);
		if (type == CGROUP2_SUPER_MAGIC)
			lab_cg.ops = &lab_cg_v2_ops;
		else if (type == CGROUP_SUPER_MAGIC)
			return lab_problem("--cgroup-root: %s is one cgroup v1 hierarchy; give the directory that holds them "
					   "(like /sys/fs/cgroup)",
					   root_option);
		else if (type == TMPFS_MAGIC)
			lab_cg.ops = &lab_cg_v1_ops;
		else
			return lab_problem("--cgroup-root: %s is not a cgroup filesystem (neither cgroup2 nor a tmpfs of cgroup v1 hierarchies)",
					   root_option);
		return lab_cg.ops->check(lab_cg.needs, &lab_cg.limits);
	}
	if (lab_cg_fs_type("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC) {
		set_root("/sys/fs/cgroup");
		lab_cg.ops = &lab_cg_v2_ops;
		return lab_cg.ops->check(lab_cg.needs, &lab_cg.limits);
	}
	/* Legacy or hybrid: v1 hierarchies under /sys/fs/cgroup, maybe cgroup2 on .../unified. */
	set_root("/sys/fs/cgroup");
	lab_cg.ops = &lab_cg_v1_ops;
	const char *v1_problem = lab_cg.ops->check(lab_cg.needs, &lab_cg.limits);
	if (v1_problem == NULL || lab_cg_fs_type("/sys/fs/cgroup/unified") != CGROUP2_SUPER_MAGIC)
		return v1_problem;
	/* Hybrid with the controllers we need given to the unified hierarchy instead. */
	set_root("/sys/fs/cgroup/unified");
	lab_cg.ops = &lab_cg_v2_ops;
	if (lab_cg.ops->check(lab_cg.needs, &lab_cg.limits) == NULL)
		return NULL;
	/* Neither can: what v1 lacks is the problem to report, and v2's words replaced it, so v1's
	 * check says it again. */
	set_root("/sys/fs/cgroup");
	lab_cg.ops = &lab_cg_v1_ops;
	return lab_cg.ops->check(lab_cg.needs, &lab_cg.limits);
}

/* --join --cgroup NAME: the process joins the container's existing cgroup, as docker exec's does.
 * Where that cgroup is: the backend it was created with, which on a hybrid host is v1 unless its
 * limits needed a controller only the unified hierarchy has (choose_backend): look for it. */
static const char *validate_join(void)
{
	if (lab_cg.update || lab_cg.first_limit || device_options)
		return "--join: only --cgroup NAME (and --cgroup-root) apply: the joined process enters the container's "
		       "cgroup, whose limits and devices were set when it was created (--cgroup-update changes them)";
	if (lab_cg.create == NULL)
		return root_option ? "--cgroup-root needs --cgroup NAME (with --join: the container's cgroup)" : NULL;
	snprintf(lab_cg_name, sizeof(lab_cg_name), "%s", lab_cg.create);
	lab_cg.needs = 0;
	const char *choice_problem = choose_backend();
	if (choice_problem != NULL)
		return choice_problem;
	if (root_option == NULL && lab_cg.ops == &lab_cg_v1_ops && !lab_cg.ops->exists(LAB_CG_EVERY_HIERARCHY) &&
	    lab_cg_fs_type("/sys/fs/cgroup/unified") == CGROUP2_SUPER_MAGIC) {
		set_root("/sys/fs/cgroup/unified");
		lab_cg.ops = &lab_cg_v2_ops;
		if (!lab_cg.ops->exists(LAB_CG_EVERY_HIERARCHY)) {
			set_root("/sys/fs/cgroup"); /* found in neither: join_cgroup names the v1 place */
			lab_cg.ops = &lab_cg_v1_ops;
		}
	}
	return NULL;
}

static const char *validate(const struct lab_config *cfg)
{
	const char *name = lab_cg.create ? lab_cg.create : lab_cg.update;
	if (lab_cg.print_program) {
		if (name || lab_cg.first_limit || cfg->program)
			return "--cgroup-device-program only prints the device program for --device-policy and --device-cgroup-rule";
		build_device_rules();
		return NULL;
	}
	if (lab_cg.create && lab_cg.update)
		return "--cgroup and --cgroup-update are alternatives: one creates a container's cgroup, the other changes one";
	if (lab_cg.attach_after_clone && (lab_cg.create == NULL || cfg->join_pid))
		return "--cgroup-attach-after-clone needs --cgroup NAME (a new container): it chooses how the first process gets into its cgroup";
	if (cfg->join_pid)
		return validate_join();
	if (name == NULL) {
		if (lab_cg.first_limit)
			return lab_problem("%s needs --cgroup NAME: limits apply to the container's own cgroup",
					   lab_cg.first_limit);
		if (device_options)
			return "--device-policy and --device-cgroup-rule need --cgroup NAME: the device list belongs to a cgroup";
		if (root_option)
			return "--cgroup-root needs --cgroup NAME or --cgroup-update NAME";
		lab_cg_plan_inside(cfg);
		return NULL;
	}
	if (lab_cg.update) {
		if (cfg->program || cfg->clone_flags || cfg->hostname || cfg->rootfs)
			return "--cgroup-update changes a running container's limits and starts nothing: only limit options, --cgroup-root and the status options apply";
		if (device_options)
			return "--cgroup-update: the device list of a running container cannot change (docker update cannot either)";
		if (lab_cg.first_limit == NULL)
			return "--cgroup-update: give at least one limit option to change";
	}
	if (nano_cpus && (lab_cg.limits.cpu_quota || lab_cg.limits.cpu_period))
		return "--cpus is --cpu-quota/--cpu-period in other units: give one or the other (docker refuses both too)";
	if (nano_cpus) {
		/* docker: a period of 100 ms, and the quota that much of the CPUs. */
		lab_cg.limits.cpu_period = 100000;
		lab_cg.limits.cpu_quota = nano_cpus * lab_cg.limits.cpu_period / 1000000000;
	}
	/* docker: -1 (unlimited swap) stands alone; a total needs the memory limit it is the total of. */
	if (lab_cg.limits.memory_swap > 0 && !lab_cg.limits.memory)
		return "--memory-swap needs --memory: it is the total of memory and swap (only -1 stands alone)";
	if (lab_cg.limits.memory_swap > 0 && lab_cg.limits.memory_swap < lab_cg.limits.memory)
		return "--memory-swap is memory plus swap: it cannot be less than --memory (equal means no swap)";
	if (allow_all_devices && user_rule_count)
		return "--device-cgroup-rule adds to the default device list; with --device-policy allow-all every device is allowed already";
	/* Device rules belong to creating a cgroup; an update keeps the ones it has. */
	bool devices = lab_cg.create != NULL;
	if (devices)
		build_device_rules();
	lab_cg.needs = lab_cg_needs(&lab_cg.limits, devices && !allow_all_devices);
	snprintf(lab_cg_name, sizeof(lab_cg_name), "%s", name);
	const char *backend_problem = choose_backend();
	if (backend_problem == NULL && lab_cg.update == NULL)
		lab_cg_plan_inside(cfg);
	return backend_problem;
}

const struct lab_module lab_cgroup_module = { "cgroup", options, validate };

/* --cgroup-update and --cgroup-device-program start no container, so need no PROGRAM. */
bool lab_cgroup_standalone(void)
{
	return lab_cg.update != NULL || lab_cg.print_program;
}

