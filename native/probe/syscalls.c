/* try-syscall: make a system call and report what the kernel answered.
 *
 *   isolab-probe try-syscall NAME...|all    one JSON object: {"probe":2,"trySyscall":[...]}
 *   isolab-probe try-syscall --list         NAME<TAB>ANSWER IF ALLOWED<TAB>REVEALS<TAB>CALL<TAB>WHY HARMLESS
 *
 * A seccomp filter looks at a call before the kernel does anything with it; the kernel then checks
 * privileges (a capability, a sysctl), then the arguments. So each call below is made with
 * arguments the kernel refuses — but only AFTER those checks where it can be arranged:
 *
 *   the expected answer (e.g. EINVAL)  the call got through the filter (and the privilege checks)
 *   EPERM / EACCES                     refused: by the seccomp filter or for lack of privilege
 *   killed by SIGSYS                   a filter that kills (SCMP_ACT_KILL/TRAP)
 *
 * "reveals" says which: "seccomp" when the arguments are refused before any privilege check (so
 * only a filter can turn the answer into EPERM), "seccomp+privilege" when they are refused after.
 * Every call runs in a child process of its own (fork), so what one does — a new namespace, a
 * changed personality — dies with that child, and a filter that kills takes only the child. No
 * call below can change the machine: the "why" column says why, call by call. Raw syscall(2)
 * numbers from <sys/syscall.h>: the C library may not wrap them, or may wrap them differently. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/quota.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/fanotify.h>
#include <linux/kcmp.h>
#include <linux/kexec.h>
#include <linux/perf_event.h>
#include <linux/personality.h>
#include <linux/reboot.h>

#include "probe.h"

/* Calls that exist only on some architectures (most are x86's historical ones): -1 here means
 * "no such call on this architecture", and it is reported as such without being made. */
#ifndef SYS_iopl
#define SYS_iopl -1
#endif
#ifndef SYS_ioperm
#define SYS_ioperm -1
#endif
#ifndef SYS_uselib
#define SYS_uselib -1
#endif
#ifndef SYS_ustat
#define SYS_ustat -1
#endif
#ifndef SYS_sysfs
#define SYS_sysfs -1
#endif
#ifndef SYS__sysctl
#define SYS__sysctl -1
#endif
#ifndef SYS_create_module
#define SYS_create_module -1
#endif
#ifndef SYS_get_kernel_syms
#define SYS_get_kernel_syms -1
#endif
#ifndef SYS_query_module
#define SYS_query_module -1
#endif
#ifndef SYS_nfsservctl
#define SYS_nfsservctl -1
#endif
#ifndef SYS_getpmsg
#define SYS_getpmsg -1
#endif
#ifndef SYS_putpmsg
#define SYS_putpmsg -1
#endif
#ifndef SYS_afs_syscall
#define SYS_afs_syscall -1
#endif
#ifndef SYS_tuxcall
#define SYS_tuxcall -1
#endif
#ifndef SYS_security
#define SYS_security -1
#endif
#ifndef SYS_vserver
#define SYS_vserver -1
#endif
#ifndef SYS_lookup_dcookie
#define SYS_lookup_dcookie -1
#endif
#ifndef SYS_kexec_file_load
#define SYS_kexec_file_load -1
#endif
#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd -1
#endif
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node -1
#endif

/* <numaif.h> is libnuma's; these are the kernel's values. */
#define LAB_MPOL_DEFAULT 0
#define LAB_MPOL_MF_MOVE_ALL (1 << 2)

/* A path that does not exist anywhere, for calls that must fail at lookup. */
#define NO_SUCH_PATH "/isolab-probe-no-such-dir"
/* A child gets this long; a call that blocks is reported as killed by SIGALRM. */
#define CHILD_SECONDS 2

/* ---- the calls ---- */

/* Wrong second magic number: EINVAL right after the CAP_SYS_BOOT check. (The command is invalid
 * too, should the magic ever pass.) */
static long call_reboot(void)
{
	return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0, 0x0bad0bad, NULL);
}

/* Two propagation types at once: may_mount() (CAP_SYS_ADMIN) first, then EINVAL. */
static long call_mount(void)
{
	return syscall(SYS_mount, NULL, "/", NULL, MS_SHARED | MS_PRIVATE, NULL);
}

/* MNT_EXPIRE may not be combined with MNT_DETACH, nor be used on the root: EINVAL after may_mount(). */
static long call_umount2(void)
{
	return syscall(SYS_umount2, "/", MNT_EXPIRE | MNT_DETACH);
}

/* A new UTS namespace for this throwaway child alone. */
static long call_unshare(void)
{
	return syscall(SYS_unshare, CLONE_NEWUTS);
}

/* Join the UTS namespace we are already in (through a pidfd of ourselves): the capability check
 * runs, nothing changes. */
static long call_setns(void)
{
	int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (self < 0)
		return -1;
	return syscall(SYS_setns, self, CLONE_NEWUTS);
}

/* A child in a new UTS namespace that exits at once: the flags Docker's filter looks at. */
static long call_clone(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

/* No argument structure: EINVAL. Docker's profile answers ENOSYS instead, so that a C library
 * falls back to clone(), whose flags a filter can see. */
static long call_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0);
}

/* Peek at ourselves, who are nobody's tracee: ESRCH. */
static long call_ptrace(void)
{
	return syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, getpid(), NULL, NULL);
}

/* More segments than the kernel accepts: EINVAL after the CAP_SYS_BOOT check. */
static long call_kexec_load(void)
{
	return syscall(SYS_kexec_load, 0, KEXEC_SEGMENT_MAX + 1, NULL, 0);
}

/* An unknown flag: EINVAL after the CAP_SYS_BOOT check. */
static long call_kexec_file_load(void)
{
	return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 1UL << 30);
}

/* An empty image: ENOEXEC after the CAP_SYS_MODULE check. */
static long call_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0, "");
}

/* An unknown flag: EINVAL after the CAP_SYS_MODULE check. */
static long call_finit_module(void)
{
	return syscall(SYS_finit_module, -1, "", 1U << 30);
}

/* A module that cannot exist: ENOENT after the CAP_SYS_MODULE check. */
static long call_delete_module(void)
{
	return syscall(SYS_delete_module, "isolab-probe-no-such-module", O_NONBLOCK);
}

/* An empty path: ENOENT after the CAP_SYS_ADMIN check. */
static long call_swapon(void)
{
	return syscall(SYS_swapon, "", 0);
}

static long call_swapoff(void)
{
	return syscall(SYS_swapoff, "");
}

/* No such operation: EOPNOTSUPP. (keyctl needs no privilege: Docker blocks it because keys are
 * not namespaced.) */
static long call_keyctl(void)
{
	return syscall(SYS_keyctl, 0x7fffffff, 0, 0, 0, 0);
}

/* An empty key type: EINVAL before any keyring is looked up or created. */
static long call_add_key(void)
{
	return syscall(SYS_add_key, "", "isolab-probe", "x", 1, 0);
}

static long call_request_key(void)
{
	return syscall(SYS_request_key, "", "isolab-probe", NULL, 0);
}

/* A program of zero instructions: E2BIG, after the unprivileged_bpf_disabled/CAP_BPF check. */
static long call_bpf(void)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	return syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

/* A software counter with an impossible sample period: EINVAL after the perf_event_paranoid /
 * CAP_PERFMON check (kernel profiling is asked for: exclude_kernel is 0). */
static long call_perf_event_open(void)
{
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_DUMMY;
	attr.sample_period = 1ULL << 63;
	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

/* An invalid time: EINVAL. The kernel validates the time before it checks CAP_SYS_TIME, so this
 * shows the filter only; there is no harmless way past the capability. */
static long call_clock_settime(void)
{
	struct timespec bad = { .tv_sec = 0, .tv_nsec = -1 };
	return syscall(SYS_clock_settime, CLOCK_REALTIME, &bad);
}

/* Only a time zone, out of range (> 15 hours): CAP_SYS_TIME is checked first, then EINVAL. */
static long call_settimeofday(void)
{
	struct timezone tz = { .tz_minuteswest = 16 * 60, .tz_dsttime = 0 };
	return syscall(SYS_settimeofday, NULL, &tz);
}

/* A negative length: EINVAL after the CAP_SYS_ADMIN check. */
static long call_sethostname(void)
{
	return syscall(SYS_sethostname, "x", -1);
}

static long call_setdomainname(void)
{
	return syscall(SYS_setdomainname, "x", -1);
}

/* chroot to "/" in this throwaway child: the CAP_SYS_CHROOT check runs, the root stays. */
static long call_chroot(void)
{
	return syscall(SYS_chroot, "/");
}

/* A new root that does not exist: ENOENT after may_mount(). */
static long call_pivot_root(void)
{
	return syscall(SYS_pivot_root, NO_SUCH_PATH, NO_SUCH_PATH);
}

/* A /dev/null twin (char 1:3) in a scratch directory, removed at once: CAP_MKNOD and, on cgroup
 * v1, the devices controller decide. */
static long call_mknod(void)
{
	static const char *const scratch[] = { "/dev/shm", "/tmp" };
	char path[96];
	struct stat st;
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++) {
		if (stat(scratch[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(path, sizeof(path), "%s/.isolab-probe-mknod-%d", scratch[i], (int)getpid());
		long ret = syscall(SYS_mknodat, AT_FDCWD, path, S_IFCHR | 0600, makedev(1, 3));
		int err = errno;
		if (ret == 0)
			unlink(path);
		errno = err;
		return ret;
	}
	errno = ENOENT;
	return -1;
}

/* Turn address-space randomisation off for this child: one of the personalities Docker's profile
 * refuses (it allows only PER_LINUX, PER_LINUX32 and the query 0xffffffff). */
static long call_personality(void)
{
	return syscall(SYS_personality, PER_LINUX | ADDR_NO_RANDOMIZE);
}

/* Accounting into a file that cannot exist: ENOENT after CAP_SYS_PACCT. (Never NULL: that turns
 * accounting off.) */
static long call_acct(void)
{
	return syscall(SYS_acct, NO_SUCH_PATH "/acct");
}

/* No device: ENODEV. Privileges are checked later, per filesystem: this shows the filter only. */
static long call_quotactl(void)
{
	return syscall(SYS_quotactl, QCMD(Q_GETINFO, USRQUOTA), NULL, 0, NULL);
}

static long call_quotactl_fd(void)
{
	return syscall(SYS_quotactl_fd, -1, QCMD(Q_GETINFO, USRQUOTA), 0, NULL);
}

/* An unknown flag: EINVAL after vm.unprivileged_userfaultfd / CAP_SYS_PTRACE is checked. */
static long call_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, 1 << 30);
}

/* A handle to inode 0, which no filesystem has: the header is checked, then CAP_DAC_READ_SEARCH,
 * then decoding fails (ESTALE). Nothing can be opened. */
static long call_open_by_handle_at(void)
{
	struct {
		unsigned int handle_bytes;
		int handle_type;
		unsigned char f_handle[8];
	} handle = { 8, 1 /* FILEID_INO32_GEN: inode 0, generation 0 */, { 0 } };
	return syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY);
}

/* Ask for the handle of "/" with no room for it: EOVERFLOW (the size it needs). Reads only. */
static long call_name_to_handle_at(void)
{
	struct {
		unsigned int handle_bytes;
		int handle_type;
	} handle = { 0, 0 };
	int mount_id;
	return syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &handle, &mount_id, 0);
}

/* Level 4 does not exist: EINVAL before CAP_SYS_RAWIO (x86 only). */
static long call_iopl(void)
{
	return syscall(SYS_iopl, 4);
}

/* Ports past 0xffff: EINVAL before CAP_SYS_RAWIO (x86 only). */
static long call_ioperm(void)
{
	return syscall(SYS_ioperm, 0xffff, 2, 1);
}

/* SYSLOG_ACTION_SIZE_UNREAD: how much is unread. Reads a number; needs CAP_SYSLOG. */
static long call_syslog(void)
{
	return syscall(SYS_syslog, 9, NULL, 0);
}

/* A library that does not exist: ENOENT (ENOSYS where the kernel dropped uselib). */
static long call_uselib(void)
{
	return syscall(SYS_uselib, NO_SUCH_PATH "/lib.so");
}

/* Removed in Linux 6.8: ENOSYS; older kernels check CAP_SYS_ADMIN, then the cookie. */
static long call_lookup_dcookie(void)
{
	return syscall(SYS_lookup_dcookie, 0, NULL, 0);
}

/* Hang up the controlling terminal — after setsid(), this child has none, so there is nothing to
 * hang up; CAP_SYS_TTY_CONFIG is still checked. */
static long call_vhangup(void)
{
	if (setsid() < 0)
		return -1;
	return syscall(SYS_vhangup);
}

/* Compare our own memory with itself: 0. Reads only. */
static long call_kcmp(void)
{
	return syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0);
}

static long call_pidfd_getfd(void)
{
	return syscall(SYS_pidfd_getfd, -1, 0, 0);
}

static long call_process_madvise(void)
{
	return syscall(SYS_process_madvise, -1, NULL, 0, 0, 0);
}

/* No parameters: EFAULT, after the io_uring_disabled sysctl is checked. */
static long call_io_uring_setup(void)
{
	return syscall(SYS_io_uring_setup, 1, NULL);
}

static long call_io_uring_enter(void)
{
	return syscall(SYS_io_uring_enter, 0x7fffffff, 0, 0, 0, NULL, 0);
}

static long call_io_uring_register(void)
{
	return syscall(SYS_io_uring_register, 0x7fffffff, 0, NULL, 0);
}

/* An unknown flag: EINVAL; without CAP_SYS_ADMIN, EPERM first (this group lacks the file-handle
 * reporting an unprivileged listener needs). */
static long call_fanotify_init(void)
{
	return syscall(SYS_fanotify_init, FAN_CLASS_NOTIF | (1U << 30), O_RDONLY);
}

/* An unknown flag: EINVAL after the CAP_SYS_ADMIN check. */
static long call_fsopen(void)
{
	return syscall(SYS_fsopen, "tmpfs", 0x80);
}

/* No filesystem context: EBADF after may_mount(). */
static long call_fsmount(void)
{
	return syscall(SYS_fsmount, -1, 0, 0);
}

static long call_fspick(void)
{
	return syscall(SYS_fspick, AT_FDCWD, "/", 0x80);
}

/* A negative descriptor: EINVAL (privileges are the filesystem context's, made by fsopen). */
static long call_fsconfig(void)
{
	return syscall(SYS_fsconfig, -1, FSCONFIG_SET_FLAG, "ro", NULL, 0);
}

static long call_move_mount(void)
{
	return syscall(SYS_move_mount, -1, "", -1, "", 1U << 30);
}

/* Clone a mount tree that does not exist: ENOENT after may_mount(). */
static long call_open_tree(void)
{
	return syscall(SYS_open_tree, AT_FDCWD, NO_SUCH_PATH, OPEN_TREE_CLONE);
}

/* A zero-sized attribute structure: EINVAL. */
static long call_mount_setattr(void)
{
	return syscall(SYS_mount_setattr, -1, "", 0, NULL, 0);
}

/* Read our own memory policy: 0. */
static long call_get_mempolicy(void)
{
	return syscall(SYS_get_mempolicy, NULL, NULL, 0, NULL, 0);
}

/* Set this child's policy to the default it already has: 0. */
static long call_set_mempolicy(void)
{
	return syscall(SYS_set_mempolicy, LAB_MPOL_DEFAULT, NULL, 0);
}

/* An empty range with MPOL_MF_MOVE_ALL: CAP_SYS_NICE is checked, then there is nothing to do. */
static long call_mbind(void)
{
	return syscall(SYS_mbind, NULL, 0, LAB_MPOL_DEFAULT, NULL, 0, LAB_MPOL_MF_MOVE_ALL);
}

/* A node mask larger than a page: EINVAL before anything moves. */
static long call_migrate_pages(void)
{
	unsigned long mask[2] = { 0, 0 };
	return syscall(SYS_migrate_pages, 0, 1UL << 20, mask, mask);
}

/* Zero pages with MPOL_MF_MOVE_ALL: CAP_SYS_NICE is checked, then there is nothing to move. */
static long call_move_pages(void)
{
	return syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, LAB_MPOL_MF_MOVE_ALL);
}

/* An empty range: 0. */
static long call_set_mempolicy_home_node(void)
{
	return syscall(SYS_set_mempolicy_home_node, 0, 0, 0, 0);
}

/* Device 0 has no filesystem: EINVAL. */
static long call_ustat(void)
{
	char buf[64];
	return syscall(SYS_ustat, 0, buf);
}

/* How many filesystem types the kernel knows: a number (ENOSYS where the kernel was built without). */
static long call_sysfs(void)
{
	return syscall(SYS_sysfs, 3);
}

/* Calls the kernel removed or never implemented: ENOSYS whatever the arguments. */
static long call__sysctl(void)
{
	return syscall(SYS__sysctl, NULL);
}
static long call_create_module(void)
{
	return syscall(SYS_create_module, NULL, 0);
}
static long call_get_kernel_syms(void)
{
	return syscall(SYS_get_kernel_syms, NULL);
}
static long call_query_module(void)
{
	return syscall(SYS_query_module, NULL, 0, NULL, 0, NULL);
}
static long call_nfsservctl(void)
{
	return syscall(SYS_nfsservctl, 0, NULL, NULL);
}
static long call_getpmsg(void)
{
	return syscall(SYS_getpmsg, -1, NULL, NULL, NULL, NULL);
}
static long call_putpmsg(void)
{
	return syscall(SYS_putpmsg, -1, NULL, NULL, 0, 0);
}
static long call_afs_syscall(void)
{
	return syscall(SYS_afs_syscall);
}
static long call_tuxcall(void)
{
	return syscall(SYS_tuxcall);
}
static long call_security(void)
{
	return syscall(SYS_security);
}
static long call_vserver(void)
{
	return syscall(SYS_vserver);
}

/* socket() of a family with a type no family has (15 >= SOCK_MAX): __sock_create refuses the type
 * with EINVAL before it looks the family up, so no family code runs and no module is loaded. A
 * filter refusing the family answers first (the workshop's guard: EAFNOSUPPORT). */
#define NO_SUCH_SOCKET_TYPE 15
static long call_socket_vsock(void)
{
	return syscall(SYS_socket, 40 /* AF_VSOCK */, NO_SUCH_SOCKET_TYPE, 0);
}
static long call_socket_alg(void)
{
	return syscall(SYS_socket, 38 /* AF_ALG */, NO_SUCH_SOCKET_TYPE, 0);
}
static long call_socket_packet(void)
{
	return syscall(SYS_socket, 17 /* AF_PACKET */, NO_SUCH_SOCKET_TYPE, 0);
}
static long call_socket_netlink_netfilter(void)
{
	return syscall(SYS_socket, 16 /* AF_NETLINK */, NO_SUCH_SOCKET_TYPE, 12 /* NETLINK_NETFILTER */);
}

/* The other ways into an x86-64 kernel: the 32-bit gate (int $0x80, where getpid is 20) and the
 * x32 ABI (x86-64 numbers with bit 30 set). A filter that checks only x86-64 numbers misses both. */
#if defined(__x86_64__)
#define SYS_int80_getpid 20
#define SYS_x32_getpid (0x40000000 | 39)
static long call_int80_getpid(void)
{
	long ret;
	/* The kernel clobbers r8-r11 on this path (it saves none of the 64-bit registers the 32-bit ABI lacks). */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(SYS_int80_getpid) : "r8", "r9", "r10", "r11", "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
static long call_x32_getpid(void)
{
	return syscall(SYS_x32_getpid);
}
#else
#define SYS_int80_getpid -1
#define SYS_x32_getpid -1
static long call_int80_getpid(void)
{
	return -1;
}
static long call_x32_getpid(void)
{
	return -1;
}
#endif

/* ---- the table ---- */

enum reveals { SECCOMP, SECCOMP_AND_PRIVILEGE };

static const struct trial {
	const char *name;
	long nr;               /* -1: not on this architecture */
	long (*call)(void);
	int expect[2];         /* the answer(s) that mean "allowed": 0 = success, else an errno */
	enum reveals reveals;
	const char *args;      /* the call as made */
	const char *why;       /* why it cannot change anything */
} trials[] = {
	{ "reboot", SYS_reboot, call_reboot, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "reboot(LINUX_REBOOT_MAGIC1, 0, 0x0bad0bad, NULL)", "wrong magic number: refused before any action" },
	{ "mount", SYS_mount, call_mount, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "mount(NULL, \"/\", NULL, MS_SHARED|MS_PRIVATE, NULL)", "two propagation types at once are refused" },
	{ "umount2", SYS_umount2, call_umount2, { EINVAL }, SECCOMP_AND_PRIVILEGE, "umount2(\"/\", MNT_EXPIRE|MNT_DETACH)",
	  "MNT_EXPIRE with MNT_DETACH, and on the root, is refused" },
	{ "unshare", SYS_unshare, call_unshare, { 0 }, SECCOMP_AND_PRIVILEGE, "unshare(CLONE_NEWUTS)",
	  "a namespace for a throwaway child only" },
	{ "setns", SYS_setns, call_setns, { 0 }, SECCOMP_AND_PRIVILEGE, "setns(pidfd_open(self), CLONE_NEWUTS)",
	  "joins the namespace it is already in" },
	{ "clone", SYS_clone, call_clone, { 0 }, SECCOMP_AND_PRIVILEGE, "clone(CLONE_NEWUTS|SIGCHLD); child _exit(0)",
	  "a throwaway child in a throwaway namespace" },
	{ "clone3", SYS_clone3, call_clone3, { EINVAL }, SECCOMP, "clone3(NULL, 0)", "no arguments: refused" },
	{ "ptrace", SYS_ptrace, call_ptrace, { ESRCH }, SECCOMP, "ptrace(PTRACE_PEEKDATA, self, NULL, NULL)",
	  "the caller is nobody's tracee: refused" },
	{ "kexec_load", SYS_kexec_load, call_kexec_load, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "kexec_load(0, KEXEC_SEGMENT_MAX+1, NULL, 0)", "too many segments: refused before anything is loaded" },
	{ "kexec_file_load", SYS_kexec_file_load, call_kexec_file_load, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "kexec_file_load(-1, -1, 0, NULL, 1<<30)", "unknown flag: refused before any file is read" },
	{ "init_module", SYS_init_module, call_init_module, { ENOEXEC }, SECCOMP_AND_PRIVILEGE, "init_module(NULL, 0, \"\")",
	  "an empty image is not a module" },
	{ "finit_module", SYS_finit_module, call_finit_module, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "finit_module(-1, \"\", 1<<30)", "unknown flag: refused" },
	{ "delete_module", SYS_delete_module, call_delete_module, { ENOENT }, SECCOMP_AND_PRIVILEGE,
	  "delete_module(\"isolab-probe-no-such-module\", O_NONBLOCK)", "no module has that name" },
	{ "swapon", SYS_swapon, call_swapon, { ENOENT }, SECCOMP_AND_PRIVILEGE, "swapon(\"\", 0)", "an empty path names no file" },
	{ "swapoff", SYS_swapoff, call_swapoff, { ENOENT }, SECCOMP_AND_PRIVILEGE, "swapoff(\"\")", "an empty path names no file" },
	{ "keyctl", SYS_keyctl, call_keyctl, { EOPNOTSUPP }, SECCOMP, "keyctl(0x7fffffff, 0, 0, 0, 0)", "no such operation" },
	{ "add_key", SYS_add_key, call_add_key, { EINVAL }, SECCOMP, "add_key(\"\", \"isolab-probe\", \"x\", 1, 0)",
	  "an empty key type: refused before any keyring is touched" },
	{ "request_key", SYS_request_key, call_request_key, { EINVAL }, SECCOMP,
	  "request_key(\"\", \"isolab-probe\", NULL, 0)", "an empty key type: refused before any keyring is touched" },
	{ "bpf", SYS_bpf, call_bpf, { E2BIG }, SECCOMP_AND_PRIVILEGE, "bpf(BPF_PROG_LOAD, {0}, sizeof attr)",
	  "a program of zero instructions is not loaded" },
	{ "perf_event_open", SYS_perf_event_open, call_perf_event_open, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "perf_event_open({SOFTWARE, DUMMY, sample_period=1<<63}, 0, -1, -1, 0)", "an impossible sample period: no event is made" },
	{ "clock_settime", SYS_clock_settime, call_clock_settime, { EINVAL }, SECCOMP,
	  "clock_settime(CLOCK_REALTIME, {0, -1})", "an invalid time is refused before the clock is touched" },
	{ "settimeofday", SYS_settimeofday, call_settimeofday, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "settimeofday(NULL, {tz_minuteswest=960})", "no time, and a time zone out of range: refused" },
	{ "sethostname", SYS_sethostname, call_sethostname, { EINVAL }, SECCOMP_AND_PRIVILEGE, "sethostname(\"x\", -1)",
	  "a negative length is refused" },
	{ "setdomainname", SYS_setdomainname, call_setdomainname, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "setdomainname(\"x\", -1)", "a negative length is refused" },
	{ "chroot", SYS_chroot, call_chroot, { 0 }, SECCOMP_AND_PRIVILEGE, "chroot(\"/\")",
	  "the same root, in a throwaway child" },
	{ "pivot_root", SYS_pivot_root, call_pivot_root, { ENOENT }, SECCOMP_AND_PRIVILEGE,
	  "pivot_root(\"" NO_SUCH_PATH "\", \"" NO_SUCH_PATH "\")", "the new root does not exist" },
	{ "mknod", SYS_mknodat, call_mknod, { 0 }, SECCOMP_AND_PRIVILEGE,
	  "mknodat(AT_FDCWD, \"/dev/shm/.isolab-probe-mknod-PID\", S_IFCHR|0600, 1:3)",
	  "a /dev/null twin in a scratch directory, unlinked at once" },
	{ "personality", SYS_personality, call_personality, { 0 }, SECCOMP, "personality(PER_LINUX|ADDR_NO_RANDOMIZE)",
	  "changes a throwaway child only" },
	{ "acct", SYS_acct, call_acct, { ENOENT }, SECCOMP_AND_PRIVILEGE, "acct(\"" NO_SUCH_PATH "/acct\")",
	  "the file cannot be opened; never NULL (which turns accounting off)" },
	{ "quotactl", SYS_quotactl, call_quotactl, { ENODEV }, SECCOMP, "quotactl(QCMD(Q_GETINFO, USRQUOTA), NULL, 0, NULL)",
	  "no device: a read that finds nothing" },
	{ "quotactl_fd", SYS_quotactl_fd, call_quotactl_fd, { EBADF }, SECCOMP, "quotactl_fd(-1, QCMD(Q_GETINFO, USRQUOTA), 0, NULL)",
	  "no file" },
	{ "userfaultfd", SYS_userfaultfd, call_userfaultfd, { EINVAL }, SECCOMP_AND_PRIVILEGE, "userfaultfd(1<<30)",
	  "unknown flag: no descriptor is made" },
	{ "open_by_handle_at", SYS_open_by_handle_at, call_open_by_handle_at, { ESTALE, EOPNOTSUPP }, SECCOMP_AND_PRIVILEGE,
	  "open_by_handle_at(AT_FDCWD, {8, FILEID_INO32_GEN, inode 0}, O_RDONLY)", "inode 0 does not exist: nothing is opened" },
	{ "name_to_handle_at", SYS_name_to_handle_at, call_name_to_handle_at, { EOVERFLOW, EOPNOTSUPP }, SECCOMP,
	  "name_to_handle_at(AT_FDCWD, \"/\", {handle_bytes=0}, &id, 0)", "reads the size of a handle, nothing else" },
	{ "iopl", SYS_iopl, call_iopl, { EINVAL }, SECCOMP, "iopl(4)", "level 4 does not exist" },
	{ "ioperm", SYS_ioperm, call_ioperm, { EINVAL }, SECCOMP, "ioperm(0xffff, 2, 1)", "ports past 0xffff do not exist" },
	{ "syslog", SYS_syslog, call_syslog, { 0 }, SECCOMP_AND_PRIVILEGE, "syslog(SYSLOG_ACTION_SIZE_UNREAD, NULL, 0)",
	  "reads a number" },
	{ "uselib", SYS_uselib, call_uselib, { ENOENT, ENOSYS }, SECCOMP, "uselib(\"" NO_SUCH_PATH "/lib.so\")",
	  "the library does not exist" },
	{ "lookup_dcookie", SYS_lookup_dcookie, call_lookup_dcookie, { ENOSYS, EINVAL }, SECCOMP,
	  "lookup_dcookie(0, NULL, 0)", "no cookie (and the call is gone since Linux 6.8)" },
	{ "vhangup", SYS_vhangup, call_vhangup, { 0 }, SECCOMP_AND_PRIVILEGE, "setsid(); vhangup()",
	  "after setsid() the child has no terminal to hang up" },
	{ "kcmp", SYS_kcmp, call_kcmp, { 0 }, SECCOMP, "kcmp(self, self, KCMP_VM, 0, 0)", "compares, reads only" },
	{ "pidfd_getfd", SYS_pidfd_getfd, call_pidfd_getfd, { EBADF }, SECCOMP, "pidfd_getfd(-1, 0, 0)", "no pidfd" },
	{ "process_madvise", SYS_process_madvise, call_process_madvise, { EBADF }, SECCOMP,
	  "process_madvise(-1, NULL, 0, 0, 0)", "no pidfd" },
	{ "io_uring_setup", SYS_io_uring_setup, call_io_uring_setup, { EFAULT }, SECCOMP_AND_PRIVILEGE,
	  "io_uring_setup(1, NULL)", "no parameters: no ring is made" },
	{ "io_uring_enter", SYS_io_uring_enter, call_io_uring_enter, { EBADF }, SECCOMP,
	  "io_uring_enter(0x7fffffff, 0, 0, 0, NULL, 0)", "no ring" },
	{ "io_uring_register", SYS_io_uring_register, call_io_uring_register, { EBADF }, SECCOMP,
	  "io_uring_register(0x7fffffff, 0, NULL, 0)", "no ring" },
	{ "fanotify_init", SYS_fanotify_init, call_fanotify_init, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "fanotify_init(FAN_CLASS_NOTIF|1<<30, O_RDONLY)", "unknown flag: no group is made" },
	{ "fsopen", SYS_fsopen, call_fsopen, { EINVAL }, SECCOMP_AND_PRIVILEGE, "fsopen(\"tmpfs\", 0x80)",
	  "unknown flag: no context is made" },
	{ "fsmount", SYS_fsmount, call_fsmount, { EBADF }, SECCOMP_AND_PRIVILEGE, "fsmount(-1, 0, 0)", "no context" },
	{ "fspick", SYS_fspick, call_fspick, { EINVAL }, SECCOMP_AND_PRIVILEGE, "fspick(AT_FDCWD, \"/\", 0x80)", "unknown flag" },
	{ "fsconfig", SYS_fsconfig, call_fsconfig, { EINVAL }, SECCOMP, "fsconfig(-1, FSCONFIG_SET_FLAG, \"ro\", NULL, 0)",
	  "no context" },
	{ "move_mount", SYS_move_mount, call_move_mount, { EINVAL }, SECCOMP_AND_PRIVILEGE,
	  "move_mount(-1, \"\", -1, \"\", 1<<30)", "unknown flag" },
	{ "open_tree", SYS_open_tree, call_open_tree, { ENOENT }, SECCOMP_AND_PRIVILEGE,
	  "open_tree(AT_FDCWD, \"" NO_SUCH_PATH "\", OPEN_TREE_CLONE)", "the tree does not exist" },
	{ "mount_setattr", SYS_mount_setattr, call_mount_setattr, { EINVAL }, SECCOMP, "mount_setattr(-1, \"\", 0, NULL, 0)",
	  "no attributes" },
	{ "get_mempolicy", SYS_get_mempolicy, call_get_mempolicy, { 0 }, SECCOMP, "get_mempolicy(NULL, NULL, 0, NULL, 0)",
	  "reads only" },
	{ "set_mempolicy", SYS_set_mempolicy, call_set_mempolicy, { 0 }, SECCOMP, "set_mempolicy(MPOL_DEFAULT, NULL, 0)",
	  "the default policy, in a throwaway child" },
	{ "mbind", SYS_mbind, call_mbind, { 0 }, SECCOMP_AND_PRIVILEGE, "mbind(NULL, 0, MPOL_DEFAULT, NULL, 0, MPOL_MF_MOVE_ALL)",
	  "an empty range" },
	{ "migrate_pages", SYS_migrate_pages, call_migrate_pages, { EINVAL }, SECCOMP,
	  "migrate_pages(0, 1<<20, {0}, {0})", "a node mask too large: nothing moves" },
	{ "move_pages", SYS_move_pages, call_move_pages, { 0 }, SECCOMP_AND_PRIVILEGE,
	  "move_pages(0, 0, NULL, NULL, NULL, MPOL_MF_MOVE_ALL)", "zero pages" },
	{ "set_mempolicy_home_node", SYS_set_mempolicy_home_node, call_set_mempolicy_home_node, { 0 }, SECCOMP,
	  "set_mempolicy_home_node(0, 0, 0, 0)", "an empty range" },
	{ "ustat", SYS_ustat, call_ustat, { EINVAL }, SECCOMP, "ustat(0, &buf)", "device 0 has no filesystem" },
	{ "sysfs", SYS_sysfs, call_sysfs, { 0, ENOSYS }, SECCOMP, "sysfs(3)", "reads a number" },
	{ "_sysctl", SYS__sysctl, call__sysctl, { ENOSYS }, SECCOMP, "_sysctl(NULL)", "removed in Linux 5.5" },
	{ "create_module", SYS_create_module, call_create_module, { ENOSYS }, SECCOMP, "create_module(NULL, 0)",
	  "removed in Linux 2.6" },
	{ "get_kernel_syms", SYS_get_kernel_syms, call_get_kernel_syms, { ENOSYS }, SECCOMP, "get_kernel_syms(NULL)",
	  "removed in Linux 2.6" },
	{ "query_module", SYS_query_module, call_query_module, { ENOSYS }, SECCOMP, "query_module(NULL, 0, NULL, 0, NULL)",
	  "removed in Linux 2.6" },
	{ "nfsservctl", SYS_nfsservctl, call_nfsservctl, { ENOSYS }, SECCOMP, "nfsservctl(0, NULL, NULL)", "removed in Linux 3.1" },
	{ "getpmsg", SYS_getpmsg, call_getpmsg, { ENOSYS }, SECCOMP, "getpmsg(-1, ...)", "never implemented" },
	{ "putpmsg", SYS_putpmsg, call_putpmsg, { ENOSYS }, SECCOMP, "putpmsg(-1, ...)", "never implemented" },
	{ "afs_syscall", SYS_afs_syscall, call_afs_syscall, { ENOSYS }, SECCOMP, "afs_syscall()", "never implemented" },
	{ "tuxcall", SYS_tuxcall, call_tuxcall, { ENOSYS }, SECCOMP, "tuxcall()", "never implemented" },
	{ "security", SYS_security, call_security, { ENOSYS }, SECCOMP, "security()", "never implemented" },
	{ "vserver", SYS_vserver, call_vserver, { ENOSYS }, SECCOMP, "vserver()", "never implemented" },
	{ "socket_vsock", SYS_socket, call_socket_vsock, { EINVAL }, SECCOMP, "socket(AF_VSOCK, 15, 0)",
	  "no such socket type: refused before the family is looked up" },
	{ "socket_alg", SYS_socket, call_socket_alg, { EINVAL }, SECCOMP, "socket(AF_ALG, 15, 0)",
	  "no such socket type: refused before the family is looked up" },
	{ "socket_packet", SYS_socket, call_socket_packet, { EINVAL }, SECCOMP, "socket(AF_PACKET, 15, 0)",
	  "no such socket type: refused before the family is looked up" },
	{ "socket_netlink_netfilter", SYS_socket, call_socket_netlink_netfilter, { EINVAL }, SECCOMP,
	  "socket(AF_NETLINK, 15, NETLINK_NETFILTER)", "no such socket type: refused before the family is looked up" },
	{ "int80_getpid", SYS_int80_getpid, call_int80_getpid, { 0 }, SECCOMP, "int $0x80 with eax=20 (i386 getpid)",
	  "reads the caller's PID" },
	{ "x32_getpid", SYS_x32_getpid, call_x32_getpid, { 0, ENOSYS }, SECCOMP, "syscall(__X32_SYSCALL_BIT|39) (x32 getpid)",
	  "reads the caller's PID (ENOSYS: a kernel built without x32)" },
};
#define TRIAL_COUNT (sizeof(trials) / sizeof(trials[0]))

/* kexec_load and kexec_file_load count against kernel.kexec_load_limit_{reboot,panic} once the
 * privilege check passes. Unlimited (-1, the default, or a kernel without the limit) is the only
 * case in which trying them leaves nothing behind. */
static bool kexec_budget_untouched(void)
{
	char text[32];
	if (read_text("/proc/sys/kernel/kexec_load_limit_reboot", text, sizeof(text)) < 0)
		return errno == ENOENT && access("/proc/sys/kernel", F_OK) == 0;
	return atoi(text) == -1;
}

static const char *expected_text(const struct trial *t)
{
	static char text[48];
	int n = snprintf(text, sizeof(text), "%s", t->expect[0] == 0 ? "success" : errno_name(t->expect[0]));
	if (t->expect[1] != 0)
		snprintf(text + n, sizeof(text) - (size_t)n, "|%s", errno_name(t->expect[1]));
	return text;
}

struct answer {
	long ret;
	int err;
};

/* Runs T in a child of its own; fills the answer, or the signal that ended the child. */
static int run_trial(const struct trial *t, struct answer *a, int *signal_number)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return errno;
	pid_t child = fork();
	if (child < 0) {
		int err = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (child == 0) {
		close(pipefd[0]);
		alarm(CHILD_SECONDS);
		errno = 0;
		struct answer mine = { t->call(), 0 };
		mine.err = mine.ret < 0 ? errno : 0;
		ssize_t n = write(pipefd[1], &mine, sizeof(mine));
		_exit(n == sizeof(mine) ? 0 : 1);
	}
	close(pipefd[1]);
	ssize_t n = TEMP_FAILURE_RETRY(read(pipefd[0], a, sizeof(*a)));
	close(pipefd[0]);
	int status;
	if (TEMP_FAILURE_RETRY(waitpid(child, &status, 0)) < 0)
		return errno;
	*signal_number = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (*signal_number == 0 && n != sizeof(*a))
		return EIO;
	return 0;
}

static void put_trial(const struct trial *t)
{
	json_begin('{');
	json_key("name");
	json_string(t->name);
	json_key("nr");
	json_int_or_null(t->nr, t->nr < 0);
	json_key("call");
	json_string(t->args);
	json_key("expected");
	json_string(expected_text(t));
	json_key("reveals");
	json_string(t->reveals == SECCOMP ? "seccomp" : "seccomp+privilege");

	struct answer a = { 0, 0 };
	int sig = 0, failure = 0;
	const char *skipped = NULL;
	if (t->nr < 0)
		skipped = "not on this architecture";
	else if ((t->nr == SYS_kexec_load || t->nr == SYS_kexec_file_load) && !kexec_budget_untouched())
		skipped = "kernel.kexec_load_limit_reboot is set (or unreadable): a try would use one up";
	else
		failure = run_trial(t, &a, &sig);

	json_key("result");
	if (skipped == NULL && failure == 0 && sig == 0)
		json_int(a.ret);
	else
		json_null();
	json_key("error");
	json_string_or_null(skipped == NULL && failure == 0 && sig == 0 && a.ret < 0 ? errno_name(a.err) : NULL);
	json_key("signal");
	char signame[24];
	if (sig != 0)
		snprintf(signame, sizeof(signame), "SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	json_string_or_null(sig != 0 ? signame : NULL);

	/* allowed: the expected answer; denied: EPERM/EACCES; unavailable: ENOSYS (the kernel was
	 * built without it, or a filter answers ENOSYS, as Docker's does for clone3), and for a socket
	 * family or netlink protocol EAFNOSUPPORT/EPROTONOSUPPORT (the workshop's guard); killed: a
	 * signal; skipped: not tried (see note); other: anything else (see error). */
	const char *verdict;
	int got = a.ret < 0 ? a.err : 0;
	if (skipped != NULL)
		verdict = "skipped";
	else if (failure != 0)
		verdict = "other";
	else if (sig != 0)
		verdict = "killed";
	else if (got == t->expect[0] || (t->expect[1] != 0 && got == t->expect[1]))
		verdict = "allowed";
	else if (got == EPERM || got == EACCES)
		verdict = "denied";
	else if (got == ENOSYS || got == EAFNOSUPPORT || got == EPROTONOSUPPORT)
		verdict = "unavailable"; /* the last two: the same for a socket family or a netlink protocol */
	else
		verdict = "other";
	json_key("verdict");
	json_string(verdict);
	json_key("note");
	if (skipped != NULL)
		json_string(skipped);
	else if (failure != 0)
		json_string(errno_name(failure));
	else
		json_null();
	json_end('}');
}

int try_syscall_main(int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "--list") == 0) {
		for (size_t i = 0; i < TRIAL_COUNT; i++)
			printf("%s\t%s\t%s\t%s\t%s\n", trials[i].name, expected_text(&trials[i]),
			       trials[i].reveals == SECCOMP ? "seccomp" : "seccomp+privilege", trials[i].args, trials[i].why);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc == 0) {
		fputs("usage: isolab-probe try-syscall NAME...|all   (names: isolab-probe try-syscall --list)\n", stderr);
		return 2;
	}
	bool all = argc == 1 && strcmp(argv[0], "all") == 0;
	const struct trial *chosen[TRIAL_COUNT];
	size_t count = 0;
	for (int i = 0; !all && i < argc; i++) {
		size_t k = 0;
		while (k < TRIAL_COUNT && strcmp(trials[k].name, argv[i]) != 0)
			k++;
		if (k == TRIAL_COUNT) {
			fprintf(stderr, "isolab-probe: try-syscall: unknown syscall \"%s\" (see try-syscall --list)\n", argv[i]);
			return 2;
		}
		if (count < TRIAL_COUNT)
			chosen[count++] = &trials[k];
	}
	for (size_t k = 0; all && k < TRIAL_COUNT; k++)
		chosen[count++] = &trials[k];

	/* The children write nothing to stdout; flush now so none inherits buffered output. */
	fflush(stdout);
	json_begin('{');
	json_key("probe");
	json_int(PROBE_FORMAT_VERSION);
	json_key("trySyscall");
	json_begin('[');
	for (size_t i = 0; i < count; i++)
		put_trial(chosen[i]);
	json_end(']');
	json_end('}');
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : 1;
}
