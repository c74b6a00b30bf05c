/* The JSON writer shared by isolab-probe and isolab-sysview (json.c): nested objects and arrays,
 * commas placed for the caller, output on stdout. */
#ifndef ISOLAB_JSON_H
#define ISOLAB_JSON_H

#include <stdbool.h>

/* Escape every byte outside printable ASCII (\u00XX). Off for the probe, whose strings are paths
 * and names (UTF-8 passes through); on for sysview, which prints kernel log lines that may carry
 * any byte and must stay valid JSON. */
extern bool json_ascii_only;

void json_begin(char bracket);
void json_end(char bracket);
void json_key(const char *key);
void json_string(const char *s);
void json_int(long long v);
void json_bool(bool v);
void json_null(void);
/* A string, or null when S is NULL. */
void json_string_or_null(const char *s);
/* V, or null when IS_NULL (a limit not set, a number that could not be found out). */
void json_int_or_null(long long v, bool is_null);

#endif
