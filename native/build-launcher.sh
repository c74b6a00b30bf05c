#!/bin/sh
# Builds isolab-launcher; binding.gyp's isolab-launcher target runs it (node-gyp rebuild).
#
#   build-launcher.sh OUTPUT SOURCE.c...
#
# Why not an ordinary gyp executable: the launcher is the first thing every container start and every
# probe runs, and a dynamically linked glibc program spends about 0.4 ms here in the loader and libc's
# start-up before main() (libc.so, libm.so, relocations). Linked statically against musl it is in
# main() after about 0.1 ms, with a smaller resident set. gyp builds every C target with one compiler,
# so this one target is compiled and linked here.
#
# With musl-gcc (Debian: musl-tools): a static PIE (the addresses still differ every run), libseccomp
# from Debian's libseccomp.a. Without it: glibc, dynamically linked, and a warning that says what to install.
set -eu

out=$1
shift
cflags="-std=gnu11 -O2 -Wall -Wextra -Werror=format-security -Werror=shadow -fstack-protector-strong -fPIE"
libseccomp=$(gcc -print-file-name=libseccomp.a)

if ! command -v musl-gcc >/dev/null 2>&1; then
	echo "build-launcher.sh: musl-gcc not found (apt-get install musl-tools): linking the launcher against glibc, dynamically; it starts about 0.4 ms slower" >&2
	# shellcheck disable=SC2086 # cflags is a list of words
	exec gcc $cflags -pie -o "$out" "$@" -Wl,-Bstatic -lseccomp -Wl,-Bdynamic -lm
fi

# musl-gcc sees musl's headers only; the kernel's (linux/, asm/) and libseccomp's are added one by one,
# so no glibc header can slip in.
include=$(dirname "$out")/obj.target/isolab-launcher/include
mkdir -p "$include"
multiarch=$(gcc -print-multiarch)
for header in /usr/include/linux /usr/include/asm-generic "/usr/include/$multiarch/asm" /usr/include/seccomp.h /usr/include/seccomp-syscalls.h; do
	ln -sfn "$header" "$include/$(basename "$header")"
done

# musl-gcc's own link line cannot make a static PIE (its specs file always names a dynamic loader):
# the start files are named here. rcrt1.o relocates the program before main().
musl=/usr/lib/$(echo "$multiarch" | sed 's/-gnu$/-musl/')
gcc_lib=$(dirname "$(gcc -print-libgcc-file-name)")
objects=$(dirname "$include")
set --  "$@" "$(dirname "$0")/launcher/musl-fortify.c"
linked=""
for source in "$@"; do
	object="$objects/$(basename "$source" .c).o"
	# shellcheck disable=SC2086
	musl-gcc $cflags -isystem "$include" -c "$source" -o "$object"
	linked="$linked $object"
done
# shellcheck disable=SC2086
gcc -nostdlib -static-pie -Wl,-z,relro,-z,now -o "$out" \
	"$musl/rcrt1.o" "$musl/crti.o" "$gcc_lib/crtbeginS.o" \
	$linked "$libseccomp" "$musl/libc.a" "$gcc_lib/libgcc.a" "$musl/libc.a" \
	"$gcc_lib/crtendS.o" "$musl/crtn.o"
