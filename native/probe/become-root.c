/* isolab-become-root: a set-user-ID-root program with a hole in it, for the no_new_privs lesson.
 *
 *   isolab-become-root [PROGRAM [ARG...]]        (default PROGRAM: /bin/sh)
 *
 * The image carries it owned by root with mode 6755 (scripts/rootfs.mjs). When an ordinary user
 * executes it, execve() gives the new program the file owner's identity as its *effective* ids:
 * the real uid says who started it (1000), the effective uid what it may do (0). A real setuid
 * program (passwd, su, sudo, ping on old systems) then checks what its caller may do; this one
 * checks nothing and runs PROGRAM as root. Every setuid-root program with a bug is this program.
 *
 * It says what happened and why, then execs PROGRAM either way (as root when the bit worked, as
 * the caller when it did not), so the two cases can be compared:
 *   - no_new_privs set on the caller: execve() ignores the set-user-ID and set-group-ID bits;
 *   - the filesystem is mounted nosuid: the same;
 *   - inside a user namespace, "root" is the namespace's root: the uid the map gives 0 on the host.
 * Static, so it runs in the busybox image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

static void fail(const char *what)
{
	fprintf(stderr, "isolab-become-root: %s: %s\n", what, strerror(errno));
	exit(126);
}

/* Where uid 0 of this process's user namespace is on the host (its /proc/self/uid_map), or -1. */
static long host_uid_of_root(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	if (f == NULL)
		return -1;
	long inside, outside, count, found = -1;
	while (fscanf(f, "%ld %ld %ld", &inside, &outside, &count) == 3)
		if (inside == 0)
			found = outside;
	fclose(f);
	return found;
}

/* Why the set-user-ID bit did not take: the kernel's two reasons, checked in its order. */
static const char *why_not(void)
{
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp < 0)
		fail("prctl(PR_GET_NO_NEW_PRIVS)");
	if (nnp == 1)
		return "no_new_privs is set on this process, so execve() ignored the set-user-ID bit";
	struct statvfs fs;
	if (statvfs("/proc/self/exe", &fs) == 0 && (fs.f_flag & ST_NOSUID))
		return "the filesystem it lives on is mounted nosuid, so execve() ignored the set-user-ID bit";
	return "the file is not set-user-ID root here (ls -l shows its mode and owner)";
}

int main(int argc, char **argv)
{
	uid_t ruid, euid, suid;
	if (getresuid(&ruid, &euid, &suid) < 0)
		fail("getresuid");

	if (euid != 0) {
		fprintf(stderr, "isolab-become-root: started by uid %u, still uid %u: no privilege gained (%s)\n",
			(unsigned)ruid, (unsigned)euid, why_not());
	} else {
		/* The effective ids are root's; make the real and saved ones root's too, so that
		 * PROGRAM is root through and through (a shell would otherwise notice and drop it). */
		if (setresgid(0, 0, 0) < 0)
			fail("setresgid(0, 0, 0)");
		if (setresuid(0, 0, 0) < 0)
			fail("setresuid(0, 0, 0)");
		long host = host_uid_of_root();
		if (host > 0)
			fprintf(stderr,
				"isolab-become-root: started by uid %u, now uid 0: the set-user-ID bit worked "
				"(root of this user namespace: uid %ld on the host)\n",
				(unsigned)ruid, host);
		else
			fprintf(stderr, "isolab-become-root: started by uid %u, now uid 0: the set-user-ID bit worked\n",
				(unsigned)ruid);
	}

	char *shell[] = { "/bin/sh", NULL };
	char **program = argc > 1 ? &argv[1] : shell;
	execvp(program[0], program);
	fail(program[0]);
}
