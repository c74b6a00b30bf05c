/* seccomp user notification: instead of refusing a system call itself, the filter hands it to a
 * supervisor outside the container, which answers with the errno the profile gives that call — so
 * the container sees exactly what it would have seen — and tells the server which call was refused,
 * by which program, with which arguments. isolab's "Why did that fail?" re-runs a learner's command
 * this way to name the system call seccomp refused.
 *
 * The profile marks those rules "notify" instead of "errno:N" (the server rewrites a profile for
 * this: server/runtime/seccomp/notify.ts, and builds it with --seccomp-compile like any other); what each
 * refusal carries comes on the command line:
 *
 *   --seccomp-notify ERRNO[,NAME=ERRNO...]    answer ERRNO, or for system call NAME that one
 *
 *   parent, before clone()                         child, in its seccomp step
 *   socketpair(), fork() the supervisor
 *     supervisor: recvmsg() waits ◀─────────────── seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER): the
 *                                                  kernel gives the loader a listener fd;
 *                                                  sendmsg(SCM_RIGHTS) it, close ours
 *     loop: poll(), NOTIF_RECV, report the call, NOTIF_SEND(-errno)
 *     until no process uses the filter any more (POLLHUP), or the parent kills it at the end
 *
 * The supervisor never lets a call through (no SECCOMP_USER_NOTIF_FLAG_CONTINUE): it only answers
 * with the refusal the profile asked for. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "launcher.h"

#ifndef P_PIDFD
#define P_PIDFD 3 /* waitid() on a pidfd, Linux 5.4 (glibc headers may predate it) */
#endif

#define MAX_ANSWERS 256
#define MAX_ERRNO 4095 /* the kernel's largest errno (MAX_ERRNO) */
/* Each distinct system call is reported once (the first time): a loop retrying a refused call must
 * not flood the status channel. Beyond this many distinct calls they are answered, not reported. */
#define MAX_REPORTED 128

/* What --seccomp-notify said. */
static bool requested;
static int default_answer;
static struct {
	char name[64];
	int err;
} answers[MAX_ANSWERS];
static unsigned answer_count;

static int hand_over_fd = -1;    /* the container's end of the socket pair */
static int supervisor_pidfd = -1; /* the parent's handle on the supervisor */

/* "1".."4095", exactly the LEN characters at S. */
static bool parse_errno(const char *s, size_t len, int *out)
{
	uint64_t v;
	if (lab_scan_u64(s, MAX_ERRNO, &v) != s + len || v < 1)
		return false;
	*out = (int)v;
	return true;
}

static bool is_syscall_name(const char *s, size_t len)
{
	if (len < 1 || len >= sizeof(answers[0].name))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static const char *parse_notify(const struct lab_option *option, const char *value)
{
	(void)option;
	static const char syntax[] =
		"--seccomp-notify: expected ERRNO[,NAME=ERRNO...] (each ERRNO 1-4095, NAME a system call name), e.g. 1,clone3=38";
	if (requested)
		return "--seccomp-notify: given twice";
	requested = true;
	const char *item = value;
	for (bool first = true;; first = false) {
		size_t len = strcspn(item, ",");
		const char *eq = memchr(item, '=', len);
		if (first) {
			if (eq != NULL || !parse_errno(item, len, &default_answer))
				return syntax;
		} else {
			size_t name_len = eq ? (size_t)(eq - item) : 0;
			if (eq == NULL || !is_syscall_name(item, name_len))
				return syntax;
			if (answer_count == MAX_ANSWERS)
				return "--seccomp-notify: at most 256 NAME=ERRNO answers";
			for (unsigned i = 0; i < answer_count; i++)
				if (strlen(answers[i].name) == name_len && strncmp(answers[i].name, item, name_len) == 0)
					return "--seccomp-notify: a system call named twice";
			memcpy(answers[answer_count].name, item, name_len);
			answers[answer_count].name[name_len] = '\0';
			if (!parse_errno(eq + 1, len - name_len - 1, &answers[answer_count].err))
				return syntax;
			answer_count++;
		}
		if (item[len] == '\0')
			break;
		item += len + 1;
	}
	return NULL;
}

static const char *validate(const struct lab_config *cfg)
{
	/* (That a filter with "notify" rules goes with it is seccomp.c's check: it reads the profile.) */
	if (requested && (cfg->join_pid || lab_seccomp_standalone()))
		return "--seccomp-notify supervises a new container's filter: not with --join or --seccomp-compile";
	return NULL;
}

static const struct lab_option options[] = {
	{ "--seccomp-notify", true, parse_notify, NULL, 0 },
	{ NULL },
};
const struct lab_module lab_seccomp_notify_module = { "seccomp_notify", options, validate };

bool lab_seccomp_notify_requested(void)
{
	return requested;
}

/* ---- the supervisor (a process of its own; it never calls the die family, whose clean-ups
 * belong to the parent) ---- */

static noreturn void supervisor_fail(const char *what)
{
	/* The listener closes with us: the kernel then fails every handed-over call with ENOSYS. */
	lab_say("seccomp supervisor: %s: %s", what, strerror(errno));
	_exit(LAB_EXIT_LAUNCHER);
}

/* Closes every descriptor from 3 up except KEEP_A and KEEP_B (-1: none). A copy of the sync pipe's
 * write end here would keep the parent from ever seeing the EOF that means "exec succeeded". */
static void keep_only(int keep_a, int keep_b)
{
	int low = keep_a < keep_b ? keep_a : keep_b;
	int high = keep_a < keep_b ? keep_b : keep_a;
	unsigned from = 3;
	for (int i = 0; i < 2; i++) {
		int keep = i == 0 ? low : high;
		if (keep < (int)from)
			continue;
		if ((unsigned)keep > from && close_range(from, (unsigned)keep - 1, 0) < 0)
			supervisor_fail("close_range");
		from = (unsigned)keep + 1;
	}
	if (close_range(from, ~0U, 0) < 0)
		supervisor_fail("close_range");
}

/* Waits for the one message the container's first process sends: the listener, as SCM_RIGHTS. */
static int receive_listener(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	ssize_t n = TEMP_FAILURE_RETRY(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC));
	if (n < 0)
		supervisor_fail("recvmsg(the listener)");
	if (n == 0)
		_exit(0); /* the container failed before it loaded its filter: nothing to supervise */
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EPROTO;
		supervisor_fail("recvmsg(the listener): no descriptor in the message");
	}
	int listener;
	memcpy(&listener, CMSG_DATA(c), sizeof(listener));
	if (close(sock) < 0)
		supervisor_fail("close(socket)");
	return listener;
}

static const char *arch_name(uint32_t arch, char *buf, size_t size)
{
	switch (arch) {
	case SCMP_ARCH_X86_64: return "x86_64";
	case SCMP_ARCH_X86: return "x86";
	case SCMP_ARCH_X32: return "x32";
	case SCMP_ARCH_AARCH64: return "aarch64";
	case SCMP_ARCH_ARM: return "arm";
	default: snprintf(buf, size, "0x%" PRIx32, arch); return buf;
	}
}

/* The errno the profile gives this call: its own answer, or the default one. */
static int answer_for(const char *name)
{
	for (unsigned i = 0; name != NULL && i < answer_count; i++)
		if (strcmp(answers[i].name, name) == 0)
			return answers[i].err;
	return default_answer;
}

/* One status line the first time a system call is handed over:
 * {"type":"seccomp-notify","syscall":"mount","nr":165,"arch":"x86_64","errno":1,"pid":4242,
 *  "comm":"mount","args":["0x...",...]} */
static void report(int listener, const struct seccomp_notif *req, const char *name, int err)
{
	static struct {
		uint32_t arch;
		int nr;
	} seen[MAX_REPORTED];
	static unsigned seen_count;
	for (unsigned i = 0; i < seen_count; i++)
		if (seen[i].arch == req->data.arch && seen[i].nr == req->data.nr)
			return;
	if (seen_count == MAX_REPORTED)
		return;
	seen[seen_count].arch = req->data.arch;
	seen[seen_count++].nr = req->data.nr;

	/* Which program made the call. The PID means that process only while the notification is
	 * still pending (the caller could have been killed and the number reused): check after reading. */
	char path[64], comm[32] = "";
	snprintf(path, sizeof(path), "/proc/%u/comm", (unsigned)req->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, comm, sizeof(comm) - 1);
		comm[n > 0 ? n : 0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		close(fd);
	}
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
		comm[0] = '\0';

	char arch_buf[16], number[24];
	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"seccomp-notify\",\"syscall\":");
	if (name != NULL)
		lab_json_str(&j, name);
	else
		lab_json_raw(&j, "null");
	lab_json_raw(&j, ",\"nr\":");
	lab_json_int(&j, req->data.nr);
	lab_json_raw(&j, ",\"arch\":");
	lab_json_str(&j, arch_name(req->data.arch, arch_buf, sizeof(arch_buf)));
	lab_json_raw(&j, ",\"errno\":");
	lab_json_int(&j, err);
	lab_json_raw(&j, ",\"pid\":");
	lab_json_int(&j, req->pid);
	lab_json_raw(&j, ",\"comm\":");
	lab_json_str(&j, comm);
	lab_json_raw(&j, ",\"args\":[");
	for (int i = 0; i < 6; i++) {
		/* Hex strings: JSON numbers lose precision above 2^53, and flags read better in hex. */
		snprintf(number, sizeof(number), "0x%" PRIx64, (uint64_t)req->data.args[i]);
		if (i > 0)
			lab_json_raw(&j, ",");
		lab_json_str(&j, number);
	}
	lab_json_raw(&j, "]}");
	lab_status_send(&j);
}

static noreturn void supervisor_main(int sock, pid_t parent)
{
	/* If the launcher goes, so do we (and with us the listener: its calls then fail ENOSYS). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		supervisor_fail("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != parent)
		_exit(0);
	keep_only(sock, lab_status_fd());
	int listener = receive_listener(sock);

	for (;;) {
		struct pollfd p = { .fd = listener, .events = POLLIN };
		if (TEMP_FAILURE_RETRY(poll(&p, 1, -1)) < 0)
			supervisor_fail("poll(listener)");
		/* POLLHUP alone: every process that used the filter has exited, nothing more can come. */
		if (!(p.revents & POLLIN))
			_exit(0);

		struct seccomp_notif req;
		memset(&req, 0, sizeof(req)); /* the kernel refuses a buffer that is not zeroed */
		if (TEMP_FAILURE_RETRY(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req)) < 0) {
			/* ENOENT: the caller was killed before we took its call. */
			if (errno == ENOENT)
				continue;
			supervisor_fail("ioctl(SECCOMP_IOCTL_NOTIF_RECV)");
		}
		char *name = seccomp_syscall_resolve_num_arch(req.data.arch, req.data.nr);
		int err = answer_for(name);
		/* Reported before it is answered: the line is on its way before the caller can go on
		 * (and, say, exit, after which the launcher writes its "exit" line). */
		report(listener, &req, name, err);
		free(name);

		/* The refusal the profile asked for: error = -errno, val ignored, no flags (never CONTINUE). */
		struct seccomp_notif_resp resp = { .id = req.id, .val = 0, .error = -err, .flags = 0 };
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			supervisor_fail("ioctl(SECCOMP_IOCTL_NOTIF_SEND)");
	}
}

/* ---- the parent ---- */

/* Clean-up: the supervisor goes with the container. Through its pidfd, because it may have been
 * reaped already (lab_kill_and_reap_all kills every child of ours) and its PID reused since. */
static void supervisor_stop(void)
{
	/* ESRCH: it is gone already, which is what we want. */
	syscall(SYS_pidfd_send_signal, supervisor_pidfd, SIGKILL, NULL, 0);
	siginfo_t info;
	/* ECHILD: reaped already. Either way nothing of it is left. */
	(void)TEMP_FAILURE_RETRY(waitid(P_PIDFD, (id_t)supervisor_pidfd, &info, WEXITED));
	close(supervisor_pidfd);
	supervisor_pidfd = -1;
}

void lab_seccomp_notify_prepare(void)
{
	if (!requested)
		return;
	lab_step("seccomp_supervisor");
	/* SOCK_SEQPACKET: one message carries one descriptor, nothing to reassemble. */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die_with_error("seccomp_supervisor", "socketpair(AF_UNIX, SOCK_SEQPACKET)");
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		die_with_error("seccomp_supervisor", "fork()");
	if (pid == 0)
		supervisor_main(sv[0], parent);
	supervisor_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (supervisor_pidfd < 0) {
		int err = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		die_with_errno(err, "seccomp_supervisor", "pidfd_open(%d)", (int)pid);
	}
	lab_on_cleanup(supervisor_stop);
	if (close(sv[0]) < 0)
		die_with_error("seccomp_supervisor", "close(the supervisor's end of the socket pair)");
	/* The other end goes to the child with clone() (close-on-exec: PROGRAM never holds it). */
	hand_over_fd = sv[1];
}

/* ---- the child, right after its filter is loaded ---- */

void lab_seccomp_notify_hand_over(int listener)
{
	lab_step("seccomp_hand_over");
	if (listener < 0)
		die_with_errno(-listener, "seccomp_hand_over", "seccomp_notify_fd()");
	char byte = 'L';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &listener, sizeof(listener));
	/* This call already passes through the filter: the server never hands sendmsg over
	 * (server/runtime/seccomp/notify.ts), or we would wait here for an answer only we could give. */
	if (sendmsg(hand_over_fd, &msg, 0) != 1)
		die_with_error("seccomp_hand_over", "sendmsg(the filter's listener, to the supervisor)");
	/* Ours must go: a process holding its own filter's listener could answer its own calls with
	 * SECCOMP_USER_NOTIF_FLAG_CONTINUE and be free of the filter. */
	if (close(listener) < 0)
		die_with_error("seccomp_hand_over", "close(listener)");
	if (close(hand_over_fd) < 0)
		die_with_error("seccomp_hand_over", "close(socket)");
}
