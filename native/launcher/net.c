/* The network namespace: it starts with a single loopback device, and even that one is down.
 *
 * --unshare net alone: lo, up, and nothing else — no way in or out.
 * --net-bridge: a virtual cable, a veth pair. One end (eth0) lies in the container, the other on
 * a bridge on the host: a switch in software that every container naming it is plugged into, and
 * a device of the host's own, whose address is the containers' gateway.
 *
 *             container A                 host                  container B
 *   eth0 10.88.0.2 ──veth── isolab123 ─┐                    ┌─ isolab456 ──veth── eth0 10.88.0.3
 *                                      └── bridge 10.88.0.1 ─┘
 *
 * The containers reach each other and the host's addresses; nothing further: no NAT, and the host
 * does not forward packets between its devices unless net.ipv4.ip_forward says so (we leave it as
 * it is). The devices are set up with rtnetlink, the kernel's own interface for it — what `ip`
 * speaks — directly: one request creates the pair with its far end already in the container.
 *
 *   parent, after clone()   bridge (create if missing), veth pair, tc on the host's end
 *   child                   lo up, eth0's address and default route, tc on eth0
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "launcher.h"

/* What the container's end is called. */
#define LAB_ETH "eth0"
/* tbf: the bucket holds a tenth of a second's worth of bytes, at least 8 KiB (a full-size frame
 * must always fit, or it could never leave); packets may queue for 50 ms more, then are dropped
 * (the CNI bandwidth plugin's habit: a short queue keeps latency honest). */
#define LAB_TBF_MIN_BURST 8192
#define LAB_TBF_LATENCY_MS 50
/* Rates tbf takes in its 32-bit bytes-per-second field. */
#define LAB_RATE_MIN 1000ULL         /* 1kbit */
#define LAB_RATE_MAX 32000000000ULL  /* 32gbit */

static bool netns;                    /* --unshare net */
static const char *bridge;            /* --net-bridge NAME */
static const char *veth_option;       /* --net-veth NAME */
struct cidr {
	struct in_addr addr;
	int prefix; /* -1: not given */
};
static struct cidr gateway = { .prefix = -1 }; /* --net-gateway ADDR/PREFIX */
static struct cidr address = { .prefix = -1 }; /* --net-address ADDR/PREFIX */
static unsigned long long rate_bits;  /* --net-rate, bit/s; 0 = unlimited */

static char host_veth[IFNAMSIZ];      /* the host's end, once created */
static int host_veth_index;

/* ---- lo ---- */

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

/* ---- options ---- */

/* A device name: 1-15 characters (IFNAMSIZ with its NUL), letters, digits, '_', '.', '-', starting
 * with a letter or digit (the kernel takes more; `ip` and a shell would not like all of it). */
static bool is_ifname(const char *s)
{
	size_t len = strlen(s);
	if (len < 1 || len >= IFNAMSIZ)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* --net-bridge and --net-veth: a device name, kept in the target. */
static const char *parse_ifname(const struct lab_option *option, const char *value)
{
	*(const char **)option->target = value;
	return is_ifname(value) ? NULL : lab_problem("%s: expected a device name: 1-15 letters, digits, '_', '.' or '-'", option->name);
}

/* "10.88.0.1/16": an IPv4 address and a prefix length of 1-30 (a /31 or /32 has no room for a
 * gateway and a container). */
static bool read_cidr(const char *value, struct in_addr *addr, int *prefix)
{
	char text[INET_ADDRSTRLEN];
	const char *slash = strchr(value, '/');
	if (slash == NULL || (size_t)(slash - value) >= sizeof(text))
		return false;
	memcpy(text, value, (size_t)(slash - value));
	text[slash - value] = '\0';
	if (inet_pton(AF_INET, text, addr) != 1)
		return false;
	return lab_parse_int(slash + 1, 1, 30, prefix);
}

/* --net-gateway and --net-address (ARG: the example's last byte), into the target. */
static const char *parse_cidr(const struct lab_option *option, const char *value)
{
	struct cidr *cidr = option->target;
	return read_cidr(value, &cidr->addr, &cidr->prefix)
		? NULL
		: lab_problem("%s: expected an IPv4 ADDR/PREFIX, prefix 1-30 (e.g. 10.88.0.%d/16)", option->name, option->arg);
}

/* "512kbit", "1mbit", "1gbit": bits per second, decimal units (as tc's kbit, mbit, gbit). */
static const char *parse_rate(const struct lab_option *option, const char *value)
{
	(void)option;
	static const struct {
		const char *unit;
		unsigned long long bits;
	} units[] = { { "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 }, { "gbit", 1000000000 } };
	uint64_t n;
	const char *end = lab_scan_u64(value, LAB_RATE_MAX, &n);
	if (end != NULL) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].unit) == 0 && n <= LAB_RATE_MAX / units[i].bits) {
				rate_bits = n * units[i].bits;
				if (rate_bits >= LAB_RATE_MIN)
					return NULL;
			}
		}
	}
	return "--net-rate: expected a whole number and a unit, bit, kbit, mbit or gbit, from 1kbit to 32gbit (e.g. 1mbit)";
}

static uint32_t netmask(int prefix)
{
	return htonl(~0U << (32 - prefix));
}

static const char *net_validate(const struct lab_config *cfg)
{
	netns = (cfg->clone_flags & CLONE_NEWNET) != 0;
	bool detail = veth_option || gateway.prefix >= 0 || address.prefix >= 0 || rate_bits > 0;
	if (bridge == NULL)
		return detail ? "--net-veth, --net-gateway, --net-address and --net-rate need --net-bridge" : NULL;
	if (!netns)
		return "--net-bridge needs the network namespace (--unshare net): the host's own network is not ours to wire";
	if (gateway.prefix < 0 || address.prefix < 0)
		return "--net-bridge needs --net-gateway ADDR/PREFIX (the bridge's address) and --net-address ADDR/PREFIX (the container's)";
	if (veth_option && strcmp(veth_option, bridge) == 0)
		return "--net-veth: the veth cannot have the bridge's name";
	if (gateway.prefix != address.prefix)
		return "--net-address and --net-gateway: give both the same prefix length (one subnet)";
	uint32_t mask = netmask(address.prefix);
	if ((gateway.addr.s_addr & mask) != (address.addr.s_addr & mask))
		return "--net-address: must be in the gateway's subnet (the default route goes through it)";
	if (gateway.addr.s_addr == address.addr.s_addr)
		return "--net-address: must differ from --net-gateway";
	/* The subnet's first and last addresses name the network and its broadcast. */
	for (int i = 0; i < 2; i++) {
		uint32_t host_part = (i == 0 ? gateway : address).addr.s_addr & ~mask;
		if (host_part == 0 || host_part == ~mask)
			return i == 0 ? "--net-gateway: the subnet's network and broadcast addresses cannot be a device's"
				      : "--net-address: the subnet's network and broadcast addresses cannot be a device's";
	}
	return NULL;
}

static const struct lab_option net_options[] = {
	{ "--net-bridge", true, parse_ifname, &bridge, 0 },
	{ "--net-gateway", true, parse_cidr, &gateway, 1 },
	{ "--net-address", true, parse_cidr, &address, 2 },
	{ "--net-veth", true, parse_ifname, &veth_option, 0 },
	{ "--net-rate", true, parse_rate, NULL, 0 },
	{ NULL },
};
const struct lab_module lab_net_module = { "net", net_options, net_validate };

/* ---- rtnetlink ----
 * A request is a netlink header, a fixed header for its family (ifinfomsg for links, ifaddrmsg
 * for addresses, rtmsg for routes, tcmsg for qdiscs), then attributes: type, length, value —
 * some nesting others. NLM_F_ACK: the kernel answers every request with an error code, 0 for
 * success. (No libmnl: these few helpers are all of it, and show what goes over the socket.) */

struct nl_request {
	union {
		struct nlmsghdr hdr;
		char buf[1024];
	};
};

/* Starts REQ; returns the family header to fill in (zeroed). */
static void *nl_start(struct nl_request *req, uint16_t type, uint16_t flags, size_t family_len)
{
	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = NLMSG_LENGTH(family_len);
	req->hdr.nlmsg_type = type;
	req->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&req->hdr);
}

/* Appends an attribute; returns it, so that a nested one can be closed by nl_end(). */
static struct rtattr *nl_put(struct nl_request *req, unsigned short type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(req->hdr.nlmsg_len);
	if (at + RTA_SPACE(len) > sizeof(req->buf))
		die("args", "internal error: rtnetlink request too long");
	struct rtattr *attr = (struct rtattr *)(req->buf + at);
	attr->rta_type = type;
	attr->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len > 0)
		memcpy(RTA_DATA(attr), data, len);
	req->hdr.nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
	return attr;
}

static void nl_put_str(struct nl_request *req, unsigned short type, const char *s)
{
	nl_put(req, type, s, strlen(s) + 1);
}

static void nl_put_u32(struct nl_request *req, unsigned short type, uint32_t v)
{
	nl_put(req, type, &v, sizeof(v));
}

/* A nested attribute is one whose value is more attributes: open it empty, close it when they
 * are in (its length then covers them). */
static struct rtattr *nl_nest(struct nl_request *req, unsigned short type)
{
	return nl_put(req, type, NULL, 0);
}

static void nl_end(struct nl_request *req, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)(req->buf + req->hdr.nlmsg_len - (char *)nest);
}

static int nl_open(const char *step)
{
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		die_with_error(step, "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)");
	/* On an error, ask the kernel to say what it did not like, in words (extended ack), and not
	 * to echo our request back. */
	int one = 1;
	if (setsockopt(sock, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		die_with_error(step, "setsockopt(NETLINK_EXT_ACK, NETLINK_CAP_ACK)");
	return sock;
}

/* The kernel's explanation of the last error, if it gave one. */
static char nl_explanation[200];

/* Sends REQ, reads the kernel's answer. Returns 0, or the error as a negative errno. */
static int nl_talk(int sock, struct nl_request *req)
{
	static uint32_t seq;
	req->hdr.nlmsg_seq = ++seq;
	nl_explanation[0] = '\0';
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(sock, req->buf, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		char answer[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
		ssize_t len = TEMP_FAILURE_RETRY(recv(sock, answer, sizeof(answer), 0));
		if (len < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)answer; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != req->hdr.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			struct nlmsgerr *err = NLMSG_DATA(h);
			/* After the error code and our request's header: attributes, one of them the text. */
			if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
				char *end = (char *)h + h->nlmsg_len;
				struct rtattr *attr = (struct rtattr *)((char *)err + sizeof(*err));
				for (int left = (int)(end - (char *)attr); RTA_OK(attr, left); attr = RTA_NEXT(attr, left))
					if (attr->rta_type == NLMSGERR_ATTR_MSG)
						snprintf(nl_explanation, sizeof(nl_explanation), " (%.*s)",
							 (int)RTA_PAYLOAD(attr), (char *)RTA_DATA(attr));
			}
			return err->error;
		}
	}
}

/* Dies with ERR (a negative errno from nl_talk) and, after what FMT says, the kernel's explanation. */
#define nl_die(err, step, fmt, ...) die_with_errno(-(err), step, fmt "%s", __VA_ARGS__, nl_explanation)

static int link_index(const char *name, const char *step)
{
	unsigned index = if_nametoindex(name);
	if (index == 0)
		die_with_error(step, "if_nametoindex(\"%s\")", name);
	return (int)index;
}

/* `ip link set DEV up` */
static void link_up(int sock, int index, const char *step)
{
	struct nl_request req;
	struct ifinfomsg *ifi = nl_start(&req, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	int err = nl_talk(sock, &req);
	if (err < 0)
		nl_die(err, step, "RTM_NEWLINK (up) device %d", index);
}

/* `ip address add ADDR/PREFIX dev DEV`. Returns 0 or -EEXIST (already there). */
static int address_add(int sock, int index, struct in_addr addr, int prefix, const char *step)
{
	struct nl_request req;
	struct ifaddrmsg *ifa = nl_start(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	nl_put(&req, IFA_LOCAL, &addr, sizeof(addr));
	nl_put(&req, IFA_ADDRESS, &addr, sizeof(addr));
	int err = nl_talk(sock, &req);
	if (err < 0 && err != -EEXIST)
		nl_die(err, step, "RTM_NEWADDR %s/%d", inet_ntoa(addr), prefix);
	return err;
}

/* tbf, the token bucket filter: tokens drip in at the rate, a packet leaves only when the bucket
 * holds enough tokens for its size, the bucket holds a burst's worth at most, and meanwhile
 * packets wait in a short queue (beyond it they are dropped). A qdisc shapes what a device
 * *sends*: on the host's end of the veth that is what the container receives; on eth0, what it
 * sends. `tc qdisc add dev DEV root handle 1: tbf rate R burst B limit L` */
static void tbf_add(int sock, int index, const char *step)
{
	unsigned long long bytes_per_second = rate_bits / 8;
	unsigned long long burst = bytes_per_second / 10 > LAB_TBF_MIN_BURST ? bytes_per_second / 10 : LAB_TBF_MIN_BURST;
	struct tc_tbf_qopt qopt = {
		/* Ethernet: the kernel knows the frame's size; no rate table needed (old tc sent one). */
		.rate = { .rate = (uint32_t)bytes_per_second, .linklayer = TC_LINKLAYER_ETHERNET },
		.limit = (uint32_t)(bytes_per_second * LAB_TBF_LATENCY_MS / 1000 + burst),
		/* .buffer, the burst in time units, the kernel derives from TCA_TBF_BURST. */
	};
	struct nl_request req;
	struct tcmsg *tcm = nl_start(&req, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = index;
	tcm->tcm_handle = TC_H_MAKE(1U << 16, 0); /* 1: */
	tcm->tcm_parent = TC_H_ROOT;
	nl_put_str(&req, TCA_KIND, "tbf");
	struct rtattr *options = nl_nest(&req, TCA_OPTIONS);
	nl_put(&req, TCA_TBF_PARMS, &qopt, sizeof(qopt));
	nl_put_u32(&req, TCA_TBF_BURST, (uint32_t)burst);
	nl_end(&req, options);
	int err = nl_talk(sock, &req);
	if (err < 0)
		nl_die(err, step, "RTM_NEWQDISC tbf rate %llubit burst %llu on device %d", rate_bits, burst, index);
}

/* ---- the parent ---- */

/* Whether NAME, in our network namespace, is a bridge: `ethtool -i NAME` says driver "bridge". */
static bool is_bridge(const char *name)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die_with_error("net_bridge", "socket(AF_INET, SOCK_DGRAM)");
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&info;
	bool bridge_driver = ioctl(sock, SIOCETHTOOL, &ifr) == 0 && strcmp(info.driver, "bridge") == 0;
	close(sock);
	return bridge_driver;
}

/* The bridge: created by whichever launcher comes first. "Create, and fail if it exists"
 * (NLM_F_EXCL) is atomic in the kernel, so two launchers starting at once cannot both create it:
 * the other one's EEXIST just means it is there. Its address and "up" are as idempotent. It is
 * shared, so it stays when the container goes (native/README.md says how to remove it). */
static int bridge_ensure(int sock)
{
	struct nl_request req;
	struct ifinfomsg *ifi = nl_start(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	nl_put_str(&req, IFLA_IFNAME, bridge);
	struct rtattr *linkinfo = nl_nest(&req, IFLA_LINKINFO);
	nl_put_str(&req, IFLA_INFO_KIND, "bridge");
	nl_end(&req, linkinfo);
	int err = nl_talk(sock, &req);
	if (err < 0 && err != -EEXIST)
		nl_die(err, "net_bridge", "RTM_NEWLINK bridge \"%s\"", bridge);

	/* A device of that name that is not a bridge is someone else's: leave it alone. Asked of the
	 * device's driver, in the network namespace we stand in (/sys/class/net would answer for
	 * the one that mounted /sys, which in a learner's machine is the host's). */
	if (!is_bridge(bridge))
		die("net_bridge", "--net-bridge %s: a device of that name exists and is not a bridge", bridge);
	int index = link_index(bridge, "net_bridge");
	address_add(sock, index, gateway.addr, gateway.prefix, "net_bridge");
	link_up(sock, index, "net_bridge");
	return index;
}

/* The host's end goes with the container's network namespace: when its last process exits, the
 * kernel deletes eth0, and a veth never outlives its peer. But it does so a moment later, from a
 * work queue, and not at all if we fail before the child ran: so we delete it ourselves, by
 * index (interface indexes are not reused soon). Deleting one end deletes both. Failure here
 * (ENODEV: it went already) changes nothing: the namespace's end takes it along anyway. */
static void veth_delete(void)
{
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		return;
	struct nl_request req;
	struct ifinfomsg *ifi = nl_start(&req, RTM_DELLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = host_veth_index;
	if (host_veth_index == 0)
		nl_put_str(&req, IFLA_IFNAME, host_veth);
	nl_talk(sock, &req);
	close(sock);
}

/* `ip link add HOST master BRIDGE up type veth peer name eth0 netns PID`, in one request: the
 * peer is born in the container's network namespace (IFLA_NET_NS_PID), already named eth0, so
 * nothing needs renaming or moving afterwards. (Not up: a veth end cannot come up before its
 * pair is complete, ENOTCONN; the container brings it up.) */
static void veth_create(int sock, pid_t child, int bridge_index)
{
	if (veth_option != NULL)
		snprintf(host_veth, sizeof(host_veth), "%s", veth_option);
	else
		snprintf(host_veth, sizeof(host_veth), "isolab%d", (int)child);

	struct nl_request req;
	struct ifinfomsg *ifi = nl_start(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	nl_put_str(&req, IFLA_IFNAME, host_veth);
	nl_put_u32(&req, IFLA_MASTER, (uint32_t)bridge_index);
	struct rtattr *linkinfo = nl_nest(&req, IFLA_LINKINFO);
	nl_put_str(&req, IFLA_INFO_KIND, "veth");
	struct rtattr *data = nl_nest(&req, IFLA_INFO_DATA);
	/* The peer's description is a link request of its own: its ifinfomsg, then its attributes. */
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct rtattr *peer_info = nl_put(&req, VETH_INFO_PEER, &peer, sizeof(peer));
	nl_put_str(&req, IFLA_IFNAME, LAB_ETH);
	nl_put_u32(&req, IFLA_NET_NS_PID, (uint32_t)child);
	nl_end(&req, peer_info);
	nl_end(&req, data);
	nl_end(&req, linkinfo);
	int err = nl_talk(sock, &req);
	if (err < 0)
		nl_die(err, "net_veth", "RTM_NEWLINK veth %s (master %s) <-> " LAB_ETH " in process %d's namespace",
		       host_veth, bridge, (int)child);
	lab_on_cleanup(veth_delete);
	host_veth_index = link_index(host_veth, "net_veth");
}

bool lab_net_bridged(void)
{
	return bridge != NULL;
}

void lab_net_attach(pid_t child)
{
	if (bridge == NULL)
		return;
	lab_step("net_bridge");
	int sock = nl_open("net_bridge");
	int bridge_index = bridge_ensure(sock);
	lab_step("net_veth");
	veth_create(sock, child, bridge_index);
	if (rate_bits > 0) {
		lab_step("net_tc");
		tbf_add(sock, host_veth_index, "net_tc");
	}
	if (close(sock) < 0)
		die_with_error("net_veth", "close(netlink socket)");
}

/* ---- the child ---- */

void lab_net_configure(unsigned long flags)
{
	if (!(flags & CLONE_NEWNET))
		return;
	lab_step("net_lo");
	lab_net_loopback_up();
	if (bridge == NULL)
		return;

	/* eth0 is here already (the parent made it). `ip link set eth0 up`, then
	 * `ip address add ADDR/PREFIX dev eth0`: this also gives the route to the subnet, on the link. */
	lab_step("net_addr");
	int sock = nl_open("net_addr");
	int eth = link_index(LAB_ETH, "net_addr");
	link_up(sock, eth, "net_addr");
	address_add(sock, eth, address.addr, address.prefix, "net_addr");

	/* `ip route add default via GATEWAY dev eth0`: everything else goes to the host's bridge
	 * address. Whether it goes further is the host's business (ip_forward, NAT): by default no. */
	lab_step("net_route");
	struct nl_request req;
	struct rtmsg *rtm = nl_start(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0; /* 0.0.0.0/0: the default route */
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	nl_put(&req, RTA_GATEWAY, &gateway.addr, sizeof(gateway.addr));
	nl_put_u32(&req, RTA_OIF, (uint32_t)eth);
	int err = nl_talk(sock, &req);
	if (err < 0)
		nl_die(err, "net_route", "RTM_NEWROUTE default via %s dev " LAB_ETH, inet_ntoa(gateway.addr));

	/* What the container sends. (A process holding CAP_NET_ADMIN in here could remove this one;
	 * the host's end it cannot touch.) */
	if (rate_bits > 0) {
		lab_step("net_tc_eth0");
		tbf_add(sock, eth, "net_tc_eth0");
	}
	if (close(sock) < 0)
		die_with_error("net_route", "close(netlink socket)");
}
