/* Test helper: run PROGRAM under a seccomp filter that refuses the given syscall numbers.
 *
 *   seccomp-deny errno|kill NR[,NR...] -- PROGRAM [ARG...]
 *
 * errno: the listed calls fail with EPERM (as Docker's profile answers); kill: they kill the
 * process (SECCOMP_RET_KILL_PROCESS). Every other call is allowed. Sets no_new_privs first (what
 * lets an unprivileged process install a filter). The integration tests compile it with cc; it is
 * not part of isolab — the launcher has its own seccomp module. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp-deny: add this architecture's AUDIT_ARCH_*"
#endif

#define MAX_DENIED 64

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: seccomp-deny errno|kill NR[,NR...] -- PROGRAM [ARG...]\n");
		return 2;
	}
	unsigned int action = strcmp(argv[1], "kill") == 0 ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ERRNO | EPERM;
	long denied[MAX_DENIED];
	int count = 0;
	for (char *save = NULL, *nr = strtok_r(argv[2], ",", &save); nr != NULL && count < MAX_DENIED; nr = strtok_r(NULL, ",", &save))
		denied[count++] = strtol(nr, NULL, 10);

	/* load arch; wrong arch → kill; load nr; for each denied: jeq → action; allow. */
	struct sock_filter prog[4 + 2 * MAX_DENIED + 1];
	int n = 0;
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < count; i++) {
		prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)denied[i], 0, 1);
		prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
	}
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog fprog = { .len = (unsigned short)n, .filter = prog };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("seccomp-deny: prctl(PR_SET_NO_NEW_PRIVS)");
		return 125;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) < 0) {
		perror("seccomp-deny: prctl(PR_SET_SECCOMP)");
		return 125;
	}
	execv(argv[4], argv + 4);
	perror("seccomp-deny: execv");
	return 127;
}
