/* Resource limits (--ulimit): per-process ceilings the kernel enforces — open files, processes,
 * file size, core dumps, stack, CPU seconds... They are inherited across fork and execve, so set
 * in the container's first process they bind everything it starts. Each has a soft limit (what
 * is enforced) and a hard limit (how far an unprivileged process may raise its soft limit).
 *
 * Syntax as docker's: --ulimit NAME=SOFT[:HARD], HARD defaulting to SOFT, -1 meaning unlimited. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "launcher.h"

/* Docker's names (go-units' ulimitNameMapping), plus "as", which docker leaves out because its
 * own init could not live with it; a lab can. */
static const struct {
	const char *name;
	int resource;
} limit_names[] = {
	{ "as", RLIMIT_AS },
	{ "core", RLIMIT_CORE },
	{ "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA },
	{ "fsize", RLIMIT_FSIZE },
	{ "locks", RLIMIT_LOCKS },
	{ "memlock", RLIMIT_MEMLOCK },
	{ "msgqueue", RLIMIT_MSGQUEUE },
	{ "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE },
	{ "nproc", RLIMIT_NPROC },
	{ "rss", RLIMIT_RSS },
	{ "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME },
	{ "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK },
};
#define LIMIT_NAME_COUNT (sizeof(limit_names) / sizeof(limit_names[0]))
#define KNOWN_NAMES "as,core,cpu,data,fsize,locks,memlock,msgqueue,nice,nofile,nproc,rss,rtprio,rttime,sigpending,stack"

/* What --ulimit asked for, one entry per resource (a later --ulimit for the same name wins). */
static struct {
	bool set;
	const char *name;
	struct rlimit limit;
} wanted[RLIM_NLIMITS];

/* The LEN characters at S: "-1" or "unlimited" → RLIM_INFINITY; otherwise a decimal number
 * below it. Returns false if neither. */
static bool parse_limit_value(const char *s, size_t len, rlim_t *out)
{
	if ((len == 2 && strncmp(s, "-1", 2) == 0) || (len == 9 && strncmp(s, "unlimited", 9) == 0)) {
		*out = RLIM_INFINITY;
		return true;
	}
	uint64_t v;
	if (lab_scan_u64(s, RLIM_INFINITY - 1, &v) != s + len)
		return false;
	*out = (rlim_t)v;
	return true;
}

static const char *parse_ulimit(const struct lab_option *option, const char *value)
{
	(void)option;
	const char *eq = strchr(value, '=');
	if (eq == NULL) {
		return lab_problem("--ulimit: expected NAME=SOFT[:HARD], got \"%.64s\"", value);
	}
	size_t name_len = (size_t)(eq - value);
	int found = -1;
	for (size_t i = 0; i < LIMIT_NAME_COUNT; i++)
		if (strlen(limit_names[i].name) == name_len && strncmp(limit_names[i].name, value, name_len) == 0)
			found = (int)i;
	if (found < 0) {
		return lab_problem("--ulimit: unknown limit \"%.*s\" (known: " KNOWN_NAMES ")", (int)(name_len > 32 ? 32 : name_len),
				   value);
	}

	const char *soft_s = eq + 1;
	const char *colon = strchr(soft_s, ':');
	size_t soft_len = colon ? (size_t)(colon - soft_s) : strlen(soft_s);
	struct rlimit limit;
	if (!parse_limit_value(soft_s, soft_len, &limit.rlim_cur) ||
	    (colon != NULL && !parse_limit_value(colon + 1, strlen(colon + 1), &limit.rlim_max))) {
		return lab_problem("--ulimit %s: expected SOFT[:HARD] as numbers, -1 or unlimited, got \"%.64s\"",
				   limit_names[found].name, soft_s);
	}
	if (colon == NULL)
		limit.rlim_max = limit.rlim_cur;
	/* RLIM_INFINITY is the largest rlim_t, so "unlimited" compares as it should. */
	if (limit.rlim_cur > limit.rlim_max) {
		return lab_problem("--ulimit %s: the soft limit must not exceed the hard limit",
				   limit_names[found].name);
	}
	int resource = limit_names[found].resource;
	wanted[resource].set = true;
	wanted[resource].name = limit_names[found].name;
	wanted[resource].limit = limit;
	return NULL;
}

static const struct lab_option options[] = {
	{ "--ulimit", true, parse_ulimit, NULL, 0 },
	{ NULL },
};
const struct lab_module lab_rlimit_module = { "rlimit", options, NULL };

void lab_rlimits_apply(void)
{
	bool any = false;
	for (int r = 0; r < RLIM_NLIMITS; r++)
		any = any || wanted[r].set;
	if (!any)
		return;

	lab_step("rlimits");
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		if (!wanted[r].set)
			continue;
		/* Raising a hard limit takes CAP_SYS_RESOURCE, which we still hold; RLIMIT_NOFILE cannot
		 * go above /proc/sys/fs/nr_open even so (EPERM). */
		if (prlimit(0, r, &wanted[r].limit, NULL) < 0)
			die_with_error("rlimits", "prlimit(%s)", wanted[r].name);
	}
}
