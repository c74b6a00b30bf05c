/* isolab-probe: "what do I see from here?" as one JSON object (schema: common/probe.ts).
 *
 *   probe.c     command line, the section table, identity, UTS, namespaces, processes, IPC,
 *               rlimits, CPUs and memory
 *   json.c      the JSON writer (stdout is fully buffered: one write at the end)
 *   security.c  capabilities, no_new_privs, seccomp, LSMs and Landlock
 *   cgroup.c    cgroup v1, v2 and hybrid: membership, limits and usage
 *   fs.c        the mount table, the root filesystem, masked and read-only paths, /dev
 *   net.c       interfaces, addresses and the default route
 *   syscalls.c  try-syscall: each call with arguments that cannot do harm, and the errno it got
 *   keep.c      try-keep: one kernel object made for real and held, for the host to look at
 *
 * Every section reads what the kernel shows from where the probe runs; a file that is missing or
 * unreadable gives null (with a reason where one helps), never a crash. */
#ifndef ISOLAB_PROBE_H
#define ISOLAB_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Bump when a field changes meaning or goes away (common/probe.ts has the same number). */
#define PROBE_FORMAT_VERSION 2

#include "json.h" /* the JSON writer */

/* ---- whose process attributes to report (probe.c) ----
 * The probe reports its own attributes (capabilities, seccomp, cgroup, limits, ...) unless
 * --pid N names another process, as numbered in the /proc the probe sees. */
extern pid_t probe_pid;      /* 0 = the probe itself */
extern char probe_proc[32];  /* "/proc/self" or "/proc/N" */

/* ---- small file helpers (probe.c) ---- */

/* Reads up to SIZE-1 bytes of PATH into BUF, NUL-terminated, trailing newline removed.
 * Returns the length, or -1 with errno set. */
ssize_t read_text(const char *path, char *buf, size_t size);
/* Same, for a file of the process being reported on (probe_proc/NAME). */
ssize_t read_proc_text(const char *name, char *buf, size_t size);
/* The value of "KEY:\t..." in /proc/<pid>/status, or NULL (status is read once and kept). */
const char *status_field(const char *key);
/* mountinfo's \ooo escapes (space, tab, newline, backslash), undone in place. */
void unescape_octal(char *s);
/* WANTED is one of the items of the comma-separated LIST (mount options, a hierarchy's controllers). */
bool list_has(const char *list, const char *wanted);
/* "EPERM" for EPERM, "E123" for a number the C library has no name for. */
const char *errno_name(int err);

/* ---- sections: each emits "key":value pairs into the report object ---- */

void section_identity(void);  /* probe.c */
void section_uts(void);
void section_namespaces(void);
void section_processes(void);
void section_ipc(void);
void section_rlimits(void);
void section_system(void);
void section_caps(void);      /* security.c */
void section_seccomp(void);
void section_lsm(void);
void section_cgroup(void);    /* cgroup.c */
void section_mounts(void);    /* fs.c */
void section_paths(void);
void section_devices(void);
void section_net(void);       /* net.c */

/* ---- try-syscall (syscalls.c) ---- */

int try_syscall_main(int argc, char **argv);
int try_keep_main(int argc, char **argv);     /* keep.c */

#endif
