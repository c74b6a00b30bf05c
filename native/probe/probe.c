/* isolab-probe: "what do I see from here?" as one JSON object (schema: common/probe.ts).
 *
 * Run on the host, or inside a container through `isolab-launcher --join PID`. Static, so it runs
 * in any root filesystem. Every section reads what the kernel shows this process; a missing file
 * gives an empty or zero answer, never a crash. To add a section: write a function that emits
 * `"key":value` pairs and add it to the sections[] table (and its fields to common/probe.ts). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PROBE_FORMAT_VERSION 1
/* Caps keep the report small even on a busy host; the counts stay true. */
#define MAX_PROCESSES 200
#define MAX_MOUNTS 200
#define MAX_INTERFACES 64
#define MAX_NAMESPACES 16

/* ---- JSON output (stdout is fully buffered: one write at the end) ---- */

static bool need_comma[32];
static int depth;
static bool after_key;

static void before_value(void)
{
	if (after_key) {
		after_key = false;
		return;
	}
	if (need_comma[depth])
		putchar(',');
	need_comma[depth] = true;
}

static void put_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void json_begin(char bracket)
{
	before_value();
	putchar(bracket);
	depth++;
	need_comma[depth] = false;
}

static void json_end(char bracket)
{
	depth--;
	putchar(bracket);
}

static void json_key(const char *key)
{
	before_value();
	put_string(key);
	putchar(':');
	after_key = true;
}

static void json_string(const char *s)
{
	before_value();
	put_string(s);
}

static void json_int(long long v)
{
	before_value();
	printf("%lld", v);
}

static void json_bool(bool v)
{
	before_value();
	fputs(v ? "true" : "false", stdout);
}

/* ---- helpers ---- */

static bool is_pid_name(const char *name)
{
	if (*name == '\0')
		return false;
	for (const char *p = name; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
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

/* mountinfo escapes space, tab, newline and backslash as \ooo; undo it in place. */
static void unescape_octal(char *s)
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

/* ---- sections, in the order of common/probe.ts ---- */

static void section_identity(void)
{
	json_key("probe");
	json_int(PROBE_FORMAT_VERSION);
	/* As this process sees itself: in a PID namespace getpid() is the namespaced number. */
	json_key("pid");
	json_int(getpid());
	json_key("ppid");
	json_int(getppid());
	json_key("uid");
	json_int(getuid());
	json_key("gid");
	json_int(getgid());
}

static void section_uts(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	json_key("hostname");
	json_string(u.nodename);
	json_key("kernel");
	json_begin('{');
	json_key("release");
	json_string(u.release);
	json_key("machine");
	json_string(u.machine);
	json_end('}');
}

static void section_namespaces(void)
{
	char names[MAX_NAMESPACES][32];
	unsigned long long inodes[MAX_NAMESPACES];
	int count = 0;
	DIR *dir = opendir("/proc/self/ns");
	struct dirent *entry;
	while (dir != NULL && (entry = readdir(dir)) != NULL && count < MAX_NAMESPACES) {
		struct stat st;
		if (entry->d_name[0] == '.' || strlen(entry->d_name) >= sizeof(names[0]))
			continue;
		/* stat follows the link to the namespace: its inode number is the namespace's identity. */
		if (fstatat(dirfd(dir), entry->d_name, &st, 0) < 0)
			continue;
		strcpy(names[count], entry->d_name);
		inodes[count] = st.st_ino;
		count++;
	}
	if (dir != NULL)
		closedir(dir);
	/* Sort the pairs by name (insertion sort; a dozen entries) for a stable report. */
	for (int i = 1; i < count; i++)
		for (int k = i; k > 0 && compare_strings(names[k - 1], names[k]) > 0; k--) {
			char name[32];
			unsigned long long ino = inodes[k];
			strcpy(name, names[k]);
			strcpy(names[k], names[k - 1]);
			inodes[k] = inodes[k - 1];
			strcpy(names[k - 1], name);
			inodes[k - 1] = ino;
		}
	json_key("namespaces");
	json_begin('{');
	for (int i = 0; i < count; i++) {
		json_key(names[i]);
		json_int((long long)inodes[i]);
	}
	json_end('}');
}

static void section_processes(void)
{
	long total = 0;
	json_key("processes");
	json_begin('[');
	/* The /proc this process sees lists the processes of the PID namespace that mounted it. */
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	while (proc != NULL && (entry = readdir(proc)) != NULL) {
		if (!is_pid_name(entry->d_name))
			continue;
		char path[300];
		char stat[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", entry->d_name);
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue; /* it exited meanwhile */
		size_t len = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[len] = '\0';
		/* "pid (comm) state ppid ...": comm may contain ')' or spaces, so split at the last ')'. */
		char *open_paren = strchr(stat, '(');
		char *close_paren = strrchr(stat, ')');
		char state;
		long ppid;
		if (open_paren == NULL || close_paren == NULL || close_paren < open_paren ||
		    sscanf(close_paren + 1, " %c %ld", &state, &ppid) != 2)
			continue;
		total++;
		if (total > MAX_PROCESSES)
			continue;
		*close_paren = '\0';
		json_begin('{');
		json_key("pid");
		json_int(atol(entry->d_name));
		json_key("ppid");
		json_int(ppid);
		json_key("comm");
		json_string(open_paren + 1);
		json_end('}');
	}
	if (proc != NULL)
		closedir(proc);
	json_end(']');
	json_key("processCount");
	json_int(total);
}

static void section_root(void)
{
	struct stat st;
	if (stat("/", &st) < 0)
		memset(&st, 0, sizeof(st));
	json_key("root");
	json_begin('{');
	json_key("dev");
	json_int((long long)st.st_dev);
	json_key("ino");
	json_int((long long)st.st_ino);
	json_end('}');
}

static bool has_option(const char *options, const char *wanted)
{
	size_t len = strlen(wanted);
	for (const char *p = options; p != NULL; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, wanted, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	}
	return false;
}

static void section_mounts(void)
{
	json_key("mounts");
	json_begin('[');
	/* mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS */
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int shown = 0;
	while (f != NULL && shown < MAX_MOUNTS && getline(&line, &cap, f) > 0) {
		char *fields[64];
		int n = 0;
		for (char *save = NULL, *tok = strtok_r(line, " \n", &save); tok != NULL && n < 64;
		     tok = strtok_r(NULL, " \n", &save))
			fields[n++] = tok;
		int dash = -1;
		for (int i = 6; i < n; i++)
			if (strcmp(fields[i], "-") == 0) {
				dash = i;
				break;
			}
		if (n < 6 || dash < 0 || dash + 2 >= n)
			continue;
		char *target = fields[4];
		char *source = fields[dash + 2];
		unescape_octal(target);
		unescape_octal(source);
		json_begin('{');
		json_key("source");
		json_string(source);
		json_key("target");
		json_string(target);
		json_key("fstype");
		json_string(fields[dash + 1]);
		json_key("readOnly");
		json_bool(has_option(fields[5], "ro"));
		json_end('}');
		shown++;
	}
	free(line);
	if (f != NULL)
		fclose(f);
	json_end(']');
}

static void section_net(void)
{
	char names[MAX_INTERFACES][64];
	int count = 0;
	/* /proc/net is the reader's network namespace, whoever mounted /proc (unlike /sys/class/net,
	 * which shows the namespace of whoever mounted /sys). */
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
		char *name = line + strspn(line, " ");
		snprintf(names[count++], sizeof(names[0]), "%s", name);
	}
	if (f != NULL)
		fclose(f);
	if (f == NULL) {
		DIR *dir = opendir("/sys/class/net");
		struct dirent *entry;
		while (dir != NULL && (entry = readdir(dir)) != NULL && count < MAX_INTERFACES)
			if (entry->d_name[0] != '.')
				snprintf(names[count++], sizeof(names[0]), "%.63s", entry->d_name);
		if (dir != NULL)
			closedir(dir);
		qsort(names, (size_t)count, sizeof(names[0]), compare_strings);
	}
	json_key("netInterfaces");
	json_begin('[');
	for (int i = 0; i < count; i++)
		json_string(names[i]);
	json_end(']');
}

static void section_ipc(void)
{
	/* /proc/sysvipc lists the System V objects of the reader's IPC namespace. */
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

static void (*const sections[])(void) = {
	section_identity, section_uts, section_namespaces, section_processes,
	section_root,     section_mounts, section_net,     section_ipc,
};

int main(void)
{
	static char out[256 * 1024];
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	json_begin('{');
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		sections[i]();
	json_end('}');
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : 1;
}
