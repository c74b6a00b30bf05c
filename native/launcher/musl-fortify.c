/* Built only against musl (native/build-launcher.sh). Debian compiles libseccomp.a against glibc with
 * _FORTIFY_SOURCE, so the one formatted write it makes (seccomp_export_pfc, a filter as text) calls
 * glibc's checked fprintf, which musl does not have. The check (a %n in a writable format string)
 * cannot matter: libseccomp's formats are its own string constants. Everything else libseccomp.a
 * calls is plain C and POSIX that musl has (checked with nm -u). */
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
