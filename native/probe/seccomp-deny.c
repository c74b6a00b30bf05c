/* isolab-seccomp-deny: a seccomp profile of your own, stacked on the ones a process already has.
 *
 *   isolab-seccomp-deny SYSCALL[:ERRNO][,SYSCALL[:ERRNO]...] [PROGRAM [ARG...]]
 *                                                                  (default PROGRAM: /bin/sh)
 *
 * It builds the smallest useful profile — every system call allowed, the listed ones refused with
 * EPERM, as Docker's profile refuses what it does not allow (or with ERRNO: ENOSYS makes a call
 * look absent from the kernel, which is how programs are made to take their fallback; the tests
 * use it on clone3) — loads it on itself, and execs
 * PROGRAM. No privilege is needed: any process may filter itself once no_new_privs is set (so
 * that it cannot trick a set-user-ID program into running under a filter it did not expect).
 * Filters stack: the kernel runs every filter a process has on each call and keeps the strictest
 * answer, so a filter can only take calls away, and nothing can remove one. The seccomp lesson
 * uses it to write a profile and watch a program meet it; /proc/PID/status counts the filters.
 *
 * Names are resolved by libseccomp for this architecture (`mkdir`, `mkdirat`, `socket`...); an
 * unknown name is refused. Static (libseccomp.a), so it runs in the busybox image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../parse-number.h"

#define MAX_DENIED 64

/* The answers a profile usually gives, by name; any other as a number (1..4095). */
static const struct {
	const char *name;
	int value;
} errnos[] = { { "EPERM", EPERM }, { "EACCES", EACCES }, { "ENOSYS", ENOSYS }, { "EINVAL", EINVAL }, { "ENOENT", ENOENT } };

static int parse_errno(const char *text)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(text, errnos[i].name) == 0)
			return errnos[i].value;
	int value;
	return lab_parse_int(text, 1, 4095, &value) ? value : -1;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "isolab-seccomp-deny: %s: %s\n", what, strerror(err));
	exit(125);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: isolab-seccomp-deny SYSCALL[:ERRNO][,SYSCALL[:ERRNO]...] [PROGRAM [ARG...]]\n"
				"  runs PROGRAM (default /bin/sh) with the listed system calls refused (EPERM, or ERRNO:\n"
				"  EPERM, EACCES, ENOSYS, EINVAL, ENOENT or a number)\n");
		return 2;
	}

	/* The profile: allow by default, one ERRNO rule per listed call (EPERM unless it says). */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL)
		die("seccomp_init", ENOMEM);
	char *names = strdup(argv[1]);
	if (names == NULL)
		die("strdup", ENOMEM);
	int count = 0;
	char *denied[MAX_DENIED];
	int answers[MAX_DENIED];
	for (char *save = NULL, *name = strtok_r(names, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
		int answer = EPERM;
		char *colon = strchr(name, ':');
		if (colon != NULL) {
			*colon = '\0';
			answer = parse_errno(colon + 1);
			if (answer < 0) {
				fprintf(stderr, "isolab-seccomp-deny: \"%s\": not an errno (EPERM, EACCES, ENOSYS, EINVAL, ENOENT or 1..4095)\n", colon + 1);
				return 2;
			}
		}
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "isolab-seccomp-deny: unknown system call \"%s\" on this architecture\n", name);
			return 2;
		}
		if (count == MAX_DENIED) {
			fprintf(stderr, "isolab-seccomp-deny: at most %d system calls\n", MAX_DENIED);
			return 2;
		}
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)answer), nr, 0);
		if (rc < 0)
			die(name, -rc);
		answers[count] = answer;
		denied[count++] = name;
	}

	/* no_new_privs first: the kernel lets a process without CAP_SYS_ADMIN filter itself only then.
	 * (libseccomp would set it too; doing it here keeps the order on the page.) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("prctl(PR_SET_NO_NEW_PRIVS)", errno);
	int rc = seccomp_load(ctx);
	if (rc < 0)
		die("seccomp_load", -rc);
	seccomp_release(ctx);

	fprintf(stderr, "isolab-seccomp-deny: filter loaded, refusing:");
	for (int i = 0; i < count; i++)
		fprintf(stderr, " %s (%s)", denied[i], strerrorname_np(answers[i]) ? strerrorname_np(answers[i]) : "?");
	fputs(" (every other call: allowed, unless an earlier filter says otherwise)\n", stderr);

	char *shell[] = { "/bin/sh", NULL };
	char **program = argc > 2 ? &argv[2] : shell;
	execvp(program[0], program);
	die(program[0], errno);
}
