/* The mount namespace: a private copy of the host's mount tree, and a /proc that matches the
 * PID namespace. */
#define _GNU_SOURCE
#include <sys/mount.h>

#include "launcher.h"

/* clone(CLONE_NEWNS) copied the host's mount tree, but mounts marked "shared" (systemd marks them
 * all so) would still propagate: a mount made here would appear on the host. Marking the whole
 * tree private, recursively, cuts every propagation link in both directions. */
void lab_mount_make_private(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_with_error("mount_private", "mount(NULL, \"/\", MS_REC|MS_PRIVATE)");
}

/* /proc shows the processes of the PID namespace that mounted it. The copied /proc is the host's,
 * so ps would still list every host process: mount a fresh one from inside the new namespace. */
void lab_mount_proc(const char *target)
{
	if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_with_error("proc", "mount(\"proc\", \"%s\", \"proc\")", target);
}
