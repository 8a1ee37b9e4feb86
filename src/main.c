/*
 * daneroll - keeps DANE TLSA records and SMTP certificates in step through
 * key and certificate rollovers. See daneroll(8).
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cmd.h"

int
main(int argc, char **argv)
{
	static const struct rlimit no_core = { 0, 0 };

	/* Private keys, TSIG and API secrets pass through this process's
	 * memory: never into a core file, nor to another process of the
	 * same user through ptrace or /proc/PID/mem. */
	(void)setrlimit(RLIMIT_CORE, &no_core);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return cmd_main(argc, argv);
}
