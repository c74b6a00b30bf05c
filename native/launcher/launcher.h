/* isolab-launcher: builds a container from kernel primitives, one file per primitive.
 *
 *   main.c    command line, the parent's lifetime (clone, ready, wait, tear down)
 *   ns.c      the namespace table and namespace inodes
 *   mounts.c  the private mount tree and a fresh /proc
 *   rootfs.c  the copy-on-write root filesystem and pivot_root
 *   net.c     the loopback device of a new network namespace
 *   join.c    --join: run a program inside a running container
 *   status.c  status lines (JSON) to the server
 *   util.c    clock, step bookkeeping, the die family
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
#define LAB_MAX_STEPS 32
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

/* ---- the die family (util.c) ----
 * Each writes {"type":"error","step":...,"errno":N,"message":...} to the status channel (or a line
 * to stderr when there is none), cleans up for the process it runs in, and exits. */
noreturn void die_with_error(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void die(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* execve failed: exit 127 when PROGRAM was not found, 126 when it cannot be executed. */
noreturn void die_exec_failed(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Who is dying decides the cleanup: the child tells the parent over the sync pipe, the parent
 * kills and reaps what it started. */
void lab_role_parent(pid_t child);
void lab_role_child(int sync_fd);
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
int lab_status_connect(const char *path, const char *token);
void lab_status_send(struct lab_json *j);
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

/* ---- primitives ---- */

void lab_set_hostname(const char *name);                                   /* ns.c */
void lab_mount_make_private(void);                                          /* mounts.c */
void lab_mount_proc(const char *target);                                    /* mounts.c */
void lab_rootfs_check(const char *dir, int dir_fd);                         /* rootfs.c */
void lab_rootfs_enter(const char *image, int image_fd, unsigned long flags); /* rootfs.c */
void lab_net_loopback_up(void);                                             /* net.c */
noreturn void lab_join(const struct lab_config *cfg);                       /* join.c */

/* Kills every remaining child of this (subreaper) process and reaps them all; returns the wait
 * status of `program` (or -1 when it was reaped earlier). util.c */
int lab_kill_and_reap_all(pid_t program);
int lab_exit_code(int wait_status);

#endif
