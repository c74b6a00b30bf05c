/* no_new_privs: after this, no execve can gain privileges — setuid and setgid bits and file
 * capabilities are ignored — and it is inherited by every descendant, for good. It is also what
 * lets an unprivileged process install a seccomp filter. */
#define _GNU_SOURCE
#include <sys/prctl.h>

#include "launcher.h"

static bool requested;

static const struct lab_option options[] = {
	{ "--no-new-privs", false, lab_option_flag, &requested, 0 },
	{ NULL },
};
const struct lab_module lab_nnp_module = { "nnp", options, NULL };

bool lab_nnp_requested(void)
{
	return requested;
}

void lab_nnp_apply(void)
{
	if (!requested)
		return;
	lab_step("no_new_privs");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_with_error("no_new_privs", "prctl(PR_SET_NO_NEW_PRIVS, 1)");
}
