/* isolab-first-line: how long a sandbox takes from exec to its first line of output.
 *
 *   isolab-first-line [--marker TEXT] [--timeout-ms N] -- PROGRAM [ARG...]
 *
 * Starts PROGRAM (posix_spawn: no copy of a large parent's page tables, unlike a fork from Node),
 * reads its stdout until TEXT (default "\036UP") and prints one JSON line: {"pid":N,"us":T} — the
 * start time in microseconds on CLOCK_MONOTONIC. PROGRAM keeps running, its stdin open, so the
 * caller can measure it at rest (PSS of its process tree); a newline or EOF on our stdin then closes
 * PROGRAM's stdin, and we exit with PROGRAM's status. The benchmark (bench/compare.ts) times the
 * launcher, runsc and QEMU with it, so no sandbox pays for Node's spawn and all pay the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../parse-number.h"

extern char **environ;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
	fprintf(stderr, "isolab-first-line: %s: %s\n", what, strerror(errno));
	exit(125);
}

int main(int argc, char **argv)
{
	const char *marker = "\036UP";
	int timeout_ms = 60000;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--marker") == 0 && i + 1 < argc)
			marker = argv[++i];
		else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc && lab_parse_int(argv[i + 1], 1, INT32_MAX, &timeout_ms))
			i++;
		else {
			fprintf(stderr, "usage: isolab-first-line [--marker TEXT] [--timeout-ms N] -- PROGRAM [ARG...]\n");
			return 125;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "isolab-first-line: no PROGRAM after --\n");
		return 125;
	}
	char **program = argv + i + 1;

	int out[2], in[2];
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0)
		die("pipe2");
	posix_spawn_file_actions_t actions;
	if (posix_spawn_file_actions_init(&actions) != 0 ||
	    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO) != 0 ||
	    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO) != 0)
		die("posix_spawn_file_actions");

	long long t0 = now_us();
	pid_t pid;
	int rc = posix_spawnp(&pid, program[0], &actions, NULL, program, environ);
	if (rc != 0) {
		errno = rc;
		die(program[0]);
	}
	close(out[1]);
	close(in[0]);

	/* Read until the marker (it may straddle two reads: keep the tail). */
	char buf[4096 + 64];
	size_t kept = 0, mlen = strlen(marker);
	long long t1 = -1;
	while (t1 < 0) {
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };
		long left = timeout_ms - (long)((now_us() - t0) / 1000);
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			fprintf(stderr, "isolab-first-line: no \"%s\" from %s within %d ms\n", marker + (marker[0] == '\036'), program[0], timeout_ms);
			kill(pid, SIGKILL);
			return 124;
		}
		ssize_t n = read(out[0], buf + kept, sizeof(buf) - 1 - kept);
		if (n <= 0) {
			fprintf(stderr, "isolab-first-line: %s closed its output before its first line\n", program[0]);
			waitpid(pid, NULL, 0);
			return 124;
		}
		kept += (size_t)n;
		buf[kept] = '\0';
		if (memmem(buf, kept, marker, mlen) != NULL)
			t1 = now_us();
		else if (kept > mlen) {
			memmove(buf, buf + kept - mlen, mlen);
			kept = mlen;
		}
	}
	printf("{\"pid\":%d,\"us\":%lld}\n", (int)pid, t1 - t0);
	fflush(stdout);

	/* PROGRAM rests at its prompt until the caller is done measuring it. Its output is drained
	 * meanwhile, so it never blocks on a full pipe. */
	int drain = out[0];
	for (;;) {
		struct pollfd pfds[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = drain, .events = POLLIN } };
		if (TEMP_FAILURE_RETRY(poll(pfds, 2, -1)) < 0)
			die("poll");
		if (pfds[1].revents) {
			char sink[4096];
			if (read(drain, sink, sizeof(sink)) <= 0)
				drain = -1; /* PROGRAM closed its output (it may have exited): poll ignores -1 */
		}
		if (pfds[0].revents) {
			char c;
			if (read(STDIN_FILENO, &c, 1) <= 0 || c == '\n')
				break;
		}
	}
	close(in[1]);
	int status;
	if (TEMP_FAILURE_RETRY(waitpid(pid, &status, 0)) < 0)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
