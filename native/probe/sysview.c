/* isolab-sysview: "what kind of machine do I seem to run on?" as one JSON object (schema:
 * common/sysview.ts). The comparison panel runs it next to isolab-probe in four places — the
 * host, a container, a gVisor sandbox and a virtual machine — and sets the answers side by side:
 *
 *   memory, cpus   what /proc/meminfo and nproc claim (a container sees the host's numbers,
 *                  whatever its cgroup allows; a VM sees its own; gVisor makes them up)
 *   devices        the names in /dev
 *   modules        /proc/modules: the host's list in a container, the guest's in a VM, none in gVisor
 *   dmesg          the kernel log this process may read, if any (and whose kernel wrote it)
 *   hypervisor     the CPU's "running under a hypervisor" bit, and the hypervisor's name (CPUID)
 *   syscalls       every x86-64 system call number tried once with arguments that cannot do
 *                  anything (bad descriptors, bad pointers, invalid flags), and the errno each gave:
 *                  ENOSYS means no kernel implemented it, EPERM usually that a filter refused it
 *
 * Static, like the probe: it runs inside any root filesystem and inside the VM's initramfs.
 * Every section tolerates a missing file; nothing here needs privilege. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

#define SYSVIEW_FORMAT_VERSION 1
#define MAX_NAMES 64
/* Names read before sorting (the first MAX_NAMES in order are reported; counts stay true). */
#define MAX_READ_NAMES 1024
/* A sweep that takes longer than this has met a syscall that blocks: report what it got so far. */
#define SWEEP_TIMEOUT_MS 5000

static int compare_names(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* ---- memory and CPUs: what the usual tools would print ---- */

static long long meminfo_kib(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long long value = -1;
	size_t len = strlen(field);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			value = atoll(line + len + 1);
			break;
		}
	if (f != NULL)
		fclose(f);
	return value;
}

static void section_memory(void)
{
	json_key("memory");
	json_begin('{');
	json_key("totalKiB");
	json_int(meminfo_kib("MemTotal"));
	json_key("availableKiB");
	json_int(meminfo_kib("MemAvailable"));
	json_end('}');
}

static void section_cpus(void)
{
	/* nproc prints the affinity mask's size; /proc/cpuinfo and sysconf count online CPUs. A CPU
	 * quota (cgroup cpu.max) changes neither: that is the lesson. */
	cpu_set_t set;
	int affinity = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : -1;
	json_key("cpus");
	json_begin('{');
	json_key("online");
	json_int(sysconf(_SC_NPROCESSORS_ONLN));
	json_key("affinity");
	json_int(affinity);
	json_end('}');
}

/* ---- devices and kernel modules ---- */

static void list_names(const char *key, char names[][64], int count, long total)
{
	qsort(names, (size_t)count, sizeof(names[0]), compare_names);
	if (count > MAX_NAMES)
		count = MAX_NAMES;
	json_key(key);
	json_begin('{');
	json_key("count");
	json_int(total);
	json_key("names");
	json_begin('[');
	for (int i = 0; i < count; i++)
		json_string(names[i]);
	json_end(']');
	json_end('}');
}

static void section_devices(void)
{
	static char names[MAX_READ_NAMES][64];
	int count = 0;
	long total = 0;
	DIR *dir = opendir("/dev");
	struct dirent *entry;
	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		total++;
		if (count < MAX_READ_NAMES)
			snprintf(names[count++], sizeof(names[0]), "%.63s", entry->d_name);
	}
	if (dir != NULL)
		closedir(dir);
	list_names("devices", names, count, total);
}

static void section_modules(void)
{
	static char names[MAX_READ_NAMES][64];
	int count = 0;
	long total = 0;
	/* Whose kernel's modules: the host's seen from a container, the guest's in a VM. */
	FILE *f = fopen("/proc/modules", "re");
	char line[512];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		total++;
		if (count < MAX_READ_NAMES) {
			line[strcspn(line, " \n")] = '\0';
			snprintf(names[count++], sizeof(names[0]), "%.63s", line);
		}
	}
	json_key("modulesReadable");
	json_bool(f != NULL);
	if (f != NULL)
		fclose(f);
	list_names("modules", names, count, total);
}

/* ---- the kernel log ---- */

static void section_dmesg(void)
{
	/* SYSLOG_ACTION_READ_ALL (3) copies the ring buffer without consuming it; dmesg does the same.
	 * With kernel.dmesg_restrict=1 it needs CAP_SYSLOG: a container without it gets EPERM. */
	static char buf[1 << 17];
	int n = klogctl(3, buf, sizeof(buf) - 1);
	int saved_errno = errno;
	json_key("dmesg");
	json_begin('{');
	json_key("readable");
	json_bool(n >= 0);
	json_key("errno");
	json_int(n >= 0 ? 0 : saved_errno);
	long lines = 0;
	char *first = NULL, *last = NULL;
	if (n > 0) {
		buf[n] = '\0';
		for (char *line = buf, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl != NULL)
				*nl = '\0';
			if (*line != '\0') {
				lines++;
				if (first == NULL)
					first = line;
				last = line;
			}
			if (nl == NULL)
				break;
		}
	}
	json_key("lines");
	json_int(lines);
	json_key("first");
	json_string(first != NULL ? first : "");
	json_key("last");
	json_string(last != NULL ? last : "");
	json_end('}');
}

/* ---- the hypervisor bit ---- */

static bool cpuinfo_has_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	static char line[8192];
	bool found = false;
	size_t len = strlen(flag);
	while (!found && f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (char *p = strstr(line, flag); p != NULL; p = strstr(p + 1, flag))
			if (p[-1] == ' ' && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
				found = true;
		break; /* the first CPU's flags speak for all */
	}
	if (f != NULL)
		fclose(f);
	return found;
}

static void section_hypervisor(void)
{
	bool bit = false;
	char vendor[13] = "";
#if defined(__x86_64__)
	/* CPUID leaf 1, ECX bit 31: "a hypervisor is present" (Intel and AMD reserve it for that).
	 * Leaf 0x40000000 then names the hypervisor in EBX:ECX:EDX ("KVMKVMKVM", "TCGTCGTCGTCG"...). */
	unsigned int a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	bit = (c >> 31) & 1;
	if (bit) {
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
		memcpy(vendor, &b, 4);
		memcpy(vendor + 4, &c, 4);
		memcpy(vendor + 8, &d, 4);
		vendor[12] = '\0';
		for (int i = 0; i < 12; i++)
			if (vendor[i] != '\0' && (vendor[i] < 0x20 || vendor[i] > 0x7e))
				vendor[i] = '?';
	}
#endif
	json_key("hypervisor");
	json_begin('{');
	json_key("cpuinfoFlag");
	json_bool(cpuinfo_has_flag("hypervisor"));
	json_key("cpuidBit");
	json_bool(bit);
	json_key("vendor");
	json_string(vendor);
	json_end('}');
}

/* ---- the system call sweep ---- */

#if defined(__x86_64__)
/* Numbers never called: they end the process, block, or change it for good. */
static bool sweep_skips(long nr)
{
	switch (nr) {
	case 15:  /* rt_sigreturn: would restore a made-up signal frame */
	case 34:  /* pause: blocks */
	case 56:  /* clone */
	case 57:  /* fork */
	case 58:  /* vfork */
	case 60:  /* exit */
	case 153: /* vhangup: hangs up the terminal */
	case 162: /* sync: would flush the host's disks */
	case 231: /* exit_group */
	case 335: /* uretprobe: SIGILL outside a uretprobe trampoline */
	case 336: /* uprobe: likewise */
		return true;
	}
	return false;
}

/* x86-64 numbers: 0–334 and 424 on (335–423 are other ABIs' or unassigned). */
#define SWEEP_LAST 470
static bool sweep_has(long nr)
{
	return (nr >= 0 && nr <= 336) || (nr >= 424 && nr <= SWEEP_LAST);
}

/* All-ones arguments are invalid for nearly every call: fd -1, pointer 0xfff…f, flags with every
 * bit set. The few calls for which "-1" means something get harmless arguments of their own. */
static long sweep_call(long nr)
{
	const long x = -1;
	switch (nr) {
	case 62:  /* kill(pid that cannot exist, signal 0) */
	case 200: /* tkill */
		return syscall(nr, 0x7fffffffL, 0L);
	case 234: /* tgkill */
		return syscall(nr, 0x7fffffffL, 0x7fffffffL, 0L);
	case 202: /* futex: op -1 is "unknown op" (ENOSYS even where futex exists); FUTEX_WAKE on a bad address */
		return syscall(nr, x, 1L, 1L, 0L, 0L, 0L);
	case 29:  /* shmget(key, 0, no IPC_CREAT): must not create anything */
	case 64:  /* semget */
		return syscall(nr, 0x7fffffffL, 0L, 0L);
	case 68:  /* msgget */
		return syscall(nr, 0x7fffffffL, 0L);
	case 175: /* init_module(bad image, length 0): ENOEXEC before anything is allocated */
		return syscall(nr, x, 0L, x);
	}
	return syscall(nr, x, x, x, x, x, x);
}

/* The sweep runs in a child: some calls succeed and change the caller (umask, setsid, alarm). It
 * writes one (number, errno) pair per call to a pipe, so a call that blocks costs only the rest. */
static void sweep_child(int out)
{
	for (long nr = 0; nr <= SWEEP_LAST; nr++) {
		if (!sweep_has(nr) || sweep_skips(nr))
			continue;
		errno = 0;
		long rc = sweep_call(nr);
		int16_t pair[2] = { (int16_t)nr, (int16_t)(rc == -1 ? errno : 0) };
		if (write(out, pair, sizeof(pair)) != (ssize_t)sizeof(pair))
			_exit(1);
	}
	_exit(0);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
#endif

static void section_syscalls(void)
{
	json_key("syscalls");
	json_begin('{');
#if defined(__x86_64__)
	static int16_t results[SWEEP_LAST + 1];
	static bool seen[SWEEP_LAST + 1];
	int pipefd[2];
	bool complete = false;
	if (pipe2(pipefd, O_CLOEXEC) == 0) {
		fflush(stdout);
		pid_t child = fork();
		if (child == 0) {
			close(pipefd[0]);
			sweep_child(pipefd[1]);
		}
		close(pipefd[1]);
		long long deadline = now_ms() + SWEEP_TIMEOUT_MS;
		int16_t pair[2];
		for (;;) {
			struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
			long long left = deadline - now_ms();
			if (child < 0 || left <= 0 || poll(&pfd, 1, (int)left) <= 0)
				break;
			ssize_t n = read(pipefd[0], pair, sizeof(pair));
			if (n == 0) {
				complete = true;
				break;
			}
			if (n != (ssize_t)sizeof(pair) || pair[0] < 0 || pair[0] > SWEEP_LAST)
				break;
			results[pair[0]] = pair[1];
			seen[pair[0]] = true;
		}
		close(pipefd[0]);
		if (child > 0) {
			kill(child, SIGKILL);
			(void)TEMP_FAILURE_RETRY(waitpid(child, NULL, 0));
		}
	}
	int tried = 0, ok = 0, enosys = 0, eperm = 0;
	for (int nr = 0; nr <= SWEEP_LAST; nr++) {
		if (!seen[nr])
			continue;
		tried++;
		if (results[nr] == 0)
			ok++;
		else if (results[nr] == ENOSYS)
			enosys++;
		else if (results[nr] == EPERM)
			eperm++;
	}
	json_key("arch");
	json_string("x86_64");
	json_key("complete");
	json_bool(complete);
	json_key("tried");
	json_int(tried);
	json_key("enosys");
	json_int(enosys);
	json_key("eperm");
	json_int(eperm);
	json_key("succeeded");
	json_int(ok);
	/* errno by number (0 = the call succeeded), for comparing places call by call. */
	json_key("errno");
	json_begin('{');
	for (int nr = 0; nr <= SWEEP_LAST; nr++) {
		if (!seen[nr])
			continue;
		char key[8];
		snprintf(key, sizeof(key), "%d", nr);
		json_key(key);
		json_int(results[nr]);
	}
	json_end('}');
	json_key("skipped");
	json_begin('[');
	for (long nr = 0; nr <= SWEEP_LAST; nr++)
		if (sweep_has(nr) && sweep_skips(nr))
			json_int(nr);
	json_end(']');
#else
	json_key("arch");
	json_string("unsupported");
	json_key("complete");
	json_bool(false);
#endif
	json_end('}');
}

int main(void)
{
	static char out[256 * 1024];
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	json_ascii_only = true; /* kernel log lines may carry any byte */
	json_begin('{');
	json_key("sysview");
	json_int(SYSVIEW_FORMAT_VERSION);
	section_memory();
	section_cpus();
	section_devices();
	section_modules();
	section_dmesg();
	section_hypervisor();
	section_syscalls();
	json_end('}');
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : 1;
}
