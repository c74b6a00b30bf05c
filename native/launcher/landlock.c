/* Landlock — being written (see launcher.h for the hooks this file provides). */
#define _GNU_SOURCE
#include "launcher.h"

static const struct lab_option options[] = { { NULL, false, NULL } };
const struct lab_module lab_landlock_module = { "landlock", options, NULL };
void lab_landlock_apply(void) {}
