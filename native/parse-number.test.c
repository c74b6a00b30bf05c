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

static void print_failure(bool kept)
{
	printf("{\"ok\":false,\"errno\":\"%s\",\"kept\":%s}\n", errno == EINVAL ? "EINVAL" : errno == ERANGE ? "ERANGE" : "other",
	       kept ? "true" : "false");
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: parse-number-test int|i64|u64|scan MIN MAX TEXT...\n");
		return 2;
	}
	const char *function = argv[1];
	for (int i = 4; i < argc; i++) {
		const char *text = argv[i];
		errno = 0;
		if (strcmp(function, "int") == 0) {
			int out = SENTINEL;
			if (lab_parse_int(text, (int)strtol(argv[2], NULL, 10), (int)strtol(argv[3], NULL, 10), &out))
				printf("{\"ok\":true,\"value\":\"%d\",\"rest\":\"\"}\n", out);
			else
				print_failure(out == SENTINEL);
		} else if (strcmp(function, "i64") == 0) {
			int64_t out = SENTINEL;
			if (lab_parse_i64(text, strtoll(argv[2], NULL, 10), strtoll(argv[3], NULL, 10), &out))
				printf("{\"ok\":true,\"value\":\"%" PRId64 "\",\"rest\":\"\"}\n", out);
			else
				print_failure(out == SENTINEL);
		} else if (strcmp(function, "u64") == 0) {
			uint64_t out = SENTINEL;
			if (lab_parse_u64(text, strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10), &out))
				printf("{\"ok\":true,\"value\":\"%" PRIu64 "\",\"rest\":\"\"}\n", out);
			else
				print_failure(out == SENTINEL);
		} else if (strcmp(function, "scan") == 0) {
			/* MIN is not lab_scan_u64's: it takes MAX only. */
			uint64_t out = SENTINEL;
			const char *rest = lab_scan_u64(text, strtoull(argv[3], NULL, 10), &out);
			if (rest != NULL)
				printf("{\"ok\":true,\"value\":\"%" PRIu64 "\",\"rest\":\"%s\"}\n", out, rest);
			else
				print_failure(out == SENTINEL);
		} else {
			fprintf(stderr, "parse-number-test: unknown function \"%s\"\n", function);
			return 2;
		}
	}
	return 0;
}
