/* A test helper for the escape suite (built statically by test/helpers/escape.ts, so it also runs
 * inside a container with --join): one small attempt per command, its outcome as one JSON line.
 *
 *   escape-tool abstract-connect NAME   connect to the abstract unix socket NAME
 *                                       {"connected":false,"errno":111}
 *   escape-tool ns-owner PATH           the host uid that owns the user namespace PATH (NS_GET_OWNER_UID)
 *                                       {"owner":100000}
 *   escape-tool inotify-init            make one inotify instance (and let it go)
 *                                       {"fd":3,"errno":0}
 *   escape-tool inotify-hold N          make up to N instances, say how many, hold them until killed
 *                                       {"held":32,"errno":24}
 *
 * Abstract names live in a network namespace's own table: from a container that does not share
 * the host's network namespace, no host listener can be reached by name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/nsfs.h>

static int abstract_connect(const char *name)
{
	if (strlen(name) >= sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
		return 2;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("{\"connected\":false,\"errno\":%d}\n", errno);
		return 0;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	memcpy(addr.sun_path + 1, name, len); /* sun_path[0] == 0: the abstract namespace */
	int ok = connect(fd, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len));
	printf("{\"connected\":%s,\"errno\":%d}\n", ok == 0 ? "true" : "false", ok == 0 ? 0 : errno);
	return 0;
}

static int ns_owner(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uid_t owner;
	if (fd < 0 || ioctl(fd, NS_GET_OWNER_UID, &owner) < 0) {
		printf("{\"owner\":null,\"errno\":%d}\n", errno);
		return 1;
	}
	printf("{\"owner\":%u}\n", (unsigned)owner);
	return 0;
}

static int try_inotify(void)
{
	int fd = inotify_init1(IN_CLOEXEC);
	printf("{\"fd\":%d,\"errno\":%d}\n", fd, fd < 0 ? errno : 0);
	return 0;
}

static int hold_inotify(const char *count)
{
	int want = atoi(count), held = 0, err = 0;
	while (held < want) {
		if (inotify_init1(IN_CLOEXEC) < 0) {
			err = errno;
			break;
		}
		held++;
	}
	printf("{\"held\":%d,\"errno\":%d}\n", held, err);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "abstract-connect") == 0)
		return abstract_connect(argv[2]);
	if (argc == 3 && strcmp(argv[1], "ns-owner") == 0)
		return ns_owner(argv[2]);
	if (argc == 2 && strcmp(argv[1], "inotify-init") == 0)
		return try_inotify();
	if (argc == 3 && strcmp(argv[1], "inotify-hold") == 0)
		return hold_inotify(argv[2]);
	fprintf(stderr, "usage: escape-tool abstract-connect NAME | ns-owner PATH | inotify-init | inotify-hold N\n");
	return 2;
}
