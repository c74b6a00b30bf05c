#!/bin/sh
# Builds isolab-launcher; binding.gyp's isolab-launcher target runs it (node-gyp rebuild).
#
#   build-launcher.sh OUTPUT CFLAG... -- SOURCE.c...
#
# Why not an ordinary gyp executable: the launcher is the first thing every container start and every
# probe runs, and a dynamically linked glibc program spends about 0.4 ms here in the loader and libc's
# start-up before main() (libc.so, libm.so, relocations). Linked statically against musl it is in
# main() after about 0.1 ms, with a smaller resident set. gyp builds every C target with one compiler,
# so this one target is compiled and linked here, with binding.gyp's flags.
#
# With musl-gcc (Debian: musl-tools): a static PIE (its addresses still differ at every run), with
# libseccomp from Debian's libseccomp.a. Without musl-gcc, or if that build fails: glibc, dynamically
# linked, and a warning that says why.
set -eu

out=$1
shift
cflags=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
	cflags="$cflags $1"
	shift
done
[ "$#" -gt 0 ] && shift # the --
# Also: an undeclared function is an error, not an int-returning guess (musl declares less than
# glibc, and a pointer truncated to int would only show at run time).
cflags="$cflags -std=gnu11 -fPIE -Werror=implicit-function-declaration -Werror=int-conversion"
here=$(dirname "$0")

build_glibc() {
	# shellcheck disable=SC2086 # cflags is a list of words
	gcc $cflags -pie -Wl,-z,relro,-z,now -o "$out" "$@" -Wl,-Bstatic -lseccomp -Wl,-Bdynamic -lm
}

# Prints why it cannot, on stderr, and returns 1; every step is checked by hand (set -e does not
# apply inside a function called as a condition).
build_musl() {
	command -v musl-gcc >/dev/null 2>&1 || { echo "musl-gcc not found (apt-get install musl-tools)" >&2; return 1; }
	multiarch=$(gcc -print-multiarch) || return 1
	[ -n "$multiarch" ] || { echo "gcc -print-multiarch names no target" >&2; return 1; }
	musl=/usr/lib/${multiarch%-gnu}-musl
	[ -f "$musl/rcrt1.o" ] || { echo "$musl/rcrt1.o missing (musl's start file for a static PIE)" >&2; return 1; }
	libseccomp=$(gcc -print-file-name=libseccomp.a) || return 1
	[ -f "$libseccomp" ] || { echo "libseccomp.a not found (apt-get install libseccomp-dev)" >&2; return 1; }
	gcc_lib=$(dirname "$(gcc -print-libgcc-file-name)") || return 1

	# musl-gcc sees musl's headers only; the kernel's (linux/, asm/) and libseccomp's are added one
	# by one, so no glibc header can slip in.
	objects=$(dirname "$out")/obj.target/isolab-launcher
	include=$objects/include
	mkdir -p "$include" || return 1
	for header in /usr/include/linux /usr/include/asm-generic "/usr/include/$multiarch/asm" /usr/include/seccomp.h /usr/include/seccomp-syscalls.h; do
		[ -e "$header" ] || { echo "$header missing (kernel or libseccomp headers)" >&2; return 1; }
		ln -sfn "$header" "$include/$(basename "$header")" || return 1
	done

	linked=""
	for source in "$@" "$here/launcher/musl-fortify.c"; do
		object="$objects/$(basename "$source" .c).o"
		# shellcheck disable=SC2086
		musl-gcc $cflags -isystem "$include" -c "$source" -o "$object" || return 1
		linked="$linked $object"
	done
	# musl-gcc's own link line cannot make a static PIE (its specs file always names a dynamic
	# loader), so the start files are named here; rcrt1.o relocates the program before main().
	# shellcheck disable=SC2086
	gcc -nostdlib -static-pie -Wl,-z,relro,-z,now -o "$out" \
		"$musl/rcrt1.o" "$musl/crti.o" "$gcc_lib/crtbeginS.o" \
		$linked "$libseccomp" "$musl/libc.a" "$gcc_lib/libgcc.a" "$musl/libc.a" \
		"$gcc_lib/crtendS.o" "$musl/crtn.o" || return 1
}

if ! build_musl "$@"; then
	echo "build-launcher.sh: linking the launcher against glibc instead, dynamically: it starts about 0.4 ms slower" >&2
	build_glibc "$@"
fi
