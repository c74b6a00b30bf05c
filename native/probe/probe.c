/* isolab-probe: "what do I see from here?" as one JSON object (schema: common/probe.ts).
 *
 *   isolab-probe [--sections LIST] [--pid N]     the report (default: every section)
 *   isolab-probe --list-sections                 SECTION<TAB>what it reports, one a line
 *   isolab-probe try-syscall NAME...|all         each syscall with harmless arguments → errno
 *   isolab-probe try-syscall --list              the calls, their arguments and why they are harmless
 *   isolab-probe try-keep NAME SECONDS           make one kernel object for real and hold it (keep.c)
 *
 * Run on the host, or inside a container through `isolab-launcher --join PID`. Static, so it runs
 * in any root filesystem. To add a section: write a function that emits `"key":value` pairs, add
 * it to sections[] below, and its fields to common/probe.ts. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "probe.h"
#include "../parse-number.h"

/* Caps keep the report small even on a busy host; the counts stay true. */
#define MAX_PROCESSES 200
#define MAX_NAMESPACES 16
#define MAX_STATUS_LINES 96

pid_t probe_pid;
char probe_proc[32] = "/proc/self";

/* ---- small file helpers ---- */

ssize_t read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len < size - 1) {
		ssize_t n = TEMP_FAILURE_RETRY(read(fd, buf + len, size - 1 - len));
		if (n < 0) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t read_proc_text(const char *name, char *buf, size_t size)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/%s", probe_proc, name);
	return read_text(path, buf, size);
}

static char status_text[8192];
static char *status_lines[MAX_STATUS_LINES];
static int status_count = -1; /* -1: not read yet */

const char *status_field(const char *key)
{
	if (status_count < 0) {
		status_count = 0;
		if (read_proc_text("status", status_text, sizeof(status_text)) >= 0)
			for (char *save = NULL, *line = strtok_r(status_text, "\n", &save);
			     line != NULL && status_count < MAX_STATUS_LINES; line = strtok_r(NULL, "\n", &save))
				status_lines[status_count++] = line;
	}
	size_t len = strlen(key);
	for (int i = 0; i < status_count; i++)
		if (strncmp(status_lines[i], key, len) == 0 && status_lines[i][len] == ':')
			return status_lines[i] + len + 1 + strspn(status_lines[i] + len + 1, " \t");
	return NULL;
}

/* mountinfo escapes space, tab, newline and backslash (and overlay's options also ',' and '=')
 * as \ooo; undo it in place. */
void unescape_octal(char *s)
{
	char *out = s;
	for (char *in = s; *in; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
		    in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 3;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

bool list_has(const char *list, const char *wanted)
{
	size_t len = strlen(wanted);
	for (const char *p = list; p != NULL; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, wanted, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	}
	return false;
}

const char *errno_name(int err)
{
	static char unknown[16];
	const char *name = strerrorname_np(err);
	if (name != NULL)
		return name;
	snprintf(unknown, sizeof(unknown), "E%d", err);
	return unknown;
}

static bool is_pid_name(const char *name)
{
	if (*name == '\0')
		return false;
	for (const char *p = name; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* Lines in FILE minus its header line; 0 when it cannot be read. */
static long count_lines_after_header(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	long lines = 0;
	int c;
	while ((c = getc(f)) != EOF)
		if (c == '\n')
			lines++;
	fclose(f);
	return lines > 0 ? lines - 1 : 0;
}

/* "0-3,8,10-11" → 7. */
static long count_cpu_list(const char *list)
{
	long count = 0;
	const char *p = list;
	while (*p != '\0') {
		char *end;
		long first = strtol(p, &end, 10);
		if (end == p)
			break;
		long last = first;
		if (*end == '-')
			last = strtol(end + 1, &end, 10);
		count += last - first + 1;
		p = *end == ',' ? end + 1 : end;
	}
	return count;
}

/* ---- identity: who the process is, and how its user namespace maps IDs ---- */

/* "0\t0\t0\t0" (real, effective, saved, filesystem) as {"real":0,...}. */
static void put_id_quad(const char *key, const char *text, const unsigned int fallback[4])
{
	static const char *const names[] = { "real", "effective", "saved", "fs" };
	unsigned long ids[4];
	json_key(key);
	json_begin('{');
	bool parsed = text != NULL && sscanf(text, "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) == 4;
	for (int i = 0; i < 4; i++) {
		json_key(names[i]);
		json_int(parsed ? (long long)ids[i] : (long long)fallback[i]);
	}
	json_end('}');
}

/* /proc/PID/uid_map: "INSIDE OUTSIDE COUNT" lines. In the initial user namespace it is the
 * identity map of every ID: "0 0 4294967295". */
static void put_id_map(const char *key, const char *file)
{
	char text[1024];
	json_key(key);
	if (read_proc_text(file, text, sizeof(text)) < 0) {
		json_null();
		return;
	}
	json_begin('[');
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		unsigned long inside, outside, count;
		if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) != 3)
			continue;
		json_begin('{');
		json_key("inside");
		json_int((long long)inside);
		json_key("outside");
		json_int((long long)outside);
		json_key("count");
		json_int((long long)count);
		json_end('}');
	}
	json_end(']');
}

void section_identity(void)
{
	unsigned int uids[4] = { 0 }, gids[4] = { 0 };
	long ppid = -1;
	if (probe_pid == 0) {
		uid_t r, e, s;
		gid_t gr, ge, gs;
		getresuid(&r, &e, &s);
		getresgid(&gr, &ge, &gs);
		/* setfsuid() with an invalid ID changes nothing and returns the current one. */
		uids[0] = r, uids[1] = e, uids[2] = s, uids[3] = (unsigned)setfsuid((uid_t)-1);
		gids[0] = gr, gids[1] = ge, gids[2] = gs, gids[3] = (unsigned)setfsgid((gid_t)-1);
		ppid = getppid();
	} else {
		const char *field = status_field("PPid");
		ppid = field ? atol(field) : -1;
	}
	const char *uid_text = status_field("Uid");
	const char *gid_text = status_field("Gid");
	if (uid_text != NULL)
		sscanf(uid_text, "%u", &uids[0]);
	if (gid_text != NULL)
		sscanf(gid_text, "%u", &gids[0]);

	/* As the process is seen from here: in a PID namespace getpid() is the namespaced number. */
	json_key("pid");
	json_int(probe_pid != 0 ? probe_pid : getpid());
	json_key("ppid");
	json_int(ppid);
	json_key("uid");
	json_int(uids[0]);
	json_key("gid");
	json_int(gids[0]);

	json_key("user");
	json_begin('{');
	put_id_quad("uid", uid_text, uids);
	put_id_quad("gid", gid_text, gids);
	json_key("groups");
	json_begin('[');
	const char *groups = status_field("Groups");
	if (groups != NULL) {
		for (const char *p = groups; *p != '\0';) {
			char *end;
			unsigned long g = strtoul(p, &end, 10);
			if (end == p)
				break;
			json_int((long long)g);
			p = end + strspn(end, " ");
		}
	} else if (probe_pid == 0) {
		gid_t list[256];
		int n = getgroups(256, list);
		for (int i = 0; i < n; i++)
			json_int(list[i]);
	}
	json_end(']');
	put_id_map("uidMap", "uid_map");
	put_id_map("gidMap", "gid_map");
	/* "deny" once a user namespace's creator gave up setgroups(2) (needed for an unprivileged gid_map). */
	char setgroups[16];
	json_key("setgroups");
	json_string_or_null(read_proc_text("setgroups", setgroups, sizeof(setgroups)) >= 0 ? setgroups : NULL);
	/* The PID in each nested PID namespace, outermost (the /proc's) first. */
	json_key("nsPids");
	const char *nspid = status_field("NSpid");
	if (nspid == NULL) {
		json_null();
	} else {
		json_begin('[');
		for (const char *p = nspid; *p != '\0';) {
			char *end;
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			json_int(v);
			p = end + strspn(end, " \t");
		}
		json_end(']');
	}
	json_end('}');
}

/* ---- UTS: hostname and kernel ---- */

void section_uts(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	json_key("hostname");
	json_string(u.nodename);
	json_key("domainname");
	json_string(u.domainname);
	json_key("kernel");
	json_begin('{');
	json_key("release");
	json_string(u.release);
	json_key("version");
	json_string(u.version);
	json_key("machine");
	json_string(u.machine);
	json_end('}');
}

/* ---- namespaces: the inode of each /proc/PID/ns link is the namespace's identity ---- */

static int compare_names(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

void section_namespaces(void)
{
	struct {
		char name[32];
		unsigned long long ino;
	} found[MAX_NAMESPACES];
	int count = 0;
	char path[64];
	snprintf(path, sizeof(path), "%s/ns", probe_proc);
	DIR *dir = opendir(path);
	struct dirent *entry;
	while (dir != NULL && (entry = readdir(dir)) != NULL && count < MAX_NAMESPACES) {
		struct stat st;
		if (entry->d_name[0] == '.' || strlen(entry->d_name) >= sizeof(found[0].name))
			continue;
		/* stat follows the link to the namespace itself. */
		if (fstatat(dirfd(dir), entry->d_name, &st, 0) < 0)
			continue;
		strcpy(found[count].name, entry->d_name);
		found[count].ino = st.st_ino;
		count++;
	}
	if (dir != NULL)
		closedir(dir);
	qsort(found, (size_t)count, sizeof(found[0]), compare_names);
	json_key("namespaces");
	json_begin('{');
	for (int i = 0; i < count; i++) {
		json_key(found[i].name);
		json_int((long long)found[i].ino);
	}
	json_end('}');
}

/* ---- processes: the /proc this process sees lists the PID namespace that mounted it ---- */

/* PID's "(comm)" and parent from /proc/PID/stat; false if it exited meanwhile. */
static bool read_stat(const char *pid, char *comm, size_t comm_size, long *ppid)
{
	char path[300];
	char stat[512];
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (read_text(path, stat, sizeof(stat)) < 0)
		return false;
	/* "pid (comm) state ppid ...": comm may contain ')' or spaces, so split at the last ')'. */
	char *open_paren = strchr(stat, '(');
	char *close_paren = strrchr(stat, ')');
	char state;
	if (open_paren == NULL || close_paren == NULL || close_paren < open_paren ||
	    sscanf(close_paren + 1, " %c %ld", &state, ppid) != 2)
		return false;
	*close_paren = '\0';
	snprintf(comm, comm_size, "%s", open_paren + 1);
	return true;
}

void section_processes(void)
{
	long total = 0;
	json_key("processes");
	json_begin('[');
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	while (proc != NULL && (entry = readdir(proc)) != NULL) {
		char comm[64];
		long ppid;
		if (!is_pid_name(entry->d_name) || !read_stat(entry->d_name, comm, sizeof(comm), &ppid))
			continue;
		total++;
		if (total > MAX_PROCESSES)
			continue;
		json_begin('{');
		json_key("pid");
		json_int(atol(entry->d_name));
		json_key("ppid");
		json_int(ppid);
		json_key("comm");
		json_string(comm);
		json_end('}');
	}
	if (proc != NULL)
		closedir(proc);
	json_end(']');
	json_key("processCount");
	json_int(total);
	/* PID 1 of the namespace: the host's init, or the container's first program. */
	char comm[64];
	long ppid;
	json_key("pid1Comm");
	json_string_or_null(read_stat("1", comm, sizeof(comm), &ppid) ? comm : NULL);
}

/* ---- System V IPC: /proc/sysvipc lists the objects of the reader's IPC namespace ---- */

void section_ipc(void)
{
	json_key("ipc");
	json_begin('{');
	json_key("msg");
	json_int(count_lines_after_header("/proc/sysvipc/msg"));
	json_key("shm");
	json_int(count_lines_after_header("/proc/sysvipc/shm"));
	json_key("sem");
	json_int(count_lines_after_header("/proc/sysvipc/sem"));
	json_end('}');
}

/* ---- resource limits (setrlimit, `ulimit`): null = unlimited (RLIM_INFINITY) ---- */

static const struct {
	const char *name;        /* as the report and `prlimit` spell it */
	int resource;            /* RLIMIT_* */
	const char *proc_label;  /* its row in /proc/PID/limits */
} rlimits[] = {
	{ "cpu", RLIMIT_CPU, "Max cpu time" },
	{ "fsize", RLIMIT_FSIZE, "Max file size" },
	{ "data", RLIMIT_DATA, "Max data size" },
	{ "stack", RLIMIT_STACK, "Max stack size" },
	{ "core", RLIMIT_CORE, "Max core file size" },
	{ "rss", RLIMIT_RSS, "Max resident set" },
	{ "nproc", RLIMIT_NPROC, "Max processes" },
	{ "nofile", RLIMIT_NOFILE, "Max open files" },
	{ "memlock", RLIMIT_MEMLOCK, "Max locked memory" },
	{ "as", RLIMIT_AS, "Max address space" },
	{ "locks", RLIMIT_LOCKS, "Max file locks" },
	{ "sigpending", RLIMIT_SIGPENDING, "Max pending signals" },
	{ "msgqueue", RLIMIT_MSGQUEUE, "Max msgqueue size" },
	{ "nice", RLIMIT_NICE, "Max nice priority" },
	{ "rtprio", RLIMIT_RTPRIO, "Max realtime priority" },
	{ "rttime", RLIMIT_RTTIME, "Max realtime timeout" },
};

static void put_limit(const char *key, unsigned long long v, bool unlimited)
{
	json_key(key);
	json_int_or_null((long long)v, unlimited);
}

/* Another process's limits come from /proc/PID/limits: "Max open files  1024  4096  files". */
static bool read_proc_limit(const char *limits, const char *label, unsigned long long out[2], bool unlimited[2])
{
	const char *line = strstr(limits, label);
	if (line == NULL)
		return false;
	const char *p = line + strlen(label);
	for (int i = 0; i < 2; i++) {
		p += strspn(p, " ");
		unlimited[i] = strncmp(p, "unlimited", 9) == 0;
		out[i] = unlimited[i] ? 0 : strtoull(p, NULL, 10);
		p += strcspn(p, " ");
	}
	return true;
}

void section_rlimits(void)
{
	char limits[4096] = "";
	bool from_proc = probe_pid != 0;
	if (from_proc && read_proc_text("limits", limits, sizeof(limits)) < 0)
		limits[0] = '\0';
	json_key("rlimits");
	json_begin('{');
	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
		unsigned long long v[2];
		bool unlimited[2];
		json_key(rlimits[i].name);
		if (from_proc) {
			if (!read_proc_limit(limits, rlimits[i].proc_label, v, unlimited)) {
				json_null();
				continue;
			}
		} else {
			struct rlimit r;
			if (getrlimit(rlimits[i].resource, &r) < 0) {
				json_null();
				continue;
			}
			v[0] = r.rlim_cur, v[1] = r.rlim_max;
			unlimited[0] = r.rlim_cur == RLIM_INFINITY, unlimited[1] = r.rlim_max == RLIM_INFINITY;
		}
		json_begin('{');
		put_limit("soft", v[0], unlimited[0]);
		put_limit("hard", v[1], unlimited[1]);
		json_end('}');
	}
	json_end('}');
}

/* ---- CPUs and memory the process can use ---- */

void section_system(void)
{
	json_key("system");
	json_begin('{');
	/* Online CPUs are the machine's; a cpuset or sched_setaffinity() narrows what one may run on. */
	json_key("cpusOnline");
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (online > 0)
		json_int(online);
	else
		json_null();
	json_key("cpusAllowed");
	if (probe_pid == 0) {
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			json_int(CPU_COUNT(&set));
		else
			json_null();
	} else {
		const char *list = status_field("Cpus_allowed_list");
		if (list != NULL)
			json_int(count_cpu_list(list));
		else
			json_null();
	}
	/* /proc/meminfo is the machine's, whatever the cgroup allows (lxcfs exists to fake it). */
	json_key("memTotalKiB");
	char meminfo[512];
	long long kib = -1;
	if (read_text("/proc/meminfo", meminfo, sizeof(meminfo)) >= 0 && strncmp(meminfo, "MemTotal:", 9) == 0)
		kib = atoll(meminfo + 9);
	if (kib >= 0)
		json_int(kib);
	else
		json_null();
	json_end('}');
}

/* ---- the section table and the command line ---- */

static const struct section {
	const char *name;
	void (*emit)(void);
	const char *what;
} sections[] = {
	{ "id", section_identity, "pid, ppid, uid, gid; user: credentials, groups, uid/gid maps, setgroups, NSpid" },
	{ "uts", section_uts, "hostname, domainname, kernel release/version/machine" },
	{ "ns", section_namespaces, "namespaces: inode of each /proc/PID/ns entry" },
	{ "proc", section_processes, "processes in the /proc seen here, processCount, pid1Comm" },
	{ "mounts", section_mounts, "root (dev, ino), rootfs, mounts with overlay layers, mountCount" },
	{ "net", section_net, "netInterfaces, interfaces with addresses, defaultRoute" },
	{ "ipc", section_ipc, "System V IPC objects visible" },
	{ "caps", section_caps, "the five capability sets, as hex and names" },
	{ "seccomp", section_seccomp, "seccomp mode and filter count, noNewPrivs" },
	{ "cgroup", section_cgroup, "cgroup version, membership, limits and usage" },
	{ "paths", section_paths, "Docker's masked paths and read-only paths: hidden? writable?" },
	{ "devices", section_devices, "/dev entries and whether a few may be opened" },
	{ "rlimits", section_rlimits, "resource limits, soft and hard" },
	{ "lsm", section_lsm, "active LSMs, the process's labels, Landlock ABI" },
	{ "sys", section_system, "system: online and allowed CPUs, MemTotal" },
};
#define SECTION_COUNT (sizeof(sections) / sizeof(sections[0]))

static void usage(FILE *out)
{
	fputs("usage: isolab-probe [--sections LIST] [--pid N]\n"
	      "       isolab-probe --list-sections\n"
	      "       isolab-probe try-syscall NAME...|all\n"
	      "       isolab-probe try-syscall --list\n"
	      "       isolab-probe try-keep NAME SECONDS   (names: try-keep --list)\n"
	      "  --sections LIST   comma-separated sections to report (default: all; see --list-sections)\n"
	      "  --pid N           report process N's attributes (as numbered in the /proc seen here)\n"
	      "                    instead of the probe's own\n",
	      out);
}

/* Marks the sections named in LIST; false (and a message) for an unknown name. */
static bool select_sections(const char *list, bool selected[SECTION_COUNT])
{
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", list);
	for (char *save = NULL, *name = strtok_r(copy, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < SECTION_COUNT && strcmp(sections[i].name, name) != 0)
			i++;
		if (i == SECTION_COUNT) {
			fprintf(stderr, "isolab-probe: --sections: unknown section \"%s\" (see --list-sections)\n", name);
			return false;
		}
		selected[i] = true;
	}
	return true;
}

int main(int argc, char **argv)
{
	static char out[512 * 1024];
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	if (argc > 1 && strcmp(argv[1], "try-syscall") == 0)
		return try_syscall_main(argc - 2, argv + 2);
	if (argc > 1 && strcmp(argv[1], "try-keep") == 0)
		return try_keep_main(argc - 2, argv + 2);

	bool selected[SECTION_COUNT] = { false };
	bool any = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sections") == 0 && i + 1 < argc) {
			if (!select_sections(argv[++i], selected))
				return 2;
			any = true;
		} else if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc) {
			int pid;
			/* The kernel's PID_MAX_LIMIT. */
			if (!lab_parse_int(argv[++i], 1, 4194304, &pid)) {
				fprintf(stderr, "isolab-probe: --pid: expected a process ID, got \"%s\"\n", argv[i]);
				return 2;
			}
			probe_pid = (pid_t)pid;
			snprintf(probe_proc, sizeof(probe_proc), "/proc/%d", pid);
			/* Read now: the report describes one moment, and a process that is not there is an error. */
			if (status_field("Pid") == NULL) {
				fprintf(stderr, "isolab-probe: --pid: cannot read %s/status: %s\n", probe_proc, strerror(errno));
				return 2;
			}
		} else if (strcmp(argv[i], "--list-sections") == 0) {
			for (size_t s = 0; s < SECTION_COUNT; s++)
				printf("%s\t%s\n", sections[s].name, sections[s].what);
			return fflush(stdout) == 0 ? 0 : 1;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "isolab-probe: unknown or incomplete argument \"%s\"\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!any)
		for (size_t s = 0; s < SECTION_COUNT; s++)
			selected[s] = true;

	json_begin('{');
	json_key("probe");
	json_int(PROBE_FORMAT_VERSION);
	json_key("sections");
	json_begin('[');
	for (size_t s = 0; s < SECTION_COUNT; s++)
		if (selected[s])
			json_string(sections[s].name);
	json_end(']');
	json_key("subject");
	if (probe_pid != 0)
		json_int(probe_pid);
	else
		json_null();
	for (size_t s = 0; s < SECTION_COUNT; s++)
		if (selected[s])
			sections[s].emit();
	json_end('}');
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : 1;
}
