/* A test helper (built by the integration tests with cc): makes one system call and prints what
 * the kernel answered, as one JSON line, so a test can tell "refused by seccomp" (the profile's
 * errno, or death by SIGSYS) from "refused by the kernel" (its own errno).
 *
 *   try-syscall [native:|x32:|i386:]NAME [ARG...]   raw syscall NAME (numbers from libseccomp)
 *                                                  {"name":"unshare","abi":"native","ret":-1,"errno":1}
 *   try-syscall bind PORT                          socket(AF_INET, SOCK_STREAM) + bind to PORT
 *   try-syscall connect PORT                       the same + connect to 127.0.0.1:PORT
 *   try-syscall ids                                {"uid":0,"euid":0} (copied setuid, shows escalation)
 *
 * ARGs are numbers (decimal, -decimal or 0x...) or else strings, passed by address. x32: the x32 ABI's numbers (bit 30 set); i386: int $0x80
 * (five arguments at most). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The 32-bit entry from 64-bit code: number in eax, arguments in ebx, ecx, edx, esi, edi (the
 * sixth, in ebp, is not needed by these tests). */
static long int80(long nr, const long *a)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
			 : "memory");
	return ret;
#else
	(void)nr;
	(void)a;
	return -ENOSYS;
#endif
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "ids") == 0) {
		printf("{\"uid\":%u,\"euid\":%u}\n", getuid(), geteuid());
		return 0;
	}
	if (argc == 3 && (strcmp(argv[1], "bind") == 0 || strcmp(argv[1], "connect") == 0)) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			printf("{\"name\":\"socket\",\"ret\":-1,\"errno\":%d}\n", errno);
			return 0;
		}
		struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
		int ret;
		if (argv[1][0] == 'b') {
			ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
		} else {
			addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			ret = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
		}
		printf("{\"name\":\"%s\",\"ret\":%d,\"errno\":%d}\n", argv[1], ret, ret < 0 ? errno : 0);
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: try-syscall [native:|x32:|i386:]NAME [ARG...] | bind PORT | connect PORT | ids\n");
		return 2;
	}

	const char *abi = "native";
	const char *name = argv[1];
	uint32_t arch = SCMP_ARCH_NATIVE;
	const char *colon = strchr(name, ':');
	if (colon != NULL) {
		abi = strndup(name, (size_t)(colon - name));
		name = colon + 1;
		if (strcmp(abi, "x32") == 0)
			arch = SCMP_ARCH_X32;
		else if (strcmp(abi, "i386") == 0)
			arch = SCMP_ARCH_X86;
		else if (strcmp(abi, "native") != 0) {
			fprintf(stderr, "unknown ABI %s\n", abi);
			return 2;
		}
	}
	int nr = seccomp_syscall_resolve_name_arch(arch, name);
	if (nr < 0) {
		fprintf(stderr, "no syscall %s for %s\n", name, abi);
		return 2;
	}
	long a[6] = { 0 };
	for (int i = 2; i < argc && i < 8; i++) {
		char *end;
		a[i - 2] = (long)strtoull(argv[i], &end, 0);
		if (argv[i][0] == '\0' || *end != '\0')
			a[i - 2] = (long)argv[i]; /* a path or other string */
	}

	long ret;
	int err;
	if (arch == SCMP_ARCH_X86) {
		ret = int80(nr, a);
		err = ret < 0 && ret > -4096 ? (int)-ret : 0;
	} else {
		errno = 0;
		ret = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		err = ret < 0 ? errno : 0;
	}
	printf("{\"name\":\"%s\",\"abi\":\"%s\",\"ret\":%ld,\"errno\":%d}\n", name, abi, ret < 0 ? -1 : ret, err);
	return 0;
}
