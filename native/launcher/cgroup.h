/* cgroups inside the launcher: what its cgroup files share — the options (cgroup_args.c), the hooks
 * (cgroup.c), the container's view (cgroup_inside.c), the file helpers (cgroup_files.c), the two
 * backends (cgroup_v1.c, cgroup_v2.c) and the v2 device program (cgroup_bpf.c). Not part of
 * launcher.h: nothing else in the launcher needs to know how a cgroup is built.
 *
 * The shape is crun's: one struct of operations, one instance per cgroup version, chosen at run
 * time by looking at what the host mounted on /sys/fs/cgroup. */
#ifndef ISOLAB_CGROUP_H
#define ISOLAB_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/bpf.h>

#include "launcher.h"

/* Every container's cgroup is <root>/isolab/NAME (v1: in each hierarchy): one directory to look
 * in, and nothing of the host's own cgroups is ever touched. */
#define LAB_CG_PARENT "isolab"
#define LAB_CG_NAME_MAX 64
#define LAB_CG_MAX_THROTTLES 16
#define LAB_CG_MAX_RULES 48 /* Docker's defaults plus --device-cgroup-rule */

/* --device-read-bps and friends: one line of blkio.throttle.* (v1) or io.max (v2). */
enum lab_cg_throttle_kind { LAB_CG_READ_BPS, LAB_CG_WRITE_BPS, LAB_CG_READ_IOPS, LAB_CG_WRITE_IOPS };
struct lab_cg_throttle {
	enum lab_cg_throttle_kind kind;
	unsigned major, minor;
	uint64_t rate; /* bytes or operations per second; 0 = no limit */
};

/* What the limit options asked for. 0 means "not asked" wherever 0 is not a meaningful limit. */
struct lab_cg_limits {
	int64_t memory;      /* --memory: bytes */
	int64_t memory_swap; /* --memory-swap: memory + swap in bytes, -1 = unlimited */
	int64_t cpu_quota;   /* --cpu-quota or --cpus: microseconds per period, -1 = unlimited */
	int64_t cpu_period;  /* --cpu-period, or 100000 with --cpus */
	int64_t cpu_shares;  /* --cpu-shares: v1 cpu.shares, turned into cpu.weight for v2 */
	const char *cpuset_cpus;
	const char *cpuset_mems;
	bool pids_set;
	int64_t pids_limit; /* --pids-limit: -1 = unlimited */
	struct lab_cg_throttle throttles[LAB_CG_MAX_THROTTLES];
	unsigned throttle_count;
};

/* One device rule, as cgroup v1's devices.allow/devices.deny take it: "c 1:3 rwm". */
#define LAB_CG_ANY (-1) /* '*' for a major or minor number */
struct lab_cg_device_rule {
	bool allow;
	char type; /* 'a' (every device: only with "*:* rwm"), 'b' or 'c' */
	long major, minor; /* or LAB_CG_ANY */
	char access[4];    /* a subset of "rwm", in that order */
};

/* The controllers a request needs, to pick the backend and enable them (v2). */
enum {
	LAB_CG_NEEDS_MEMORY = 1 << 0,
	LAB_CG_NEEDS_CPU = 1 << 1,
	LAB_CG_NEEDS_CPUSET = 1 << 2,
	LAB_CG_NEEDS_PIDS = 1 << 3,
	LAB_CG_NEEDS_IO = 1 << 4,
	LAB_CG_NEEDS_DEVICES = 1 << 5, /* v1's devices controller; v2 uses a BPF program instead */
	LAB_CG_EVERY_HIERARCHY = ~0u,  /* exists(): in every hierarchy create() makes it in */
};
unsigned lab_cg_needs(const struct lab_cg_limits *limits, bool devices);

/* One backend. Each hook dies (with the step it runs in) on failure, except destroy. */
struct lab_cg_ops {
	const char *name; /* "v1" or "v2" */
	int version;
	/* Can this backend, rooted at lab_cg_root, do what NEEDS asks? NULL, or the problem in words. */
	const char *(*check)(unsigned needs, const struct lab_cg_limits *limits);
	/* cgroup_create: isolab/NAME (and isolab/ if missing); refuses a NAME that already exists. */
	void (*create)(unsigned needs);
	/* --cgroup-update: does isolab/NAME exist (in every hierarchy we would write to)? */
	bool (*exists)(unsigned needs);
	/* cgroup_limits; UPDATING: the cgroup may already hold processes and earlier limits. */
	void (*write_limits)(const struct lab_cg_limits *limits, bool updating);
	/* cgroup_devices: the effective rule list, first rule first (the first is "a" allow or deny). */
	void (*write_devices)(const struct lab_cg_device_rule *rules, unsigned count);
	/* cgroup_create and join_cgroup, v2 only (NULL for v1): an O_PATH descriptor of the cgroup
	 * directory, for clone3(CLONE_INTO_CGROUP), which creates the child in that one cgroup2
	 * directory (the container's first process, or --join's child). Dies. */
	int (*open_dir)(void);
	/* cgroup_attach: move PID (blocked on the go pipe) into the cgroup, by cgroup.procs. */
	void (*attach)(pid_t pid);
	/* The file through which a process moves itself in by writing "0": "tasks" (v1: moves the
	 * writing thread alone, which the kernel does without its global lock) or "cgroup.procs" (v2,
	 * whose domain cgroups take whole processes only). */
	const char *self_move_file;
	/* cgroup_create on v1 (for the child's cgroup_enter), join_cgroup (--join --cgroup NAME): open
	 * self_move_file of isolab/NAME for writing, in every hierarchy it is in, into FDS (at most
	 * MAX), close-on-exec; returns how many. Dies. */
	unsigned (*open_self_move)(int *fds, unsigned max);
	/* Clean-up: kill whatever is still in the cgroup, then remove what create made. Never dies. */
	void (*destroy)(void);
};
extern const struct lab_cg_ops lab_cg_v1_ops, lab_cg_v2_ops;

/* ---- what the command line asked for (cgroup_args.c), complete once validate() has run ---- */

struct lab_cg_request {
	const char *create;      /* --cgroup NAME: a new container's cgroup (or, with --join, its), or NULL */
	const char *update;      /* --cgroup-update NAME, or NULL */
	bool print_program;      /* --cgroup-device-program */
	bool attach_after_clone; /* --cgroup-attach-after-clone */
	const char *first_limit; /* the first limit option given, to name it in messages; NULL: none */
	struct lab_cg_limits limits;
	struct lab_cg_device_rule rules[LAB_CG_MAX_RULES * 2]; /* the device list, first rule first */
	unsigned rule_count;
	const struct lab_cg_ops *ops; /* the backend */
	unsigned needs;               /* LAB_CG_NEEDS_*: what it must have */
};
extern struct lab_cg_request lab_cg;
extern char lab_cg_root[PATH_MAX];            /* /sys/fs/cgroup, /sys/fs/cgroup/unified, or --cgroup-root */
extern char lab_cg_name[LAB_CG_NAME_MAX + 1]; /* NAME */
/* "allow c 1:3 rwm", as --cgroup-device-program prints a rule. */
void lab_cg_format_rule(const struct lab_cg_device_rule *rule, char *out, size_t size);

/* ---- the hooks (cgroup.c) ---- */

extern const char *lab_cg_step; /* the step running now, for the backends' error lines */
/* lab_step(NAME), and NAME the step the backends' errors name from now on. */
void lab_cg_take_step(const char *name);

/* ---- the container's view (cgroup_inside.c) ---- */

/* What to mount on the image's /sys/fs/cgroup, decided while the host's mount table is in sight
 * (validate(), with lab_cg complete). */
void lab_cg_plan_inside(const struct lab_config *cfg);

/* ---- small file helpers (cgroup_files.c): a cgroup is configured by writing its files ---- */

/* The f_type statfs() gives PATH (CGROUP2_SUPER_MAGIC, ...), or -1. */
long lab_cg_fs_type(const char *path);

/* Writes VALUE to DIR/FILE in one write(2), as the kernel wants; dies naming the file and value. */
void lab_cg_write(const char *dir, const char *file, const char *value);
/* The same, but returns -1 with errno set instead of dying (for clean-up and fallbacks). */
int lab_cg_try_write(const char *dir, const char *file, const char *value);
/* Reads DIR/FILE into BUF (NUL-terminated, trailing newline removed). -1 with errno when it cannot. */
int lab_cg_read(const char *dir, const char *file, char *buf, size_t size);
bool lab_cg_file_exists(const char *dir, const char *file);
/* "%s/%s" into OUT, dying when it does not fit. */
void lab_cg_path(char out[PATH_MAX], const char *a, const char *b);
/* SIGKILLs every process DIR/cgroup.procs lists. Returns how many it found (0: the cgroup is
 * empty), -1 with errno when the file cannot be read. */
int lab_cg_kill_procs(const char *dir);
/* Reaps whichever of our own children have died (they are zombies until we do), without waiting. */
void lab_cg_reap_ours(void);
/* Removes DIR, retrying for a moment while the last killed processes leave it. -1 with errno. */
int lab_cg_rmdir(const char *dir);
/* Sleeps one millisecond: the unit of every bounded wait in the clean-up. */
void lab_cg_pause(void);

/* ---- the v2 device program (cgroup_bpf.c) ---- */

/* Enough for Docker's defaults plus LAB_CG_MAX_RULES user rules (at most 9 instructions each). */
#define LAB_BPF_MAX_INSNS 512
struct lab_bpf_program {
	struct bpf_insn insns[LAB_BPF_MAX_INSNS];
	unsigned count;
};
/* Translates RULES (v1 semantics: the last matching rule decides) into a BPF_PROG_TYPE_CGROUP_DEVICE
 * program. Pure: no system call, so it can be printed and tested anywhere. */
void lab_bpf_device_program(const struct lab_cg_device_rule *rules, unsigned count, struct lab_bpf_program *prog);
/* Loads PROG and attaches it to the cgroup directory CGROUP_DIR (v2). Dies on failure. */
void lab_bpf_attach_device_program(const struct lab_bpf_program *prog, const char *cgroup_dir);

#endif
