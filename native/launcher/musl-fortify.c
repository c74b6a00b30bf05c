/* Built only against musl (native/build-launcher.sh). Debian compiles libseccomp.a against glibc with
 * _FORTIFY_SOURCE, so it calls glibc's checked fprintf for its debug output; musl has no checked
 * variants. The check (a %n in a writable format string) cannot matter here: libseccomp's formats are
 * its own string constants. Everything else libseccomp.a calls is plain C and POSIX that musl has. */
#include <stdarg.h>
#include <stdio.h>

int __fprintf_chk(FILE *stream, int flag, const char *format, ...);

int __fprintf_chk(FILE *stream, int flag, const char *format, ...)
{
	(void)flag;
	va_list args;
	va_start(args, format);
	int written = vfprintf(stream, format, args);
	va_end(args);
	return written;
}
