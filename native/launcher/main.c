/* isolab-launcher: the command line, and the life of a container from the parent's side.
 *
 *   parent (this process, owned by node-pty)      child (clone()d into the new namespaces)
 *   ----------------------------------------      ----------------------------------------
 *   --overlay-upper's directories on the host
 *   become a subreaper, ignore terminal signals
 *   time namespace, cgroup with its limits
 *   clone3(CLONE_NEW...) ───────────────────────▶ wait for "go"
 *   (cgroup attach,) uid/gid maps
 *   "go" on the go pipe  ───────────────────────▶ (v1: into our cgroup,) root of the user ns,
 *   with a bridge, meanwhile: the veth,           cgroup ns, hostname, root filesystem,
 *   then "go_net"        ───────────────────────▶ (wait for "go_net",) network inside,
 *                                                 rlimits, LSM, Landlock, caps, user, NNP, seccomp
 *   read the sync pipe until EOF  ◀─────────────  step timings, then execve(PROGRAM)
 *   write "ready"                                 (the pipe is close-on-exec: EOF = exec succeeded)
 *   wait; on exit/SIGHUP/SIGTERM kill and reap
 *   every descendant, write "exit"
 *
 * Contract: native/README.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "launcher.h"

#define USAGE \
	"usage: isolab-launcher [OPTIONS] -- PROGRAM [ARG...]\n" \
	"       isolab-launcher --join PID [--cgroup NAME] [HARDENING OPTIONS] -- PROGRAM [ARG...]\n" \
	"       isolab-launcher --list-steps      (STEP<TAB>parent|child|join|both, one a line)\n" \
	"       isolab-launcher --lsm-status      (one JSON line: AppArmor, SELinux, Landlock here)\n" \
	"       isolab-launcher --seccomp-compile PROFILE --seccomp-out FILE.bpf   (build a filter once)\n" \
	"       isolab-launcher --seccomp-guard-compile FILE.bpf   (build the workshop's guard filter once)\n" \
	"       isolab-launcher --seccomp-guard-list               (the guard's table, one JSON line each)\n" \
	"  --status-fd N          write status JSON lines to file descriptor N (>= 3)\n" \
	"  --status-socket PATH   or to the unix socket PATH, after a hello line\n" \
	"  --status-token HEX     carrying this token\n" \
	"  --unshare LIST         namespaces to create: mount,uts,ipc,pid,net,cgroup,user,time\n" \
	"  --hostname NAME        set the hostname (requires uts)\n" \
	"  --rootfs DIR           copy-on-write root filesystem over the image DIR (requires mount)\n" \
	"  --fail-at STEP         test hook: fail at STEP with EINVAL (see --list-steps)\n" \
	"  ...and each primitive's options: native/README.md\n"

/* The child's stack (the clone() path): clone() without CLONE_VM gives the child a copy-on-write
 * copy of our memory, but it still wants a stack pointer of its own to start on. */
#define CHILD_STACK_SIZE (1024 * 1024)

/* Signals the parent ignores for as long as it lives, and the child sets back to their default
 * before exec:
 *  - keys typed at the terminal (^C, ^\, ^Z) and background-terminal stops signal the whole
 *    foreground process group, which includes us until the shell takes the terminal over. They
 *    are meant for the shell;
 *  - SIGPIPE: a vanished status reader must not kill the container's parent;
 *  - SIGABRT: musl's abort() (an assert in libseccomp, say) signals the thread ID musl noted at
 *    start-up, which in a child made by a raw clone() is still ours. A child's abort must not kill
 *    the parent before it cleans up; the child dies anyway (musl's abort ends in a crash). */
static const int parent_ignored_signals[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTOU, SIGTTIN, SIGPIPE, SIGABRT };

/* ---- the sync pipe: the child's one message to the parent before exec ---- */

enum sync_kind { SYNC_EXEC_NEXT = 1, SYNC_FAILED = 2 };

struct sync_record {
	int kind;
	int64_t sent_us;                /* CLOCK_MONOTONIC when sent: the parent times exec from it */
	int64_t step_us[LAB_MAX_STEPS]; /* the child's step timings */
	struct lab_ns_inodes ns;        /* the child's namespaces, read from inside */
};
/* A write of at most PIPE_BUF bytes to a pipe is atomic: the parent reads whole records. */
_Static_assert(sizeof(struct sync_record) <= PIPE_BUF, "sync record must fit in one atomic pipe write");

static void sync_send(int fd, const struct sync_record *rec)
{
	/* Nothing to do on failure: the parent then sees EOF without a record and reports that. */
	(void)TEMP_FAILURE_RETRY(write(fd, rec, sizeof(*rec)));
}

void lab_sync_send_failed(int sync_fd)
{
	struct sync_record rec = { .kind = SYNC_FAILED, .sent_us = lab_now_us() };
	sync_send(sync_fd, &rec);
}

bool lab_sync_child_failed(int sync_fd)
{
	struct sync_record rec;
	ssize_t n = TEMP_FAILURE_RETRY(read(sync_fd, &rec, sizeof(rec)));
	return n == (ssize_t)sizeof(rec) && rec.kind == SYNC_FAILED;
}

/* ---- command line ---- */

/* Every primitive's options, in the order the container is built. */
static const struct lab_module *const modules[] = {
	&lab_time_module, &lab_cgroup_module, &lab_userns_module, &lab_net_module, &lab_fs_module,
	&lab_rlimit_module, &lab_lsm_module, &lab_landlock_module, &lab_caps_module, &lab_nnp_module,
	&lab_seccomp_guard_module, &lab_seccomp_module, &lab_seccomp_notify_module, &lab_machine_module,
};
#define MODULE_COUNT (sizeof(modules) / sizeof(modules[0]))

static const struct lab_option *find_module_option(const char *name)
{
	for (size_t m = 0; m < MODULE_COUNT; m++)
		for (const struct lab_option *o = modules[m]->options; o->name != NULL; o++)
			if (strcmp(o->name, name) == 0)
				return o;
	return NULL;
}

static bool is_hostname(const char *s)
{
	/* RFC 1123 label, as common/spec.ts: 1-63 letters, digits, '-', no '-' at either end. */
	size_t len = strlen(s);
	if (len < 1 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool is_hex(const char *s)
{
	size_t len = strlen(s);
	if (len < 1 || len > 128)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

const char *lab_option_flag(const struct lab_option *option, const char *value)
{
	(void)value;
	*(bool *)option->target = true;
	return NULL;
}

/* Fills CFG from argv. Returns the first problem found (NULL if none); keeps going after one so
 * the status options are known and the problem can be reported on the status channel. Once it
 * holds a problem it calls nothing that could make another (a module's parser, lab_problem()):
 * the problem may live in lab_problem()'s buffer, which the next one would overwrite. */
static const char *parse_args(int argc, char **argv, struct lab_config *cfg)
{
	const char *problem = NULL;
#define PROBLEM(...) \
	do { \
		if (problem == NULL) \
			problem = lab_problem(__VA_ARGS__); \
	} while (0)

	*cfg = (struct lab_config){ .status_fd = -1, .rootfs_fd = -1 };
	int i = 1;
	for (; i < argc; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "--") == 0)
			break;
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes_value = true;
		if (strcmp(opt, "--status-fd") == 0) {
			if (value == NULL || !lab_parse_int(value, 3, INT_MAX, &cfg->status_fd))
				PROBLEM("--status-fd: expected a file descriptor number >= 3");
		} else if (strcmp(opt, "--status-socket") == 0) {
			cfg->status_socket = value;
		} else if (strcmp(opt, "--status-token") == 0) {
			cfg->status_token = value;
		} else if (strcmp(opt, "--unshare") == 0) {
			if (value == NULL)
				PROBLEM("--unshare: missing list");
			else if (problem == NULL)
				problem = lab_ns_parse_list(value, &cfg->clone_flags);
		} else if (strcmp(opt, "--hostname") == 0) {
			cfg->hostname = value;
			if (value == NULL || !is_hostname(value))
				PROBLEM("--hostname: must be 1-63 letters, digits or '-', not starting or ending with '-'");
		} else if (strcmp(opt, "--rootfs") == 0) {
			cfg->rootfs = value;
			if (value == NULL || value[0] != '/')
				PROBLEM("--rootfs: expected an absolute directory path");
		} else if (strcmp(opt, "--fail-at") == 0) {
			cfg->fail_at = value;
			if (value == NULL || lab_step_index(value) < 0)
				PROBLEM("--fail-at: unknown step \"%.64s\" (see --list-steps)", value ? value : "");
		} else if (strcmp(opt, "--join") == 0) {
			int pid;
			if (value == NULL || !lab_parse_int(value, 1, INT_MAX, &pid))
				PROBLEM("--join: expected a positive process ID");
			else
				cfg->join_pid = (pid_t)pid;
		} else {
			const struct lab_option *option = find_module_option(opt);
			if (option == NULL) {
				PROBLEM("unknown option \"%.64s\"", opt);
				takes_value = false;
			} else {
				takes_value = option->takes_value;
				if (problem == NULL && !(takes_value && value == NULL))
					problem = option->parse(option, takes_value ? value : NULL);
			}
		}
		if (takes_value) {
			if (value == NULL)
				PROBLEM("%s: missing value", opt);
			i++;
		}
	}

	if (i + 1 < argc && argv[i + 1][0] != '\0')
		cfg->program = &argv[i + 1];
	else if (!lab_cgroup_standalone() && !lab_seccomp_standalone() && !lab_seccomp_guard_standalone() && !lab_machine_standalone())
		PROBLEM("missing -- PROGRAM [ARG...]");
	if (cfg->status_fd >= 0 && (cfg->status_socket || cfg->status_token))
		PROBLEM("--status-fd and --status-socket are alternatives");
	if ((cfg->status_socket == NULL) != (cfg->status_token == NULL))
		PROBLEM("--status-socket and --status-token go together");
	if (cfg->status_token && !is_hex(cfg->status_token))
		PROBLEM("--status-token: expected 1-128 hex digits");
	if (cfg->hostname && !(cfg->clone_flags & CLONE_NEWUTS))
		PROBLEM("--hostname needs the uts namespace (--unshare uts): the host's name is not ours to change");
	if (cfg->rootfs && !(cfg->clone_flags & CLONE_NEWNS))
		PROBLEM("--rootfs needs the mount namespace (--unshare mount): pivot_root only works on a private mount tree");
	if (cfg->join_pid && (cfg->clone_flags || cfg->hostname || cfg->rootfs))
		PROBLEM("--join enters an existing container: --unshare, --hostname and --rootfs do not apply");
	for (size_t m = 0; m < MODULE_COUNT && problem == NULL; m++) {
		if (modules[m]->validate != NULL)
			problem = modules[m]->validate(cfg);
	}
	return problem;
#undef PROBLEM
}

/* The status channel comes first, so that every later problem can be reported on it. */
static void open_status(const struct lab_config *cfg)
{
	if (cfg->status_fd >= 0) {
		if (fcntl(cfg->status_fd, F_GETFD) < 0) {
			lab_say("--status-fd %d: %s", cfg->status_fd, strerror(errno));
			_exit(LAB_EXIT_LAUNCHER);
		}
		lab_status_use_fd(cfg->status_fd);
	} else if (cfg->status_socket && cfg->status_token && is_hex(cfg->status_token)) {
		if (lab_status_connect(cfg->status_socket, cfg->status_token) < 0) {
			lab_say("--status-socket %s: %s", cfg->status_socket, strerror(errno));
			_exit(LAB_EXIT_LAUNCHER);
		}
	}
}

/* ---- the child: becomes the container's first process ---- */

struct child_args {
	const struct lab_config *cfg;
	int sync_fd;
	int go_fd;       /* read end of the go pipe */
	int go_write_fd; /* the parent's end: ours must be closed, or EOF could never come */
};

/* The parent finishes what it does to us from outside before we go on: one byte on the go pipe
 * once the uid maps are written (step wait_go), a second once the veth is in our network
 * namespace (wait_net, only with a bridge): the parent makes the veth while we build our root
 * filesystem. EOF instead means the parent died or gave up. */
static void wait_for_go(int go_fd, const char *step_name)
{
	char byte;
	ssize_t n = TEMP_FAILURE_RETRY(read(go_fd, &byte, 1));
	if (n < 0)
		die_with_error(step_name, "read(go pipe)");
	if (n == 0)
		die(step_name, "the launcher went away before the container was set up");
}

/* The last steps before exec, in runc's order. A seccomp filter goes in while we still hold
 * CAP_SYS_ADMIN, unless no_new_privs is asked for: then it goes in last, so it filters nothing of
 * our own set-up and the kernel accepts it without the capability. The workshop's guard filter
 * (seccomp_guard.c) goes in just before the container's own, so that one is stacked above it. --join's child calls this too
 * (join.c): a process run inside a container gets the container's confinement, as docker exec's. */
void lab_harden(void)
{
	lab_rlimits_apply();
	lab_lsm_apply();
	lab_landlock_apply();
	if (!lab_nnp_requested()) {
		lab_seccomp_guard_apply();
		lab_seccomp_apply();
	}
	lab_caps_drop_bounding();
	lab_userns_switch_user();
	lab_caps_apply();
	if (lab_nnp_requested()) {
		lab_nnp_apply();
		lab_seccomp_guard_apply();
		lab_seccomp_apply();
	}
}

static void reset_signals(void)
{
	/* Ignored signals stay ignored across execve, blocked ones stay blocked: undo both, or the
	 * shell could not be interrupted with ^C. */
	for (size_t i = 0; i < sizeof(parent_ignored_signals) / sizeof(parent_ignored_signals[0]); i++)
		if (signal(parent_ignored_signals[i], SIG_DFL) == SIG_ERR)
			die_with_error("reset_signals", "signal(%d, SIG_DFL)", parent_ignored_signals[i]);
	sigset_t none;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		die_with_error("reset_signals", "sigprocmask(SIG_SETMASK, {})");
}

static int child_main(void *arg)
{
	const struct child_args *args = arg;
	const struct lab_config *cfg = args->cfg;
	const unsigned long flags = cfg->clone_flags;
	lab_role_child(args->sync_fd);
	lab_step_reset();

	/* If the launcher dies, so does the container: nobody would be left to clean up after it.
	 * (Died already: lab_pdeathsig exits at once.) */
	lab_step("pdeathsig");
	lab_pdeathsig("pdeathsig");

	lab_step("wait_go");
	if (close(args->go_write_fd) < 0)
		die_with_error("wait_go", "close(go pipe write end)");
	wait_for_go(args->go_fd, "wait_go");
	if (!lab_net_bridged() && close(args->go_fd) < 0)
		die_with_error("wait_go", "close(go pipe)");
	lab_cgroup_enter();
	lab_userns_enter();
	if (flags & CLONE_NEWCGROUP)
		lab_cgroupns_enter();

	if (cfg->hostname != NULL) {
		lab_step("hostname");
		lab_set_hostname(cfg->hostname);
	}
	if (flags & CLONE_NEWNS) {
		lab_step("mount_private");
		lab_mount_make_private();
	}
	lab_fs_enter(cfg->rootfs, cfg->rootfs_fd, flags);
	if (lab_net_bridged()) {
		lab_step("wait_net");
		wait_for_go(args->go_fd, "wait_net");
		if (close(args->go_fd) < 0)
			die_with_error("wait_net", "close(go pipe)");
	}
	lab_net_configure(flags);

	/* Nothing of ours may leak into the container (the image fd, the status channel, ...). Marked
	 * close-on-exec rather than closed, so an exec failure can still be reported. */
	lab_step("close_fds");
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die_with_error("close_fds", "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)");

	lab_step("reset_signals");
	reset_signals();

	/* Our namespaces, read from inside, so they are known even if PROGRAM exits at once; read
	 * now, because once Landlock is on /proc may be out of our reach. */
	struct sync_record rec = { .kind = SYNC_EXEC_NEXT };
	lab_step_end();
	lab_ns_read_inodes("/proc/self/ns", &rec.ns);

	lab_harden();

	lab_step("exec");
	lab_step_end();
	memcpy(rec.step_us, lab_step_us, sizeof(rec.step_us));
	rec.sent_us = lab_now_us();
	sync_send(args->sync_fd, &rec);
	/* On success execve does not return, and the close-on-exec sync pipe closes: EOF for the parent. */
	execvp(cfg->program[0], cfg->program);
	die_exec_failed("exec", "execvp(\"%s\")", cfg->program[0]);
}

/* ---- the parent ---- */

static int64_t started_us;

/* One byte on the go pipe, at step STEP_NAME. EPIPE: the child died before reading it. It said why
 * on the status channel; the sync pipe tells us it failed, and we reap it there. */
static void send_go(int go_fd, const char *step_name)
{
	lab_step(step_name);
	ssize_t sent = TEMP_FAILURE_RETRY(write(go_fd, "g", 1));
	if (sent != 1 && errno != EPIPE)
		die_with_error(step_name, "write(go pipe)");
}

static void write_ready(pid_t child, const struct sync_record *rec, int64_t exec_us)
{
	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"ready\",\"pid\":");
	lab_json_int(&j, child);
	lab_json_raw(&j, ",\"namespaces\":{");
	for (unsigned i = 0; i < rec->ns.count; i++) {
		if (i > 0)
			lab_json_raw(&j, ",");
		lab_json_str(&j, rec->ns.ns[i].name);
		lab_json_raw(&j, ":");
		lab_json_int(&j, (long long)rec->ns.ns[i].ino);
	}
	lab_json_raw(&j, "}");
	if (lab_cgroup_via() != NULL) {
		lab_json_raw(&j, ",\"cgroup_via\":");
		lab_json_str(&j, lab_cgroup_via());
	}
	lab_json_raw(&j, ",\"timings_us\":{");
	bool first = true;
	for (int i = 0; lab_steps[i] != NULL; i++) {
		/* Parent steps were timed here, child steps in the child; exec spans both. */
		int64_t us = rec->step_us[i] >= 0 ? rec->step_us[i] : lab_step_us[i];
		if (strcmp(lab_steps[i], "exec") == 0)
			us = exec_us;
		if (us < 0)
			continue;
		if (!first)
			lab_json_raw(&j, ",");
		first = false;
		lab_json_str(&j, lab_steps[i]);
		lab_json_raw(&j, ":");
		lab_json_int(&j, us);
	}
	lab_json_raw(&j, first ? "" : ",");
	lab_json_raw(&j, "\"total\":");
	lab_json_int(&j, lab_now_us() - started_us);
	lab_json_raw(&j, "}}");
	lab_status_send(&j);
}

/* Reads the child's records until EOF. Returns the last one's kind (0 if there was none). */
static int wait_for_exec(int sync_fd, struct sync_record *last)
{
	int kind = 0;
	for (;;) {
		struct sync_record rec;
		ssize_t n = TEMP_FAILURE_RETRY(read(sync_fd, &rec, sizeof(rec)));
		if (n < 0)
			die_with_error("clone", "read(sync pipe)");
		if (n == 0)
			break; /* every write end is closed: the child exec'd or exited */
		if (n != (ssize_t)sizeof(rec))
			die("clone", "short record (%zd bytes) on the sync pipe", n);
		*last = rec;
		kind = rec.kind;
	}
	if (close(sync_fd) < 0)
		die_with_error("clone", "close(sync pipe)");
	return kind;
}

/* Waits for PROGRAM, reaping orphans meanwhile; then tears everything down. Returns the exit code. */
static int supervise(pid_t program, const sigset_t *lifecycle)
{
	for (;;) {
		siginfo_t info;
		int sig = TEMP_FAILURE_RETRY(sigwaitinfo(lifecycle, &info));
		if (sig < 0)
			die_with_error("clone", "sigwaitinfo");
		if (sig == SIGCHLD) {
			/* Signals coalesce: one SIGCHLD may stand for many exits. */
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
				if (pid == program) {
					/* PROGRAM is gone: whatever it left running goes too. */
					lab_kill_and_reap_all(-1);
					return lab_exit_code(status);
				}
			}
			continue;
		}
		/* SIGHUP (the terminal closed) or SIGTERM (the server stops it): kill and reap it all.
		 * With a PID namespace, killing its PID 1 makes the kernel kill every other member. */
		int status = lab_kill_and_reap_all(program);
		return status >= 0 ? lab_exit_code(status) : LAB_EXIT_LAUNCHER;
	}
}

static noreturn void run_container(const struct lab_config *cfg)
{
	/* First, so that from here on every failure removes what --overlay-upper-remove asks for. */
	lab_fs_prepare(cfg->rootfs);

	/* Orphans anywhere below us are re-parented to us, not to the host's init: nothing escapes. */
	lab_step("subreaper");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die_with_error("subreaper", "prctl(PR_SET_CHILD_SUBREAPER)");

	lab_step("signals");
	for (size_t i = 0; i < sizeof(parent_ignored_signals) / sizeof(parent_ignored_signals[0]); i++)
		if (signal(parent_ignored_signals[i], SIG_IGN) == SIG_ERR)
			die_with_error("signals", "signal(%d, SIG_IGN)", parent_ignored_signals[i]);
	/* The signals that end a container are taken synchronously (sigwaitinfo), never in a handler. */
	sigset_t lifecycle;
	sigemptyset(&lifecycle);
	sigaddset(&lifecycle, SIGCHLD);
	sigaddset(&lifecycle, SIGHUP);
	sigaddset(&lifecycle, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &lifecycle, NULL) < 0)
		die_with_error("signals", "sigprocmask(SIG_BLOCK, {CHLD,HUP,TERM})");

	/* Close-on-exec: a successful execve in the child closes its end, and the parent reads EOF. */
	lab_step("sync_pipe");
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) < 0)
		die_with_error("sync_pipe", "pipe2(O_CLOEXEC)");
	/* A handle on ourselves for the child, to tell whether we died before its parent-death signal
	 * was armed. */
	lab_pdeathsig_watch_self();

	/* The parent's half of the go pipe stays here; the child's read end is close-on-exec. */
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		die_with_error("sync_pipe", "pipe2(O_CLOEXEC) (go pipe)");

	/* First: the supervisor is forked before the time namespace, cgroup and image handles exist. */
	lab_seccomp_notify_prepare();
	lab_time_prepare();
	lab_userns_prepare();
	lab_cgroup_prepare();
	/* Last: the steps above work on the host's side (the supervisor, cgroup files, the image). */
	lab_machine_enter();
	lab_userns_owner_begin();

	lab_step("clone");
	struct child_args args = { .cfg = cfg, .sync_fd = sync[1], .go_fd = go[0], .go_write_fd = go[1] };
	/* The namespaces are created by this one call; with CLONE_NEWPID the child is PID 1 of its own.
	 * Not the cgroup namespace: the child unshares it once it sits in its cgroup (after "go"), so
	 * that cgroup becomes the root of its view. Not the time namespace: clone() cannot create
	 * one (its flag is one of the exit-signal bits); lab_time_prepare() made it for our children. */
	unsigned long clone_flags = cfg->clone_flags & ~(unsigned long)(CLONE_NEWCGROUP | CLONE_NEWTIME);
	pid_t child = -1;
	bool cloned_into_cgroup = false;
	int cgroup_fd = lab_cgroup_clone_fd();
	if (cgroup_fd >= 0) {
		/* cgroup v2: born in the cgroup. */
		child = lab_clone_into_cgroup(clone_flags, cgroup_fd);
		if (child == 0)
			_exit(child_main(&args)); /* the child: child_main execs or dies, never returns */
		if (child > 0)
			cloned_into_cgroup = true;
		else if (!lab_clone3_unsupported(errno))
			die_with_error("clone", "clone3(0x%lx | CLONE_INTO_CGROUP)", clone_flags);
		/* This kernel (or a filter) cannot (lab_clone3_unsupported): clone() below, then attach. */
	}
	if (child < 0) {
		/* clone() starts the child in child_main on a stack of its own: give it one. */
		char *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED)
			die_with_error("clone", "mmap(child stack)");
		child = clone(child_main, stack + CHILD_STACK_SIZE, (int)clone_flags | SIGCHLD, &args);
		if (child < 0)
			die_with_error("clone", "clone(0x%lx)", clone_flags);
	}
	lab_userns_owner_end();
	lab_role_parent(child);
	if (close(sync[1]) < 0 || close(go[0]) < 0)
		die_with_error("clone", "close(the child's pipe ends)");
	lab_step_end();

	lab_cgroup_attach(child, cloned_into_cgroup);
	lab_userns_map(child);
	send_go(go[1], "go");
	/* The veth while the child builds its root filesystem: it waits for this only before it
	 * configures its network (wait_net). */
	if (lab_net_bridged()) {
		lab_role_parent_watch(sync[0]);
		lab_net_attach(child);
		send_go(go[1], "go_net");
		lab_role_parent_watch(-1);
	}
	if (close(go[1]) < 0)
		die_with_error("go", "close(go pipe)");
	lab_step_end();

	struct sync_record rec;
	int kind = wait_for_exec(sync[0], &rec);
	int64_t exec_done_us = lab_now_us();
	if (kind != SYNC_EXEC_NEXT) {
		/* The child failed. It wrote the error line itself (it knew what failed); we reap it and
		 * exit with its code (125, or 126/127 from execve). */
		int status = lab_kill_and_reap_all(child);
		lab_role_parent(-1);
		lab_run_cleanups();
		if (kind == 0) {
			/* It died without a word: killed before it could report. */
			die("clone", "the container's first process died during setup (wait status 0x%x)", (unsigned)status);
		}
		_exit(status >= 0 ? lab_exit_code(status) : LAB_EXIT_LAUNCHER);
	}
	/* exec: from the child's last record to the EOF that says execve succeeded. */
	write_ready(child, &rec, exec_done_us - rec.sent_us);

	int code = supervise(child, &lifecycle);
	lab_role_parent(-1);
	lab_run_cleanups();
	lab_status_exit(code);
	_exit(code);
}

int main(int argc, char **argv)
{
	started_us = lab_now_us();
	lab_step_reset();
	if (argc == 2 && strcmp(argv[1], "--list-steps") == 0) {
		for (int i = 0; lab_steps[i] != NULL; i++)
			printf("%s\t%s\n", lab_steps[i], lab_step_phase[i]);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--lsm-status") == 0)
		return lab_lsm_status();
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(USAGE, stdout);
		return 0;
	}

	struct lab_config cfg;
	const char *problem = parse_args(argc, argv, &cfg);
	open_status(&cfg);
	if (problem != NULL)
		die("args", "%s", problem);
	lab_set_fail_at(cfg.fail_at);
	lab_step("args");
	lab_cgroup_update_mode();
	lab_seccomp_compile_mode();
	lab_seccomp_guard_mode();
	lab_machine_hold_mode();
	if (cfg.rootfs != NULL) {
		/* Opened now, on the host, so the child can stand in it after covering its path. */
		cfg.rootfs_fd = open(cfg.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cfg.rootfs_fd < 0)
			die_with_error("args", "open(\"%s\", O_PATH|O_DIRECTORY)", cfg.rootfs);
		lab_rootfs_check(cfg.rootfs, cfg.rootfs_fd);
	}
	if (cfg.join_pid > 0)
		lab_join(&cfg);
	run_container(&cfg);
}
