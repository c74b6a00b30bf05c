/* The network namespace: it starts with a single loopback device, and even that one is down. */
#define _GNU_SOURCE
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher.h"

/* The same as `ip link set lo up`, with the classic interface ioctls: read the flags, add UP, write
 * them back. Any socket in this namespace will do as a handle on its devices. */
void lab_net_loopback_up(void)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die_with_error("net_lo", "socket(AF_INET, SOCK_DGRAM)");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		die_with_error("net_lo", "ioctl(SIOCGIFFLAGS, \"lo\")");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		die_with_error("net_lo", "ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP)");
	if (close(sock) < 0)
		die_with_error("net_lo", "close(socket)");
}

/* ---- veth onto a bridge (being written) ---- */
static const struct lab_option net_options[] = { { NULL, false, NULL } };
const struct lab_module lab_net_module = { "net", net_options, NULL };
void lab_net_attach(pid_t child) { (void)child; }

void lab_net_configure(unsigned long flags)
{
	if (!(flags & CLONE_NEWNET))
		return;
	lab_step("net_lo");
	lab_net_loopback_up();
}
