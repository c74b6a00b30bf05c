/* The JSON writer: nested objects and arrays, commas placed for the caller. Output goes to stdout,
 * which main() makes fully buffered, so the whole report leaves in one write. */
#include <stdio.h>

#include "json.h"

#define MAX_DEPTH 32

bool json_ascii_only;

static bool need_comma[MAX_DEPTH];
static int depth;
static bool after_key;

static void before_value(void)
{
	if (after_key) {
		after_key = false;
		return;
	}
	if (need_comma[depth])
		putchar(',');
	need_comma[depth] = true;
}

static void put_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f || (json_ascii_only && *p >= 0x80))
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

void json_begin(char bracket)
{
	before_value();
	putchar(bracket);
	if (depth < MAX_DEPTH - 1)
		depth++;
	need_comma[depth] = false;
}

void json_end(char bracket)
{
	depth--;
	putchar(bracket);
}

void json_key(const char *key)
{
	before_value();
	put_string(key);
	putchar(':');
	after_key = true;
}

void json_string(const char *s)
{
	before_value();
	put_string(s);
}

void json_string_or_null(const char *s)
{
	if (s == NULL)
		json_null();
	else
		json_string(s);
}

void json_int_or_null(long long v, bool is_null)
{
	if (is_null)
		json_null();
	else
		json_int(v);
}

void json_int(long long v)
{
	before_value();
	printf("%lld", v);
}

void json_bool(bool v)
{
	before_value();
	fputs(v ? "true" : "false", stdout);
}

void json_null(void)
{
	before_value();
	fputs("null", stdout);
}
