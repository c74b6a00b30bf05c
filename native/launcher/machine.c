/* The learner's machine: on a workshop server, a network, IPC and UTS namespace of each learner's
 * own, which their containers share when a lesson switches one of those namespaces off.
 *
 * A lesson teaches a namespace by switching it off and on. Off used to mean "the host's": the
 * host's loopback (a database, Redis, the lab's own port), its abstract unix sockets, its System V
 * shared memory, its hostname — to every stranger in the room. With a machine, off means "this
 * learner's machine's": a network with only its own loopback (and a bridge for the learner's own
 * containers, made in there by the first container that asks for one), IPC objects no other
 * learner sees, a hostname of its own. Nothing links the machine's network to the host's: no
 * route leads off it, to the host or to another learner.
 *
 *   isolab-launcher --machine-hold --unshare net,ipc,uts --hostname NAME
 *       unshare() those namespaces, name the machine, bring lo up, let its users bind low ports
 *       and ping (as they could on a host of their own), say "machine-ready", then hold them —
 *       doing nothing — until SIGTERM, SIGHUP or the server's death (parent-death signal).
 *   isolab-launcher --machine PID [container options] -- PROGRAM
 *       before clone(): setns() into PID's network, IPC and UTS namespaces. The container's new
 *       namespaces are made beside them as before; those it does not make, it shares with the
 *       machine. Its bridge (--net-bridge) is made in the machine's network namespace too.
 *
 * The holder is a single process of the launcher: a few pages of memory for each learner. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

/* What a machine holds: the namespaces a lesson switches off that would otherwise be the host's. */
#define MACHINE_NAMESPACES (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

static bool hold;          /* --machine-hold */
static int machine_pid;    /* --machine PID */
static const struct lab_config *config;

static const char *parse_machine(const struct lab_option *option, const char *value)
{
	(void)option;
	if (!lab_parse_int(value, 1, INT_MAX, &machine_pid))
		return "--machine: expected the positive process ID of a machine (--machine-hold)";
	return NULL;
}

static const char *validate(const struct lab_config *cfg)
{
	config = cfg;
	if (hold && machine_pid)
		return "--machine-hold makes a machine; --machine puts a container in one: not both";
	if (hold) {
		if (cfg->clone_flags & ~(unsigned long)MACHINE_NAMESPACES)
			return "--machine-hold: a machine holds only net, ipc and uts namespaces";
		if (!(cfg->clone_flags & CLONE_NEWUTS) || cfg->hostname == NULL)
			return "--machine-hold needs --unshare with uts and --hostname: the machine's name";
		if (cfg->join_pid || cfg->rootfs || cfg->program)
			return "--machine-hold runs nothing: no --join, --rootfs or PROGRAM";
	}
	if (machine_pid && cfg->join_pid)
		return "--machine is for a new container: --join enters a container's namespaces, the machine's with them";
	return NULL;
}

static const struct lab_option options[] = {
	{ "--machine-hold", false, lab_option_flag, &hold, 0 },
	{ "--machine", true, parse_machine, NULL, 0 },
	{ NULL },
};
const struct lab_module lab_machine_module = { "machine", options, validate };

bool lab_machine_standalone(void)
{
	return hold;
}

/* ---- --machine-hold ---- */

/* Writes VALUE to the sysctl PATH (under /proc/sys) of our namespaces. */
static void write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_with_error("machine_net", "open(\"%s\")", path);
	size_t len = strlen(value);
	if (TEMP_FAILURE_RETRY(write(fd, value, len)) != (ssize_t)len)
		die_with_error("machine_net", "write(\"%s\", \"%s\")", path, value);
	if (close(fd) < 0)
		die_with_error("machine_net", "close(\"%s\")", path);
}

/* The inode of our namespace KIND ("net"), as /proc/self/ns/KIND names it. */
static long long ns_inode(const char *kind)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
	struct stat st;
	if (stat(path, &st) < 0)
		die_with_error("machine_ready", "stat(\"%s\")", path);
	return (long long)st.st_ino;
}

void lab_machine_hold_mode(void)
{
	if (!hold)
		return;
	/* Blocked before anything else, so that a SIGTERM sent as soon as we exist is waited for, not
	 * lost or fatal halfway through the set-up. */
	sigset_t ends;
	sigemptyset(&ends);
	sigaddset(&ends, SIGTERM);
	sigaddset(&ends, SIGHUP);
	sigaddset(&ends, SIGINT);
	if (sigprocmask(SIG_BLOCK, &ends, NULL) < 0)
		die_with_error("machine_hold", "sigprocmask(SIG_BLOCK, {TERM,HUP,INT})");
	/* The machine is the server's: it goes when the server does, even by SIGKILL. */
	lab_step("machine_hold");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_with_error("machine_hold", "prctl(PR_SET_PDEATHSIG, SIGKILL)");
	if (getppid() == 1)
		die("machine_hold", "the server went away before the machine was made");
	if (unshare((int)config->clone_flags) < 0)
		die_with_error("machine_hold", "unshare(0x%lx)", config->clone_flags);
	lab_set_hostname(config->hostname);

	lab_step("machine_net");
	if (config->clone_flags & CLONE_NEWNET) {
		lab_net_loopback_up();
		/* On a host of one's own, root binds port 80 and anyone pings. Here the machine's
		 * owner is the host's root and its users are containers' roots, which hold no
		 * capability over it: give them what an ordinary machine gives its users. These two
		 * settings belong to this network namespace only. */
		write_sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start", "0");
		write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
	}

	lab_step("machine_ready");
	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"machine-ready\",\"pid\":");
	lab_json_int(&j, (long long)getpid());
	lab_json_raw(&j, ",\"namespaces\":{\"net\":");
	lab_json_int(&j, ns_inode("net"));
	lab_json_raw(&j, ",\"ipc\":");
	lab_json_int(&j, ns_inode("ipc"));
	lab_json_raw(&j, ",\"uts\":");
	lab_json_int(&j, ns_inode("uts"));
	lab_json_raw(&j, "}}");
	lab_status_send(&j);
	lab_step_end();

	/* Hold them. Nothing runs in here: the namespaces live as long as this process does, and
	 * containers join them by its PID. */
	for (;;) {
		int sig = TEMP_FAILURE_RETRY(sigwaitinfo(&ends, NULL));
		if (sig < 0)
			die_with_error("machine_hold", "sigwaitinfo");
		lab_status_exit(0);
		_exit(0);
	}
}

/* ---- --machine PID ---- */

/* A sysfs shows the network devices of the namespace of whoever mounts it. A container that
 * shares its machine's network cannot mount one (its user namespace does not own that network),
 * and the read-only view of the host's /sys it would get instead lists the host's devices. So,
 * standing in the machine's network, we make it one — a detached, read-only mount that the child
 * inherits and puts at /sys (lab_machine_take_sysfs). */
static int sysfs_fd = -1;

static void prepare_sysfs(void)
{
	lab_step("machine_sysfs");
	int fs = fsopen("sysfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		die_with_error("machine_sysfs", "fsopen(\"sysfs\")");
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die_with_error("machine_sysfs", "fsconfig(sysfs, FSCONFIG_CMD_CREATE)");
	sysfs_fd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (sysfs_fd < 0)
		die_with_error("machine_sysfs", "fsmount(sysfs, read-only)");
	if (close(fs) < 0)
		die_with_error("machine_sysfs", "close(sysfs context)");
}

bool lab_machine_take_sysfs(const char *target)
{
	if (sysfs_fd < 0)
		return false;
	if (move_mount(sysfs_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_with_error("sysfs", "move_mount(the machine's sysfs, \"%s\")", target);
	if (close(sysfs_fd) < 0)
		die_with_error("sysfs", "close(the machine's sysfs)");
	sysfs_fd = -1;
	return true;
}

void lab_machine_enter(void)
{
	if (!machine_pid)
		return;
	lab_step("machine");
	/* A pidfd names this very process: if the machine ended and its number were reused, setns
	 * would fail rather than put the container in a stranger's namespaces. */
	int pidfd = (int)syscall(SYS_pidfd_open, machine_pid, 0);
	if (pidfd < 0)
		die_with_error("machine", "pidfd_open(%d) (has the machine ended?)", machine_pid);
	if (setns(pidfd, MACHINE_NAMESPACES) < 0)
		die_with_error("machine", "setns(pidfd of %d, net|ipc|uts)", machine_pid);
	if (close(pidfd) < 0)
		die_with_error("machine", "close(pidfd)");
	if (config->rootfs != NULL && !(config->clone_flags & CLONE_NEWNET))
		prepare_sysfs();
}
