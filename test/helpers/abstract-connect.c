/* A test helper (built statically by the escape tests, run inside a container with --join):
 * connects to the abstract unix socket NAME and prints what happened, as one JSON line:
 *   {"connected":false,"errno":111}
 * Abstract names live in a network namespace's own table: from a container that does not share
 * the host's network namespace, no host listener can be reached by name. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path) - 1) {
		fprintf(stderr, "usage: abstract-connect NAME\n");
		return 2;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("{\"connected\":false,\"errno\":%d}\n", errno);
		return 0;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(argv[1]);
	memcpy(addr.sun_path + 1, argv[1], len); /* sun_path[0] == 0: the abstract namespace */
	int ok = connect(fd, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len));
	printf("{\"connected\":%s,\"errno\":%d}\n", ok == 0 ? "true" : "false", ok == 0 ? 0 : errno);
	return 0;
}
