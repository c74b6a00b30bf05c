/* Step bookkeeping, the clock, the die family and the final clean-up. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

/* The step table lives in steps.def, one step a line. */
const char *const lab_steps[] = {
#define LAB_STEP(name, phase) name,
#include "steps.def"
#undef LAB_STEP
	NULL,
};
const char *const lab_step_phase[] = {
#define LAB_STEP(name, phase) phase,
#include "steps.def"
#undef LAB_STEP
};
_Static_assert(sizeof(lab_steps) / sizeof(lab_steps[0]) <= LAB_MAX_STEPS, "raise LAB_MAX_STEPS");

int64_t lab_step_us[LAB_MAX_STEPS];
static int current_step = -1;
static int64_t current_started_us;
static const char *fail_at;

int lab_step_index(const char *name)
{
	for (int i = 0; lab_steps[i] != NULL; i++)
		if (strcmp(lab_steps[i], name) == 0)
			return i;
	return -1;
}

int64_t lab_now_us(void)
{
	struct timespec ts;
	/* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void lab_set_fail_at(const char *step)
{
	fail_at = step;
}

void lab_step_end(void)
{
	if (current_step >= 0)
		lab_step_us[current_step] += lab_now_us() - current_started_us;
	current_step = -1;
}

void lab_step_reset(void)
{
	for (int i = 0; i < LAB_MAX_STEPS; i++)
		lab_step_us[i] = -1;
	current_step = -1;
}

void lab_step(const char *step)
{
	int index = lab_step_index(step);
	if (index < 0)
		die("args", "internal error: unknown step \"%s\"", step);
	lab_step_end();
	if (lab_step_us[index] < 0)
		lab_step_us[index] = 0;
	current_step = index;
	current_started_us = lab_now_us();
	/* The test hook: fail exactly as if this step's system call had returned EINVAL. */
	if (fail_at != NULL && strcmp(fail_at, step) == 0) {
		die_with_errno(EINVAL, step, "%s (injected by --fail-at)", step);
	}
}

/* ---- the die family ---- */

static enum { ROLE_PARENT, ROLE_CHILD } role = ROLE_PARENT;
static pid_t role_child = -1; /* parent: the process it started, if any */
static int role_sync_fd = -1; /* child: where to tell the parent that setup failed */
static int role_watch_fd = -1; /* parent: the sync pipe, while the child sets itself up meanwhile */

void lab_role_parent(pid_t child)
{
	role = ROLE_PARENT;
	role_child = child;
}

void lab_role_parent_watch(int sync_fd)
{
	role_watch_fd = sync_fd;
}

void lab_role_child(int sync_fd)
{
	role = ROLE_CHILD;
	role_sync_fd = sync_fd;
}

void lab_say(const char *fmt, ...)
{
	char line[1200];
	int prefix = snprintf(line, sizeof(line), "isolab-launcher: ");
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + prefix, sizeof(line) - (size_t)prefix - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)prefix + (n < 0 ? 0 : (size_t)n);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2; /* cut, but still one whole line */
	line[len++] = '\n';
	(void)TEMP_FAILURE_RETRY(write(STDERR_FILENO, line, len));
}

const char *lab_problem(const char *fmt, ...)
{
	/* As long as a message lab_die() would keep. */
	static char problem[1024];
	char text[sizeof(problem)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memcpy(problem, text, sizeof(problem));
	return problem;
}

static noreturn void lab_die(int exit_code, int err, const char *step, const char *fmt, va_list ap)
{
	char message[1024];
	/* The launcher is single-threaded, so even in the child after clone() vsnprintf is safe to
	 * call; strerrordesc_np (glibc's, or musl's strerror: libc-compat.h) allocates nothing. */
	int n = vsnprintf(message, sizeof(message), fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(message))
		n = sizeof(message) - 1;
	if (err != 0) {
		const char *desc = strerrordesc_np(err);
		snprintf(message + n, sizeof(message) - (size_t)n, ": %s", desc ? desc : "unknown error");
	}

	/* The parent failing while the child works at the same time (the veth, while the child builds
	 * its root). Stop the child first, then ask whether it had failed already: if so, its error
	 * line is out and is the one that counts (ours is likely its consequence: no namespace left to
	 * put the veth in). If it had died without a word, ours says so. One error line either way,
	 * except if our kill lands in the microseconds between the child's error line and its record. */
	if (role == ROLE_PARENT && role_child > 0 && role_watch_fd >= 0) {
		/* Had it ended already (WNOWAIT: still to be reaped below)? */
		siginfo_t info = { 0 };
		bool ended = waitid(P_PID, (id_t)role_child, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == role_child;
		int status = lab_kill_and_reap_all(role_child);
		role_child = -1;
		if (lab_sync_child_failed(role_watch_fd)) {
			lab_run_cleanups();
			/* Its own code (125, 126, 127), unless our kill caught it between record and exit. */
			_exit(status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : LAB_EXIT_LAUNCHER);
		}
		size_t len = strlen(message);
		if (ended && len < sizeof(message) - 1)
			snprintf(message + len, sizeof(message) - len, " (the container's first process had died during setup: wait status 0x%x)",
				 status >= 0 ? (unsigned)status : 0u);
	}

	if (lab_status_is_open()) {
		lab_status_error(step, err, message);
	} else {
		/* No status channel (yet): whoever started us reads stderr. */
		lab_say("%s: %s", step, message);
	}

	if (role == ROLE_CHILD) {
		lab_sync_send_failed(role_sync_fd);
		_exit(exit_code);
	}
	/* The parent leaves nothing behind: every mount lives in the child's mount namespace and goes
	 * with its processes; what lives on the host (a cgroup, a veth) is in the clean-up list. */
	if (role_child > 0)
		lab_kill_and_reap_all(role_child);
	lab_run_cleanups();
	_exit(exit_code);
}

void die_with_error(const char *step, const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	lab_die(LAB_EXIT_LAUNCHER, err, step, fmt, ap);
}

void die_with_errno(int err, const char *step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lab_die(LAB_EXIT_LAUNCHER, err, step, fmt, ap);
}

void die(const char *step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lab_die(LAB_EXIT_LAUNCHER, 0, step, fmt, ap);
}

void die_exec_failed(const char *step, const char *fmt, ...)
{
	int err = errno;
	/* As a shell (and docker) reports it: not found is 127, found but not executable is 126. */
	int code = (err == ENOENT || err == ENOTDIR) ? LAB_EXIT_NOT_FOUND : LAB_EXIT_CANNOT_EXEC;
	va_list ap;
	va_start(ap, fmt);
	lab_die(code, err, step, fmt, ap);
}

char *lab_strdup(const char *step, const char *s)
{
	char *copy = strdup(s);
	if (copy == NULL)
		die_with_error(step, "strdup(%zu bytes)", strlen(s) + 1);
	return copy;
}

/* ---- the parent-death signal ---- */

static int parent_pidfd = -1;

void lab_pdeathsig_watch_self(void)
{
	/* Close-on-exec; without pidfds (before 5.3) the child simply goes without the check. */
	parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
}

void lab_pdeathsig(const char *step)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_with_error(step, "prctl(PR_SET_PDEATHSIG, SIGKILL)");
	/* The signal comes only for a death after it is armed, and changing ids disarms it: had the
	 * launcher died before, or meanwhile, it would never come. Its pidfd says so (readable once
	 * it has exited); getppid() cannot, from a PID namespace the launcher is not in. */
	if (parent_pidfd >= 0) {
		struct pollfd p = { .fd = parent_pidfd, .events = POLLIN };
		if (poll(&p, 1, 0) > 0)
			_exit(LAB_EXIT_LAUNCHER);
	}
}

/* ---- tear-down ---- */

#define LAB_MAX_CLEANUPS 16
static void (*cleanups[LAB_MAX_CLEANUPS])(void);
static int cleanup_count;

void lab_on_cleanup(void (*fn)(void))
{
	if (cleanup_count == LAB_MAX_CLEANUPS)
		die("args", "internal error: raise LAB_MAX_CLEANUPS");
	cleanups[cleanup_count++] = fn;
}

void lab_run_cleanups(void)
{
	/* Taken off the list before it runs: a clean-up that dies must not run again. */
	while (cleanup_count > 0)
		cleanups[--cleanup_count]();
}

/* SIGKILLs every process whose parent is this one, found by walking /proc (this kernel may lack
 * /proc/PID/task/TID/children). Returns how many it signalled. */
static int kill_children(void)
{
	pid_t self = getpid();
	int killed = 0;
	DIR *proc = opendir("/proc");
	if (proc == NULL)
		return 0; /* nothing to walk: the wait loop still reaps what dies */
	struct dirent *entry;
	while ((entry = readdir(proc)) != NULL) {
		int pid;
		if (!lab_parse_int(entry->d_name, 1, INT32_MAX, &pid))
			continue; /* not a process */
		char path[64];
		char stat[512];
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		/* open and read, not fopen: no buffer to allocate and free for each of the host's
		 * processes (three system calls each, where musl's stdio makes seven). */
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* exited meanwhile */
		ssize_t len = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		if (len <= 0)
			continue;
		stat[len] = '\0';
		/* "pid (comm) state ppid ...": comm may contain anything, so parse after the last ')'. */
		char *close_paren = strrchr(stat, ')');
		char state;
		long ppid;
		if (close_paren == NULL || sscanf(close_paren + 1, " %c %ld", &state, &ppid) != 2)
			continue;
		if (ppid == self && kill(pid, SIGKILL) == 0)
			killed++;
	}
	closedir(proc);
	return killed;
}

int lab_kill_and_reap_all(pid_t program)
{
	int program_status = -1;
	for (;;) {
		/* Orphans of the processes killed last round have been re-parented to us (we are a
		 * subreaper) by the time waitpid returns their parent, so each round catches them. */
		kill_children();
		int status;
		pid_t pid = TEMP_FAILURE_RETRY(waitpid(-1, &status, __WALL));
		if (pid < 0)
			break; /* ECHILD: nothing left */
		if (pid == program)
			program_status = status;
	}
	return program_status;
}

int lab_exit_code(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return LAB_EXIT_LAUNCHER;
}
