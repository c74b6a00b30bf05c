/* Linux Security Modules with labels: AppArmor (a profile per program, by path) and SELinux (a
 * type per process and per file). Both are asked the same way: write what the *next* execve
 * should run under into /proc/self/attr/.../exec; the kernel switches at the execve, so the
 * launcher itself keeps running unconfined until PROGRAM starts.
 *
 * Either exists only when the kernel was built with it and booted with it active. When asked for
 * one that is not there we refuse to start, naming what the system says, rather than quietly run
 * a container without the confinement that was asked for. --lsm-status reports both (and
 * Landlock) for the server and the UI. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

#ifndef __NR_lsm_list_modules
#define __NR_lsm_list_modules 461 /* Linux 6.8, the same number on every architecture */
#endif

static const char *apparmor_profile; /* --apparmor PROFILE */
static const char *selinux_label;    /* --selinux-label LABEL */

/* ---- what is active, and why not ---- */

/* The LSM ids of include/uapi/linux/lsm.h. */
static const struct {
	uint64_t id;
	const char *name;
} lsm_ids[] = {
	{ 100, "capability" }, { 101, "selinux" }, { 102, "smack" }, { 103, "tomoyo" }, { 104, "apparmor" },
	{ 105, "yama" }, { 106, "loadpin" }, { 107, "safesetid" }, { 108, "lockdown" }, { 109, "bpf" },
	{ 110, "landlock" }, { 111, "ima" }, { 112, "evm" }, { 113, "ipe" },
};

/* The active LSMs as "a,b,c" in LIST, and where that came from in *FROM; false if the system
 * does not say (no securityfs mounted and a kernel older than 6.8). */
static bool active_lsms(char *list, size_t size, const char **from)
{
	list[0] = '\0';
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	if (f != NULL) {
		bool ok = fgets(list, (int)size, f) != NULL;
		fclose(f);
		list[strcspn(list, "\n")] = '\0';
		*from = "/sys/kernel/security/lsm";
		if (ok)
			return true;
	}
	uint64_t ids[32];
	uint32_t ids_size = sizeof(ids);
	long count = syscall(__NR_lsm_list_modules, ids, &ids_size, 0);
	if (count < 0)
		return false;
	*from = "lsm_list_modules(2)";
	size_t len = 0;
	for (long i = 0; i < count; i++) {
		const char *name = "?";
		for (size_t k = 0; k < sizeof(lsm_ids) / sizeof(lsm_ids[0]); k++)
			if (lsm_ids[k].id == ids[i])
				name = lsm_ids[k].name;
		len += (size_t)snprintf(list + len, size - len, "%s%s", i ? "," : "", name);
		if (len >= size)
			break;
	}
	return true;
}

/* NAME is one of the comma-separated items of LIST. */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *item = list;; item++) {
		size_t len = strcspn(item, ",");
		if (len == n && strncmp(item, name, n) == 0)
			return true;
		item += len;
		if (*item == '\0')
			return false;
	}
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The first byte of PATH in *BYTE ('?' when it cannot be read); false when PATH cannot be opened. */
static bool read_first_byte(const char *path, char *byte)
{
	*byte = '?';
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	if (fread(byte, 1, 1, f) != 1)
		*byte = '?';
	fclose(f);
	return true;
}

/* True when the LSM NAME can be used: it is among the kernel's active LSMs (where the system says
 * which are), and DETAIL, what is wrong with its own files, is NULL. Otherwise REASON says why,
 * from what the system reports. */
static bool lsm_usable(const char *name, const char *detail, char *reason, size_t size)
{
	char active[256];
	const char *from = NULL;
	if (active_lsms(active, sizeof(active), &from) && !in_list(active, name)) {
		snprintf(reason, size, "it is not among the kernel's active LSMs (%s, from %s)%s%s", active, from,
			 detail ? "; " : "", detail ? detail : "");
		return false;
	}
	if (detail != NULL) {
		snprintf(reason, size, "%s", detail);
		return false;
	}
	return true;
}

/* True when AppArmor can confine; otherwise REASON says why. */
static bool apparmor_available(char *reason, size_t size)
{
	char enabled;
	read_first_byte("/sys/module/apparmor/parameters/enabled", &enabled);
	const char *detail = !exists("/sys/module/apparmor")
		? "/sys/module/apparmor does not exist: the kernel was built without AppArmor"
		: enabled != 'Y' ? "/sys/module/apparmor/parameters/enabled is not Y: it was turned off at boot"
				 : NULL;
	return lsm_usable("apparmor", detail, reason, size);
}

/* True when SELinux can label; MODE gets "enforcing" or "permissive". */
static bool selinux_available(char *reason, size_t size, const char **mode)
{
	char enforce;
	bool mounted = read_first_byte("/sys/fs/selinux/enforce", &enforce);
	if (!lsm_usable("selinux", mounted ? NULL : "/sys/fs/selinux/enforce does not exist: selinuxfs is not mounted", reason, size))
		return false;
	*mode = enforce == '1' ? "enforcing" : "permissive";
	return true;
}

/* ---- options ---- */

/* A profile name or label goes into one write(): printable, no spaces, not empty. */
static bool is_label(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

static const char *parse_apparmor(const struct lab_option *option, const char *value)
{
	(void)option;
	apparmor_profile = value;
	return is_label(value) ? NULL : "--apparmor: expected a profile name (1-255 printable characters, no spaces)";
}

static const char *parse_selinux(const struct lab_option *option, const char *value)
{
	(void)option;
	selinux_label = value;
	return is_label(value) ? NULL : "--selinux-label: expected a label such as system_u:system_r:container_t:s0";
}

static const char *validate(const struct lab_config *cfg)
{
	char reason[400];
	const char *mode;
	(void)cfg;
	if (apparmor_profile != NULL && !apparmor_available(reason, sizeof(reason))) {
		return lab_problem("--apparmor: AppArmor is not available on this host because %s", reason);
	}
	if (selinux_label != NULL && !selinux_available(reason, sizeof(reason), &mode)) {
		return lab_problem("--selinux-label: SELinux is not available on this host because %s", reason);
	}
	return NULL;
}

static const struct lab_option options[] = {
	{ "--apparmor", true, parse_apparmor, NULL, 0 },
	{ "--selinux-label", true, parse_selinux, NULL, 0 },
	{ NULL },
};
const struct lab_module lab_lsm_module = { "lsm", options, validate };

/* ---- at the end of the child's set-up ---- */

static void write_attr(const char *step, const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_with_error(step, "open(\"%s\")", path);
	ssize_t n = write(fd, text, strlen(text));
	if (n < 0)
		die_with_error(step, "write(\"%s\", \"%s\")", path, text);
	if (close(fd) < 0)
		die_with_error(step, "close(\"%s\")", path);
}

void lab_lsm_apply(void)
{
	if (apparmor_profile != NULL) {
		lab_step("apparmor");
		/* Since Linux 5.8 each LSM has its own attr directory; older kernels share attr/exec. */
		const char *path = exists("/proc/thread-self/attr/apparmor/exec") ? "/proc/thread-self/attr/apparmor/exec"
										  : "/proc/thread-self/attr/exec";
		char command[300];
		snprintf(command, sizeof(command), "exec %s", apparmor_profile);
		write_attr("apparmor", path, command);
	}
	if (selinux_label != NULL) {
		lab_step("selinux");
		write_attr("selinux", "/proc/thread-self/attr/exec", selinux_label);
	}
}

/* ---- isolab-launcher --lsm-status ---- */

int lab_lsm_status(void)
{
	struct lab_json j = { .len = 0 };
	char active[256], reason[400];
	const char *from = NULL, *mode = NULL;

	lab_json_raw(&j, "{\"type\":\"lsm-status\",\"active\":");
	if (active_lsms(active, sizeof(active), &from)) {
		lab_json_raw(&j, "[");
		for (char *save = NULL, *name = strtok_r(active, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
			lab_json_raw(&j, j.buf[j.len - 1] == '[' ? "" : ",");
			lab_json_str(&j, name);
		}
		lab_json_raw(&j, "],\"activeFrom\":");
		lab_json_str(&j, from);
	} else {
		lab_json_raw(&j, "null,\"activeFrom\":null");
	}

	lab_json_raw(&j, ",\"apparmor\":");
	if (apparmor_available(reason, sizeof(reason))) {
		lab_json_raw(&j, "{\"available\":true}");
	} else {
		lab_json_raw(&j, "{\"available\":false,\"reason\":");
		lab_json_str(&j, reason);
		lab_json_raw(&j, "}");
	}

	lab_json_raw(&j, ",\"selinux\":");
	if (selinux_available(reason, sizeof(reason), &mode)) {
		lab_json_raw(&j, "{\"available\":true,\"mode\":");
		lab_json_str(&j, mode);
		lab_json_raw(&j, "}");
	} else {
		lab_json_raw(&j, "{\"available\":false,\"reason\":");
		lab_json_str(&j, reason);
		lab_json_raw(&j, "}");
	}

	int err;
	int abi = lab_landlock_abi(&err);
	lab_json_raw(&j, ",\"landlock\":");
	if (abi >= 0) {
		lab_json_raw(&j, "{\"available\":true,\"abi\":");
		lab_json_int(&j, abi);
		lab_json_raw(&j, "}");
	} else {
		lab_json_raw(&j, "{\"available\":false,\"reason\":");
		lab_json_str(&j, lab_landlock_unavailable_reason(err));
		lab_json_raw(&j, "}");
	}
	lab_json_raw(&j, "}\n");
	/* This mode only reports: nothing was created, so plain stdio is fine. */
	return fwrite(j.buf, 1, j.len, stdout) == j.len && fflush(stdout) == 0 ? 0 : 1;
}
