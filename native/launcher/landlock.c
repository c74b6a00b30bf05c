/* Landlock: an unprivileged sandbox the process puts on itself. It builds a ruleset — "these are
 * the kinds of access I want restricted" — adds rules that allow some of them beneath some
 * directories (or on some TCP ports), and then restricts itself: from then on the kernel refuses
 * every handled access the rules do not allow, for it and for everything it starts, forever.
 * Unlike seccomp it understands paths: "read-only below /usr" is one rule.
 *
 * Paths are as the container sees them (after pivot_root). Each kernel release adds access
 * rights, numbered by an ABI version; we ask the kernel for its version and handle exactly the
 * rights it knows (a best-effort downgrade, as the kernel's own sample sandboxer does).
 *
 * Raw system calls: glibc has no wrappers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

/* From include/uapi/linux/landlock.h, written out here: the build host's headers may predate the
 * rights this kernel knows (Debian 12's stop at ABI 2). */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)     /* ABI 2: link or rename into another directory */
#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5: ioctl on a device file */
#define LL_NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
};
struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* Every filesystem right each ABI knows (ABI 1 has the first 13). */
static uint64_t fs_rights_for_abi(int abi)
{
	uint64_t rights = (LL_FS_MAKE_SYM << 1) - 1;
	if (abi >= 2)
		rights |= LL_FS_REFER;
	if (abi >= 3)
		rights |= LL_FS_TRUNCATE;
	if (abi >= 5)
		rights |= LL_FS_IOCTL_DEV;
	return rights;
}

/* Read-only: look, read, run. Everything else (write, create, remove, rename, truncate, device
 * ioctl) only below --landlock-rw paths. */
#define RIGHTS_RO (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR)
/* The rights that make sense on a file (the rest are about directory entries). */
#define RIGHTS_FILE (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

#define MAX_PATHS 64
#define MAX_PORTS 64

static struct {
	char *path;
	bool writable;
} paths[MAX_PATHS];
static unsigned path_count;
static bool fs_requested;
struct port_set {
	bool requested; /* the option was given (even as "none"): this kind of access is handled */
	uint16_t ports[MAX_PORTS];
	unsigned count;
};
static struct port_set net_bind, net_connect;
static int abi; /* the kernel's, found in validate */
static int program_fd = -1; /* --join's PROGRAM, opened on the host */

int lab_landlock_abi(int *err)
{
	/* With this flag and no attributes, landlock_create_ruleset returns the ABI version.
	 * ENOSYS: the kernel was built without Landlock; EOPNOTSUPP: it is not enabled (lsm=). */
	long version = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	*err = version < 0 ? errno : 0;
	return version < 0 ? -1 : (int)version;
}

const char *lab_landlock_unavailable_reason(int err)
{
	if (err == ENOSYS)
		return "landlock_create_ruleset() is not implemented: the kernel was built without CONFIG_SECURITY_LANDLOCK";
	if (err == EOPNOTSUPP)
		return "Landlock is built in but not enabled: it is missing from the kernel's lsm= list";
	return strerrordesc_np(err);
}

/* --landlock-ro and --landlock-rw (ARG: writable): "P1:P2:...". */
static const char *add_paths(const struct lab_option *option, const char *list)
{
	bool writable = option->arg;
	fs_requested = true;
	const char *item = list;
	for (;;) {
		size_t len = strcspn(item, ":");
		if (len == 0 || item[0] != '/') {
			return lab_problem("%s: expected absolute paths separated by ':', got \"%.64s\"",
					   option->name, list);
		}
		if (path_count == MAX_PATHS) {
			return lab_problem("%s: at most %d paths", option->name, MAX_PATHS);
		}
		paths[path_count].path = strndup(item, len);
		if (paths[path_count].path == NULL)
			return "out of memory";
		paths[path_count++].writable = writable;
		if (item[len] == '\0')
			return NULL;
		item += len + 1;
	}
}

/* "80,443" or "none" (handle the kind, allow no port), into the port set that is the target. */
static const char *add_ports(const struct lab_option *option, const char *list)
{
	struct port_set *set = option->target;
	set->requested = true;
	if (strcmp(list, "none") == 0)
		return NULL;
	const char *item = list;
	for (;;) {
		uint64_t port;
		const char *end = lab_scan_u64(item, 65535, &port);
		if (end == NULL || (*end != ',' && *end != '\0')) {
			return lab_problem("%s: expected TCP ports 0-65535 separated by ',' (or none), got \"%.64s\"",
					   option->name, list);
		}
		if (set->count == MAX_PORTS) {
			return lab_problem("%s: at most %d ports", option->name, MAX_PORTS);
		}
		set->ports[set->count++] = (uint16_t)port;
		if (*end == '\0')
			return NULL;
		item = end + 1;
	}
}


static const char *validate(const struct lab_config *cfg)
{
	(void)cfg;
	if (!fs_requested && !net_bind.requested && !net_connect.requested)
		return NULL;
	const char *option = fs_requested ? "--landlock-ro/--landlock-rw" : "--landlock-net-bind/--landlock-net-connect";
	int err;
	abi = lab_landlock_abi(&err);
	if (abi < 0) {
		return lab_problem("%s: Landlock is not available on this kernel: %s",
				   option, lab_landlock_unavailable_reason(err));
	}
	if ((net_bind.requested || net_connect.requested) && abi < 4) {
		return lab_problem("--landlock-net-bind/--landlock-net-connect: TCP port rules need Landlock ABI 4 (Linux 6.7); "
				   "this kernel has ABI %d",
				   abi);
	}
	return NULL;
}

static const struct lab_option options[] = {
	{ "--landlock-ro", true, add_paths, NULL, false },
	{ "--landlock-rw", true, add_paths, NULL, true },
	{ "--landlock-net-bind", true, add_ports, &net_bind, 0 },
	{ "--landlock-net-connect", true, add_ports, &net_connect, 0 },
	{ NULL },
};
const struct lab_module lab_landlock_module = { "landlock", options, validate };

void lab_landlock_allow_program(int fd)
{
	program_fd = fd;
}

static void allow_ports(int ruleset_fd, const struct port_set *set, uint64_t access)
{
	for (unsigned i = 0; i < set->count; i++) {
		struct ll_net_port_attr rule = { .allowed_access = access, .port = set->ports[i] };
		if (syscall(__NR_landlock_add_rule, ruleset_fd, LL_RULE_NET_PORT, &rule, 0) < 0)
			die_with_error("landlock", "landlock_add_rule(port %u)", set->ports[i]);
	}
}

void lab_landlock_apply(void)
{
	if (!fs_requested && !net_bind.requested && !net_connect.requested)
		return;
	lab_step("landlock");

	/* 1. What is restricted: every filesystem right this kernel knows (when paths were given),
	 *    and binding or connecting TCP sockets (when ports were given). */
	uint64_t fs_rights = fs_rights_for_abi(abi);
	struct ll_ruleset_attr ruleset = {
		.handled_access_fs = fs_requested ? fs_rights : 0,
		.handled_access_net = (net_bind.requested ? LL_NET_BIND_TCP : 0) | (net_connect.requested ? LL_NET_CONNECT_TCP : 0),
	};
	/* An ABI 1-3 kernel does not know handled_access_net: give it only the first field. */
	size_t ruleset_size = abi >= 4 ? sizeof(ruleset) : sizeof(ruleset.handled_access_fs);
	int ruleset_fd = (int)syscall(__NR_landlock_create_ruleset, &ruleset, ruleset_size, 0);
	if (ruleset_fd < 0)
		die_with_error("landlock", "landlock_create_ruleset(fs=0x%llx, net=0x%llx)",
			       (unsigned long long)ruleset.handled_access_fs, (unsigned long long)ruleset.handled_access_net);

	/* 2. What is allowed: each path (and everything beneath it), by an O_PATH descriptor. */
	for (unsigned i = 0; i < path_count; i++) {
		int fd = open(paths[i].path, O_PATH | O_CLOEXEC);
		if (fd < 0)
			die_with_error("landlock", "open(\"%s\", O_PATH)", paths[i].path);
		struct stat st;
		if (fstat(fd, &st) < 0)
			die_with_error("landlock", "fstat(\"%s\")", paths[i].path);
		uint64_t allowed = (paths[i].writable ? fs_rights : RIGHTS_RO) & fs_rights;
		if (!S_ISDIR(st.st_mode))
			allowed &= RIGHTS_FILE; /* the kernel refuses directory rights on a file */
		struct ll_path_beneath_attr rule = { .allowed_access = allowed, .parent_fd = fd };
		if (syscall(__NR_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &rule, 0) < 0)
			die_with_error("landlock", "landlock_add_rule(\"%s\", 0x%llx)", paths[i].path, (unsigned long long)allowed);
		if (close(fd) < 0)
			die_with_error("landlock", "close(\"%s\")", paths[i].path);
	}
	/* --join runs a program brought from the host (the probe): no rule about the container's
	 * paths covers it, so that one file may be read and executed, and nothing else of the host. */
	if (program_fd >= 0 && fs_requested) {
		struct ll_path_beneath_attr rule = { .allowed_access = (LL_FS_EXECUTE | LL_FS_READ_FILE) & fs_rights, .parent_fd = program_fd };
		if (syscall(__NR_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &rule, 0) < 0)
			die_with_error("landlock", "landlock_add_rule(the joined program, EXECUTE|READ_FILE)");
	}
	allow_ports(ruleset_fd, &net_bind, LL_NET_BIND_TCP);
	allow_ports(ruleset_fd, &net_connect, LL_NET_CONNECT_TCP);

	/* 3. Restrict ourselves. The kernel wants no_new_privs or CAP_SYS_ADMIN for this; we still
	 *    hold the capability, so --no-new-privs stays a separate choice. */
	if (syscall(__NR_landlock_restrict_self, ruleset_fd, 0) < 0)
		die_with_error("landlock", "landlock_restrict_self()");
	if (close(ruleset_fd) < 0)
		die_with_error("landlock", "close(ruleset)");
}
