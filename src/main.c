/*
 * daneroll - keeps DANE TLSA records and SMTP certificates in step through
 * key and certificate rollovers. See daneroll(8).
 */
#include <sysexits.h>

#include "cmd.h"

int
main(int argc, char **argv)
{
	struct cli cli;
	int rc;

	if ((rc = cmd_parse(argc, argv, &cli)) != 0)
		return rc < 0 ? EX_USAGE : EX_OK;
	return cmd_dispatch(&cli);
}
