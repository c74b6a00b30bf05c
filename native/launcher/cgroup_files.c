/* cgroups, the file helpers: a cgroup is configured by writing its files, and taken apart by
 * killing what its cgroup.procs lists and removing its directory. Declared in cgroup.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"

long lab_cg_fs_type(const char *path)
{
	struct statfs fs;
	return statfs(path, &fs) < 0 ? -1 : (long)fs.f_type;
}


void lab_cg_path(char out[PATH_MAX], const char *a, const char *b)
{
	if (snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX)
		die_with_errno(ENAMETOOLONG, lab_cg_step, "path %s/%s", a, b);
}

int lab_cg_try_write(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	lab_cg_path(path, dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* One write per value: cgroup files parse each write(2) on its own. */
	ssize_t n = write(fd, value, strlen(value));
	int err = errno;
	close(fd);
	errno = err;
	return n < 0 ? -1 : 0;
}

void lab_cg_write(const char *dir, const char *file, const char *value)
{
	if (lab_cg_try_write(dir, file, value) < 0)
		die_with_error(lab_cg_step, "write(\"%s/%s\", \"%s\")", dir, file, value);
}

int lab_cg_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	lab_cg_path(path, dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	int err = errno;
	close(fd);
	errno = err;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

bool lab_cg_file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	lab_cg_path(path, dir, file);
	return access(path, F_OK) == 0;
}

int lab_cg_kill_procs(const char *dir)
{
	char path[PATH_MAX];
	lab_cg_path(path, dir, "cgroup.procs");
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	int found = 0;
	long pid;
	/* PIDs as our PID namespace numbers them, so kill() understands them. */
	while (fscanf(f, "%ld", &pid) == 1) {
		found++;
		kill((pid_t)pid, SIGKILL); /* ESRCH: it died meanwhile, which is what we want */
	}
	fclose(f);
	return found;
}

void lab_cg_reap_ours(void)
{
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
}

void lab_cg_pause(void)
{
	struct timespec ms = { 0, 1000000 };
	nanosleep(&ms, NULL);
}

int lab_cg_rmdir(const char *dir)
{
	/* A killed process leaves its cgroup as it exits, a moment after the signal: EBUSY until then. */
	for (int tries = 0;; tries++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || tries == 5000)
			return -1;
		lab_cg_reap_ours();
		lab_cg_pause();
	}
}
