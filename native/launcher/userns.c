/* The user namespace: who "root" is, and --user.
 *
 * In a new user namespace every uid and gid starts out unmapped (the kernel shows them as 65534,
 * "nobody") until someone outside writes the maps: "uid 0 in here is uid 100000 out there, and
 * so are the 65536 after it". The container's root then holds every capability, but only over
 * what its user namespace owns — the namespaces created with it (mounts, network, hostname, ...)
 * and files whose owner is mapped. To the host it is the unprivileged user 100000.
 *
 *   parent, before clone()   with --rootfs: the image as a detached mount, to be idmapped
 *   parent, after clone()    setgroups, uid_map, gid_map; the image's idmapping
 *   child, first thing       setresgid/setresuid(0): become the root the maps speak of
 *   child, right after       --userns-limit: this namespace's /proc/sys/user counters' ceilings
 *   child, last              --user UID:GID (with or without a user namespace)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/securebits.h>

#include "launcher.h"

/* uid_t and gid_t are 32 bits; (uid_t)-1 means "no change" to the set*id calls, so is no id. */
#define LAB_ID_MAX 4294967294UL
/* The kernel takes up to 340 lines per map; a lab needs a few. */
#define LAB_MAX_RANGES 8
#define LAB_MAX_GROUPS 32

/* One line of a map: COUNT ids from INSIDE on, in the namespace, are OUTSIDE on, on the host. */
struct id_range {
	unsigned long inside, outside, count;
};
struct id_map {
	unsigned count;
	struct id_range ranges[LAB_MAX_RANGES];
};

/* /etc/subuid's habit: each user namespace gets 65536 ids of its own, far from the host's. */
static const struct id_map default_map = { 1, { { 0, 100000, 65536 } } };

static bool userns;                    /* --unshare user */
static const struct lab_config *config; /* main's, for --rootfs and its descriptor */
static struct id_map both_map;          /* --userns-map */
static struct id_map uid_map, gid_map;  /* --uid-map, --gid-map; after validation: what is written */
static bool setgroups_given, setgroups_deny;
static bool user_given;                 /* --user */
static uid_t user_uid;
static gid_t user_gid;
static gid_t groups[LAB_MAX_GROUPS];    /* --group-add */
static int group_count;
static int image_tree_fd = -1;          /* --rootfs with a user namespace: the image, detached */
static bool owner_given;                /* --userns-owner */
static uid_t owner_uid;
static int saved_securebits = -1;       /* ours, while the owner makes the namespace */

/* The per-user-namespace limits a container may be given (--userns-limit), as named under
 * /proc/sys/user: counts of namespaces and of inotify and fanotify objects. */
static const char *const limit_names[] = {
	"max_user_namespaces", "max_mnt_namespaces", "max_pid_namespaces", "max_net_namespaces",
	"max_ipc_namespaces", "max_uts_namespaces", "max_cgroup_namespaces", "max_time_namespaces",
	"max_inotify_instances", "max_inotify_watches", "max_fanotify_groups", "max_fanotify_marks",
};
#define LIMIT_COUNT (sizeof(limit_names) / sizeof(limit_names[0]))
static long long limit_values[LIMIT_COUNT];
static bool limit_set[LIMIT_COUNT];
static bool limits_given;

/* ---- options ---- */

/* A decimal id (0 .. 4294967294) at *S; moves *S past it. */
static bool parse_id(const char **s, unsigned long *out)
{
	uint64_t v;
	const char *end = lab_scan_u64(*s, LAB_ID_MAX, &v);
	if (end == NULL)
		return false;
	*s = end;
	*out = (unsigned long)v;
	return true;
}

/* "INSIDE:OUTSIDE:COUNT", appended to the map that is the option's target. */
static const char *parse_range(const struct lab_option *option, const char *value)
{
	struct id_map *map = option->target;
	struct id_range r;
	const char *s = value;
	if (!(parse_id(&s, &r.inside) && *s++ == ':' && parse_id(&s, &r.outside) && *s++ == ':' &&
	      parse_id(&s, &r.count) && *s == '\0')) {
		return lab_problem("%s: expected INSIDE:OUTSIDE:COUNT, three decimal ids (got \"%.40s\")",
				   option->name, value);
	}
	if (r.count == 0 || r.inside + r.count - 1 > LAB_ID_MAX || r.outside + r.count - 1 > LAB_ID_MAX) {
		return lab_problem("%s %.40s: COUNT must be at least 1 and both ranges end by %lu",
				   option->name, value, LAB_ID_MAX);
	}
	if (map->count == LAB_MAX_RANGES) {
		return lab_problem("%s: at most %d ranges", option->name, LAB_MAX_RANGES);
	}
	map->ranges[map->count++] = r;
	return NULL;
}

static const char *parse_setgroups(const struct lab_option *option, const char *value)
{
	(void)option;
	setgroups_given = true;
	if (strcmp(value, "allow") == 0)
		setgroups_deny = false;
	else if (strcmp(value, "deny") == 0)
		setgroups_deny = true;
	else
		return "--setgroups: expected allow or deny";
	return NULL;
}

/* docker's --user UID[:GID], numeric only: names would mean reading the image's /etc/passwd. */
static const char *parse_user(const struct lab_option *option, const char *value)
{
	(void)option;
	const char *s = value;
	unsigned long uid;
	unsigned long gid = 0; /* docker's choice for a UID without an /etc/passwd entry */
	bool ok = parse_id(&s, &uid);
	if (ok && *s == ':') {
		s++;
		ok = parse_id(&s, &gid);
	}
	if (!ok || *s != '\0')
		return "--user: expected UID or UID:GID, decimal (names are not looked up)";
	user_given = true;
	user_uid = (uid_t)uid;
	user_gid = (gid_t)gid;
	return NULL;
}

static const char *parse_group_add(const struct lab_option *option, const char *value)
{
	(void)option;
	const char *s = value;
	unsigned long gid;
	if (!parse_id(&s, &gid) || *s != '\0')
		return "--group-add: expected a decimal GID";
	if (group_count == LAB_MAX_GROUPS)
		return "--group-add: at most 32 groups";
	groups[group_count++] = (gid_t)gid;
	return NULL;
}

/* --userns-owner UID: the host uid that creates (and so owns) the user namespace. */
static const char *parse_owner(const struct lab_option *option, const char *value)
{
	const char *s = value;
	unsigned long uid;
	if (!parse_id(&s, &uid) || *s != '\0' || uid == 0)
		return lab_problem("%s: expected a decimal host uid other than 0 (got \"%.40s\")", option->name, value);
	owner_given = true;
	owner_uid = (uid_t)uid;
	return NULL;
}

/* --userns-limit NAME=N, NAME one of limit_names. */
static const char *parse_limit(const struct lab_option *option, const char *value)
{
	const char *eq = strchr(value, '=');
	uint64_t n;
	if (eq != NULL) {
		for (size_t i = 0; i < LIMIT_COUNT; i++) {
			if (strlen(limit_names[i]) == (size_t)(eq - value) && strncmp(limit_names[i], value, (size_t)(eq - value)) == 0) {
				const char *end = lab_scan_u64(eq + 1, INT32_MAX, &n);
				if (end == NULL || *end != '\0')
					break;
				limit_values[i] = (long long)n;
				limit_set[i] = true;
				limits_given = true;
				return NULL;
			}
		}
	}
	return lab_problem("%s: expected NAME=N, NAME one of /proc/sys/user's max_* (e.g. max_user_namespaces), N from 0 to %d (got \"%.60s\")",
			   option->name, INT32_MAX, value);
}

/* True when ID, as seen inside, is in MAP. */
static bool is_mapped(const struct id_map *map, unsigned long id)
{
	for (unsigned i = 0; i < map->count; i++)
		if (id >= map->ranges[i].inside && id - map->ranges[i].inside < map->ranges[i].count)
			return true;
	return false;
}

static bool overlaps(unsigned long a, unsigned long b, unsigned long count_a, unsigned long count_b)
{
	return a < b + count_b && b < a + count_a;
}

/* The rules the kernel enforces when the map is written (no two lines overlapping on either
 * side), plus ours: the host's root is never mapped in, and the container's root is. */
static const char *check_map(const char *option, const struct id_map *map)
{
	bool root_inside = false;
	for (unsigned i = 0; i < map->count; i++) {
		const struct id_range *r = &map->ranges[i];
		if (r->outside == 0) {
			return lab_problem("%s %lu:%lu:%lu: would map the host's root (id 0) into the container",
					   option, r->inside, r->outside, r->count);
		}
		if (r->inside == 0)
			root_inside = true;
		for (unsigned j = 0; j < i; j++) {
			const struct id_range *q = &map->ranges[j];
			if (overlaps(r->inside, q->inside, r->count, q->count) ||
			    overlaps(r->outside, q->outside, r->count, q->count)) {
				return lab_problem("%s: ranges %lu:%lu:%lu and %lu:%lu:%lu overlap",
						   option, q->inside, q->outside, q->count, r->inside, r->outside, r->count);
			}
		}
	}
	if (!root_inside) {
		return lab_problem("%s: id 0 inside must be mapped (the container starts as its root)", option);
	}
	return NULL;
}

static const char *userns_validate(const struct lab_config *cfg)
{
	config = cfg;
	userns = (cfg->clone_flags & CLONE_NEWUSER) != 0;
	bool any_map = both_map.count > 0 || uid_map.count > 0 || gid_map.count > 0;
	if (!userns && (any_map || setgroups_given || owner_given || limits_given))
		return "--userns-map, --uid-map, --gid-map, --setgroups, --userns-owner and --userns-limit need the user namespace (--unshare user)";
	if (both_map.count > 0 && (uid_map.count > 0 || gid_map.count > 0))
		return "--userns-map sets both maps: give it, or --uid-map with --gid-map, not both";
	if ((uid_map.count == 0) != (gid_map.count == 0))
		return "--uid-map and --gid-map go together";
	if (setgroups_deny && group_count > 0)
		return "--group-add needs --setgroups allow: with deny, the container cannot call setgroups()";
	if (!userns)
		return NULL;

	if (uid_map.count == 0) {
		uid_map = both_map.count > 0 ? both_map : default_map;
		gid_map = uid_map;
	}
	const char *map_problem = check_map(both_map.count > 0 ? "--userns-map" : "--uid-map", &uid_map);
	if (map_problem == NULL)
		map_problem = check_map(both_map.count > 0 ? "--userns-map" : "--gid-map", &gid_map);
	if (map_problem != NULL)
		return map_problem;
	if (user_given && !is_mapped(&uid_map, user_uid)) {
		return lab_problem("--user: uid %u is not mapped in the user namespace", (unsigned)user_uid);
	}
	if (user_given && !is_mapped(&gid_map, user_gid)) {
		return lab_problem("--user: gid %u is not mapped in the user namespace", (unsigned)user_gid);
	}
	for (int i = 0; i < group_count; i++) {
		if (!is_mapped(&gid_map, groups[i])) {
			return lab_problem("--group-add: gid %u is not mapped in the user namespace",
					   (unsigned)groups[i]);
		}
	}
	/* /proc may be mounted only by the user namespace that owns the PID namespace it shows. */
	if (cfg->rootfs != NULL && !(cfg->clone_flags & CLONE_NEWPID))
		return "--rootfs with --unshare user needs --unshare pid: a user namespace may only mount the /proc of a PID namespace it owns";
	return NULL;
}

static const struct lab_option options[] = {
	{ "--userns-map", true, parse_range, &both_map, 0 },
	{ "--uid-map", true, parse_range, &uid_map, 0 },
	{ "--gid-map", true, parse_range, &gid_map, 0 },
	{ "--setgroups", true, parse_setgroups, NULL, 0 },
	{ "--user", true, parse_user, NULL, 0 },
	{ "--group-add", true, parse_group_add, NULL, 0 },
	{ "--userns-owner", true, parse_owner, NULL, 0 },
	{ "--userns-limit", true, parse_limit, NULL, 0 },
	{ NULL },
};
const struct lab_module lab_userns_module = { "userns", options, userns_validate };

/* ---- the parent ---- */

/* The image, for a container whose root is not the host's: its files belong to host uid 0, which
 * is nobody in there, so the container's root could change none of them (not even through the
 * overlay: a copy-up must keep the owner, and uid 0 has no name in the container's namespace).
 * An idmapped mount shows them through the container's map instead — host 0 as the container's
 * 0 — without touching the image. Only a mount nobody has seen yet can get an idmapping: a
 * detached copy, opened now so that the child inherits the descriptor, given its idmapping once
 * the child's map exists. */
void lab_userns_prepare(void)
{
	if (!userns)
		return;
	if (setgroups_deny) {
		/* With deny the container can never drop a supplementary group: make sure it is born
		 * with none of ours. */
		lab_step("userns_groups");
		/* Already none (a launcher started without groups, as `isolab doctor` starts one as an
		 * unprivileged uid): nothing to drop, and without CAP_SETGID setgroups() is EPERM. */
		if (getgroups(0, NULL) != 0 && setgroups(0, NULL) < 0)
			die_with_error("userns_groups", "setgroups(0, NULL)");
	}
	if (config->rootfs == NULL)
		return;
	lab_step("idmap_open");
	image_tree_fd = open_tree(config->rootfs_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (image_tree_fd < 0)
		die_with_error("idmap_open", "open_tree(\"%s\", OPEN_TREE_CLONE)", config->rootfs);
}

/* --userns-owner: the user namespace is made by clone() under the owner's host uid, so that the
 * kernel counts what it holds against that uid, not root's. The kernel's per-user counters (how
 * many user namespaces, inotify instances and watches, ...) are charged, level by level, to the
 * owner of each user namespace up to the host's: when root makes every container's, one learner
 * holding 128 inotify instances leaves none for any other learner, or for root on the host. With
 * each learner's containers made by that learner's own uid, a learner exhausts only their own.
 *
 * Only the effective uid changes, and only around clone(): SECBIT_NO_SETUID_FIXUP keeps our
 * capabilities across it (without it, leaving euid 0 would empty the effective set, and clone3's
 * cgroup, say, would be out of reach), and the real and saved uids stay root's, to come back to. */
void lab_userns_owner_begin(void)
{
	if (!owner_given)
		return;
	lab_step("userns_owner");
	saved_securebits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (saved_securebits < 0)
		die_with_error("userns_owner", "prctl(PR_GET_SECUREBITS)");
	if (prctl(PR_SET_SECUREBITS, (unsigned long)saved_securebits | SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
		die_with_error("userns_owner", "prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP)");
	if (setresuid((uid_t)-1, owner_uid, (uid_t)-1) < 0)
		die_with_error("userns_owner", "setresuid(-1, %u, -1)", (unsigned)owner_uid);
}

void lab_userns_owner_end(void)
{
	if (saved_securebits < 0)
		return;
	if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0)
		die_with_error("clone", "setresuid(-1, 0, -1) (back from --userns-owner)");
	if (prctl(PR_SET_SECUREBITS, (unsigned long)saved_securebits, 0, 0, 0) < 0)
		die_with_error("clone", "prctl(PR_SET_SECUREBITS, %d)", saved_securebits);
	saved_securebits = -1;
}

/* Writes CONTENT to /proc/CHILD/FILE in one write(): the kernel takes a map whole or not at all. */
static void write_proc(pid_t child, const char *file, const char *content)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)child, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_with_error("userns_map", "open(\"%s\")", path);
	size_t len = strlen(content);
	if (write(fd, content, len) != (ssize_t)len)
		die_with_error("userns_map", "write(\"%s\", \"%.60s\")", path, content);
	if (close(fd) < 0)
		die_with_error("userns_map", "close(\"%s\")", path);
}

static void write_map(pid_t child, const char *file, const struct id_map *map)
{
	char text[LAB_MAX_RANGES * 40];
	size_t len = 0;
	for (unsigned i = 0; i < map->count; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%lu %lu %lu\n", map->ranges[i].inside,
					map->ranges[i].outside, map->ranges[i].count);
	write_proc(child, file, text);
}

void lab_userns_map(pid_t child)
{
	if (!userns)
		return;
	lab_step("userns_map");
	/* setgroups: "deny" must come before gid_map when an unprivileged user writes it (otherwise
	 * it could drop groups that stand for "no access to this" on the host). We are root, so the
	 * kernel lets "allow" stay, as runc and docker do: --user then gets exactly the groups asked
	 * for. --setgroups deny writes it anyway (rootless containers always run like that). */
	if (setgroups_deny)
		write_proc(child, "setgroups", "deny");
	write_map(child, "uid_map", &uid_map);
	write_map(child, "gid_map", &gid_map);

	if (image_tree_fd < 0)
		return;
	lab_step("idmap");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
	int userns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (userns_fd < 0)
		die_with_error("idmap", "open(\"%s\")", path);
	/* Read-only and without devices: the overlay only ever reads its lower layer. */
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV,
		.userns_fd = (unsigned)userns_fd,
	};
	if (mount_setattr(image_tree_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		die_with_error("idmap", "mount_setattr(\"%s\", MOUNT_ATTR_IDMAP, %s)", config->rootfs, path);
	if (close(userns_fd) < 0)
		die_with_error("idmap", "close(\"%s\")", path);
	/* The child holds its own copy of the descriptor (it was inherited): ours is no longer needed. */
	if (close(image_tree_fd) < 0)
		die_with_error("idmap", "close(image)");
	image_tree_fd = -1;
}

/* ---- the child ---- */

/* --userns-limit: the counts this user namespace (and every one made inside it) may hold, written
 * as its root, first thing. Every level below is also counted here, so a namespace made inside
 * cannot raise them; only a holder of CAP_SYS_RESOURCE in this one could, and a workshop's
 * containers never hold it. */
static void write_limits(void)
{
	if (!limits_given)
		return;
	lab_step("userns_limits");
	for (size_t i = 0; i < LIMIT_COUNT; i++) {
		if (!limit_set[i])
			continue;
		char path[64], value[24];
		snprintf(path, sizeof(path), "/proc/sys/user/%s", limit_names[i]);
		int len = snprintf(value, sizeof(value), "%lld", limit_values[i]);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			die_with_error("userns_limits", "open(\"%s\")", path);
		if (TEMP_FAILURE_RETRY(write(fd, value, (size_t)len)) != (ssize_t)len)
			die_with_error("userns_limits", "write(\"%s\", \"%s\")", path, value);
		if (close(fd) < 0)
			die_with_error("userns_limits", "close(\"%s\")", path);
	}
}

/* clone() gave us every capability in the new namespace, but our ids are still the host's
 * (unmapped in here: "nobody"). Become the namespace's root — host uid 100000 with the default
 * map — so that what we create (the scratch tmpfs, the overlay's upper layer) has an owner that
 * exists in here. Going from an unmapped uid to the namespace's root keeps every capability. */
void lab_userns_enter(void)
{
	if (!userns)
		return;
	lab_step("userns_enter");
	/* Drop the launcher's supplementary groups (they would show as 65534). Impossible with
	 * setgroups "deny": then we have none (the parent dropped its own before clone). */
	if (!setgroups_deny && setgroups(0, NULL) < 0)
		die_with_error("userns_enter", "setgroups(0, NULL)");
	if (setresgid(0, 0, 0) < 0)
		die_with_error("userns_enter", "setresgid(0, 0, 0)");
	if (setresuid(0, 0, 0) < 0)
		die_with_error("userns_enter", "setresuid(0, 0, 0)");
	/* --userns-owner's SECBIT_NO_SETUID_FIXUP came with us from the parent: it would let a later
	 * --user keep root's capabilities. Every bit goes (we hold CAP_SETPCAP in here). */
	if (owner_given && prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) < 0)
		die_with_error("userns_enter", "prctl(PR_SET_SECUREBITS, 0)");
	lab_pdeathsig("userns_enter"); /* changing ids disarmed it */
	write_limits();
}

bool lab_userns_image_idmapped(void)
{
	return image_tree_fd >= 0;
}

/* Puts the idmapped image (a mount the parent made and we inherited) at TARGET, in our mount
 * namespace, so the overlay can take it as its lower layer. */
void lab_userns_attach_image(const char *target)
{
	lab_step("idmap_attach");
	if (mkdir(target, 0755) < 0)
		die_with_error("idmap_attach", "mkdir(\"%s\")", target);
	if (move_mount(image_tree_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_with_error("idmap_attach", "move_mount(image, \"%s\")", target);
	if (close(image_tree_fd) < 0)
		die_with_error("idmap_attach", "close(image)");
}

/* --user UID:GID, late (after LSM, Landlock, seccomp and the bounding set; before caps.c sets the
 * final capability sets). Leaving uid 0 empties the permitted and effective sets unless
 * PR_SET_KEEPCAPS says keep permitted: kept, so that caps.c can still give this user what
 * --cap-add asks for (runc's order). With no added capability, execve then leaves a non-root
 * user with empty permitted and effective sets, as docker does. */
void lab_userns_switch_user(void)
{
	if (!user_given && group_count == 0)
		return;
	lab_step("user");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die_with_error("user", "prctl(PR_SET_KEEPCAPS, 1)");
	/* Exactly the groups asked for (none by default), not whatever the launcher had. */
	if (!setgroups_deny && setgroups((size_t)group_count, groups) < 0)
		die_with_error("user", "setgroups(%d groups)", group_count);
	/* Group first: once the uid is not root any more, we could not change it. */
	if (setresgid(user_gid, user_gid, user_gid) < 0)
		die_with_error("user", "setresgid(%u, %u, %u)", (unsigned)user_gid, (unsigned)user_gid, (unsigned)user_gid);
	if (setresuid(user_uid, user_uid, user_uid) < 0)
		die_with_error("user", "setresuid(%u, %u, %u)", (unsigned)user_uid, (unsigned)user_uid, (unsigned)user_uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		die_with_error("user", "prctl(PR_SET_KEEPCAPS, 0)");
	lab_pdeathsig("user"); /* changing ids disarmed it */
}

/* --join into a container with its own user namespace: setns() made us a member with every
 * capability in there, but still with our host ids, unmapped in there (nobody). Become its root,
 * as nsenter does, so that PROGRAM keeps its capabilities across execve and sees itself as 0. */
void lab_userns_join_as_root(const char *step_name)
{
	/* EPERM: the container's setgroups is "deny"; then there is nothing to drop. */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		die_with_error(step_name, "setgroups(0, NULL)");
	if (setresgid(0, 0, 0) < 0)
		die_with_error(step_name, "setresgid(0, 0, 0) in the container's user namespace");
	if (setresuid(0, 0, 0) < 0)
		die_with_error(step_name, "setresuid(0, 0, 0) in the container's user namespace");
	/* --join's child (v2, after clone3) had PR_SET_PDEATHSIG armed: changing ids disarmed it. */
	lab_pdeathsig(step_name);
}
