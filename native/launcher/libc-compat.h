/* What glibc (2.34–2.36) declares and musl does not. The launcher is linked statically against musl
 * when musl-gcc is there (native/build-launcher.sh: it starts in about a quarter of the time a
 * dynamically linked glibc program takes), and against glibc otherwise; the code reads the same in
 * both. Each function below is the plain system call. */
#ifndef ISOLAB_LIBC_COMPAT_H
#define ISOLAB_LIBC_COMPAT_H

#ifndef __GLIBC__
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h> /* struct mount_attr, MOUNT_ATTR_*, OPEN_TREE_* */

static inline int open_tree(int dirfd, const char *path, unsigned int flags)
{
	return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

static inline int mount_setattr(int dirfd, const char *path, unsigned int flags, struct mount_attr *attr, size_t size)
{
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, size);
}

static inline int move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags)
{
	return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

static inline int close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}

/* musl's strerror already is glibc's strerrordesc_np: a constant description, no "Unknown error N"
 * written into a shared buffer. */
static inline const char *strerrordesc_np(int err)
{
	return strerror(err);
}
#endif

#endif
