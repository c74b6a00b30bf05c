/* seccomp: a filter the kernel runs on every system call the container makes, before the call
 * itself. It sees the call's number, its architecture and its six raw arguments (never what a
 * pointer points to) and answers: allow, fail with an errno, kill, trap, log or trace. Once
 * loaded a filter can never be removed, and it is inherited by every descendant.
 *
 * The rules come from the server, already compiled from a Docker-format JSON profile
 * (server/runtime/seccomp/profile.ts resolves its includes/excludes for this container) into a plain
 * line format that C can read without a JSON parser (native/README.md):
 *
 *   isolab-seccomp 1
 *   default errno:1
 *   arch x86_64
 *   syscall read allow
 *   syscall personality allow 0:eq:8
 *
 * libseccomp turns the rules into the BPF program the kernel runs (one section per architecture:
 * a 64-bit x86 process can also make 32-bit int 0x80 calls and x32 calls, each with its own
 * syscall numbers, and each must be filtered).
 *
 * Building that program is the slow part (Docker's default profile for three architectures takes
 * milliseconds; runc and crun pay it at every container start). The program depends only on the
 * profile, so it can be built once and loaded many times:
 *
 *   isolab-launcher --seccomp-compile PROFILE --seccomp-out FILE.bpf   libseccomp, once per profile
 *   isolab-launcher --seccomp-bpf FILE.bpf ...                         seccomp(2) with the raw program */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "launcher.h"

#define FORMAT_HEADER "isolab-seccomp 1"
#define MAX_ARCHES 8
#define MAX_ARGS 6 /* a system call has at most six arguments */

struct rule {
	char *name;
	uint32_t action;
	unsigned arg_count;
	struct scmp_arg_cmp args[MAX_ARGS]; /* all must match (AND) */
};

/* What --seccomp said, parsed in the parent before anything is created. */
static const char *source;   /* the FILE, or "fd N", for messages */
static int source_fd = -1;   /* --seccomp-fd N */
static bool unconfined;      /* --seccomp unconfined: explicitly no filter */
static bool have_profile;
static uint32_t default_action;
static struct {
	char *name;
	uint32_t token;
} arches[MAX_ARCHES];
static unsigned arch_count;
static bool flag_log, flag_spec_allow;
static bool profile_notifies; /* some action is "notify": a supervisor answers (seccomp_notify.c) */
static struct rule *rules;
static size_t rule_count, rule_capacity;

/* --seccomp-bpf FILE: a program built earlier by --seccomp-compile, read in validate. */
static const char *bpf_source;
static struct sock_filter *bpf_program;
static unsigned short bpf_length;      /* instructions */
static bool flag_option;               /* any --seccomp-flag (they go with --seccomp-bpf) */

/* --seccomp-compile PROFILE --seccomp-out FILE: the mode that builds such a program. */
static bool compile_mode;
static const char *compile_out;

static const char *parse_seccomp(const struct lab_option *option, const char *value)
{
	(void)option;
	if (source != NULL)
		return "--seccomp: given twice (or together with --seccomp-fd)";
	if (strcmp(value, "unconfined") == 0) {
		unconfined = true;
		source = value;
		return NULL;
	}
	if (value[0] != '/')
		return "--seccomp: expected an absolute path to a compiled profile (native/README.md), or unconfined";
	source = value;
	return NULL;
}

static const char *parse_seccomp_bpf(const struct lab_option *option, const char *value)
{
	(void)option;
	if (source != NULL)
		return "--seccomp-bpf: given twice (or together with --seccomp, --seccomp-fd or --seccomp-compile)";
	if (value[0] != '/')
		return "--seccomp-bpf: expected an absolute path to a program written by --seccomp-compile";
	source = bpf_source = value;
	return NULL;
}

static const char *parse_seccomp_flag(const struct lab_option *option, const char *value)
{
	(void)option;
	flag_option = true;
	if (strcmp(value, "log") == 0)
		flag_log = true;
	else if (strcmp(value, "spec_allow") == 0)
		flag_spec_allow = true;
	else
		return "--seccomp-flag: expected log or spec_allow";
	return NULL;
}

static const char *parse_seccomp_compile(const struct lab_option *option, const char *value)
{
	(void)option;
	if (source != NULL)
		return "--seccomp-compile: given twice (or together with --seccomp, --seccomp-fd or --seccomp-bpf)";
	if (value[0] != '/')
		return "--seccomp-compile: expected an absolute path to a compiled profile (native/README.md)";
	source = value;
	compile_mode = true;
	return NULL;
}

static const char *parse_seccomp_out(const struct lab_option *option, const char *value)
{
	(void)option;
	if (value[0] != '/')
		return "--seccomp-out: expected an absolute path for the BPF program";
	compile_out = value;
	return NULL;
}

static const char *parse_seccomp_fd(const struct lab_option *option, const char *value)
{
	(void)option;
	static char label[32];
	if (source != NULL)
		return "--seccomp-fd: given twice (or together with --seccomp)";
	if (!lab_parse_int(value, 3, 1 << 20, &source_fd))
		return "--seccomp-fd: expected a file descriptor number >= 3";
	snprintf(label, sizeof(label), "fd %d", source_fd);
	source = label;
	return NULL;
}

/* ---- the line format ---- */

/* "allow", "errno:1", ... → the libseccomp action. */
static bool parse_action(const char *s, uint32_t *action)
{
	if (strcmp(s, "allow") == 0)
		*action = SCMP_ACT_ALLOW;
	else if (strcmp(s, "kill_thread") == 0)
		*action = SCMP_ACT_KILL_THREAD;
	else if (strcmp(s, "kill_process") == 0)
		*action = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(s, "trap") == 0)
		*action = SCMP_ACT_TRAP;
	else if (strcmp(s, "log") == 0)
		*action = SCMP_ACT_LOG;
	else if (strcmp(s, "notify") == 0) {
		/* Handed to the supervisor, which answers with the errno --seccomp-notify names. */
		*action = SCMP_ACT_NOTIFY;
		profile_notifies = true;
	} else if (strncmp(s, "errno:", 6) == 0 || strncmp(s, "trace:", 6) == 0) {
		uint64_t n;
		if (!lab_parse_u64(s + 6, 0, 0xffff, &n))
			return false;
		*action = s[0] == 'e' ? SCMP_ACT_ERRNO((uint32_t)n) : SCMP_ACT_TRACE((uint32_t)n);
	} else
		return false;
	return true;
}

/* "INDEX:OP:VALUE[:VALUETWO]", e.g. "0:masked_eq:2114060288:0" → one comparison. For masked_eq,
 * VALUE is the mask and VALUETWO what (argument & mask) must equal, as in Docker's profiles. */
static bool parse_arg(const char *s, struct scmp_arg_cmp *arg)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "ne", SCMP_CMP_NE }, { "lt", SCMP_CMP_LT }, { "le", SCMP_CMP_LE }, { "eq", SCMP_CMP_EQ },
		{ "ge", SCMP_CMP_GE }, { "gt", SCMP_CMP_GT }, { "masked_eq", SCMP_CMP_MASKED_EQ },
	};
	uint64_t index, value, value_two = 0;
	const char *p = lab_scan_u64(s, MAX_ARGS - 1, &index);
	if (p == NULL || *p++ != ':')
		return false;
	const char *op = p;
	size_t op_len = strcspn(op, ":");
	p = op[op_len] == ':' ? lab_scan_u64(op + op_len + 1, UINT64_MAX, &value) : NULL;
	if (p != NULL && *p == ':')
		p = lab_scan_u64(p + 1, UINT64_MAX, &value_two);
	if (p == NULL || *p != '\0')
		return false;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strlen(ops[i].name) == op_len && strncmp(ops[i].name, op, op_len) == 0) {
			*arg = (struct scmp_arg_cmp){ .arg = index, .op = ops[i].op, .datum_a = value, .datum_b = value_two };
			return true;
		}
	}
	return false;
}

static const char *add_rule(char **fields, int count)
{
	/* fields: "syscall" NAME ACTION ARG... */
	if (count < 3)
		return "expected: syscall NAME ACTION [INDEX:OP:VALUE[:VALUETWO]]...";
	if (count - 3 > MAX_ARGS)
		return "a system call has at most 6 arguments";
	struct rule rule = { .arg_count = (unsigned)(count - 3) };
	if (!parse_action(fields[2], &rule.action))
		return "unknown action (allow, errno:N, kill_thread, kill_process, trap, log, trace:N, notify)";
	for (int i = 3; i < count; i++)
		if (!parse_arg(fields[i], &rule.args[i - 3]))
			return "bad argument comparison: expected INDEX:OP:VALUE[:VALUETWO], INDEX 0-5, OP ne|lt|le|eq|ge|gt|masked_eq";
	if (rule_count == rule_capacity) {
		size_t capacity = rule_capacity ? rule_capacity * 2 : 256;
		struct rule *grown = realloc(rules, capacity * sizeof(*rules));
		if (grown == NULL)
			return "out of memory";
		rules = grown;
		rule_capacity = capacity;
	}
	rule.name = strdup(fields[1]);
	if (rule.name == NULL)
		return "out of memory";
	rules[rule_count++] = rule;
	return NULL;
}

/* One line, split on spaces. Returns the problem, or NULL. */
static const char *parse_line(char *line)
{
	char *fields[3 + MAX_ARGS + 1];
	int count = 0;
	for (char *save = NULL, *f = strtok_r(line, " \t\r\n", &save); f != NULL; f = strtok_r(NULL, " \t\r\n", &save)) {
		if (count == (int)(sizeof(fields) / sizeof(fields[0])))
			return "too many fields";
		fields[count++] = f;
	}
	if (count == 0 || fields[0][0] == '#')
		return NULL;
	if (strcmp(fields[0], "default") == 0) {
		if (count != 2 || !parse_action(fields[1], &default_action))
			return "expected: default ACTION (allow, errno:N, kill_thread, kill_process, trap, log, trace:N, notify)";
		have_profile = true;
		return NULL;
	}
	if (strcmp(fields[0], "arch") == 0) {
		uint32_t arch = count == 2 ? seccomp_arch_resolve_name(fields[1]) : 0;
		if (arch == 0)
			return "expected: arch NAME, a name libseccomp knows (x86_64, x86, x32, aarch64, arm, ...)";
		if (arch_count == MAX_ARCHES)
			return "too many architectures";
		arches[arch_count].name = strdup(fields[1]);
		if (arches[arch_count].name == NULL)
			return "out of memory";
		arches[arch_count++].token = arch;
		return NULL;
	}
	if (strcmp(fields[0], "flag") == 0) {
		if (count == 2 && strcmp(fields[1], "log") == 0)
			flag_log = true;
		else if (count == 2 && strcmp(fields[1], "spec_allow") == 0)
			flag_spec_allow = true;
		else
			return "expected: flag log|spec_allow";
		return NULL;
	}
	if (strcmp(fields[0], "syscall") == 0)
		return add_rule(fields, count);
	return "unknown keyword (default, arch, flag, syscall)";
}

static const char *read_profile(FILE *f)
{
	char *line = NULL;
	size_t capacity = 0;
	unsigned number = 0;
	const char *problem = NULL;
	while (problem == NULL && getline(&line, &capacity, f) > 0) {
		number++;
		if (number == 1) {
			line[strcspn(line, "\r\n")] = '\0';
			if (strcmp(line, FORMAT_HEADER) != 0)
				problem = "the first line must be \"" FORMAT_HEADER "\"";
			continue;
		}
		problem = parse_line(line);
	}
	free(line);
	if (problem == NULL && number == 0)
		problem = "empty (the first line must be \"" FORMAT_HEADER "\")";
	if (problem == NULL && !have_profile)
		problem = "no default action (a \"default ACTION\" line)";
	if (problem != NULL) {
		return lab_problem("--seccomp %s: line %u: %s", source, number, problem);
	}
	return NULL;
}

/* A program from --seccomp-compile (or --seccomp-guard-compile), read for OPTION: the kernel's
 * verifier checks what the instructions do when it loads them; here, that the file is one we would
 * have written. It is trusted with every system call of the container, so, like an image, it must
 * be root's and writable by nobody else. NULL when fine, else the problem. */
const char *lab_seccomp_read_program(const char *option, const char *path, struct sock_fprog *prog)
{
	const char *why = NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 && errno == ELOOP) {
		/* O_NOFOLLOW's answer when the path names a symbolic link (or a loop of them on the way).
		 * Said plainly: the two libcs word ELOOP differently, and neither names the link. */
		return lab_problem("%s %s: a symbolic link (ELOOP): give the file's own path", option, path);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		const char *problem = lab_problem("%s %s: %s", option, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return problem;
	}
	struct sock_filter *program = NULL;
	if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != 0 || (st.st_mode & 022) != 0)
		why = "must be owned by root and not writable by group or others";
	else if (st.st_size == 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0)
		why = "not a whole, non-zero number of BPF instructions (8 bytes each, struct sock_filter)";
	else if (st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		why = "more instructions than the kernel takes in one program (BPF_MAXINSNS, 4096)";
	if (why == NULL) {
		program = malloc((size_t)st.st_size);
		if (program == NULL)
			why = "out of memory";
		else if (read(fd, program, (size_t)st.st_size) != st.st_size)
			why = "short read";
	}
	close(fd);
	if (why != NULL) {
		free(program);
		return lab_problem("%s %s: %s", option, path, why);
	}
	*prog = (struct sock_fprog){ .len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter)), .filter = program };
	return NULL;
}

static const char *read_bpf(void)
{
	struct sock_fprog prog;
	const char *problem = lab_seccomp_read_program("--seccomp-bpf", bpf_source, &prog);
	if (problem != NULL)
		return problem;
	bpf_program = prog.filter;
	bpf_length = prog.len;
	/* A program built from "notify" rules returns SECCOMP_RET_USER_NOTIF somewhere: then it needs
	 * a listener, and a supervisor to answer (--seccomp-notify). */
	for (unsigned i = 0; i < bpf_length; i++)
		if (bpf_program[i].code == (BPF_RET | BPF_K) && (bpf_program[i].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
			profile_notifies = true;
	return NULL;
}

/* The profile is read and checked up front, so a bad one is refused before anything exists. */
static const char *validate(const struct lab_config *cfg)
{
	if (compile_mode && compile_out == NULL)
		return "--seccomp-compile needs --seccomp-out FILE: where to write the program";
	if (compile_mode && (cfg->program || cfg->join_pid || cfg->clone_flags || cfg->rootfs))
		return "--seccomp-compile only builds a program from a profile: it starts no container and takes no PROGRAM";
	if (!compile_mode && compile_out != NULL)
		return "--seccomp-out goes with --seccomp-compile";
	if (flag_option && bpf_source == NULL)
		return "--seccomp-flag goes with --seccomp-bpf (a profile names its flags on \"flag\" lines)";
	const char *problem;
	if (bpf_source != NULL) {
		problem = read_bpf();
	} else if (source == NULL || unconfined) {
		return lab_seccomp_notify_requested() ? "--seccomp-notify needs a filter whose calls it answers: --seccomp FILE or --seccomp-bpf FILE" : NULL;
	} else {
		FILE *f = source_fd >= 0 ? fdopen(source_fd, "r") : fopen(source, "re");
		if (f == NULL) {
			return lab_problem("--seccomp %s: %s", source, strerror(errno));
		}
		problem = read_profile(f);
		fclose(f); /* closes --seccomp-fd too: the container must not inherit it */
	}
	/* Building a program from "notify" rules is fine; loading one needs the supervisor. */
	if (problem == NULL && !compile_mode && profile_notifies && !lab_seccomp_notify_requested())
		problem = "--seccomp: the filter hands calls over (\"notify\" rules): it needs --seccomp-notify, a supervisor to answer them";
	if (problem == NULL && !profile_notifies && lab_seccomp_notify_requested())
		problem = "--seccomp-notify: the filter has no \"notify\" rule: no call would be handed over";
	return problem;
}

static const struct lab_option options[] = {
	{ "--seccomp", true, parse_seccomp, NULL, 0 },
	{ "--seccomp-fd", true, parse_seccomp_fd, NULL, 0 },
	{ "--seccomp-bpf", true, parse_seccomp_bpf, NULL, 0 },
	{ "--seccomp-flag", true, parse_seccomp_flag, NULL, 0 },
	{ "--seccomp-compile", true, parse_seccomp_compile, NULL, 0 },
	{ "--seccomp-out", true, parse_seccomp_out, NULL, 0 },
	{ NULL },
};
const struct lab_module lab_seccomp_module = { "seccomp", options, validate };

/* The rules, turned by libseccomp into a filter (not loaded yet). libseccomp returns -errno
 * instead of setting errno: hence die_with_errno(-rc, ...). */
static scmp_filter_ctx build_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);
	if (ctx == NULL)
		die("seccomp", "seccomp_init(0x%x) failed", default_action);
	/* libseccomp would set no_new_privs on load; that is --no-new-privs' decision, not ours.
	 * Without it the kernel wants CAP_SYS_ADMIN to load a filter, which we still hold here. */
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		die_with_errno(-rc, "seccomp", "seccomp_attr_set(SCMP_FLTATR_CTL_NNP, 0)");
	/* The rules as a binary tree of syscall numbers instead of a list: the same decisions, a few
	 * comparisons per call instead of up to one per rule. It also halves the time the kernel takes
	 * to load the program (it runs the filter for every syscall number to cache the allowed ones). */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		die_with_errno(-rc, "seccomp", "seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE, 2)");
	/* Docker's SECCOMP_FILTER_FLAG_LOG and SECCOMP_FILTER_FLAG_SPEC_ALLOW. */
	if (flag_log && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1)) < 0)
		die_with_errno(-rc, "seccomp", "seccomp_attr_set(SCMP_FLTATR_CTL_LOG, 1)");
	if (flag_spec_allow && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1)) < 0)
		die_with_errno(-rc, "seccomp", "seccomp_attr_set(SCMP_FLTATR_CTL_SSB, 1)");

	/* The native architecture is in the filter from the start (adding it again says EEXIST). */
	for (unsigned i = 0; i < arch_count; i++) {
		rc = seccomp_arch_add(ctx, arches[i].token);
		if (rc < 0 && rc != -EEXIST)
			die_with_errno(-rc, "seccomp", "seccomp_arch_add(%s)", arches[i].name);
	}

	for (size_t i = 0; i < rule_count; i++) {
		const struct rule *r = &rules[i];
		/* A name this libseccomp does not know is skipped, as docker (runc) does: the profile
		 * may name system calls newer than the library, and those then get the default. */
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		/* libseccomp refuses a rule that does what the default does anyway. */
		if (r->action == default_action)
			continue;
		rc = seccomp_rule_add_array(ctx, r->action, nr, r->arg_count, r->args);
		if (rc < 0)
			die_with_errno(-rc, "seccomp", "seccomp_rule_add(%s)", r->name);
	}
	return ctx;
}

/* A program --seccomp-compile wrote: straight to the kernel, as libseccomp's seccomp_load()
 * would after building it. The rule is the same: no_new_privs, or CAP_SYS_ADMIN. */
static void load_bpf(void)
{
	struct sock_fprog prog = { .len = bpf_length, .filter = bpf_program };
	unsigned flags = (flag_log ? SECCOMP_FILTER_FLAG_LOG : 0) | (flag_spec_allow ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0);
	/* "notify" rules: the kernel returns a listener for them, which goes to the supervisor. */
	if (profile_notifies)
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (rc < 0)
		die_with_error("seccomp", "seccomp(SECCOMP_SET_MODE_FILTER, 0x%x, %u instructions from %s)", flags, (unsigned)bpf_length, bpf_source);
	if (profile_notifies)
		lab_seccomp_notify_hand_over((int)rc);
}

void lab_seccomp_apply(void)
{
	if (bpf_program != NULL) {
		lab_step("seccomp");
		load_bpf();
		return;
	}
	if (!have_profile)
		return;
	lab_step("seccomp");
	scmp_filter_ctx ctx = build_filter();
	/* The filter goes into the kernel: from here on it judges every system call we make. */
	int rc = seccomp_load(ctx);
	if (rc < 0)
		die_with_errno(-rc, "seccomp", "seccomp_load()");
	/* With "notify" rules the kernel gave us the filter's listener: it goes to the supervisor. */
	if (profile_notifies)
		lab_seccomp_notify_hand_over(seccomp_notify_fd(ctx));
	seccomp_release(ctx);
}

bool lab_seccomp_standalone(void)
{
	return compile_mode;
}

/* The filter CTX as the raw program (an array of struct sock_filter), written to a temporary file
 * beside OUT, then renamed onto OUT: a container starting meanwhile reads the old program or the
 * new one, never half of one. Then the one answer, a "seccomp-compiled" line (FLAGS_JSON: the
 * filter flags the program goes with, as a JSON list). */
noreturn void lab_seccomp_export(void *ctx, const char *out, const char *flags_json, int64_t started_us)
{
	char temp[PATH_MAX];
	if (snprintf(temp, sizeof(temp), "%s.XXXXXX", out) >= (int)sizeof(temp))
		die("seccomp", "%s: path too long", out);
	int fd = mkostemp(temp, O_CLOEXEC); /* mode 0600, ours (root's) */
	if (fd < 0)
		die_with_error("seccomp", "mkostemp(\"%s\")", temp);
	int rc = seccomp_export_bpf(ctx, fd);
	struct stat st;
	if (rc < 0 || fstat(fd, &st) < 0 || close(fd) < 0 || rename(temp, out) < 0) {
		int err = rc < 0 ? -rc : errno;
		unlink(temp);
		die_with_errno(err, "seccomp", "%s the program to %s", rc < 0 ? "seccomp_export_bpf()" : "writing", out);
	}
	seccomp_release(ctx);
	lab_step_end();

	struct lab_json j = { .len = 0 };
	lab_json_raw(&j, "{\"type\":\"seccomp-compiled\",\"out\":");
	lab_json_str(&j, out);
	lab_json_raw(&j, ",\"instructions\":");
	lab_json_int(&j, (long long)(st.st_size / (off_t)sizeof(struct sock_filter)));
	lab_json_raw(&j, ",\"flags\":");
	lab_json_raw(&j, flags_json);
	lab_json_raw(&j, ",\"us\":");
	lab_json_int(&j, lab_now_us() - started_us);
	lab_json_raw(&j, "}");
	lab_status_answer(&j);
}

/* --seccomp-compile: the filter libseccomp builds from the profile, written for --seccomp-bpf. */
void lab_seccomp_compile_mode(void)
{
	if (!compile_mode)
		return;
	int64_t started = lab_now_us();
	lab_step("seccomp");
	scmp_filter_ctx ctx = build_filter();
	const char *flags = flag_log && flag_spec_allow ? "[\"log\",\"spec_allow\"]" : flag_log ? "[\"log\"]" : flag_spec_allow ? "[\"spec_allow\"]" : "[]";
	lab_seccomp_export(ctx, compile_out, flags, started);
}
