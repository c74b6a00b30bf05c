/* rlimits — being written (see launcher.h for the hooks this file provides). */
#define _GNU_SOURCE
#include "launcher.h"

static const struct lab_option options[] = { { NULL, false, NULL } };
const struct lab_module lab_rlimit_module = { "rlimit", options, NULL };
void lab_rlimits_apply(void) {}
