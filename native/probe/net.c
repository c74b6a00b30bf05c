/* The network namespace as the process sees it: interfaces with their addresses, and the default
 * route. getifaddrs(3) asks the kernel over netlink, so it answers for the reader's network
 * namespace; /sys/class/net would show the namespace of whoever mounted /sys instead. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define MAX_INTERFACES 64

struct interface {
	char name[IF_NAMESIZE + 1];
	unsigned index;
	unsigned flags;
	char mac[24];
};

static int compare_index(const void *a, const void *b)
{
	const struct interface *x = a, *y = b;
	return (x->index > y->index) - (x->index < y->index);
}

/* Interface names from /proc/net/dev (also the reader's namespace), when netlink is refused. */
static int interfaces_from_proc(struct interface *list)
{
	int count = 0;
	FILE *f = fopen("/proc/net/dev", "re");
	char line[512];
	int lineno = 0;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL && count < MAX_INTERFACES) {
		if (++lineno <= 2)
			continue; /* two header lines */
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		struct interface *i = &list[count++];
		memset(i, 0, sizeof(*i));
		snprintf(i->name, sizeof(i->name), "%s", line + strspn(line, " "));
		i->index = if_nametoindex(i->name);
	}
	if (f != NULL)
		fclose(f);
	return count;
}

static void put_address(const struct ifaddrs *a)
{
	char text[INET6_ADDRSTRLEN];
	const void *addr, *mask;
	int bytes;
	if (a->ifa_addr->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)a->ifa_addr)->sin_addr;
		mask = a->ifa_netmask ? &((const struct sockaddr_in *)a->ifa_netmask)->sin_addr : NULL;
		bytes = 4;
	} else {
		addr = &((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
		mask = a->ifa_netmask ? &((const struct sockaddr_in6 *)a->ifa_netmask)->sin6_addr : NULL;
		bytes = 16;
	}
	if (inet_ntop(a->ifa_addr->sa_family, addr, text, sizeof(text)) == NULL)
		return;
	int prefix = 0;
	for (int i = 0; mask != NULL && i < bytes; i++)
		prefix += __builtin_popcount(((const unsigned char *)mask)[i]);
	json_begin('{');
	json_key("family");
	json_string(a->ifa_addr->sa_family == AF_INET ? "inet" : "inet6");
	json_key("address");
	json_string(text);
	json_key("prefix");
	json_int(prefix);
	json_end('}');
}

/* The default IPv4 route from /proc/net/route: destination and mask 0; addresses are hex in the
 * kernel's (little-endian) byte order. */
static void put_default_route(void)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[256];
	char iface[IF_NAMESIZE + 1];
	unsigned dest, gateway, flags, mask;
	bool found = false;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", iface, &dest, &gateway, &flags, &mask) == 5 &&
		    dest == 0 && mask == 0 && (flags & 0x1) /* RTF_UP */) {
			found = true;
			break;
		}
	if (f != NULL)
		fclose(f);
	json_key("defaultRoute");
	if (!found) {
		json_null();
		return;
	}
	struct in_addr gw = { .s_addr = gateway };
	char text[INET_ADDRSTRLEN];
	json_begin('{');
	json_key("interface");
	json_string(iface);
	json_key("gateway");
	json_string_or_null(gateway != 0 && inet_ntop(AF_INET, &gw, text, sizeof(text)) ? text : NULL);
	json_end('}');
}

void section_net(void)
{
	struct interface list[MAX_INTERFACES];
	int count = 0;
	struct ifaddrs *addrs = NULL;
	bool netlink = getifaddrs(&addrs) == 0;
	/* One AF_PACKET entry per interface (with its MAC address), then one per address. */
	for (struct ifaddrs *a = addrs; netlink && a != NULL; a = a->ifa_next) {
		if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_PACKET || count >= MAX_INTERFACES)
			continue;
		struct interface *i = &list[count++];
		memset(i, 0, sizeof(*i));
		const struct sockaddr_ll *ll = (const struct sockaddr_ll *)a->ifa_addr;
		snprintf(i->name, sizeof(i->name), "%s", a->ifa_name);
		i->index = (unsigned)ll->sll_ifindex;
		i->flags = a->ifa_flags;
		size_t len = 0;
		for (int b = 0; b < ll->sll_halen && b < 8 && len < sizeof(i->mac); b++)
			len += (size_t)snprintf(i->mac + len, sizeof(i->mac) - len, b ? ":%02x" : "%02x", ll->sll_addr[b]);
		/* "00:00:00:00:00:00" on lo: no hardware address to speak of. */
		if (strspn(i->mac, "0:") == strlen(i->mac))
			i->mac[0] = '\0';
	}
	if (!netlink)
		count = interfaces_from_proc(list);
	qsort(list, (size_t)count, sizeof(list[0]), compare_index);

	json_key("netInterfaces");
	json_begin('[');
	for (int n = 0; n < count; n++)
		json_string(list[n].name);
	json_end(']');

	json_key("interfaces");
	json_begin('[');
	for (int n = 0; n < count; n++) {
		json_begin('{');
		json_key("name");
		json_string(list[n].name);
		json_key("index");
		json_int(list[n].index);
		json_key("up");
		json_bool(list[n].flags & IFF_UP);
		json_key("loopback");
		json_bool(list[n].flags & IFF_LOOPBACK);
		json_key("mac");
		json_string_or_null(list[n].mac[0] ? list[n].mac : NULL);
		json_key("addresses");
		json_begin('[');
		for (struct ifaddrs *a = addrs; netlink && a != NULL; a = a->ifa_next)
			if (a->ifa_addr != NULL && strcmp(a->ifa_name, list[n].name) == 0 &&
			    (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6))
				put_address(a);
		json_end(']');
		json_end('}');
	}
	json_end(']');
	if (addrs != NULL)
		freeifaddrs(addrs);
	put_default_route();
}
