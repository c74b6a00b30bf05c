/* Status lines to the server: one JSON object per line on a file descriptor or a unix socket.
 *
 * The child writes its error line itself (it is the one that knows what failed), so everything
 * here is async-signal-safe: fixed buffers, no malloc, no stdio, only write(2). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "launcher.h"

static int status_fd = -1;

/* ---- a tiny JSON writer into a fixed buffer (truncates rather than overflows) ---- */

static void put(struct lab_json *j, char c)
{
	if (j->len < sizeof(j->buf) - 1)
		j->buf[j->len++] = c;
}

void lab_json_raw(struct lab_json *j, const char *s)
{
	while (*s)
		put(j, *s++);
}

void lab_json_str(struct lab_json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	put(j, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* Keep room to close the string and the object: a cut message is still valid JSON. */
		if (j->len > sizeof(j->buf) - 64)
			break;
		switch (*p) {
		case '"': lab_json_raw(j, "\\\""); break;
		case '\\': lab_json_raw(j, "\\\\"); break;
		case '\n': lab_json_raw(j, "\\n"); break;
		case '\r': lab_json_raw(j, "\\r"); break;
		case '\t': lab_json_raw(j, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				lab_json_raw(j, "\\u00");
				put(j, hex[*p >> 4]);
				put(j, hex[*p & 0xf]);
			} else {
				/* Bytes >= 0x80 pass through: paths and hostnames are UTF-8 or were rejected. */
				put(j, (char)*p);
			}
		}
	}
	put(j, '"');
}

void lab_json_int(struct lab_json *j, long long v)
{
	char digits[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		put(j, '-');
	while (n > 0)
		put(j, digits[--n]);
}

/* ---- the channel ---- */

void lab_status_use_fd(int fd)
{
	status_fd = fd;
}

bool lab_status_is_open(void)
{
	return status_fd >= 0;
}

int lab_status_fd(void)
{
	return status_fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = TEMP_FAILURE_RETRY(write(fd, buf, len));
		/* The server went away: nobody is left to tell, and it will SIGHUP us if it cares. */
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Writes J as one line to FD. */
static void send_line(int fd, struct lab_json *j)
{
	int saved = errno;
	/* Always end the line, even if the writer truncated the object. */
	if (j->len >= sizeof(j->buf) - 1)
		j->len = sizeof(j->buf) - 2;
	j->buf[j->len++] = '\n';
	write_all(fd, j->buf, j->len);
	errno = saved;
}

void lab_status_send(struct lab_json *j)
{
	if (status_fd >= 0)
		send_line(status_fd, j);
}

void lab_status_answer(struct lab_json *j)
{
	send_line(status_fd >= 0 ? status_fd : STDOUT_FILENO, j);
	exit(0);
}

/* node-pty cannot hand us an extra fd, so a launcher on a pty connects to the server's socket
 * and proves which spawn it is with the token the server gave it. Returns the fd or -1. */
int lab_status_connect(const char *path, const char *token)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	status_fd = fd;
	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"hello\",\"token\":");
	lab_json_str(&j, token);
	lab_json_raw(&j, "}");
	lab_status_send(&j);
	return fd;
}

void lab_status_error(const char *step, int err, const char *message)
{
	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"error\",\"step\":");
	lab_json_str(&j, step);
	lab_json_raw(&j, ",\"errno\":");
	lab_json_int(&j, err);
	lab_json_raw(&j, ",\"message\":");
	lab_json_str(&j, message);
	lab_json_raw(&j, "}");
	lab_status_send(&j);
}

void lab_status_exit(int code)
{
	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"exit\",\"code\":");
	lab_json_int(&j, code);
	lab_json_raw(&j, "}");
	lab_status_send(&j);
}
