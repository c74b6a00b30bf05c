/* Capabilities: root's power cut into ~41 pieces (CAP_CHOWN, CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN...).
 * Every process carries five sets of them:
 *
 *   bounding     the ceiling: what this process and its descendants can ever gain by execve
 *   permitted    what the process may switch on
 *   effective    what the kernel actually checks right now
 *   inheritable  what may pass through an execve (only to files marked for it, or via ambient)
 *   ambient      what a non-root program keeps across execve without any file capability
 *
 * Root's execve recomputes permitted = inheritable | bounding (plus ambient), so for a root
 * container the bounding set is what really limits it; for a non-root user execve clears
 * permitted and effective unless the caps are ambient.
 *
 * --cap-drop / --cap-add work as docker's (moby's TweakCapabilities), starting from every
 * capability the kernel knows rather than docker's 14: the launcher is a primitive, the server
 * passes docker's default as "--cap-drop ALL --cap-add CHOWN,...". Like docker, the container's
 * inheritable and ambient sets stay empty, unless --cap-ambient asks for the caps to survive the
 * execve of a non-root --user.
 *
 * Raw capget/capset (version 3: two 32-bit words per set); no libcap. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "launcher.h"
#include "../cap-names.h"

#define CAP_NAME_COUNT ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

/* What the options said. */
/* What --cap-add or --cap-drop named: capabilities, or ALL. */
struct cap_list {
	uint64_t mask;
	bool all;
};
static struct cap_list add, drop;
static bool ambient;         /* --cap-ambient */
static bool requested;       /* any of the three (validate) */
/* What the container keeps (computed in validate) and the kernel's highest capability. */
static uint64_t keep;
static int last_cap = -1;

static uint64_t bit(int cap)
{
	return (uint64_t)1 << cap;
}

/* --cap-add and --cap-drop: "CHOWN,cap_net_raw,ALL" → the target's bits, or ALL. Names as docker
 * takes them: with or without CAP_, any case. */
static const char *parse_cap_list(const struct lab_option *option, const char *list)
{
	struct cap_list *caps = option->target;
	const char *item = list;
	for (;;) {
		size_t len = strcspn(item, ",");
		char name[40];
		if (len == 0 || len + 4 >= sizeof(name)) {
			return lab_problem("%s: expected a comma-separated list of capabilities or ALL, got \"%.64s\"",
					   option->name, list);
		}
		/* Normalise: upper case, CAP_ prefix. */
		size_t n = 0;
		if (strncasecmp(item, "CAP_", 4) != 0 && !(len == 3 && strncasecmp(item, "ALL", 3) == 0))
			n = (size_t)snprintf(name, sizeof(name), "CAP_");
		for (size_t i = 0; i < len; i++)
			name[n++] = (char)toupper((unsigned char)item[i]);
		name[n] = '\0';

		if (strcmp(name, "ALL") == 0) {
			caps->all = true;
		} else {
			int cap = -1;
			for (int c = 0; c < CAP_NAME_COUNT; c++)
				if (strcmp(cap_names[c], name) == 0)
					cap = c;
			if (cap < 0) {
				return lab_problem("%s: unknown capability: \"%s\"", option->name, name);
			}
			caps->mask |= bit(cap);
		}
		if (item[len] == '\0')
			return NULL;
		item += len + 1;
	}
}


/* The kernel's highest capability number: a kernel knows only the capabilities up to it. */
static int read_last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = -1;
	if (f == NULL)
		return -1;
	if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
		last = -1;
	fclose(f);
	return last;
}

/* Our own permitted set: what we can hand on. As root that is usually every capability, but the
 * launcher may itself run in a restricted environment (a container, a systemd unit). */
static bool read_permitted(uint64_t *permitted)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &header, data) < 0)
		return false;
	*permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	return true;
}

static const char *validate(const struct lab_config *cfg)
{
	(void)cfg;
	/* Each list names at least one capability or ALL. */
	requested = add.mask || add.all || drop.mask || drop.all || ambient;
	if (!requested)
		return NULL;
	last_cap = read_last_cap();
	if (last_cap < 0)
		return "--cap-add/--cap-drop: cannot read /proc/sys/kernel/cap_last_cap";
	uint64_t permitted;
	if (!read_permitted(&permitted))
		return "--cap-add/--cap-drop: capget() failed";
	/* ALL means, as for docker, every capability the kernel knows and we hold. */
	uint64_t known = last_cap == 63 ? ~(uint64_t)0 : bit(last_cap + 1) - 1;
	uint64_t all = known & permitted;
	uint64_t unavailable = add.mask & ~all;
	if (unavailable != 0) {
		int cap = __builtin_ctzll(unavailable);
		return lab_problem("--cap-add: capability not supported by your kernel or not available in the current "
				   "environment: \"%s\"",
				   cap_names[cap]);
	}
	/* moby's TweakCapabilities: add ALL wins, then drop ALL keeps only what is added; otherwise
	 * drop from the base set, then add (so a capability both dropped and added is kept). */
	if (add.all)
		keep = all & ~drop.mask;
	else if (drop.all)
		keep = add.mask;
	else
		keep = (all & ~drop.mask) | add.mask;
	return NULL;
}

static const struct lab_option options[] = {
	{ "--cap-add", true, parse_cap_list, &add, 0 },
	{ "--cap-drop", true, parse_cap_list, &drop, 0 },
	{ "--cap-ambient", false, lab_option_flag, &ambient, 0 },
	{ NULL },
};
const struct lab_module lab_caps_module = { "caps", options, validate };

/* The bounding set is lowered first, while we still hold CAP_SETPCAP (which dropping takes), and
 * before the user switch: a capability out of the bounding set can never come back. */
void lab_caps_drop_bounding(void)
{
	if (!requested)
		return;
	lab_step("caps_bounding");
	for (int cap = 0; cap <= last_cap; cap++) {
		if (keep & bit(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die_with_error("caps_bounding", "prctl(PR_CAPBSET_DROP, %s)", cap < CAP_NAME_COUNT ? cap_names[cap] : "?");
	}
}

/* After the user switch (which kept our permitted set thanks to PR_SET_KEEPCAPS): the other
 * four sets in one capset, then the ambient set, which the kernel keeps only for capabilities
 * that are both permitted and inheritable. */
void lab_caps_apply(void)
{
	if (!requested)
		return;
	lab_step("caps");
	uint64_t inheritable = ambient ? keep : 0;
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = {
		{ .effective = (uint32_t)keep, .permitted = (uint32_t)keep, .inheritable = (uint32_t)inheritable },
		{ .effective = (uint32_t)(keep >> 32), .permitted = (uint32_t)(keep >> 32), .inheritable = (uint32_t)(inheritable >> 32) },
	};
	if (syscall(SYS_capset, &header, data) < 0)
		die_with_error("caps", "capset(permitted=effective=0x%llx, inheritable=0x%llx)",
			       (unsigned long long)keep, (unsigned long long)inheritable);

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die_with_error("caps", "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	if (!ambient)
		return;
	for (int cap = 0; cap <= last_cap; cap++) {
		if (!(keep & bit(cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			die_with_error("caps", "prctl(PR_CAP_AMBIENT_RAISE, %s)", cap < CAP_NAME_COUNT ? cap_names[cap] : "?");
	}
}
