/* The guard: a workshop server's own seccomp filter, loaded into every container (and every
 * process joined to one) before the container's own filter. Filters stack: the kernel runs every
 * filter a process has on each system call and keeps the strictest answer, and no filter can ever
 * be removed. So whatever profile a learner applies — even one that allows everything — is
 * stacked above the guard and can only take more away.
 *
 * The guard refuses the kernel's surface that no lesson needs and that a user namespace does not
 * fence in (seccomp_guard.def is the table; docs/floor.md says why, entry by entry):
 *   - the calls in the table, with an errno;
 *   - socket families outside a short allow list, and netlink protocols other than NETLINK_ROUTE;
 *   - every architecture but the native one: a 64-bit x86 process can also enter the kernel
 *     through the 32-bit int 0x80 gate and the x32 ABI, whose numbers mean other calls. Those
 *     kill the process (SIGSYS): no program of the image makes them.
 *
 *   isolab-launcher --seccomp-guard-compile FILE.bpf   build it once (libseccomp), as --seccomp-compile
 *   isolab-launcher --seccomp-guard FILE.bpf ...        load it, at step seccomp_guard
 *   isolab-launcher --seccomp-guard-list                the table, one JSON line per entry */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "launcher.h"

static const struct guard_call {
	const char *name;
	int err;
} refused_calls[] = {
#define LAB_GUARD_CALL(name, err) { #name, err },
#define LAB_GUARD_FAMILY(family)
#define LAB_GUARD_NETLINK(protocol)
#include "seccomp_guard.def"
#undef LAB_GUARD_CALL
#undef LAB_GUARD_FAMILY
#undef LAB_GUARD_NETLINK
};

static const struct guard_number {
	const char *name;
	int value;
} allowed_families[] = {
#define LAB_GUARD_CALL(name, err)
#define LAB_GUARD_FAMILY(family) { #family, family },
#define LAB_GUARD_NETLINK(protocol)
#include "seccomp_guard.def"
#undef LAB_GUARD_CALL
#undef LAB_GUARD_FAMILY
#undef LAB_GUARD_NETLINK
}, allowed_netlink[] = {
#define LAB_GUARD_CALL(name, err)
#define LAB_GUARD_FAMILY(family)
#define LAB_GUARD_NETLINK(protocol) { #protocol, protocol },
#include "seccomp_guard.def"
#undef LAB_GUARD_CALL
#undef LAB_GUARD_FAMILY
#undef LAB_GUARD_NETLINK
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *guard_file;   /* --seccomp-guard FILE */
static struct sock_fprog guard_program;
static const char *compile_out;  /* --seccomp-guard-compile FILE */
static bool list_mode;           /* --seccomp-guard-list */

static const char *parse_guard(const struct lab_option *option, const char *value)
{
	(void)option;
	if (guard_file != NULL)
		return "--seccomp-guard: given twice";
	if (value[0] != '/')
		return "--seccomp-guard: expected an absolute path to a program written by --seccomp-guard-compile";
	guard_file = value;
	return NULL;
}

static const char *parse_guard_compile(const struct lab_option *option, const char *value)
{
	(void)option;
	if (value[0] != '/')
		return "--seccomp-guard-compile: expected an absolute path for the BPF program";
	compile_out = value;
	return NULL;
}

static bool guard_has(const struct guard_number *list, size_t count, int value)
{
	for (size_t i = 0; i < count; i++)
		if (list[i].value == value)
			return true;
	return false;
}

/* One rule, or die: the table is ours, so a name libseccomp does not know is a bug, not a call
 * newer than the library (as it may be in a learner's profile). */
static void guard_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned count, const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		die("seccomp_guard", "the guard's table names %s, a system call libseccomp does not know", name);
	int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
	if (rc < 0)
		die_with_errno(-rc, "seccomp_guard", "seccomp_rule_add(%s)", name);
}

/* Refuses every value of socket()'s (and socketpair()'s) first argument but the allowed ones: one
 * rule for each refused value below the largest allowed one, and one for everything above it (a
 * 64-bit comparison, so a family with high bits set — which the kernel would cut to an int — is
 * refused too). Then NETLINK_* protocols the same way, on the third argument. */
static void guard_sockets(scmp_filter_ctx ctx, const char *call)
{
	int largest = 0;
	for (size_t i = 0; i < COUNT(allowed_families); i++)
		if (allowed_families[i].value > largest)
			largest = allowed_families[i].value;
	for (int family = 0; family < largest; family++) {
		if (guard_has(allowed_families, COUNT(allowed_families), family))
			continue;
		struct scmp_arg_cmp arg = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)family);
		guard_rule(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), call, 1, &arg);
	}
	struct scmp_arg_cmp above = SCMP_A0(SCMP_CMP_GT, (scmp_datum_t)largest);
	guard_rule(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), call, 1, &above);

	/* AF_NETLINK with a protocol not on the list. The protocols are small numbers (MAX_LINKS, 32). */
	int protocols_largest = 0;
	for (size_t i = 0; i < COUNT(allowed_netlink); i++)
		if (allowed_netlink[i].value > protocols_largest)
			protocols_largest = allowed_netlink[i].value;
	for (int protocol = 0; protocol < protocols_largest; protocol++) {
		if (guard_has(allowed_netlink, COUNT(allowed_netlink), protocol))
			continue;
		struct scmp_arg_cmp args[2] = { SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)protocol) };
		guard_rule(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), call, 2, args);
	}
	struct scmp_arg_cmp args[2] = { SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_GT, (scmp_datum_t)protocols_largest) };
	guard_rule(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), call, 2, args);
}

/* The guard, built by libseccomp (not loaded). */
static scmp_filter_ctx build_guard(void)
{
	/* Allow by default: the guard only takes away; the container's own profile decides the rest. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL)
		die("seccomp_guard", "seccomp_init(SCMP_ACT_ALLOW) failed");
	/* As for the container's own filter (seccomp.c): no_new_privs is --no-new-privs' decision. */
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		die_with_errno(-rc, "seccomp_guard", "seccomp_attr_set(SCMP_FLTATR_CTL_NNP, 0)");
	/* Only the native architecture is in the filter. A call through another one (int 0x80, and on
	 * x86-64 the x32 ABI's numbers, which libseccomp tells apart by their high bit) gets the
	 * "bad architecture" action: the whole process is killed with SIGSYS. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
		die_with_errno(-rc, "seccomp_guard", "seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)");
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		die_with_errno(-rc, "seccomp_guard", "seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE, 2)");

	for (size_t i = 0; i < COUNT(refused_calls); i++)
		guard_rule(ctx, SCMP_ACT_ERRNO((uint32_t)refused_calls[i].err), refused_calls[i].name, 0, NULL);
	guard_sockets(ctx, "socket");
	guard_sockets(ctx, "socketpair");
	return ctx;
}

static void list_guard(void)
{
	for (size_t i = 0; i < COUNT(refused_calls); i++) {
		struct lab_json j = { .len = 0 };
		lab_json_raw(&j, "{\"refuse\":");
		lab_json_str(&j, refused_calls[i].name);
		lab_json_raw(&j, ",\"errno\":");
		lab_json_int(&j, refused_calls[i].err);
		lab_json_raw(&j, "}\n");
		fputs(j.buf, stdout);
	}
	for (size_t i = 0; i < COUNT(allowed_families); i++)
		printf("{\"allowFamily\":\"%s\",\"value\":%d}\n", allowed_families[i].name, allowed_families[i].value);
	for (size_t i = 0; i < COUNT(allowed_netlink); i++)
		printf("{\"allowNetlink\":\"%s\",\"value\":%d}\n", allowed_netlink[i].name, allowed_netlink[i].value);
	printf("{\"otherFamilies\":%d,\"otherNetlink\":%d,\"foreignArch\":\"kill_process\"}\n", EAFNOSUPPORT, EPROTONOSUPPORT);
}

static const char *validate(const struct lab_config *cfg)
{
	if ((compile_out != NULL || list_mode) && (cfg->program || cfg->join_pid || cfg->clone_flags || cfg->rootfs || guard_file))
		return "--seccomp-guard-compile and --seccomp-guard-list only build or print the guard: they start no container and take no PROGRAM";
	if (guard_file == NULL)
		return NULL;
	return lab_seccomp_read_program("--seccomp-guard", guard_file, &guard_program);
}

bool lab_seccomp_guard_standalone(void)
{
	return compile_out != NULL || list_mode;
}

void lab_seccomp_guard_mode(void)
{
	if (list_mode) {
		list_guard();
		exit(fflush(stdout) == 0 ? 0 : LAB_EXIT_LAUNCHER);
	}
	if (compile_out == NULL)
		return;
	int64_t started = lab_now_us();
	lab_step("seccomp_guard");
	lab_seccomp_export(build_guard(), compile_out, "[]", started);
}

/* Straight to the kernel, before the container's own filter (lab_harden, main.c): the rule is
 * seccomp's, no_new_privs or CAP_SYS_ADMIN in our user namespace, which we still hold then. */
void lab_seccomp_guard_apply(void)
{
	if (guard_file == NULL)
		return;
	lab_step("seccomp_guard");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &guard_program) < 0)
		die_with_error("seccomp_guard", "seccomp(SECCOMP_SET_MODE_FILTER, 0, %u instructions from %s)", (unsigned)guard_program.len, guard_file);
}

static const struct lab_option options[] = {
	{ "--seccomp-guard", true, parse_guard, NULL, 0 },
	{ "--seccomp-guard-compile", true, parse_guard_compile, NULL, 0 },
	{ "--seccomp-guard-list", false, lab_option_flag, &list_mode, 0 },
	{ NULL },
};
const struct lab_module lab_seccomp_guard_module = { "seccomp_guard", options, validate };
