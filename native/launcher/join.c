/* --join PID -- PROGRAM: run PROGRAM inside a running container (the probe, lesson checks), as
 * docker exec does: in the container's namespaces and root, and — when the server passes the
 * container's own options — in its cgroup and under its confinement (capabilities, seccomp,
 * no_new_privs, Landlock, LSM label, rlimits, user). Without them PROGRAM would keep the
 * launcher's full root privileges: it would report what the joiner may do, not the container.
 *
 * PROGRAM is opened on the host first and executed by file descriptor, so it need not exist in
 * the container's filesystem (the probe is static: it needs no loader or library in there).
 *
 *   parent                                      child (fork(): only children enter the PID ns)
 *   open PROGRAM, pidfd_open(PID), PID's root
 *   open the cgroup's tasks (v1) or directory (v2) (--cgroup)
 *   setns(every namespace but cgroup; on v2
 *     not user either), chroot
 *   fork() (v2: clone3 into the cgroup) ──────▶ v1: into the container's cgroup ("0" > tasks)
 *                                               v2: setns(its user namespace)
 *                                               setns(its cgroup namespace)
 *                                               lab_harden(): the container's confinement
 *   wait; exit with PROGRAM's code              execveat(PROGRAM) */
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

/* The forked child: becomes the container's process, then PROGRAM. BORN_INSIDE: clone3 created it
 * in the container's cgroup; USERNS: the container's user namespace, still to join. */
static noreturn void joined_child(const struct lab_config *cfg, int program_fd, int pidfd, unsigned long cgroupns, bool born_inside, bool userns)
{
	lab_role_child(-1);
	lab_pdeathsig("fork");

	/* The container's cgroup first, then its cgroup namespace: the namespace's view is rooted at
	 * the container's cgroup, so only from inside it do we see ourselves at "/" (and a kernel
	 * before 5.16 checks the move against the mover's current cgroup namespace, from which
	 * our old cgroup would be out of sight). */
	lab_cgroup_join_attach(born_inside);
	if (userns) {
		lab_step("join_userns");
		if (setns(pidfd, CLONE_NEWUSER) < 0)
			die_with_error("join_userns", "setns(pidfd of %d, CLONE_NEWUSER)", (int)cfg->join_pid);
		lab_userns_join_as_root("join_userns");
	}
	if (cgroupns) {
		lab_step("join_cgroupns");
		if (setns(pidfd, CLONE_NEWCGROUP) < 0)
			die_with_error("join_cgroupns", "setns(pidfd of %d, CLONE_NEWCGROUP)", (int)cfg->join_pid);
	}
	if (close(pidfd) < 0)
		die_with_error("join_cgroupns", "close(pidfd)");

	/* Only 0, 1, 2 go through (the status fd stays usable until execve, to report failure). */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die_with_error("exec", "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)");

	/* The container's confinement, in the order the container itself got it. */
	lab_landlock_allow_program(program_fd);
	lab_harden();

	lab_step("exec");
	/* AT_EMPTY_PATH: execute the file the descriptor refers to. */
	syscall(SYS_execveat, program_fd, "", cfg->program, environ, AT_EMPTY_PATH);
	die_exec_failed("exec", "execveat(\"%s\") in the container (a dynamically linked program needs its loader and libraries in there)", cfg->program[0]);
}

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

	/* --cgroup NAME: the container's cgroup files, while the host's /sys/fs/cgroup is in sight. */
	lab_cgroup_join_open();

	/* Enter every namespace in which the process differs from us, all in one call, but the
	 * cgroup namespace (the child enters that one, above). Entering its mount namespace also
	 * moves our root and working directory to its "/". The PID namespace applies to children
	 * only: hence the fork below. */
	lab_step("setns");
	unsigned long flags = lab_ns_differing(cfg->join_pid);
	unsigned long now = flags & ~(unsigned long)CLONE_NEWCGROUP;
	/* cgroup v2: clone3() will create the child inside the container's cgroup, which is cheap
	 * where a move is not (a move waits for an RCU grace period: cgroup.c). The kernel allows
	 * it by the creds of whoever clones: the host's root may, the container's root may not, so
	 * the child joins the user namespace after (setns into it needs no other order: the host's
	 * root holds every capability over the container's other namespaces). */
	int cgroup_fd = lab_cgroup_join_clone_fd();
	if (cgroup_fd >= 0)
		now &= ~(unsigned long)CLONE_NEWUSER;
	if (now != 0 && setns(pidfd, (int)now) < 0)
		die_with_error("setns", "setns(pidfd of %d, 0x%lx)", (int)cfg->join_pid, now);
	/* In a user namespace of its own, become its root, as nsenter does (userns.c). */
	if (now & CLONE_NEWUSER)
		lab_userns_join_as_root("setns");
	/* Then the same root as the process: a chrooted container's, not the namespace's. */
	if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0 || close(root_fd) < 0)
		die_with_error("setns", "chroot(\"%s\")", root_path);

	lab_step("fork");
	/* For the child's parent-death signal, as for a container's (main.c). */
	lab_pdeathsig_watch_self();
	pid_t child = -1;
	bool born_inside = false;
	if (cgroup_fd >= 0) {
		child = lab_clone_into_cgroup(0, cgroup_fd);
		if (child >= 0)
			born_inside = true;
		else if (!lab_clone3_unsupported(errno))
			die_with_error("fork", "clone3(CLONE_INTO_CGROUP)");
	}
	if (child < 0)
		child = fork();
	if (child < 0)
		die_with_error("fork", "fork()");
	if (child == 0)
		joined_child(cfg, program_fd, pidfd, flags & CLONE_NEWCGROUP, born_inside, (flags & CLONE_NEWUSER) && !(now & CLONE_NEWUSER));
	lab_role_parent(child); /* from here a failure of ours kills and reaps it */
	if (cgroup_fd >= 0 && close(cgroup_fd) < 0)
		die_with_error("fork", "close(the cgroup directory)");
	if (close(pidfd) < 0)
		die_with_error("fork", "close(pidfd)");
	lab_step_end();

	int status;
	if (TEMP_FAILURE_RETRY(waitpid(child, &status, 0)) < 0)
		die_with_error("fork", "waitpid(%d)", (int)child);
	lab_role_parent(-1);
	/* PROGRAM's own code; the status channel carries only errors (of the launcher) here. */
	_exit(lab_exit_code(status));
}
