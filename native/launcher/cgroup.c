/* cgroups: a directory per container in which the kernel counts and limits what its processes use
 * (memory, CPU time, CPUs, process count, block I/O, devices), behind one interface with a v1 and a
 * v2 backend; the cgroup namespace; and live updates of a running container's limits.
 *
 *   parent, before clone()   cgroup_create   <root>/isolab/NAME (v1: in every hierarchy)
 *                            cgroup_limits   write the limit files
 *                            cgroup_devices  v1: devices.deny/allow; v2: attach a BPF program
 *   parent, at clone()       (clone)         v2: clone3(CLONE_INTO_CGROUP) creates the child in it
 *   child, first             cgroup_enter    v1: the child moves itself in, writing "0" to `tasks`
 *   parent, after clone()    cgroup_attach   otherwise: write the child's PID into cgroup.procs
 *   child, after "go"        cgroupns        unshare(CLONE_NEWCGROUP): our cgroup becomes "/"
 *   parent, at the end       (clean-up)      kill whatever is left in the cgroup, rmdir it
 *
 * Which backend: what the host mounted on /sys/fs/cgroup decides (as crun does). cgroup2 there:
 * v2. Otherwise a directory of v1 hierarchies, often with a cgroup2 beside them at
 * /sys/fs/cgroup/unified ("hybrid"): v1, unless the controllers asked for live only in unified.
 *
 * Split by concern, as crun splits its cgroup code: this file is the hooks (when each step above
 * happens, --join's way in, and the two modes that start no container: --cgroup-update and
 * --cgroup-device-program); cgroup_args.c the options, the device list and the choice of backend;
 * cgroup_inside.c what the container sees of it (the cgroup namespace, its /sys/fs/cgroup);
 * cgroup_files.c the file helpers; cgroup_v1.c and cgroup_v2.c the backends behind cgroup.h's
 * struct lab_cg_ops; cgroup_bpf.c the v2 device program. Contract: native/README.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/sched.h> /* struct clone_args, CLONE_INTO_CGROUP */

#include "cgroup.h"

const char *lab_cg_step = "args";

void lab_cg_take_step(const char *name)
{
	lab_cg_step = name;
	lab_step(name);
}

/* ---- the hooks ---- */

static void cleanup(void)
{
	lab_cg.ops->destroy();
}

/* clone3() (Linux 5.3) with CLONE_INTO_CGROUP (5.7): the child is created inside the cgroup
 * CGROUP_FD names, so it never runs a single instruction outside it and nobody has to move it.
 * glibc has no wrapper, so this is the raw system call. Without CLONE_VM it behaves like fork():
 * the child gets a copy of our memory, our stack included, and returns here with 0, so it needs no
 * stack of its own. Returns the child's PID in the parent, 0 in the child, -1 with errno. */
pid_t lab_clone_into_cgroup(unsigned long flags, int cgroup_fd)
{
	struct clone_args args = {
		.flags = flags | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgroup_fd,
	};
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* ENOSYS (before 5.3, or a seccomp filter that hides clone3), EPERM (older container profiles,
 * Docker's before 2021 among them, refuse clone3 that way), E2BIG (a clone_args too big for
 * 5.3-5.6), EINVAL (CLONE_INTO_CGROUP unknown): fall back to clone()/fork() and a move. The
 * cgroup's own refusals are EACCES, ENOENT or EBUSY; a real EPERM from the namespace flags comes
 * back from clone() too, and is reported there. */
bool lab_clone3_unsupported(int err)
{
	return err == ENOSYS || err == EPERM || err == E2BIG || err == EINVAL;
}

/* v2: the cgroup directory, open for clone3(CLONE_INTO_CGROUP); -1 otherwise. */
static int clone_fd = -1;
static const char *via; /* how the first process got in: "clone3", "self" or "attach" */

/* The files through which a single-threaded process moves itself into the container's cgroup by
 * writing "0" (v1: `tasks` in every hierarchy; v2: cgroup.procs), opened on the host: by the
 * parent before clone() for the child's cgroup_enter (v1), or before setns() for --join. */
#define SELF_MOVE_MAX_FDS 16
static int self_move_fds[SELF_MOVE_MAX_FDS];
static unsigned self_move_fd_count;

static void close_self_move_fds(const char *step_name)
{
	for (unsigned i = 0; i < self_move_fd_count; i++)
		if (close(self_move_fds[i]) < 0)
			die_with_error(step_name, "close(%s of %s/%s)", lab_cg.ops->self_move_file, LAB_CG_PARENT, lab_cg_name);
	self_move_fd_count = 0;
}

/* Moves the calling process, which has one thread, in through the files opened above. Writing
 * "0" names the writer. Why not cgroup.procs and a PID, as runc does: moving a whole thread group
 * (cgroup.procs, or any PID) takes the write side of the kernel's global cgroup_threadgroup_rwsem,
 * and its first writer waits for an RCU grace period (10 ms here). A thread moving only itself
 * (`tasks` with "0"; the kernel's "cgroup: Optimize single thread migration", 2020) cannot exit
 * or exec meanwhile, so the kernel skips that lock: about 0.03 ms a hierarchy. With one thread,
 * that thread is the whole process. The move is allowed by the credentials the file was opened
 * with (Linux 5.16+; the host's root), or before that by ours, which are still the host's root's
 * at this point even inside a new user namespace. */
static void move_self_in(const char *step_name)
{
	for (unsigned i = 0; i < self_move_fd_count; i++) {
		if (TEMP_FAILURE_RETRY(write(self_move_fds[i], "0", 1)) != 1)
			die_with_error(step_name, "write(%s of %s/%s, \"0\") (cgroup %s)", lab_cg.ops->self_move_file, LAB_CG_PARENT,
				       lab_cg_name, lab_cg.ops->name);
	}
	close_self_move_fds(step_name);
}

void lab_cgroup_prepare(void)
{
	if (lab_cg.create == NULL)
		return;
	/* Registered first: whatever part of the cgroup exists when something fails is removed. */
	lab_on_cleanup(cleanup);
	lab_cg_take_step("cgroup_create");
	lab_cg.ops->create(lab_cg.needs);
	if (lab_cg.ops->open_dir != NULL && !lab_cg.attach_after_clone)
		clone_fd = lab_cg.ops->open_dir();
	else if (lab_cg.ops->version == 1 && !lab_cg.attach_after_clone)
		self_move_fd_count = lab_cg.ops->open_self_move(self_move_fds, SELF_MOVE_MAX_FDS);
	if (lab_cg.first_limit != NULL) {
		lab_cg_take_step("cgroup_limits");
		lab_cg.ops->write_limits(&lab_cg.limits, false);
	}
	lab_cg_take_step("cgroup_devices");
	lab_cg.ops->write_devices(lab_cg.rules, lab_cg.rule_count);
}

int lab_cgroup_clone_fd(void)
{
	return clone_fd;
}

const char *lab_cgroup_via(void)
{
	return via;
}

void lab_cgroup_enter(void)
{
	if (self_move_fd_count == 0)
		return;
	lab_cg_take_step("cgroup_enter");
	move_self_in("cgroup_enter");
}

void lab_cgroup_attach(pid_t child, bool cloned_into)
{
	if (lab_cg.create == NULL)
		return;
	if (clone_fd >= 0 && close(clone_fd) < 0)
		die_with_error("clone", "close(the cgroup directory)");
	clone_fd = -1;
	/* clone3 created the child inside its cgroup, or (v1) the child moves itself in as its first
	 * step (cgroup_enter): there is nothing to move here, and no cgroup_attach step. */
	if (cloned_into) {
		via = "clone3";
		return;
	}
	if (self_move_fd_count > 0) {
		via = "self";
		close_self_move_fds("clone"); /* the child has its own copies */
		return;
	}
	via = "attach";
	/* The child waits on the go pipe, so it runs nothing of the container's before it is in. */
	lab_cg_take_step("cgroup_attach");
	lab_cg.ops->attach(child);
}

/* --join: the files are opened here, on the host, before setns() takes the host's /sys/fs/cgroup
 * out of sight. v1: the forked child moves itself in with them (join_cgroup_attach). v2: the
 * directory too, so that clone3() creates the child inside (join.c); cgroup.procs stays open for
 * a kernel without clone3, where the child moves itself in after all. */
static int join_clone_fd = -1;

void lab_cgroup_join_open(void)
{
	if (lab_cg.create == NULL)
		return;
	lab_cg_take_step("join_cgroup");
	if (!lab_cg.ops->exists(LAB_CG_EVERY_HIERARCHY)) {
		die_with_errno(ENOENT, "join_cgroup", "no cgroup %s/%s under %s to join (cgroup %s)", LAB_CG_PARENT, lab_cg_name,
			       lab_cg_root, lab_cg.ops->name);
	}
	self_move_fd_count = lab_cg.ops->open_self_move(self_move_fds, SELF_MOVE_MAX_FDS);
	if (lab_cg.ops->open_dir != NULL)
		join_clone_fd = lab_cg.ops->open_dir();
}

int lab_cgroup_join_clone_fd(void)
{
	return join_clone_fd;
}

void lab_cgroup_join_attach(bool born_inside)
{
	if (join_clone_fd >= 0 && close(join_clone_fd) < 0)
		die_with_error("join_cgroup", "close(the cgroup directory)");
	join_clone_fd = -1;
	if (self_move_fd_count == 0)
		return;
	if (born_inside) {
		close_self_move_fds("join_cgroup");
		return;
	}
	lab_cg_take_step("join_cgroup_attach");
	move_self_in("join_cgroup_attach");
}

/* ---- the modes that start no container ---- */

static void print_device_program(void)
{
	struct lab_bpf_program prog;
	lab_bpf_device_program(lab_cg.rules, lab_cg.rule_count, &prog);
	printf("{\"type\":\"device_program\",\"rules\":[");
	for (unsigned i = 0; i < lab_cg.rule_count; i++) {
		char text[64];
		lab_cg_format_rule(&lab_cg.rules[i], text, sizeof(text));
		printf("%s\"%s\"", i ? "," : "", text);
	}
	printf("],\"insns\":[");
	for (unsigned i = 0; i < prog.count; i++) {
		const struct bpf_insn *in = &prog.insns[i];
		printf("%s[%u,%u,%u,%d,%d]", i ? "," : "", in->code, in->dst_reg, in->src_reg, in->off, in->imm);
	}
	printf("]}\n");
	exit(0);
}

void lab_cgroup_update_mode(void)
{
	if (lab_cg.print_program)
		print_device_program();
	if (lab_cg.update == NULL)
		return;
	lab_cg_take_step("cgroup_limits");
	if (!lab_cg.ops->exists(lab_cg.needs)) {
		die_with_errno(ENOENT, "cgroup_limits", "no cgroup %s/%s under %s to update (cgroup %s)", LAB_CG_PARENT, lab_cg_name,
			       lab_cg_root, lab_cg.ops->name);
	}
	lab_cg.ops->write_limits(&lab_cg.limits, true);
	lab_step_end();
	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"updated\",\"cgroup\":");
	lab_json_str(&j, lab_cg_name);
	lab_json_raw(&j, ",\"version\":");
	lab_json_int(&j, lab_cg.ops->version);
	lab_json_raw(&j, "}");
	lab_status_answer(&j);
}

