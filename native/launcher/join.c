/* --join PID -- PROGRAM: run PROGRAM inside a running container (the probe, lesson checks).
 *
 * PROGRAM is opened on the host first and executed by file descriptor, so it need not exist in
 * the container's filesystem (the probe is static: it needs no loader or library in there). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "launcher.h"

extern char **environ;

void lab_join(const struct lab_config *cfg)
{
	const char *program = cfg->program[0];

	lab_step("join_open");
	int program_fd = open(program, O_RDONLY | O_CLOEXEC);
	if (program_fd < 0)
		die_exec_failed("join_open", "open(\"%s\")", program);

	/* A pidfd names this very process: if it exits and its number is reused, setns fails
	 * (ESRCH) instead of entering a stranger's namespaces. */
	lab_step("pidfd_open");
	int pidfd = (int)syscall(SYS_pidfd_open, cfg->join_pid, 0);
	if (pidfd < 0)
		die_with_error("pidfd_open", "pidfd_open(%d)", (int)cfg->join_pid);

	/* The process's own root: with --root-mode chroot it is not its mount namespace's "/". */
	char root_path[64];
	snprintf(root_path, sizeof(root_path), "/proc/%d/root", (int)cfg->join_pid);
	int root_fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		die_with_error("pidfd_open", "open(\"%s\")", root_path);

	/* Enter every namespace in which the process differs from us, all in one call. Entering its
	 * mount namespace also moves our root and working directory to its "/". The PID namespace
	 * applies to children only: hence the fork below. */
	lab_step("setns");
	unsigned long flags = lab_ns_differing(cfg->join_pid);
	if (flags != 0 && setns(pidfd, (int)flags) < 0)
		die_with_error("setns", "setns(pidfd of %d, 0x%lx)", (int)cfg->join_pid, flags);
	if (flags & CLONE_NEWUSER)
		lab_userns_join_as_root();
	if (close(pidfd) < 0)
		die_with_error("setns", "close(pidfd)");
	/* Then the same root as the process: a chrooted container's, not the namespace's. */
	if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0 || close(root_fd) < 0)
		die_with_error("setns", "chroot(\"%s\")", root_path);

	lab_step("fork");
	pid_t child = fork();
	if (child < 0)
		die_with_error("fork", "fork()");
	if (child == 0) {
		lab_role_child(-1);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			die_with_error("exec", "prctl(PR_SET_PDEATHSIG, SIGKILL)");
		/* Only 0, 1, 2 go through (the status fd stays usable until execve, to report failure). */
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			die_with_error("exec", "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)");
		lab_step("exec");
		/* AT_EMPTY_PATH: execute the file the descriptor refers to. */
		syscall(SYS_execveat, program_fd, "", cfg->program, environ, AT_EMPTY_PATH);
		die_exec_failed("exec", "execveat(\"%s\") in the container (a dynamically linked program needs its loader and libraries in there)", program);
	}
	lab_role_parent(child);
	lab_step_end();

	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die_with_error("fork", "waitpid(%d)", (int)child);
	lab_role_parent(-1);
	/* PROGRAM's own code; the status channel carries only errors (of the launcher) here. */
	_exit(lab_exit_code(status));
}
