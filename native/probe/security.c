/* What limits a process beyond namespaces: its capability sets, no_new_privs, seccomp, and the
 * Linux Security Modules (AppArmor/SELinux labels, Landlock).
 *
 * /proc/PID/status is the primary source: it is what `grep Cap /proc/self/status` shows a learner,
 * and it works for another process (--pid). For the probe itself, when /proc is not mounted, the
 * same facts come from capget(2) and prctl(2). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/landlock.h>

#include "probe.h"
#include "../cap-names.h"

#define CAP_NAME_COUNT (sizeof(cap_names) / sizeof(cap_names[0]))

/* ---- capabilities ---- */

static void put_cap_set(const char *key, uint64_t set)
{
	char hex[17];
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)set);
	json_key(key);
	json_begin('{');
	json_key("hex");
	json_string(hex);
	json_key("names");
	json_begin('[');
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(set & (1ULL << bit)))
			continue;
		if (bit < CAP_NAME_COUNT) {
			json_string(cap_names[bit]);
		} else {
			/* A capability newer than this table: still listed, by number. */
			char name[16];
			snprintf(name, sizeof(name), "CAP_%u", bit);
			json_string(name);
		}
	}
	json_end(']');
	json_end('}');
}

/* The probe's own sets without /proc: capget(2) for three, prctl(2) bit by bit for the others. */
static void own_cap_sets(uint64_t sets[5])
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	if (syscall(SYS_capget, &header, data) == 0) {
		sets[0] = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
		sets[1] = data[0].permitted | (uint64_t)data[1].permitted << 32;
		sets[2] = data[0].effective | (uint64_t)data[1].effective << 32;
	}
	/* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability. */
	for (unsigned bit = 0; bit < 64; bit++) {
		int in_bounding = prctl(PR_CAPBSET_READ, bit, 0, 0, 0);
		if (in_bounding < 0)
			break;
		if (in_bounding)
			sets[3] |= 1ULL << bit;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, bit, 0, 0) == 1)
			sets[4] |= 1ULL << bit;
	}
}

void section_caps(void)
{
	static const char *const status_keys[5] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	static const char *const report_keys[5] = { "inheritable", "permitted", "effective", "bounding", "ambient" };
	uint64_t sets[5] = { 0 };
	bool from_status = status_field("CapEff") != NULL;
	if (from_status) {
		for (int i = 0; i < 5; i++) {
			const char *hex = status_field(status_keys[i]);
			sets[i] = hex ? strtoull(hex, NULL, 16) : 0;
		}
	} else if (probe_pid == 0) {
		own_cap_sets(sets);
	}
	json_key("caps");
	if (!from_status && probe_pid != 0) {
		json_null();
		return;
	}
	json_begin('{');
	for (int i = 0; i < 5; i++)
		put_cap_set(report_keys[i], sets[i]);
	/* The highest capability this kernel knows; sets have no bit above it. */
	char last[16];
	json_key("lastCap");
	if (read_text("/proc/sys/kernel/cap_last_cap", last, sizeof(last)) >= 0)
		json_int(atoi(last));
	else
		json_null();
	json_end('}');
}

/* ---- no_new_privs and seccomp ---- */

void section_seccomp(void)
{
	const char *nnp = status_field("NoNewPrivs");
	const char *mode = status_field("Seccomp");
	const char *filters = status_field("Seccomp_filters");
	/* Without /proc, ask for ourselves (PR_GET_SECCOMP cannot tell how many filters). */
	long nnp_value = nnp ? atol(nnp) : (probe_pid == 0 ? prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) : -1);
	long mode_value = mode ? atol(mode) : (probe_pid == 0 ? prctl(PR_GET_SECCOMP, 0, 0, 0, 0) : -1);

	json_key("noNewPrivs");
	if (nnp_value < 0)
		json_null();
	else
		json_bool(nnp_value == 1);
	json_key("seccomp");
	json_begin('{');
	/* 0 disabled, 1 strict (read, write, _exit, sigreturn only), 2 filter (BPF programs). */
	json_key("mode");
	json_int_or_null(mode_value, mode_value < 0);
	/* How many filters are stacked: each fork+exec'd layer may add one; none can be removed. */
	json_key("filters");
	if (filters)
		json_int(atol(filters));
	else
		json_null();
	json_end('}');
}

/* ---- Linux Security Modules ---- */

#ifndef SYS_lsm_list_modules
#define SYS_lsm_list_modules 461 /* Linux 6.8, the same number on every architecture */
#endif

/* LSM_ID_* from <linux/lsm.h> (newer than this system's headers). */
static const char *lsm_name(uint64_t id)
{
	static const char *const names[] = { "capability", "selinux", "smack", "tomoyo", "apparmor", "yama",
					     "loadpin", "safesetid", "lockdown", "bpf", "landlock", "ima",
					     "evm", "ipe" };
	return id >= 100 && id - 100 < sizeof(names) / sizeof(names[0]) ? names[id - 100] : NULL;
}

/* Active LSMs, in order: securityfs says it as text; without securityfs mounted (the usual case
 * inside a container), lsm_list_modules(2) answers anyone. */
static void put_active_lsms(void)
{
	char list[512];
	if (read_text("/sys/kernel/security/lsm", list, sizeof(list)) >= 0) {
		json_key("active");
		json_begin('[');
		for (char *save = NULL, *name = strtok_r(list, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save))
			json_string(name);
		json_end(']');
		json_key("activeSource");
		json_string("securityfs");
		return;
	}
	uint64_t ids[32];
	uint32_t size = sizeof(ids);
	long count = syscall(SYS_lsm_list_modules, ids, &size, 0);
	json_key("active");
	if (count < 0) {
		json_null();
		json_key("activeSource");
		json_null();
		return;
	}
	json_begin('[');
	for (long i = 0; i < count && i < 32; i++) {
		const char *name = lsm_name(ids[i]);
		char unknown[24];
		if (name == NULL) {
			snprintf(unknown, sizeof(unknown), "lsm-%llu", (unsigned long long)ids[i]);
			name = unknown;
		}
		json_string(name);
	}
	json_end(']');
	json_key("activeSource");
	json_string("syscall");
}

/* A label file of the process: null when no LSM provides it (EINVAL) or it cannot be read. */
static void put_label(const char *key, const char *file)
{
	char label[256];
	json_key(key);
	json_string_or_null(read_proc_text(file, label, sizeof(label)) >= 0 ? label : NULL);
}

void section_lsm(void)
{
	json_key("lsm");
	json_begin('{');
	put_active_lsms();
	put_label("current", "attr/current");
	put_label("apparmor", "attr/apparmor/current");
	/* Landlock: the ABI version says which access rights this kernel can restrict. */
	json_key("landlock");
	json_begin('{');
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	int err = errno;
	json_key("abi");
	json_int_or_null(abi, abi < 0);
	/* EOPNOTSUPP: built in but not enabled (lsm=); ENOSYS: not built. */
	json_key("error");
	json_string_or_null(abi < 0 ? errno_name(err) : NULL);
	/* Whether this process is restricted by a Landlock domain: no kernel interface tells, and an
	 * access test cannot tell a Landlock denial from a permission denial. Said, not guessed. */
	json_key("restricted");
	json_string("unknown");
	json_end('}');
	json_end('}');
}
