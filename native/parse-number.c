/* Reading integers from text, one way for all of native/: parse-number.h says the rule. */
#include <errno.h>
#include <stddef.h>

#include "parse-number.h"

/* The run of decimal digits TEXT starts with, as a number: returns the first character after it
 * (TEXT itself when there is no digit); *OVER says the number exceeds MAX (then *OUT is not set). */
static const char *read_digits(const char *text, uint64_t max, uint64_t *out, bool *over)
{
	uint64_t value = 0;
	*over = false;
	for (; *text >= '0' && *text <= '9'; text++) {
		unsigned digit = (unsigned)(*text - '0');
		/* value * 10 + digit > max, asked without overflowing */
		if (digit > max || value > (max - digit) / 10)
			*over = true;
		else if (!*over)
			value = value * 10 + digit;
	}
	if (!*over)
		*out = value;
	return text;
}

const char *lab_scan_u64(const char *text, uint64_t max, uint64_t *out)
{
	bool over;
	uint64_t value;
	const char *end = read_digits(text, max, &value, &over);
	if (end == text || over) {
		errno = end == text ? EINVAL : ERANGE;
		return NULL;
	}
	*out = value;
	return end;
}

/* The magnitude of a whole text that is all digits; false with errno as parse-number.h says.
 * Text that is not a number is EINVAL even when its digits would overflow too. */
static bool whole_digits(const char *text, uint64_t max, uint64_t *out)
{
	bool over;
	const char *end = read_digits(text, max, out, &over);
	if (end == text || *end != '\0') {
		errno = EINVAL;
		return false;
	}
	if (over) {
		errno = ERANGE;
		return false;
	}
	return true;
}

bool lab_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t value;
	if (!whole_digits(text, max, &value))
		return false;
	if (value < min) {
		errno = ERANGE;
		return false;
	}
	*out = value;
	return true;
}

bool lab_parse_i64(const char *text, int64_t min, int64_t max, int64_t *out)
{
	/* A minus sign only where a negative number could be in range at all. */
	bool negative = text[0] == '-' && min < 0;
	/* The largest magnitude worth reading: |MIN| below zero (INT64_MIN's is 2^63), MAX above. */
	uint64_t limit = negative ? (uint64_t)0 - (uint64_t)min : max < 0 ? 0 : (uint64_t)max;
	uint64_t magnitude;
	if (!whole_digits(negative ? text + 1 : text, limit, &magnitude))
		return false;
	/* -(magnitude) without forming +2^63, which int64_t cannot hold. */
	int64_t value = !negative ? (int64_t)magnitude : magnitude == 0 ? 0 : -(int64_t)(magnitude - 1) - 1;
	if (value < min || value > max) {
		errno = ERANGE;
		return false;
	}
	*out = value;
	return true;
}

bool lab_parse_int(const char *text, int min, int max, int *out)
{
	int64_t value;
	if (!lab_parse_i64(text, min, max, &value))
		return false;
	*out = (int)value;
	return true;
}
