/* The driver of parse-number.test.ts: runs one of parse-number.h's functions on each TEXT and
 * prints what it answered, one JSON line each:
 *
 *   parse-number-test int|i64|u64|scan MIN MAX TEXT...
 *   {"ok":true,"value":"42","rest":""}         (rest: what lab_scan_u64 left; "" for the others)
 *   {"ok":false,"errno":"EINVAL","kept":true}  (kept: *out was left as it was)
 *
 * Values as strings: JSON numbers lose precision above 2^53. MIN and MAX are the test's own
 * trusted input, read with strtoll/strtoull. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse-number.h"

#define SENTINEL 0x5a5a5a5a

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: parse-number-test int|i64|u64|scan MIN MAX TEXT...\n");
		return 2;
	}
	const char *function = argv[1];
	long long min = strtoll(argv[2], NULL, 10), max = strtoll(argv[3], NULL, 10);
	unsigned long long umin = strtoull(argv[2], NULL, 10), umax = strtoull(argv[3], NULL, 10);
	for (int i = 4; i < argc; i++) {
		const char *text = argv[i];
		char value[32] = "";
		const char *rest = "";
		bool ok, kept;
		errno = 0;
		int err; /* errno as the call left it, before snprintf */
		if (strcmp(function, "int") == 0) {
			int out = SENTINEL;
			ok = lab_parse_int(text, (int)min, (int)max, &out);
			err = errno;
			kept = out == SENTINEL;
			snprintf(value, sizeof(value), "%d", out);
		} else if (strcmp(function, "i64") == 0) {
			int64_t out = SENTINEL;
			ok = lab_parse_i64(text, min, max, &out);
			err = errno;
			kept = out == SENTINEL;
			snprintf(value, sizeof(value), "%" PRId64, out);
		} else if (strcmp(function, "u64") == 0 || strcmp(function, "scan") == 0) {
			/* lab_scan_u64 takes no MIN: a syntax goes on after its number. */
			uint64_t out = SENTINEL;
			if (function[0] == 'u') {
				ok = lab_parse_u64(text, umin, umax, &out);
			} else {
				rest = lab_scan_u64(text, umax, &out);
				ok = rest != NULL;
			}
			err = errno;
			kept = out == SENTINEL;
			snprintf(value, sizeof(value), "%" PRIu64, out);
		} else {
			fprintf(stderr, "parse-number-test: unknown function \"%s\"\n", function);
			return 2;
		}
		if (ok)
			printf("{\"ok\":true,\"value\":\"%s\",\"rest\":\"%s\"}\n", value, rest);
		else
			printf("{\"ok\":false,\"errno\":\"%s\",\"kept\":%s}\n",
			       err == EINVAL ? "EINVAL" : err == ERANGE ? "ERANGE" : "other", kept ? "true" : "false");
	}
	return 0;
}
