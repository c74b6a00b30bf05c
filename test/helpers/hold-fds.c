/* A test helper (built statically by test/integration/escape/resource-bombs.test.ts and put into a
 * learner's container): takes as many of one kernel object as it is allowed, up to N, holds them,
 * and says how far it got, as one JSON line, before it sleeps until killed.
 *
 *   hold-fds files N     open("/dev/null") N times          {"kind":"files","held":252,"errno":24}
 *   hold-fds inotify N   inotify_init1() N times
 *   hold-fds watches N   one inotify instance, a watch on each of N files it creates in DIR (cwd)
 *
 * errno is that of the call that failed (0: all N held). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hold-fds files|inotify|watches N\n");
		return 2;
	}
	const char *kind = argv[1];
	long n = strtol(argv[2], NULL, 10);
	long held = 0;
	int err = 0;
	int group = -1;
	if (strcmp(kind, "watches") == 0 && (group = inotify_init1(IN_CLOEXEC)) < 0) {
		printf("{\"kind\":\"%s\",\"held\":0,\"errno\":%d}\n", kind, errno);
		return 1;
	}
	for (; held < n; held++) {
		int ret;
		if (strcmp(kind, "files") == 0) {
			ret = open("/dev/null", O_RDONLY);
		} else if (strcmp(kind, "inotify") == 0) {
			ret = inotify_init1(0);
		} else {
			char name[32];
			snprintf(name, sizeof(name), "w%ld", held);
			int fd = open(name, O_CREAT | O_WRONLY, 0600);
			if (fd >= 0)
				close(fd);
			ret = inotify_add_watch(group, name, IN_MODIFY);
		}
		if (ret < 0) {
			err = errno;
			break;
		}
	}
	printf("{\"kind\":\"%s\",\"held\":%ld,\"errno\":%d}\n", kind, held, err);
	fflush(stdout);
	for (;;)
		pause();
}
