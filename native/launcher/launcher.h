/* isolab-launcher: builds a container from kernel primitives, one file per primitive.
 *
 *   main.c     command line, the parent's lifetime (clone, ready, wait, tear down)
 *   ns.c       the namespace table and namespace inodes, the time namespace
 *   userns.c   the user namespace: uid/gid maps, setgroups, --user
 *   cgroup.c   cgroups v1 and v2 behind one interface, the cgroup namespace, live updates
 *              (cgroup_args.c, cgroup_inside.c, cgroup_files.c, cgroup_v1.c, cgroup_v2.c, cgroup_bpf.c)
 *   mounts.c   the private mount tree and a fresh /proc
 *   rootfs.c   the root filesystem: chroot, pivot_root, overlay layers, read-only root, masked paths
 *   net.c      the network namespace: lo, veth onto a bridge, tc bandwidth
 *   rlimits.c  --ulimit
 *   lsm.c      AppArmor and SELinux labels (or why they are not available)
 *   landlock.c Landlock filesystem rules
 *   caps.c     the five capability sets
 *   nnp.c      no_new_privs
 *   seccomp.c  the seccomp filter (libseccomp)
 *   seccomp_notify.c  a supervisor that answers the calls the filter hands over, and names them
 *   join.c     --join: run a program inside a running container
 *   status.c   status lines (JSON) to the server
 *   util.c     clock, step bookkeeping, problems and the die family, clean-up on failure
 *   ../parse-number.c  the one integer parser (shared with the probe)
 *
 * The contract with the server (command line, status lines) is native/README.md.
 */
#ifndef ISOLAB_LAUNCHER_H
#define ISOLAB_LAUNCHER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "libc-compat.h"
#include "../parse-number.h"

/* glibc before 2.36 lacks it; the kernel has had time namespaces since 5.6. */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Exit codes, as docker uses them: 125 the launcher failed, 126 PROGRAM cannot be executed,
 * 127 PROGRAM was not found; otherwise PROGRAM's own code, or 128 + signal. */
#define LAB_EXIT_LAUNCHER 125
#define LAB_EXIT_CANNOT_EXEC 126
#define LAB_EXIT_NOT_FOUND 127

/* ---- config (main.c) ---- */

struct lab_config {
	int status_fd;             /* --status-fd N, or -1 */
	const char *status_socket; /* --status-socket PATH, or NULL */
	const char *status_token;  /* --status-token HEX, or NULL */
	unsigned long clone_flags; /* CLONE_NEW* from --unshare */
	const char *hostname;      /* --hostname NAME, or NULL */
	const char *rootfs;        /* --rootfs DIR, or NULL */
	int rootfs_fd;             /* DIR opened O_PATH, or -1 */
	const char *fail_at;       /* --fail-at STEP, or NULL */
	pid_t join_pid;            /* --join PID, or 0 */
	char **program;            /* PROGRAM ARG... (NULL-terminated) */
};

/* ---- steps and clock (util.c) ---- */

/* Every step the launcher can take, in the order it takes them. --fail-at accepts these names. */
#define LAB_MAX_STEPS 96
extern const char *const lab_steps[];
/* Who takes each step: "parent", "child" (of a new container), "join" (--join only), "both". */
extern const char *const lab_step_phase[];
int lab_step_index(const char *name);

int64_t lab_now_us(void);
void lab_set_fail_at(const char *step);
/* Starts STEP: ends the running step's timer, starts STEP's, and fails here when --fail-at names it. */
void lab_step(const char *step);
/* Ends the running step's timer. */
void lab_step_end(void);
/* Forgets the running step (the child starts with a clean slate after clone). */
void lab_step_reset(void);
/* Microseconds spent in each step so far, indexed like lab_steps[]; -1 = not run. */
extern int64_t lab_step_us[LAB_MAX_STEPS];

/* A problem in words, for an option's parser or a module's validate() to return: formatted into
 * the launcher's one problem buffer, which it overwrites (an argument may be the buffer itself,
 * the problem made before). util.c */
const char *lab_problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, "isolab-launcher: " first, in a single write(): lines of the parent, the child
 * and the supervisor never interleave (musl's dprintf writes a line in pieces). util.c */
void lab_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the die family (util.c) ----
 * Each writes {"type":"error","step":...,"errno":N,"message":...} to the status channel (or a line
 * to stderr when there is none), cleans up for the process it runs in, and exits. */
noreturn void die_with_error(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void die(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* With the error ERR rather than errno (a library's -errno return, an errno saved before a clean-up). */
noreturn void die_with_errno(int err, const char *step, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* execve failed: exit 127 when PROGRAM was not found, 126 when it cannot be executed. */
noreturn void die_exec_failed(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Who is dying decides the cleanup: the child tells the parent over the sync pipe, the parent
 * kills and reaps what it started. */
void lab_role_parent(pid_t child);
void lab_role_child(int sync_fd);
/* The child's PR_SET_PDEATHSIG(SIGKILL), armed at STEP and again after every change of ids (which
 * disarms it); then, if the launcher is already gone (its pidfd, opened by
 * lab_pdeathsig_watch_self() before the fork, is readable), exit at once: the signal would never
 * come (util.c). */
void lab_pdeathsig_watch_self(void);
void lab_pdeathsig(const char *step);
/* The parent works while the child does (from "go" to "go_net"): if the parent then fails but the
 * child has failed first (SYNC_FD is readable), only the child's error is reported (util.c). */
void lab_role_parent_watch(int sync_fd);
/* Parent, once the child is dead: did it say on SYNC_FD that its setup failed? (main.c) */
bool lab_sync_child_failed(int sync_fd);
/* The child's "setup failed, see the status line" record on the sync pipe (main.c). */
void lab_sync_send_failed(int sync_fd);

/* ---- status lines (status.c) ---- */

struct lab_json {
	char buf[4096];
	size_t len;
};
void lab_json_raw(struct lab_json *j, const char *s);
void lab_json_str(struct lab_json *j, const char *s);
void lab_json_int(struct lab_json *j, long long v);

void lab_status_use_fd(int fd);
bool lab_status_is_open(void);
int lab_status_fd(void); /* the channel's descriptor, or -1 */
int lab_status_connect(const char *path, const char *token);
void lab_status_send(struct lab_json *j);
/* A mode's one answer (--cgroup-update, --seccomp-compile): on the status channel when there is
 * one, else on stdout; then exit 0, the mode's work done. */
noreturn void lab_status_answer(struct lab_json *j);
void lab_status_error(const char *step, int err, const char *message);
void lab_status_exit(int code);

/* ---- namespaces (ns.c) ---- */

struct lab_namespace {
	const char *name;      /* as --unshare spells it */
	const char *proc_name; /* its entry in /proc/PID/ns */
	unsigned long flag;    /* CLONE_NEW* */
	bool can_unshare;      /* this version creates it */
};
extern const struct lab_namespace lab_namespaces[];
extern const size_t lab_namespace_count;

const char *lab_ns_parse_list(const char *list, unsigned long *flags);

#define LAB_MAX_NS 16
struct lab_ns_inodes {
	unsigned count;
	struct {
		char name[32];
		uint64_t ino;
	} ns[LAB_MAX_NS];
};
int lab_ns_read_inodes(const char *ns_dir, struct lab_ns_inodes *out);
unsigned long lab_ns_differing(pid_t pid);

/* ---- primitive modules ----
 * Each primitive's file owns its command-line options and keeps what they say in its own static
 * state. main.c offers every option to every module's table; after all options are read, each
 * module's validate() checks what depends on the rest of the command line. */
struct lab_option {
	const char *name;  /* "--memory" */
	bool takes_value;  /* false: a flag, parse() gets NULL */
	/* NULL when accepted, else the problem. It is handed its own entry, so that one parser serves
	 * several options: NAME for its messages, TARGET and ARG to tell them apart. */
	const char *(*parse)(const struct lab_option *option, const char *value);
	void *target;      /* where a shared parser puts what it read */
	int arg;           /* anything else a shared parser needs to know */
};
/* The parser of a flag whose TARGET is a bool: sets it (main.c). */
const char *lab_option_flag(const struct lab_option *option, const char *value);
struct lab_module {
	const char *name;
	const struct lab_option *options;                      /* ends with { NULL } */
	const char *(*validate)(const struct lab_config *cfg); /* NULL when fine; may be NULL */
};
extern const struct lab_module lab_cgroup_module, lab_userns_module, lab_time_module, lab_net_module,
	lab_fs_module, lab_rlimit_module, lab_lsm_module, lab_landlock_module, lab_caps_module, lab_nnp_module,
	lab_seccomp_module, lab_seccomp_notify_module, lab_seccomp_guard_module, lab_machine_module;

/* Clean-up the parent runs (last registered first) when it tears a container down, after every
 * process is reaped, whether setup failed or the container ended: what lives outside the
 * container's own namespaces (a cgroup directory, a host-side veth, an upper directory) goes here. */
/* strdup() that dies at STEP when memory runs out. Paths kept for the whole run live on the heap,
 * packed, rather than in PATH_MAX arrays: a page of an array is memory the launcher holds beside
 * every container once a write touches it (util.c). */
char *lab_strdup(const char *step, const char *s);
void lab_on_cleanup(void (*fn)(void));
void lab_run_cleanups(void);

/* ---- lifecycle hooks: each does nothing unless its options asked for something ----
 * parent, before clone():          */
void lab_seccomp_notify_prepare(void); /* seccomp_notify.c: fork the supervisor for "notify" rules */
void lab_time_prepare(void);          /* ns.c: unshare(CLONE_NEWTIME), offsets */
void lab_userns_prepare(void);        /* userns.c: with --rootfs, the image as a detached mount to idmap */
void lab_cgroup_prepare(void);        /* cgroup.c: create the cgroup, write the limits */
void lab_machine_enter(void);         /* machine.c: --machine PID: into the learner's machine's net, ipc, uts */
/* machine.c, in the child: the machine's sysfs (made by lab_machine_enter) at TARGET; false if none */
bool lab_machine_take_sysfs(const char *target);
/* userns.c: --userns-owner, around clone(): the owner's effective uid, capabilities kept */
void lab_userns_owner_begin(void);
void lab_userns_owner_end(void);
/* cgroup.c: v2, an O_PATH descriptor of the container's cgroup for clone3(CLONE_INTO_CGROUP);
 * -1 when the child must be moved in after clone() (v1, no --cgroup, --cgroup-attach-after-clone) */
int lab_cgroup_clone_fd(void);
void lab_fs_prepare(const char *image); /* rootfs.c: --overlay-upper's work and merged dirs, their clean-up */
/* parent, after clone(), before the child goes on: */
/* cgroup.c: moves CHILD into its cgroup, unless clone3 created it there (CLONED_INTO) */
void lab_cgroup_attach(pid_t child, bool cloned_into);
/* cgroup.c: "clone3", "self" or "attach", how the first process got into its cgroup; NULL without --cgroup */
const char *lab_cgroup_via(void);
void lab_userns_map(pid_t child);     /* userns.c: setgroups, uid_map, gid_map, then idmap the image */
bool lab_net_bridged(void);           /* net.c: --net-bridge given: a veth to make (after "go") */
void lab_net_attach(pid_t child);     /* net.c: bridge, veth pair, peer into the child's netns, tc */
/* child, once the parent says go: */
void lab_cgroup_enter(void);          /* cgroup.c: v1, move ourselves into our cgroup ("0" to tasks) */
void lab_userns_enter(void);          /* userns.c: become root of the new user namespace */
void lab_cgroupns_enter(void);        /* cgroup_inside.c: unshare(CLONE_NEWCGROUP) now that we sit in our cgroup */
/* child, with --rootfs, after /sys and before the root switch: a read-only cgroup filesystem on
 * TARGET (the image's sys/fs/cgroup) showing the container's cgroup (cgroup_inside.c) */
void lab_cgroup_mount_inside(const char *target);
/* child, after hostname and mounts: */
void lab_fs_enter(const char *image, int image_fd, unsigned long flags); /* rootfs.c (also /proc when no image) */
void lab_net_configure(unsigned long flags); /* net.c: lo up, eth0 address and route */
/* child, last, in this order (runc's), all called from lab_harden() (main.c), which --join's
 * child calls too, so a joined process is confined as the container is: */
void lab_harden(void);                /* main.c */
void lab_rlimits_apply(void);         /* rlimits.c */
void lab_lsm_apply(void);             /* lsm.c: AppArmor exec profile, SELinux exec label */
void lab_landlock_apply(void);        /* landlock.c */
bool lab_nnp_requested(void);         /* nnp.c */
void lab_nnp_apply(void);             /* nnp.c */
void lab_seccomp_guard_apply(void);   /* seccomp_guard.c: the workshop's guard, before the container's own */
void lab_seccomp_apply(void);         /* seccomp.c */
bool lab_seccomp_notify_requested(void);       /* seccomp_notify.c: --seccomp-notify given */
void lab_seccomp_notify_hand_over(int listener); /* seccomp_notify.c: the loaded filter's listener to the supervisor */
void lab_caps_drop_bounding(void);    /* caps.c */
void lab_userns_switch_user(void);    /* userns.c: --user UID[:GID], keeping capabilities across */
void lab_caps_apply(void);            /* caps.c: permitted, effective, inheritable, ambient */
/* Landlock's ABI version, or -1 with *err = errno (landlock.c); why that errno means "not here". */
int lab_landlock_abi(int *err);
const char *lab_landlock_unavailable_reason(int err);
/* --join --cgroup NAME: the parent opens the container's cgroup files on the host (before setns),
 * the forked child moves itself in with them (cgroup.c). */
void lab_cgroup_join_open(void);
/* v2: the cgroup directory for clone3(CLONE_INTO_CGROUP) at --join's fork; -1 otherwise (cgroup.c) */
int lab_cgroup_join_clone_fd(void);
/* The joined child moves itself in, unless clone3 created it inside (BORN_INSIDE) (cgroup.c). */
void lab_cgroup_join_attach(bool born_inside);
/* clone3(FLAGS | CLONE_INTO_CGROUP) into CGROUP_FD, fork()-like: the PID, 0 in the child, -1 with
 * errno; and whether an errno from it means "this kernel cannot", so fall back (cgroup.c). */
pid_t lab_clone_into_cgroup(unsigned long flags, int cgroup_fd);
bool lab_clone3_unsupported(int err);
/* --join with Landlock: PROGRAM comes from the host, outside every path the rules allow; the
 * joined process may still execute that one file (landlock.c). */
void lab_landlock_allow_program(int fd);
/* a mode of its own: isolab-launcher --lsm-status prints one JSON line (lsm.c); returns the exit code */
int lab_lsm_status(void);
/* a mode of its own: --cgroup-update NAME [limits] (or --cgroup-device-program); returns only
 * when not asked for. Such a mode starts no container, so needs no PROGRAM: */
void lab_cgroup_update_mode(void);    /* cgroup.c */
bool lab_cgroup_standalone(void);     /* cgroup_args.c */
/* a mode of its own: --seccomp-compile PROFILE --seccomp-out FILE (seccomp.c) */
void lab_seccomp_compile_mode(void);
/* a mode of its own: --machine-hold holds a learner's machine's namespaces until SIGTERM (machine.c) */
void lab_machine_hold_mode(void);
bool lab_machine_standalone(void);
bool lab_seccomp_standalone(void);
/* modes of their own: --seccomp-guard-compile FILE, --seccomp-guard-list (seccomp_guard.c) */
void lab_seccomp_guard_mode(void);
bool lab_seccomp_guard_standalone(void);
/* A program --seccomp-compile or --seccomp-guard-compile wrote, read and checked for OPTION;
 * NULL when fine, else the problem (seccomp.c). */
struct sock_fprog;
const char *lab_seccomp_read_program(const char *option, const char *path, struct sock_fprog *prog);
/* CTX (a libseccomp scmp_filter_ctx) written to OUT as a raw program, then the "seccomp-compiled"
 * answer with FLAGS_JSON (seccomp.c). */
noreturn void lab_seccomp_export(void *ctx, const char *out, const char *flags_json, int64_t started_us);

/* ---- primitives ---- */

void lab_set_hostname(const char *name);                                   /* ns.c */
void lab_mount_make_private(void);                                          /* mounts.c (or slave) */
void lab_mount_proc(const char *target);                                    /* mounts.c */
void lab_mount_tmpfs(const char *target, unsigned long flags, const char *data); /* mounts.c */
void lab_mount_mask(const char *path);                                      /* mounts.c */
void lab_mount_read_only(const char *path);                                 /* mounts.c */
void lab_mount_remount_read_only(const char *step, const char *path);       /* mounts.c */
unsigned long lab_fs_propagation(void);                                     /* rootfs.c: MS_PRIVATE or MS_SLAVE */
void lab_rootfs_check(const char *dir, int dir_fd);                         /* rootfs.c */
void lab_rootfs_enter(const char *image, int image_fd, unsigned long flags); /* rootfs.c */
/* userns.c: true when the image waits as an idmapped mount (--rootfs with --unshare user) */
bool lab_userns_image_idmapped(void);
void lab_userns_attach_image(const char *target);                          /* userns.c, in the child */
void lab_userns_join_as_root(const char *step_name);                                         /* userns.c, for --join */
void lab_net_loopback_up(void);                                             /* net.c */
noreturn void lab_join(const struct lab_config *cfg);                       /* join.c */

/* Kills every remaining child of this (subreaper) process and reaps them all; returns the wait
 * status of `program` (or -1 when it was reaped earlier). util.c */
int lab_kill_and_reap_all(pid_t program);
int lab_exit_code(int wait_status);

#endif
