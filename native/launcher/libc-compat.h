/* What glibc (2.34–2.36) declares and musl does not. The launcher is linked statically against musl
 * when musl-gcc is there (native/build-launcher.sh says why), and against glibc otherwise; the code
 * reads the same with both. Each is the plain system call, under a name of ours that the usual name
 * is defined to, so a later musl that declares one as well still compiles. */
#ifndef ISOLAB_LIBC_COMPAT_H
#define ISOLAB_LIBC_COMPAT_H

#include <errno.h>
#include <unistd.h> /* glibc's TEMP_FAILURE_RETRY, with _GNU_SOURCE */

/* EXPRESSION, again for as long as it fails with EINTR (a signal handler ran meanwhile): glibc's
 * macro, which every retry in native/ uses; musl has none, so here it is, as glibc defines it. */
#ifndef TEMP_FAILURE_RETRY
#define TEMP_FAILURE_RETRY(expression) \
	(__extension__({ \
		long int lab_retry_result; \
		do \
			lab_retry_result = (long int)(expression); \
		while (lab_retry_result == -1L && errno == EINTR); \
		lab_retry_result; \
	}))
#endif

#ifndef __GLIBC__
#include <string.h>
#include <sys/syscall.h>
#include <linux/mount.h> /* struct mount_attr, MOUNT_ATTR_*, OPEN_TREE_*, MOVE_MOUNT_* */

static inline int lab_open_tree(int dirfd, const char *path, unsigned int flags)
{
	return (int)syscall(SYS_open_tree, dirfd, path, flags);
}
#define open_tree lab_open_tree

static inline int lab_mount_setattr(int dirfd, const char *path, unsigned int flags, struct mount_attr *attr, size_t size)
{
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, size);
}
#define mount_setattr lab_mount_setattr

static inline int lab_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags)
{
	return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}
#define move_mount lab_move_mount

static inline int lab_fsopen(const char *fs_name, unsigned int flags)
{
	return (int)syscall(SYS_fsopen, fs_name, flags);
}
#define fsopen lab_fsopen

static inline int lab_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}
#define fsconfig lab_fsconfig

static inline int lab_fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
	return (int)syscall(SYS_fsmount, fd, flags, attr_flags);
}
#define fsmount lab_fsmount

static inline int lab_close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}
#define close_range lab_close_range

/* glibc's strerrordesc_np: a constant description, nothing formatted into a shared buffer. musl's
 * strerror is that already (its words differ from glibc's for some errnos, e.g. ELOOP; and for an
 * unknown one it says "No error information" rather than returning NULL). */
static inline const char *lab_strerrordesc_np(int err)
{
	return strerror(err);
}
#define strerrordesc_np lab_strerrordesc_np
#endif

#endif
