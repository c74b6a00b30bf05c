/* The one way native/ reads an integer from text: the launcher's options, the probe's and the
 * lessons' tools' (parse-number.c).
 *
 * One rule for all of them, stricter than strtol's: the text is digits, and nothing else. No
 * blank before or after (strtol skips leading ones), no '+' (strtol takes it), a '-' only where
 * negative numbers are allowed at all, no base prefix ("0x10" is refused, "010" is ten: strtol
 * with base 0 would read eight), no empty text, no overflow (strtoul silently wraps "-1" around to
 * its largest value). What is refused says why in errno: EINVAL for text that is not a number,
 * ERANGE for a number outside [MIN, MAX].
 *
 * No libc number parsing underneath, so the musl-linked launcher and the glibc-linked probe read
 * every text the same, and nothing here allocates or touches locale: the launcher's child may
 * call it after clone(). native/parse-number.test.ts runs its edge cases. */
#ifndef ISOLAB_PARSE_NUMBER_H
#define ISOLAB_PARSE_NUMBER_H

#include <stdbool.h>
#include <stdint.h>

/* All of TEXT is one decimal number in [MIN, MAX]: *OUT is set and true returned. Otherwise
 * false, errno EINVAL or ERANGE, and *OUT untouched. */
bool lab_parse_int(const char *text, int min, int max, int *out);
bool lab_parse_i64(const char *text, int64_t min, int64_t max, int64_t *out);
bool lab_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* The decimal number TEXT starts with, for a syntax that goes on after it ("8:0", "0-3,8",
 * "512kbit"): at least one digit, no sign or blank, at most MAX. Returns the first character
 * after the digits (what follows is the caller's to check), or NULL with errno EINVAL (no digit
 * there) or ERANGE (above MAX). */
const char *lab_scan_u64(const char *text, uint64_t max, uint64_t *out);

#endif
