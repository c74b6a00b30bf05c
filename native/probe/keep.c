/* try-keep: make one kernel object for real, and keep it, so the host can look for it.
 *
 *   isolab-probe try-keep NAME SECONDS    one JSON line at once, then hold the object SECONDS
 *   isolab-probe try-keep --list          the names, one a line
 *
 * try-syscall (syscalls.c) asks the kernel with arguments it refuses, so nothing is ever made; what
 * it cannot show is what the host sees when a call does get through. This does the ordinary,
 * successful call and keeps the result open while it sleeps: a test on the host then reads this
 * process's /proc/PID/fd (an io_uring or userfaultfd descriptor, a socket), /proc/key-users (a key
 * counted against the container's uid), and so on. Everything it makes dies with it: descriptors
 * close, and the key is in this process's own keyring, which goes when the process does.
 *
 * The line: {"name":"io_uring","made":true,"fd":3,"error":null,"pid":N}, or made false with the
 * errno's name; "pid" is this process's PID as the /proc it sees numbers it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/userfaultfd.h>
#include <linux/vm_sockets.h>

#include "probe.h"
#include "../parse-number.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define NETLINK_NETFILTER_PROTOCOL 12

/* A ring of 4 entries, the smallest useful one. */
static long keep_io_uring(void)
{
	struct io_uring_params params;
	memset(&params, 0, sizeof(params));
	return syscall(SYS_io_uring_setup, 4, &params);
}

/* User-mode faults only: what an unprivileged process may ask for whatever vm.unprivileged_userfaultfd says. */
static long keep_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
}

/* A key in this process's own keyring (created for it, gone with it). Returns the key's serial. */
static long keep_key(void)
{
	return syscall(SYS_add_key, "user", "isolab-probe-try-keep", "x", (size_t)1, KEY_SPEC_PROCESS_KEYRING);
}

/* A vsock socket, bound to a port on any CID: vsock is not namespaced. */
static long keep_vsock(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = VMADDR_PORT_ANY };
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EADDRNOTAVAIL && errno != ENODEV) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* The kernel's crypto API as a socket. */
static long keep_alg(void)
{
	return socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
}

/* A raw packet socket (every frame of an interface). */
static long keep_packet(void)
{
	return socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
}

/* nf_tables and the other netfilter front ends. */
static long keep_netfilter(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER_PROTOCOL);
}

static const struct keeper {
	const char *name;
	long (*make)(void);
	bool is_fd; /* the result is a descriptor (else a key serial) */
} keepers[] = {
	{ "io_uring", keep_io_uring, true },
	{ "userfaultfd", keep_userfaultfd, true },
	{ "key", keep_key, false },
	{ "vsock", keep_vsock, true },
	{ "alg", keep_alg, true },
	{ "packet", keep_packet, true },
	{ "netfilter", keep_netfilter, true },
};
#define KEEPER_COUNT (sizeof(keepers) / sizeof(keepers[0]))

int try_keep_main(int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "--list") == 0) {
		for (size_t i = 0; i < KEEPER_COUNT; i++)
			printf("%s\n", keepers[i].name);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	int seconds;
	const struct keeper *k = NULL;
	for (size_t i = 0; argc == 2 && i < KEEPER_COUNT; i++)
		if (strcmp(keepers[i].name, argv[0]) == 0)
			k = &keepers[i];
	if (k == NULL || !lab_parse_int(argv[1], 0, 3600, &seconds)) {
		fputs("usage: isolab-probe try-keep NAME SECONDS   (NAME: isolab-probe try-keep --list; SECONDS 0-3600)\n", stderr);
		return 2;
	}
	errno = 0;
	long made = k->make();
	int err = made < 0 ? errno : 0;
	json_begin('{');
	json_key("name");
	json_string(k->name);
	json_key("made");
	json_bool(made >= 0);
	json_key(k->is_fd ? "fd" : "serial");
	json_int_or_null(made, made < 0);
	json_key("error");
	json_string_or_null(made < 0 ? errno_name(err) : NULL);
	json_key("pid");
	json_int(getpid());
	json_end('}');
	putchar('\n');
	/* The line must reach the reader before the wait, whoever buffers stdout. */
	if (fflush(stdout) != 0)
		return 1;
	sleep((unsigned)seconds);
	return 0;
}
